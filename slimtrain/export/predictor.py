"""Classifies image files with an exported model or a train dir's checkpoint.

`open_model(path)` picks by what the folder holds:

- an export dir (export.json): its SavedModel's `serving_default`,
  loaded with `tf.saved_model.load`, as a TF 2 user would;
- a train dir (a checkpoint): the same serving graph export.py would write,
  built and restored in a session, with the settings of train_config.json
  (the fake-quant graph for a quantization-aware checkpoint).

Either way the model takes the files' bytes and decodes and preprocesses
them itself, and says how it does (`image_size`, `preprocessing_name`,
`decode_channels`). `predict` classifies the `ImageFile`s that
`slimtrain.export.image_files` has read, checked and fitted to it.
"""

import dataclasses
import json
import os
from typing import List, Optional, Tuple

import numpy as np
import tensorflow as tf
import tensorflow.compat.v1 as tf1

from slimtrain.compute import quantize
from slimtrain.data.datasets import dataset_factory, dataset_utils
from slimtrain.errors import ConfigError
from slimtrain.export import writers
from slimtrain.export.model import TOP_K, build_inference_graph, resolve_model, restore
from slimtrain.export.runners import SavedModelRunner
from slimtrain.rundir import checkpoint_files
from slimtrain.rundir.opened_run import open_run
from slimtrain.rundir.run_source import RunSource

BATCH_SIZE = 32


@dataclasses.dataclass(frozen=True)
class Prediction:
    """The top classes of one image: (class index, name or None, probability)."""

    image: str
    top: List[Tuple[int, Optional[str], float]]

    def to_json(self):
        return json.dumps({"image": self.image, "predictions": [
            {"class": index, "name": name, "probability": probability}
            for index, name, probability in self.top]})

    def to_text(self):
        lines = [self.image]
        for index, name, probability in self.top:
            lines.append("  %4d  %-20s %.4f" % (index, name or "", probability))
        return "\n".join(lines)


class ExportedModel:
    """The SavedModel of an export dir, and what its export.json says.

    Attributes:
      labels_to_names: {class index: name}, or None.
      image_size, preprocessing_name, decode_channels: the network's input
        size, its evaluation preprocessing, and the channels an image is
        decoded to (see `ModelSpec`).
    """

    def __init__(self, export_dir, description):
        path = os.path.join(export_dir, writers.SAVED_MODEL_DIRNAME)
        if not os.path.isdir(path):
            raise ConfigError(
                "--model=%s holds no %s: export it again with saved_model in "
                "--formats." % (export_dir, writers.SAVED_MODEL_DIRNAME))
        self._runner = SavedModelRunner(path)
        self.labels_to_names = None
        if dataset_utils.has_labels(export_dir):
            self.labels_to_names = dataset_utils.read_label_file(export_dir)
        self.image_size = description["image_size"]
        self.preprocessing_name = description["preprocessing_name"]
        self.decode_channels = description["decode_channels"]

    def probabilities(self, encoded):
        """[N, classes] probabilities of a list of encoded images."""
        return self._runner.run(encoded)["probabilities"]


class CheckpointModel:
    """The serving graph of a train dir's latest checkpoint, in a session.

    Attributes:
      labels_to_names: {class index: name}, or None.
      input_shape: [None, size, size, channels] of preprocessed images.
      image_size, preprocessing_name, decode_channels: as `ExportedModel`'s.
    """

    def __init__(self, train_dir):
        run = open_run(RunSource(train_dir, "--model"))
        spec = resolve_model(run, dataset_factory.open_split(
            run.settings.dataset_name, dataset_dir=run.settings.dataset_dir,
            validation_fraction=run.settings.validation_fraction,
            split_seed=run.settings.split_seed))
        checkpoint = run.checkpoint()
        graph = tf.Graph()
        with graph.as_default():
            self._graph = build_inference_graph(
                spec, quantize.holds_ranges(checkpoint))
            self._session = tf1.Session(graph=graph)
            restore(self._session, checkpoint, spec,
                    run.settings.moving_average_decay, "--model")
        self.labels_to_names = spec.labels_to_names
        self.input_shape = self._graph.input_shape
        self.image_size = spec.image_size
        self.preprocessing_name = spec.preprocessing_name
        self.decode_channels = spec.decode_channels

    def probabilities(self, encoded):
        """[N, classes] probabilities of a list of encoded images."""
        return self._session.run(
            self._graph.bytes_outputs["probabilities"],
            {self._graph.image_bytes: encoded})

    def probabilities_of_images(self, images):
        """The same for preprocessed float32 images (`input_shape`): the
        checkpoint's counterpart of the exported files, for benchmarks."""
        return self._session.run(
            self._graph.image_outputs["probabilities"],
            {self._graph.images: images})


def open_model(path):
    """An `ExportedModel` or `CheckpointModel`, by what `path` holds."""
    description = writers.read_description(path)
    if description is not None:
        return ExportedModel(path, description)
    if os.path.isdir(path) and checkpoint_files.find_checkpoints(path):
        return CheckpointModel(path)  # its newest complete one, or one line
    raise ConfigError(
        "--model=%s holds neither an export (%s) nor a checkpoint: point it "
        "at export.py's --output_dir or train.py's --train_dir."
        % (path, writers.DESCRIPTION_FILENAME))


def predict(model, images, top_k=TOP_K):
    """Returns a `Prediction` per `image_files.ImageFile` in `images`."""
    predictions = []
    for start in range(0, len(images), BATCH_SIZE):
        chunk = images[start:start + BATCH_SIZE]
        probabilities = model.probabilities([image.data for image in chunk])
        for image, row in zip(chunk, probabilities):
            best = np.argsort(-row, kind="stable")[:top_k]
            names = model.labels_to_names or {}
            predictions.append(Prediction(image.path, [
                (int(index), names.get(int(index)), float(row[index]))
                for index in best]))
    return predictions
