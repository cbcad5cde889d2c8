"""Plain configuration objects for an evaluation run.

`EvalConfig` holds every setting of `eval.py`: one field per flag, with the
names and meanings of TF-Slim's `eval_image_classifier.py` plus slimtrain's
additions (marked "slimtrain:" in their help). `--quantize` evaluates the
fake-quant graph of a quantization-aware run (train.py --quantize_delay);
unset, it follows the train dir's run, so such a run is evaluated as it
was trained.

The settings that describe the model and its input (network, data set,
preprocessing, labels offset, image size, grayscale, moving averages) are
None by default, meaning "as the checkpoint's train dir was trained":
`evaluation.run_settings.with_run_defaults` fills them from the
train_config.json that train.py wrote there (`rundir.opened_run.open_run`), so
`python eval.py --checkpoint_dir=DIR` needs nothing else. A value the user
gives always wins.

Library code takes an `EvalConfig`; only `eval.py` reads flags.
"""

from dataclasses import dataclass
from typing import Optional

from slimtrain.data.datasets import HELD_OUT_SPLITS
from slimtrain.errors import ConfigError
from slimtrain.rundir import layout
from slimtrain.rundir.run_source import RunSource
from slimtrain.settings import (
    CHECKPOINTS,
    DATA,
    DISTRIBUTION,
    EVALUATION,
    MODEL,
    RunSettings,
    check_fields,
    flag_field,
    not_negative,
    positive,
)

# Continuous evaluation stops after waiting this long for a new checkpoint.
# It is six times train.py's default --save_interval_secs (600), so a normal
# run never trips it, while an evaluation whose trainer died ends within the
# hour instead of waiting forever (slim.evaluation_loop's default).
DEFAULT_TIMEOUT_SECS = 3600.0

# Where eval.py looks for checkpoints when neither --checkpoint_dir nor
# --checkpoint_path is given: train.py's default --train_dir.

# Flags whose default differs from eval_image_classifier.py, with its
# default there. Here they are None: derived from the train dir (see above).
DEFAULTS_CHANGED = {
    "checkpoint_path": "/tmp/tfmodel/",
    "eval_dir": "/tmp/tfmodel/",
    "dataset_name": "imagenet",
    "dataset_split_name": "test",
    "labels_offset": 0,
    "model_name": "inception_v3",
    "use_grayscale": False,
    "quantize": False,
}


@dataclass
class EvalConfig(RunSettings):
    """Everything one evaluation run needs; one field per `eval.py` flag.

    Its RunSettings fields are None unless given: as the checkpoints'
    train dir was trained (`run_settings.with_run_defaults`).
    """

    fills_from_run = True  # cli.grouped_help says where unset settings come from

    eval_image_size: Optional[int] = flag_field(
        None, "Eval image size. Default: the train dir's --train_image_size, "
        "else the network's default.", group=MODEL, check=positive)

    quantize: Optional[bool] = flag_field(
        None, "whether to use quantized graph or not. (slimtrain: the "
        "fake-quant graph of a quantization-aware checkpoint, "
        "docs/QUANTIZATION.md.) Default: the train dir's, i.e. true for a "
        "run trained with --quantize_delay, else false.", group=MODEL)

    # Data.
    dataset_split_name: Optional[str] = flag_field(
        None, "The name of the train/test split. Default: the data set's "
        "held-out split, %s, whichever it has first." %
        " or ".join(HELD_OUT_SPLITS), group=DATA)
    batch_size: int = flag_field(
        100, "The number of samples in each batch.", group=DATA,
        check=positive)
    max_num_batches: Optional[int] = flag_field(
        None, "Max number of batches to evaluate by default use all.",
        group=DATA, check=positive)
    num_preprocessing_threads: int = flag_field(
        4, "The number of threads used to create the batches.", group=DATA,
        check=positive)

    # Checkpoints and results.
    checkpoint_dir: Optional[str] = flag_field(
        None, "slimtrain: the train dir whose checkpoints are evaluated; its "
        "train_config.json supplies the model and data settings. Default: "
        "%s (train.py's default --train_dir) unless --checkpoint_path is "
        "given." % layout.DEFAULT_TRAIN_DIR, group=CHECKPOINTS)
    checkpoint_path: Optional[str] = flag_field(
        None, "The directory where the model was written to or an absolute "
        "path to a checkpoint file (a prefix such as model.ckpt-1000). "
        "Use instead of --checkpoint_dir.", group=CHECKPOINTS)
    eval_dir: Optional[str] = flag_field(
        None, "Directory where the results are saved to. Default: the "
        "'%s' folder inside the checkpoints' directory." % layout.EVAL_SUBDIR,
        group=CHECKPOINTS)
    eval_interval_secs: Optional[float] = flag_field(
        None, "slimtrain: evaluate continuously, each new checkpoint as it "
        "appears, at most once per this many seconds (0: no pause). Unset: "
        "evaluate one checkpoint and exit.", group=CHECKPOINTS,
        check=not_negative)
    timeout: Optional[float] = flag_field(
        None, "slimtrain: continuous evaluation stops after waiting this "
        "many seconds for a new checkpoint (default %d). It also stops by "
        "itself once training has finished and its last checkpoint is "
        "evaluated." % DEFAULT_TIMEOUT_SECS, group=CHECKPOINTS,
        check=positive)
    max_number_of_evaluations: Optional[int] = flag_field(
        None, "slimtrain: continuous evaluation stops after this many "
        "evaluations (default: no limit).", group=CHECKPOINTS,
        check=positive)
    eval_all_checkpoints: bool = flag_field(
        False, "slimtrain: evaluate every checkpoint of the directory once, "
        "in step order, skipping those whose result is already in the eval "
        "dir's results.jsonl for this data set split; then exit (a learning "
        "curve after the fact).", group=CHECKPOINTS)

    # The best checkpoint.
    keep_best_checkpoint_by: Optional[str] = flag_field(
        None, "slimtrain: copy each evaluated checkpoint that improves this "
        "metric of the evaluation (the classifier's: Accuracy, Recall_5, "
        "Mean_Per_Class_Accuracy, Loss; Loss and Loss/<part>: the lowest, "
        "the others: the highest) into best/ in the train dir, with "
        "best.json (WORKSPACE.md). Unset: keep no best checkpoint. Each "
        "scenario names its metrics (docs/SCENARIOS.md).",
        group=EVALUATION)

    master: str = flag_field(
        "", "The address of the TensorFlow master to use.", group=DISTRIBUTION)

    def validate(self):
        """Raises ConfigError for a setting that cannot work; returns self."""
        source = self.source  # raises if both checkpoint flags are given
        check_fields(self)
        if self.eval_interval_secs is None:
            for name in ("timeout", "max_number_of_evaluations"):
                if getattr(self, name) is not None:
                    raise ConfigError(
                        "--%s applies only to continuous evaluation: add "
                        "--eval_interval_secs (e.g. 60), or drop --%s."
                        % (name, name))
        if self.continuous and self.eval_all_checkpoints:
            raise ConfigError(
                "--eval_all_checkpoints and --eval_interval_secs are both "
                "given: pass one (every checkpoint there is now, or each new "
                "one as it appears).")
        for flag, wanted in (("--eval_interval_secs", self.continuous),
                             ("--eval_all_checkpoints",
                              self.eval_all_checkpoints)):
            if wanted and source.names_one_checkpoint:
                raise ConfigError(
                    "%s needs a directory of checkpoints, but "
                    "--checkpoint_path=%s is not one: pass --checkpoint_dir."
                    % (flag, self.checkpoint_path))
        return self

    @property
    def continuous(self):
        """Whether to evaluate each new checkpoint rather than one."""
        return self.eval_interval_secs is not None

    @property
    def source(self):
        """The `RunSource` of --checkpoint_dir or --checkpoint_path."""
        return RunSource.from_flags(self.checkpoint_dir, self.checkpoint_path)

    @property
    def train_dir(self):
        """The directory holding the checkpoints (and train.py's files)."""
        return self.source.train_dir

    @property
    def resolved_eval_dir(self):
        """--eval_dir, or the default `<train dir>/eval`."""
        return self.eval_dir or layout.eval_dir(self.train_dir)
