"""Plain configuration objects for an export run.

`ExportConfig` holds every setting of `export.py`. It has two modes:

- architecture only, when --output_file is given: the flags of research/slim's
  `export_inference_graph.py`, with its meanings and defaults (inception_v3 on
  imagenet), and no checkpoint;
- from a checkpoint, otherwise: the model and data settings are None by
  default, meaning "as the checkpoint's train dir was trained" (filled in from
  its train_config.json exactly as eval.py does, by `rundir.opened_run.open_run`).

Library code takes an `ExportConfig`; only `export.py` reads flags.
"""

import dataclasses
from dataclasses import dataclass
from typing import Optional

from slimtrain.errors import ConfigError
from slimtrain.rundir import layout
from slimtrain.rundir.run_source import RunSource
from slimtrain.settings import (
    ARCHITECTURE,
    CHECKPOINTS,
    EXPORT,
    MODEL,
    PREDICTION,
    ModelSettings,
    check_fields,
    flag_field,
    one_of,
    positive,
    split_comma_list,
)

FORMATS = ("saved_model", "frozen", "tflite")
TFLITE_QUANTIZATIONS = ("none", "dynamic", "int8")

# Held-out examples the exported files are checked on by default: a float
# file is held to 1e-4 on each of them; an int8 model to a top-1 agreement
# and an accuracy drop (export.int8_parity), which 64 examples measure too
# coarsely (one flip is 1.6%), so its check takes more (one flip: 0.2%).
PARITY_EXAMPLES = 64
INT8_PARITY_EXAMPLES = 500
# Post-training int8: the training examples that calibrate its ranges.
CALIBRATION_EXAMPLES = 200

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
                   "preprocessing_name": None, "calibration_examples": None,
                   "parity_examples": None}
ARCHITECTURE_ONLY = {"batch_size": None, "is_training": False,
                     "write_text_graphdef": False, "is_video_model": False,
                     "num_frames": None, "quantize": False}


@dataclass
class ExportConfig(ModelSettings):
    """Everything one export needs; one field per `export.py` flag.

    Its ModelSettings fields are None unless given: from a checkpoint, as
    its train dir was trained; with --output_file, ARCHITECTURE_DEFAULTS.
    """

    fills_from_run = True  # cli.grouped_help says where unset settings come from

    image_size: Optional[int] = flag_field(
        None, "The image size to use, otherwise use the model default_image_"
        "size. From a checkpoint the default is the train dir's "
        "--train_image_size.", group=MODEL, check=positive)

    # slimtrain: from a checkpoint.
    checkpoint_dir: Optional[str] = flag_field(
        None, "slimtrain: the train dir whose latest checkpoint is exported; "
        "its train_config.json supplies the model and data settings. "
        "Default: %s unless --checkpoint_path is given." %
        layout.DEFAULT_TRAIN_DIR, group=CHECKPOINTS)
    checkpoint_path: Optional[str] = flag_field(
        None, "slimtrain: a checkpoint prefix (model.ckpt-1000) or its "
        "directory; use instead of --checkpoint_dir.", group=CHECKPOINTS)
    output_dir: Optional[str] = flag_field(
        None, "slimtrain: where the exported files go. Default: the '%s' "
        "folder inside the checkpoint's directory." % layout.EXPORT_SUBDIR,
        group=EXPORT)
    formats: Optional[str] = flag_field(
        None, "slimtrain: comma-separated formats to write, of %s. Default: "
        "all." % ", ".join(FORMATS), group=EXPORT)
    tflite_quantize: str = flag_field(
        "none", "slimtrain: 'int8' writes a full-integer TFLite model (int8 "
        "input, outputs and arithmetic): from a quantization-aware "
        "checkpoint (train.py --quantize_delay) with its own ranges, from a "
        "float one by post-training quantization; it must agree with the "
        "checkpoint within the bound of docs/QUANTIZATION.md. 'dynamic' "
        "writes dynamic-range quantized weights (float checkpoints only); "
        "'none' a float model.", group=EXPORT,
        check=one_of(TFLITE_QUANTIZATIONS))
    calibration_examples: Optional[int] = flag_field(
        None, "slimtrain: with --tflite_quantize=int8 of a float checkpoint, "
        "the examples of the run's training split (through its evaluation "
        "preprocessing) that calibrate the int8 ranges. Default: %d."
        % CALIBRATION_EXAMPLES, group=EXPORT, check=positive)
    parity_examples: Optional[int] = flag_field(
        None, "slimtrain: held-out examples each exported file is checked on "
        "against the checkpoint's evaluation graph. Default: %d, or %d "
        "with --tflite_quantize=int8." % (PARITY_EXAMPLES,
                                          INT8_PARITY_EXAMPLES),
        group=EXPORT, check=positive)

    # research/slim's export_inference_graph.py.
    output_file: str = flag_field(
        "", "Where to save the resulting file to. Given: write research/"
        "slim's architecture-only GraphDef there (no checkpoint).",
        group=ARCHITECTURE)
    is_training: bool = flag_field(
        False, "Whether to save out a training-focused version of the model "
        "(--output_file only).", group=ARCHITECTURE)
    batch_size: Optional[int] = flag_field(
        None, "Batch size for the exported model. Defaulted to \"None\" so "
        "batch size can be specified at model runtime (--output_file only).",
        group=ARCHITECTURE, check=positive)
    write_text_graphdef: bool = flag_field(
        False, "Whether to write a text version of graphdef (--output_file "
        "only).", group=ARCHITECTURE)
    is_video_model: bool = flag_field(
        False, "whether to use 5-D inputs for video model (--output_file "
        "only).", group=ARCHITECTURE)
    num_frames: Optional[int] = flag_field(
        None, "The number of frames to use. Only used if is_video_model is "
        "True (--output_file only).", group=ARCHITECTURE, check=positive)
    quantize: bool = flag_field(
        False, "whether to use quantized graph or not (--output_file only: "
        "the fake-quant graph of docs/QUANTIZATION.md; from a checkpoint, a "
        "quantization-aware one is exported quantized by itself).",
        group=ARCHITECTURE)

    @classmethod
    def default_note(cls, field):
        """As ModelSettings', plus export_inference_graph.py's default."""
        note = super().default_note(field)
        if note and field.name in ARCHITECTURE_DEFAULTS:
            note = "%s; with --output_file, %r." % (
                note.rstrip("."), ARCHITECTURE_DEFAULTS[field.name])
        return note

    @property
    def architecture_only(self):
        """Whether to write research/slim's GraphDef instead of a checkpoint."""
        return bool(self.output_file)

    def validate(self):
        """Raises ConfigError for a setting that cannot work; returns self."""
        check_fields(self)
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
        if self.quantize:
            raise ConfigError(
                "--quantize applies to the architecture-only GraphDef "
                "(--output_file): a checkpoint is exported quantized when its "
                "run trained with --quantize_delay; drop --quantize.")
        _refuse_given(self, ARCHITECTURE_ONLY, "it applies only to the "
                      "architecture-only GraphDef", "add --output_file=FILE "
                      "for that GraphDef")
        formats = self.format_list()  # raises for an unknown format
        self.source  # noqa: B018 (raises if both checkpoint flags are given)
        if self.tflite_quantize != "none" and "tflite" not in formats:
            raise ConfigError("--tflite_quantize applies to the tflite format, "
                              "which --formats=%s leaves out: add tflite."
                              % self.formats)
        if (self.calibration_examples is not None and
                self.tflite_quantize != "int8"):
            raise ConfigError("--calibration_examples applies to "
                              "--tflite_quantize=int8: add it, or drop "
                              "--calibration_examples.")
        return self

    @property
    def parity_example_count(self):
        """--parity_examples, or its default for the export's files."""
        if self.parity_examples is not None:
            return self.parity_examples
        return (INT8_PARITY_EXAMPLES if self.tflite_quantize == "int8"
                else PARITY_EXAMPLES)

    @property
    def calibration_example_count(self):
        """--calibration_examples, or its default."""
        return self.calibration_examples or CALIBRATION_EXAMPLES

    def format_list(self):
        """The formats to write, in FORMATS order."""
        if self.formats is None:
            return list(FORMATS)
        given = split_comma_list(self.formats)
        unknown = [name for name in given if name not in FORMATS]
        if unknown or not given:
            raise ConfigError("--formats=%s: use a comma-separated list of %s."
                              % (self.formats, ", ".join(FORMATS)))
        return [name for name in FORMATS if name in given]

    @property
    def source(self):
        """The `RunSource` of --checkpoint_dir or --checkpoint_path."""
        return RunSource.from_flags(self.checkpoint_dir, self.checkpoint_path)

    def resolved_output_dir(self, train_dir):
        """--output_dir, or the default `<train dir>/export`."""
        return self.output_dir or layout.export_dir(train_dir)

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
        layout.DEFAULT_TRAIN_DIR, "An export dir (export.py's --output_dir: "
        "its SavedModel is used) or a train dir (its latest checkpoint is "
        "used, with the settings of its train_config.json).",
        group=PREDICTION)
    json: bool = flag_field(
        False, "Print one JSON object per image instead of a table.",
        group=PREDICTION)
    resize: bool = flag_field(
        False, "Scale each image to the network's input size before its "
        "preprocessing, for models whose preprocessing crops or pads "
        "(lenet, cifarnet: a 224-pixel photo would lose all but its central "
        "28 or 32 pixels). Without it such an image is preprocessed as in "
        "eval.py and TF Serving, with a note. The other preprocessings "
        "resize every image anyway.", group=PREDICTION)
