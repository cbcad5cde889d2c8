"""The examples that calibrate a post-training int8 model.

TFLite's post-training quantization measures the range of every tensor on
a representative set of inputs. `calibration_batches` gives it the first
--calibration_examples examples of the run's training split (the split
train.py read, by its train_config.json; `train` when the export reads
another data set than the one trained on), in file order, through the
model's evaluation preprocessing: the images the int8 model will be fed.
"""

import tensorflow as tf
import tensorflow.compat.v1 as tf1

from slimtrain.data.datasets import dataset_factory
from slimtrain.data.input_pipeline import evaluation_pass
from slimtrain.rundir.run_files import read_run_config

# Examples preprocessed per session call.
BATCH_SIZE = 64
DEFAULT_TRAINING_SPLIT = "train"


def training_split(run):
    """The `DatasetSplit` an `OpenedRun` was trained on (see module doc).

    Raises:
      ConfigError: the split cannot be opened.
    """
    settings = run.settings
    recorded = read_run_config(run.train_dir) or {}
    split_name = DEFAULT_TRAINING_SPLIT
    if recorded.get("dataset_name") == settings.dataset_name:
        split_name = recorded.get("dataset_split_name", split_name)
    return dataset_factory.get_dataset(
        settings.dataset_name, split_name, settings.dataset_dir,
        validation_fraction=settings.validation_fraction,
        split_seed=settings.split_seed)


def calibration_batches(spec, split, count):
    """Yields the first `count` examples of `split`, preprocessed for
    `spec` (a `ModelSpec`): float32 [batch, size, size, channels] arrays.

    The graph and session are its own, and no graph is left as the default
    while it yields, so TFLite's converter may call it as it converts.
    """
    graph = tf.Graph()
    with graph.as_default():
        batches = evaluation_pass(
            split, spec.preprocessing_fn, batch_size=min(count, BATCH_SIZE),
            image_size=spec.image_size, labels_offset=spec.labels_offset,
            num_preprocessing_threads=1)
        images, _ = tf1.data.make_one_shot_iterator(batches).get_next()
    session = tf1.Session(graph=graph)  # not entered: it would be default
    try:
        left = count
        while left > 0:
            try:
                batch = session.run(images)
            except tf.errors.OutOfRangeError:
                return
            yield batch[:left]
            left -= len(batch)
    finally:
        session.close()
