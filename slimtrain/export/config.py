"""Plain configuration objects for an export run.

`ExportConfig` holds every setting of `export.py`. It has two modes:

- architecture only, when --output_file is given: the flags of research/slim's
  `export_inference_graph.py`, with its meanings and defaults (inception_v3 on
  imagenet), and no checkpoint;
- from a checkpoint, otherwise: the model and data settings are None by
  default, meaning "as the checkpoint's train dir was trained" (filled in from
  its train_config.json exactly as eval.py does, through an `EvalConfig`).

Library code takes an `ExportConfig`; only `export.py` reads flags.
"""

import dataclasses
import os
from dataclasses import dataclass
from typing import Optional

from slimtrain.errors import ConfigError
from slimtrain.evaluation.config import DEFAULT_CHECKPOINT_DIR, EvalConfig
from slimtrain.training.config import (flag_field, require_choice,
                                       require_not_negative,
                                       require_positive, split_scopes)

FORMATS = ("saved_model", "frozen", "tflite")
TFLITE_QUANTIZATIONS = ("none", "dynamic")
EXPORT_SUBDIR = "export"

# export_inference_graph.py's defaults for the settings that, from a
# checkpoint, come from the train dir instead.
ARCHITECTURE_DEFAULTS = {
    "model_name": "inception_v3",
    "dataset_name": "imagenet",
    "labels_offset": 0,
    "use_grayscale": False,
}

# Settings that only an export from a checkpoint uses, and those that only
# the architecture-only GraphDef uses (with the value meaning "not given").
CHECKPOINT_ONLY = {"checkpoint_dir": None, "checkpoint_path": None,
                   "output_dir": None, "formats": None,
                   "tflite_quantize": "none", "moving_average_decay": None,
                   "preprocessing_name": None}
ARCHITECTURE_ONLY = {"batch_size": None, "is_training": False,
                     "write_text_graphdef": False, "is_video_model": False,
                     "num_frames": None}


@dataclass
class ExportConfig:
    """Everything one export needs; one field per `export.py` flag."""

    # research/slim's export_inference_graph.py.
    model_name: Optional[str] = flag_field(
        None, "The name of the architecture to save. Default: the train "
        "dir's; with --output_file, %s." % ARCHITECTURE_DEFAULTS["model_name"])
    is_training: bool = flag_field(
        False, "Whether to save out a training-focused version of the model "
        "(--output_file only).")
    image_size: Optional[int] = flag_field(
        None, "The image size to use, otherwise use the model default_image_"
        "size. From a checkpoint the default is the train dir's "
        "--train_image_size.")
    batch_size: Optional[int] = flag_field(
        None, "Batch size for the exported model. Defaulted to \"None\" so "
        "batch size can be specified at model runtime (--output_file only).")
    dataset_name: Optional[str] = flag_field(
        None, "The name of the dataset to use with the model. Default: the "
        "train dir's; with --output_file, %s."
        % ARCHITECTURE_DEFAULTS["dataset_name"])
    labels_offset: Optional[int] = flag_field(
        None, "An offset for the labels in the dataset. This flag is "
        "primarily used to evaluate the VGG and ResNet architectures which "
        "do not use a background class for the ImageNet dataset. Default: "
        "the train dir's, else 0.")
    output_file: str = flag_field(
        "", "Where to save the resulting file to. Given: write research/"
        "slim's architecture-only GraphDef there (no checkpoint).")
    dataset_dir: Optional[str] = flag_field(
        None, "Directory to save intermediate dataset files to. Default: the "
        "train dir's, when exporting the data set it trained on.")
    write_text_graphdef: bool = flag_field(
        False, "Whether to write a text version of graphdef (--output_file "
        "only).")
    use_grayscale: Optional[bool] = flag_field(
        None, "Whether to convert input images to grayscale. Default: the "
        "train dir's, else false.")
    is_video_model: bool = flag_field(
        False, "whether to use 5-D inputs for video model (--output_file "
        "only).")
    num_frames: Optional[int] = flag_field(
        None, "The number of frames to use. Only used if is_video_model is "
        "True (--output_file only).")

    # slimtrain: from a checkpoint.
    checkpoint_dir: Optional[str] = flag_field(
        None, "slimtrain: the train dir whose latest checkpoint is exported; "
        "its train_config.json supplies the model and data settings. "
        "Default: %s unless --checkpoint_path is given." %
        DEFAULT_CHECKPOINT_DIR)
    checkpoint_path: Optional[str] = flag_field(
        None, "slimtrain: a checkpoint prefix (model.ckpt-1000) or its "
        "directory; use instead of --checkpoint_dir.")
    output_dir: Optional[str] = flag_field(
        None, "slimtrain: where the exported files go. Default: the '%s' "
        "folder inside the checkpoint's directory." % EXPORT_SUBDIR)
    formats: Optional[str] = flag_field(
        None, "slimtrain: comma-separated formats to write, of %s. Default: "
        "all." % ", ".join(FORMATS))
    tflite_quantize: str = flag_field(
        "none", "slimtrain: 'dynamic' writes a TFLite model with dynamic-"
        "range quantized weights; 'none' a float model.")
    preprocessing_name: Optional[str] = flag_field(
        None, "slimtrain: the evaluation preprocessing the serving signature "
        "applies. Default: the train dir's, else the model's.")
    moving_average_decay: Optional[float] = flag_field(
        None, "slimtrain: export the moving averages of the weights kept "
        "with this decay. Default: the train dir's (none if it used none); "
        "0 exports the raw weights.")
    parity_examples: int = flag_field(
        64, "slimtrain: held-out examples each exported file is checked on "
        "against the checkpoint's evaluation graph.")

    @property
    def architecture_only(self):
        """Whether to write research/slim's GraphDef instead of a checkpoint."""
        return bool(self.output_file)

    def validate(self):
        """Raises ConfigError for a setting that cannot work; returns self."""
        for name in ("image_size", "batch_size", "num_frames"):
            if getattr(self, name) is not None:
                require_positive(name, getattr(self, name))
        if self.labels_offset is not None:
            require_not_negative("labels_offset", self.labels_offset)
        require_positive("parity_examples", self.parity_examples)
        if self.architecture_only:
            if self.is_video_model and not self.num_frames:
                raise ConfigError("--is_video_model needs the clip length: "
                                  "pass --num_frames, e.g. --num_frames=64.")
            if self.num_frames and not self.is_video_model:
                raise ConfigError("--num_frames applies to video models: add "
                                  "--is_video_model, or drop --num_frames.")
            _refuse_given(self, CHECKPOINT_ONLY, "--output_file writes the "
                          "architecture only", "drop --output_file to export "
                          "a checkpoint")
            return self
        _refuse_given(self, ARCHITECTURE_ONLY, "it applies only to the "
                      "architecture-only GraphDef", "add --output_file=FILE "
                      "for that GraphDef")
        self.format_list()
        require_choice("tflite_quantize", self.tflite_quantize,
                       TFLITE_QUANTIZATIONS)
        if self.tflite_quantize != "none" and "tflite" not in self.format_list():
            raise ConfigError("--tflite_quantize applies to the tflite format, "
                              "which --formats=%s leaves out: add tflite."
                              % self.formats)
        self.eval_config().validate()
        return self

    def format_list(self):
        """The formats to write, in FORMATS order."""
        if self.formats is None:
            return list(FORMATS)
        given = split_scopes(self.formats)
        unknown = [name for name in given if name not in FORMATS]
        if unknown or not given:
            raise ConfigError("--formats=%s: use a comma-separated list of %s."
                              % (self.formats, ", ".join(FORMATS)))
        return [name for name in FORMATS if name in given]

    def eval_config(self):
        """The `EvalConfig` that describes the checkpoint and its model.

        Its checkpoint fields, `train_dir`, and the model and data settings
        (filled in by `evaluation.config.with_train_defaults`) are the ones
        eval.py would use; its batch is the parity check's.
        """
        return EvalConfig(
            checkpoint_dir=self.checkpoint_dir,
            checkpoint_path=self.checkpoint_path,
            batch_size=self.parity_examples,
            dataset_name=self.dataset_name, dataset_dir=self.dataset_dir,
            labels_offset=self.labels_offset, model_name=self.model_name,
            preprocessing_name=self.preprocessing_name,
            moving_average_decay=self.moving_average_decay,
            eval_image_size=self.image_size, use_grayscale=self.use_grayscale)

    def resolved_output_dir(self, train_dir):
        """--output_dir, or the default `<train dir>/export`."""
        return self.output_dir or os.path.join(train_dir, EXPORT_SUBDIR)

    def with_architecture_defaults(self):
        """The config with export_inference_graph.py's defaults filled in."""
        return dataclasses.replace(self, **{
            name: value for name, value in ARCHITECTURE_DEFAULTS.items()
            if getattr(self, name) is None})


def _refuse_given(config, unset_values, problem, fix):
    """Raises ConfigError naming the first field not at its unset value."""
    for name, unset in unset_values.items():
        if getattr(config, name) != unset:
            raise ConfigError("--%s: %s: drop it, or %s." % (name, problem, fix))


@dataclass
class PredictConfig:
    """The flags of `predict.py`; the image files are its arguments."""

    model: str = flag_field(
        DEFAULT_CHECKPOINT_DIR, "An export dir (export.py's --output_dir: "
        "its SavedModel is used) or a train dir (its latest checkpoint is "
        "used, with the settings of its train_config.json).")
    json: bool = flag_field(
        False, "Print one JSON object per image instead of a table.")
    resize: bool = flag_field(
        False, "Scale each image to the network's input size before its "
        "preprocessing, for models whose preprocessing crops or pads "
        "(lenet, cifarnet: a 224-pixel photo would lose all but its central "
        "28 or 32 pixels). Without it such an image is preprocessed as in "
        "eval.py and TF Serving, with a note. The other preprocessings "
        "resize every image anyway.")
