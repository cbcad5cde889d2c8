"""Plain configuration objects for an evaluation run.

`EvalConfig` holds every setting of `eval.py`: one field per flag, with the
names and meanings of TF-Slim's `eval_image_classifier.py` plus slimtrain's
additions (marked "slimtrain:" in their help). `--quantize` is not offered:
slimtrain does not train quantized graphs (train.py refuses
--quantize_delay), so there is nothing for it to evaluate.

The settings that describe the model and its input (network, data set,
preprocessing, labels offset, image size, grayscale, moving averages) are
None by default, meaning "as the checkpoint's train dir was trained":
`with_train_defaults` fills them from the `TrainConfig` that train.py wrote
there, so `python eval.py --checkpoint_dir=DIR` needs nothing else. A value
the user gives always wins.

Library code takes an `EvalConfig`; only `eval.py` reads flags.
"""

import dataclasses
import os
from dataclasses import dataclass
from typing import Optional

from slimtrain.errors import ConfigError
from slimtrain.settings import (CHECKPOINTS, DATA, DISTRIBUTION, EVALUATION,
                                MODEL, ModelSettings, check_fields, flag_field,
                                not_negative, positive)
from slimtrain.training.config import TrainConfig, read_config
from slimtrain.evaluation.results import METRIC_NAMES

# Continuous evaluation stops after waiting this long for a new checkpoint.
# It is six times train.py's default --save_interval_secs (600), so a normal
# run never trips it, while an evaluation whose trainer died ends within the
# hour instead of waiting forever (slim.evaluation_loop's default).
DEFAULT_TIMEOUT_SECS = 3600.0

# The split evaluated when --dataset_split_name is not given: the first of
# these the data set has. Both are held out from training.
HELD_OUT_SPLITS = ("test", "validation")

# Where eval.py looks for checkpoints when neither --checkpoint_dir nor
# --checkpoint_path is given: train.py's default --train_dir.
DEFAULT_CHECKPOINT_DIR = TrainConfig.train_dir

EVAL_SUBDIR = "eval"

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
}


@dataclass
class EvalConfig(ModelSettings):
    """Everything one evaluation run needs; one field per `eval.py` flag.

    Its ModelSettings fields are None unless given: as the checkpoints'
    train dir was trained (`with_train_defaults`).
    """

    fills_from_run = True  # cli.grouped_help says where unset settings come from

    eval_image_size: Optional[int] = flag_field(
        None, "Eval image size. Default: the train dir's --train_image_size, "
        "else the network's default.", group=MODEL, check=positive)

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
        "given." % DEFAULT_CHECKPOINT_DIR, group=CHECKPOINTS)
    checkpoint_path: Optional[str] = flag_field(
        None, "The directory where the model was written to or an absolute "
        "path to a checkpoint file (a prefix such as model.ckpt-1000). "
        "Use instead of --checkpoint_dir.", group=CHECKPOINTS)
    eval_dir: Optional[str] = flag_field(
        None, "Directory where the results are saved to. Default: the "
        "'%s' folder inside the checkpoints' directory." % EVAL_SUBDIR,
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
        "metric (%s; Loss: the lowest, the others: the highest) into best/ "
        "in the train dir, with best.json (WORKSPACE.md). Unset: keep no "
        "best checkpoint. A scenario other than the classifier names its "
        "own metrics (docs/SCENARIOS.md)." % ", ".join(METRIC_NAMES),
        group=EVALUATION)

    master: str = flag_field(
        "", "The address of the TensorFlow master to use.", group=DISTRIBUTION)

    def validate(self):
        """Raises ConfigError for a setting that cannot work; returns self."""
        if self.checkpoint_dir and self.checkpoint_path:
            raise ConfigError(
                "--checkpoint_dir and --checkpoint_path are both given: pass "
                "only one (a train dir, or a checkpoint prefix or folder).")
        check_fields(self)
        decay = self.moving_average_decay
        if decay and not 0.0 < decay < 1.0:
            raise ConfigError(
                "--moving_average_decay=%s is out of range: use a value in "
                "(0, 1), e.g. 0.9999, or 0 for the raw weights." % decay)
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
            if wanted and self.checkpoint_path and not os.path.isdir(
                    self.checkpoint_path):
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
    def checkpoint_source(self):
        """The checkpoint prefix or directory to evaluate."""
        return (self.checkpoint_path or self.checkpoint_dir or
                DEFAULT_CHECKPOINT_DIR)

    @property
    def train_dir(self):
        """The directory holding the checkpoints (and train.py's files)."""
        if self.checkpoint_path and not os.path.isdir(self.checkpoint_path):
            return os.path.dirname(self.checkpoint_path) or "."
        return self.checkpoint_source

    @property
    def checkpoint_flag(self):
        """The flag that named `checkpoint_source`, for error messages."""
        if self.checkpoint_path:
            return "--checkpoint_path"
        return "--checkpoint_dir"

    @property
    def resolved_eval_dir(self):
        """--eval_dir, or the default `<train dir>/eval`."""
        return self.eval_dir or os.path.join(self.train_dir, EVAL_SUBDIR)


def eval_config_for_training(train_config, split_name=None, batch_size=None,
                             max_num_batches=None,
                             keep_best_checkpoint_by=None):
    """Returns the validated `EvalConfig` that evaluates a training run.

    What `eval.py --checkpoint_dir=<train dir>` would use, for evaluating
    from inside the training process: the model and data settings of
    `train_config`, the data set's held-out split unless `split_name` is
    given, results and summaries in `<train dir>/eval`.

    Args:
      train_config: the run's `TrainConfig`.
      split_name: the split to evaluate; None: `test`, else `validation`.
      batch_size: None: eval.py's default (100).
      max_num_batches: None: the whole split.
      keep_best_checkpoint_by: a metric name to keep `best/` by (see
        `evaluation.loop.ResultRecorder`); None: keep none.

    Raises:
      ConfigError: a value that cannot work (e.g. a batch size of 0).
    """
    config = EvalConfig(
        checkpoint_dir=train_config.train_dir,
        dataset_split_name=split_name,
        batch_size=(EvalConfig.batch_size if batch_size is None
                    else batch_size),
        max_num_batches=max_num_batches,
        num_preprocessing_threads=train_config.num_preprocessing_threads,
        keep_best_checkpoint_by=keep_best_checkpoint_by)
    return with_train_defaults(config, train_config).validate()


def with_train_defaults(config, train_config):
    """Returns `config` with its unset model and data settings filled in.

    Each setting left None takes the value of `train_config` (the run that
    wrote the checkpoints; may be None), else the built-in default.
    `dataset_dir` is taken only when the data set is the one trained on, and
    `dataset_split_name` stays None (the held-out split is chosen with the
    data set, see `evaluation.evaluator.open_split`).
    """
    trained = train_config or TrainConfig()
    values = {
        "scenario": trained.scenario,
        "dataset_name": trained.dataset_name,
        "model_name": trained.model_name,
        "labels_offset": trained.labels_offset,
        "use_grayscale": trained.use_grayscale,
        "preprocessing_name": trained.preprocessing_name,
        "eval_image_size": trained.train_image_size,
        "moving_average_decay": trained.moving_average_decay,
    }
    # The options belong to the scenario the train dir trained.
    if config.scenario in (None, trained.scenario):
        values["scenario_options"] = trained.scenario_options
    filled = {name: value for name, value in values.items()
              if getattr(config, name) is None}
    result = dataclasses.replace(config, **filled)
    if (config.dataset_dir is None and
            result.dataset_name == trained.dataset_name):
        result = dataclasses.replace(result, dataset_dir=trained.dataset_dir)
    return result


def with_run_defaults(config):
    """`with_train_defaults` from the train_config.json of `config`'s train dir.

    Raises:
      ConfigError: the train dir (of --checkpoint_dir or --checkpoint_path)
        does not exist.
    """
    if not os.path.isdir(config.train_dir):
        raise ConfigError(
            "%s=%s: there is no directory %s: point it at train.py's "
            "--train_dir (or a checkpoint in it), or run train.py first."
            % (config.checkpoint_flag, config.checkpoint_source,
               config.train_dir))
    return with_train_defaults(config, read_config(config.train_dir))
