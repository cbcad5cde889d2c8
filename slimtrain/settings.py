"""Settings: the fields of slimtrain's plain configuration objects.

Every run is described by a dataclass (`TrainConfig`, `EvalConfig`,
`ExportConfig`, `PredictConfig`) whose fields are its command line: one
field, one flag, of the same name, type and default. Each field is declared
once, with `flag_field`, and carries everything said about it:

    batch_size: int = flag_field(32, "The number of samples in each batch.",
                                 group=DATA, check=positive)

- the help text, shown by `--help` under the field's `group` (one of
  GROUPS, in that order);
- the check `check_fields` applies to the value (unless it is None), which
  raises a one-line `ConfigError` naming the flag. Every float field is
  also checked to be finite: absl reads "nan" and "inf" as floats, and
  neither is a setting that can work.

`ModelSettings` is the group of fields that describe a trained network and
its data (network, preprocessing, data set, labels offset, ...), and
`RunSettings` adds the scenario that trained it. TrainConfig sets them;
EvalConfig (RunSettings) and ExportConfig (ModelSettings: it serves
classifiers) inherit them unset (None), meaning "as the checkpoint's train
dir was trained", and fill them in from that run
(`slimtrain.rundir.opened_run.open_run`). TrainConfig redeclares them with
train.py's defaults through `trained_default`, so their help is still
written once; `flag_help` is the help a program shows for a field.

This module imports nothing of TensorFlow: `--help` needs only these
declarations.

May import: slimtrain.errors.
"""

import dataclasses
import math
import typing
from dataclasses import dataclass
from typing import Optional

from slimtrain.errors import ConfigError

# The sections of --help, in order.
MODEL = "Model"
DATA = "Data"
OPTIMIZATION = "Optimization"
LEARNING_RATE = "Learning rate"
CHECKPOINTS = "Checkpoints and summaries"
EVALUATION = "Evaluation"
HOOKS = "Hooks and traces"
EXPORT = "Export"
ARCHITECTURE = "Architecture only (--output_file)"
PREDICTION = "Prediction"
DISTRIBUTION = "Distribution and devices"
GROUPS = (MODEL, DATA, OPTIMIZATION, LEARNING_RATE, CHECKPOINTS, EVALUATION,
          HOOKS, EXPORT, ARCHITECTURE, PREDICTION, DISTRIBUTION)

# The choices of --mixed_precision (train.py, eval.py); unset: float32.
BFLOAT16 = "bfloat16"
FLOAT16 = "float16"
MIXED_PRECISIONS = (BFLOAT16, FLOAT16)

# The metadata key marking a field of ModelSettings (see `is_run_setting`).
_RUN_SETTING = "run_setting"


def flag_field(default, help_text, *, group, check=None):
    """A dataclass field that `slimtrain.cli` makes a flag.

    Args:
      default: the flag's default.
      help_text: its help; "slimtrain:" marks an addition to research/slim.
      group: the --help section, one of GROUPS.
      check: None, or fn(name, value) raising ConfigError for a value that
        cannot work (`positive`, `not_negative`, `fraction`,
        `averaging_decay`, `one_of(...)`); it is not applied to None.
    """
    return dataclasses.field(default=default,
                             metadata=_metadata(help_text, group, check))


def mixed_precision_field():
    """The --mixed_precision field of TrainConfig and EvalConfig
    (`slimtrain.compute.precision` applies it)."""
    return flag_field(
        None, "slimtrain: compute in bfloat16 (on a CPU with AMX or "
        "AVX512-BF16, through oneDNN) or float16 (on a GPU, with dynamic "
        "loss scaling); variables, checkpoints and exported models stay "
        "float32, so a run's checkpoints evaluate and export in any "
        "precision. Unset: float32.", group=DISTRIBUTION,
        check=one_of(MIXED_PRECISIONS))


def trained_default(name):
    """The run setting `name` (of `RunSettings`) with train.py's default for
    it, for TrainConfig to redeclare: the same help, group and check."""
    field = RunSettings.__dataclass_fields__[name]
    return dataclasses.field(default=field.metadata["trained_default"],
                             metadata=field.metadata)


def help_of(field):
    """The help text of a `flag_field`."""
    return field.metadata.get("help", "")


def group_of(field):
    """The --help section of a `flag_field`."""
    return field.metadata["group"]


def is_run_setting(field):
    """Whether `field` is one of ModelSettings': a setting of the trained
    model, filled in from its train dir when unset."""
    return bool(field.metadata.get(_RUN_SETTING))


def check_fields(settings):
    """Applies each field's check to its value (every float field's first
    `finite`); raises the first ConfigError."""
    hints = typing.get_type_hints(type(settings))
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        if value is None:
            continue
        if float in (hints[field.name], *typing.get_args(hints[field.name])):
            finite(field.name, value, field.default)
        check = field.metadata.get("check")
        if check is not None:
            check(field.name, value)


def finite(name, value, default=None):
    """Raises ConfigError naming --name if value is NaN or infinite."""
    if not math.isfinite(value):
        usual = "" if default is None else " (the default is %s)" % default
        raise ConfigError("--%s=%s is not a finite number: give a finite "
                          "value%s." % (name, value, usual))


def positive(name, value):
    """Raises ConfigError naming --name unless value > 0."""
    if not value > 0:
        raise ConfigError("--%s=%s must be positive." % (name, value))


def not_negative(name, value):
    """Raises ConfigError naming --name if value < 0."""
    if value < 0:
        raise ConfigError("--%s=%s must not be negative." % (name, value))


def averaging_decay(name, value):
    """A moving-average decay: in (0, 1), or 0 for the raw weights of a run
    that kept averages (evaluating or exporting it)."""
    if not 0.0 <= value < 1.0:
        raise ConfigError("--%s=%s is out of range: use a value in (0, 1), "
                          "e.g. 0.9999 (evaluating or exporting, 0 for the "
                          "raw weights)." % (name, value))


def fraction(name, value):
    """A share: in [0, 1)."""
    if not 0.0 <= value < 1.0:
        raise ConfigError("--%s=%s is out of range: use a value in [0, 1)."
                          % (name, value))


def open_fraction(name, value):
    """A share that is neither none nor all: in (0, 1)."""
    if not 0.0 < value < 1.0:  # also refuses NaN
        raise ConfigError("--%s=%s is out of range: use a fraction between 0 "
                          "and 1, e.g. 0.1." % (name, value))


def one_of(choices):
    """A check accepting exactly the values of `choices`."""

    def check(name, value):
        if value not in choices:
            raise ConfigError("--%s=%s is not known: use one of %s." %
                              (name, value, ", ".join(choices)))

    return check


def split_comma_list(text):
    """'a, b,,c' -> ['a', 'b', 'c']: the items of a comma-separated flag;
    None or '' -> []."""
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _metadata(help_text, group, check, **extra):
    if group not in GROUPS:
        raise ValueError("unknown help group %r" % group)
    return dict(extra, help=help_text, group=group, check=check)


def _run_setting(trained_default, help_text, *, group, check=None,
                 from_run=None):
    """A field of the settings a run records (`ModelSettings`,
    `RunSettings`): unset (None), marked `is_run_setting`.

    Args:
      trained_default: train.py's default (`trained_default`, `trained()`).
      help_text: what the setting is, true in every program.
      group, check: as `flag_field`.
      from_run: what a program that reads a run (eval.py, export.py) says
        of its default; None: "Default: the train dir's", and train.py's
        default where it has one.
    """
    return dataclasses.field(default=None, metadata=_metadata(
        help_text, group, check, trained_default=trained_default,
        from_run=from_run, **{_RUN_SETTING: True}))


@dataclass
class ModelSettings:
    """What a trained network is and what it reads: the fields train.py,
    eval.py and export.py share.

    All are unset (None) here. TrainConfig gives them train.py's defaults
    (`trained_default`); an evaluation or export fills the unset ones in
    from the train dir's record of its run, and where there is none from
    train.py's defaults (`trained()`).
    """

    model_name: Optional[str] = _run_setting(
        "lenet", "The name of the architecture.", group=MODEL)
    preprocessing_name: Optional[str] = _run_setting(
        None, "The name of the preprocessing to use; none: the model's own "
        "(--model_name's).", group=MODEL)
    use_grayscale: Optional[bool] = _run_setting(
        False, "Whether to convert input images to grayscale.", group=MODEL)
    moving_average_decay: Optional[float] = _run_setting(
        None, "The decay of the moving averages of the weights; none: no "
        "moving averages.", group=MODEL, check=averaging_decay,
        from_run="Default: the train dir's; 0: the raw weights of a run that "
        "kept averages.")
    dataset_name: Optional[str] = _run_setting(
        "digits", "The name of the dataset to load.", group=DATA)
    dataset_dir: Optional[str] = _run_setting(
        None, "The directory where the dataset files are stored (the "
        "built-in digits need none).", group=DATA,
        from_run="Default: the train dir's, for the data set it trained on.")
    labels_offset: Optional[int] = _run_setting(
        0, "An offset for the labels in the dataset. This flag is "
        "primarily used to evaluate the VGG and ResNet architectures which "
        "do not use a background class for the ImageNet dataset.",
        group=DATA, check=not_negative)
    validation_fraction: Optional[float] = _run_setting(
        0.1, "slimtrain: --dataset_name=image_folder only: the share of the "
        "folder's images held out as its validation split, which "
        "evaluation and export use and training never sees (as slimtrain "
        "convert's --validation_fraction).", group=DATA, check=open_fraction)
    split_seed: Optional[int] = _run_setting(
        0, "slimtrain: --dataset_name=image_folder only: the seed that "
        "chooses the held-out images (as slimtrain convert's --seed; "
        "--seed does not change them).", group=DATA)

    # Whether this program fills its unset run settings in from a train dir
    # (eval.py, export.py), which `flag_help` then says.
    fills_from_run = False

    @classmethod
    def default_note(cls, field):
        """What the help adds about `field`'s default, or None: for an unset
        run setting of a program that fills it from the train dir, where it
        comes from."""
        if not (cls.fills_from_run and is_run_setting(field) and
                field.default is None):
            return None
        if field.metadata["from_run"]:
            return field.metadata["from_run"]
        trained = field.metadata["trained_default"]
        if trained is None:
            return "Default: the train dir's."
        return "Default: the train dir's, else %r." % (trained,)

    @classmethod
    def trained(cls):
        """The settings of a run that used train.py's defaults."""
        return cls(**{field.name: field.metadata["trained_default"]
                      for field in dataclasses.fields(cls)
                      if is_run_setting(field)})

    def model_settings(self):
        """The ModelSettings part of this object (of a subclass too)."""
        return ModelSettings(**{field.name: getattr(self, field.name)
                                for field in dataclasses.fields(ModelSettings)})


@dataclass
class RunSettings(ModelSettings):
    """ModelSettings and the scenario that trained the network: everything a
    run records that an evaluation needs to rebuild its model (train.py's and
    eval.py's; export.py serves classifiers and has no scenario flags)."""

    scenario: Optional[str] = _run_setting(
        "classifier", "slimtrain: what is trained: classifier (--model_name "
        "as an image classifier), multi_head, gan, or the user's own as "
        "package.module:attribute (docs/SCENARIOS.md).", group=MODEL)
    scenario_options: Optional[str] = _run_setting(
        None, "slimtrain: comma-separated name=value options of the "
        "scenario, e.g. 'discriminator_steps=2' for gan.", group=MODEL,
        from_run="Default: the train dir's, with its scenario.")


def flag_help(config_class, field):
    """The help of `field` as `config_class`'s program shows it (--help,
    --helpfull): its text and, for a run setting read from a train dir,
    where its default comes from."""
    text = help_of(field)
    note = (config_class.default_note(field)
            if issubclass(config_class, ModelSettings) else None)
    return "%s %s" % (text, note) if note else text
