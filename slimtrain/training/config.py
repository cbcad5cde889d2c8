"""Plain configuration objects for a training run.

`TrainConfig` holds every setting of a run. Its fields are the flags of
`train.py`: same names, types, defaults and meanings as TF-Slim's
`train_image_classifier.py`, plus slimtrain's own additions (marked "slimtrain:"
in their help). A handful of defaults differ on purpose so that `python
train.py` with no flags runs a real, finished job offline (LeNet on the
built-in digits); `DEFAULTS_CHANGED` lists them and README.md explains them.

The fields are declared with `slimtrain.settings.flag_field` (help, --help
group and check in one place); those describing the model and its data
are `RunSettings`', shared with eval.py and export.py. Library code takes
a `TrainConfig`; only the entry points read flags.
"""

from dataclasses import dataclass
from typing import Optional

from slimtrain.errors import ConfigError
from slimtrain.rundir.layout import DEFAULT_TRAIN_DIR
from slimtrain.settings import (
    CHECKPOINTS,
    DATA,
    DISTRIBUTION,
    EVALUATION,
    HOOKS,
    LEARNING_RATE,
    MODEL,
    OPTIMIZATION,
    RunSettings,
    check_fields,
    flag_field,
    fraction,
    mixed_precision_field,
    not_negative,
    one_of,
    positive,
    split_comma_list,
    trained_default,
)

OPTIMIZERS = ("adadelta", "adagrad", "adam", "ftrl", "momentum", "sgd",
              "rmsprop")
LEARNING_RATE_DECAY_TYPES = ("fixed", "exponential", "polynomial", "cosine")
ON_NAN_CHOICES = ("fail", "rollback")

# Flags whose default differs from train_image_classifier.py, with its default.
DEFAULTS_CHANGED = {
    "train_dir": "/tmp/tfmodel/",
    "model_name": "inception_v3",
    "dataset_name": "imagenet",
    "max_number_of_steps": None,
    "log_every_n_steps": 10,
}


@dataclass
class TrainConfig(RunSettings):
    """Everything one training run needs; one field per `train.py` flag."""

    # Model (and those of RunSettings).
    scenario: str = trained_default("scenario")
    model_name: str = trained_default("model_name")
    use_grayscale: bool = trained_default("use_grayscale")
    train_image_size: Optional[int] = flag_field(
        None, "Train image size", group=MODEL, check=positive)
    checkpoint_path: Optional[str] = flag_field(
        None, "The path to a checkpoint from which to fine-tune (a file "
        "prefix or a directory). Ignored when --train_dir already holds a "
        "checkpoint: the run then resumes from that one.", group=MODEL)
    checkpoint_exclude_scopes: Optional[str] = flag_field(
        None, "Comma-separated list of scopes of variables to exclude when "
        "restoring from a checkpoint.", group=MODEL)
    trainable_scopes: Optional[str] = flag_field(
        None, "Comma-separated list of scopes to filter the set of variables "
        "to train. By default, None would train all the variables.",
        group=MODEL)
    ignore_missing_vars: bool = flag_field(
        False, "When restoring a checkpoint would ignore missing variables.",
        group=MODEL)

    # Data (and those of RunSettings).
    dataset_name: str = trained_default("dataset_name")
    labels_offset: int = trained_default("labels_offset")
    validation_fraction: float = trained_default("validation_fraction")
    split_seed: int = trained_default("split_seed")
    dataset_split_name: str = flag_field(
        "train", "The name of the train/test split.", group=DATA)
    batch_size: int = flag_field(
        32, "The number of samples in each batch.", group=DATA,
        check=positive)
    num_readers: int = flag_field(
        4, "The number of parallel readers that read data from the dataset.",
        group=DATA, check=positive)
    num_preprocessing_threads: int = flag_field(
        4, "The number of threads used to create the batches.", group=DATA,
        check=positive)
    seed: Optional[int] = flag_field(
        None, "slimtrain: seed for graph-level randomness and the input "
        "order; the same seed and flags repeat a run's batches and weights.",
        group=DATA)
    exact_resume: bool = flag_field(
        True, "slimtrain: a resumed run continues the input stream where "
        "its checkpoint left it, so it trains on exactly the examples an "
        "uninterrupted run would (false: it starts a new epoch order).",
        group=DATA)

    # Optimization.
    max_number_of_steps: Optional[int] = flag_field(
        2000, "The maximum number of training steps (0: train until "
        "stopped).", group=OPTIMIZATION, check=not_negative)
    optimizer: str = flag_field(
        "rmsprop", 'The name of the optimizer, one of "adadelta", "adagrad", '
        '"adam", "ftrl", "momentum", "sgd" or "rmsprop".',
        group=OPTIMIZATION, check=one_of(OPTIMIZERS))
    weight_decay: float = flag_field(
        0.00004, "The weight decay on the model weights.", group=OPTIMIZATION,
        check=not_negative)
    label_smoothing: float = flag_field(
        0.0, "The amount of label smoothing.", group=OPTIMIZATION,
        check=fraction)
    adadelta_rho: float = flag_field(
        0.95, "The decay rate for adadelta.", group=OPTIMIZATION)
    adagrad_initial_accumulator_value: float = flag_field(
        0.1, "Starting value for the AdaGrad accumulators.",
        group=OPTIMIZATION)
    adam_beta1: float = flag_field(
        0.9, "The exponential decay rate for the 1st moment estimates.",
        group=OPTIMIZATION)
    adam_beta2: float = flag_field(
        0.999, "The exponential decay rate for the 2nd moment estimates.",
        group=OPTIMIZATION)
    opt_epsilon: float = flag_field(
        1.0, "Epsilon term for the optimizer.", group=OPTIMIZATION)
    ftrl_learning_rate_power: float = flag_field(
        -0.5, "The learning rate power.", group=OPTIMIZATION)
    ftrl_initial_accumulator_value: float = flag_field(
        0.1, "Starting value for the FTRL accumulators.", group=OPTIMIZATION)
    ftrl_l1: float = flag_field(
        0.0, "The FTRL l1 regularization strength.", group=OPTIMIZATION)
    ftrl_l2: float = flag_field(
        0.0, "The FTRL l2 regularization strength.", group=OPTIMIZATION)
    momentum: float = flag_field(
        0.9, "The momentum for the MomentumOptimizer and RMSPropOptimizer.",
        group=OPTIMIZATION)
    rmsprop_momentum: float = flag_field(
        0.9, "Momentum.", group=OPTIMIZATION)
    rmsprop_decay: float = flag_field(
        0.9, "Decay term for RMSProp.", group=OPTIMIZATION)
    quantize_delay: int = flag_field(
        -1, "Number of steps to start quantized training. Set to -1 would "
        "disable quantized training. (slimtrain: quantization-aware "
        "training, docs/QUANTIZATION.md: batch norms folded, weights and "
        "activations fake-quantized from this global step on; 0 from the "
        "start, for fine-tuning a float model.)", group=OPTIMIZATION)
    freeze_bn_delay: Optional[int] = flag_field(
        None, "slimtrain: with --quantize_delay, the global step from which "
        "the folded batch norms use their moving statistics and stop "
        "updating them (contrib.quantize's freeze_bn_delay; give a step "
        "after --quantize_delay, once training has nearly converged). "
        "Default: never.", group=OPTIMIZATION, check=not_negative)
    clip_gradient_norm: float = flag_field(
        0.0, "slimtrain: clip gradients to this global norm (0: no "
        "clipping).", group=OPTIMIZATION, check=not_negative)
    gradient_multipliers: Optional[str] = flag_field(
        None, "slimtrain: comma-separated scope=multiplier pairs scaling the "
        "gradients of the variables under each scope, e.g. 'LeNet/fc4=10'.",
        group=OPTIMIZATION)
    check_numerics: bool = flag_field(
        True, "slimtrain: check the loss and every gradient before each "
        "update; a step where one is NaN or Inf changes no weight and is "
        "handled as --on_nan says.", group=OPTIMIZATION)
    on_nan: str = flag_field(
        "fail", 'slimtrain: what a NaN or Inf loss or gradient does: "fail" '
        "(stop with exit status 3; the newest checkpoint holds the last "
        'finite weights) or "rollback" (restore the newest checkpoint and go '
        "on with the next batch, at most --max_nan_rollbacks times).",
        group=OPTIMIZATION, check=one_of(ON_NAN_CHOICES))
    max_nan_rollbacks: int = flag_field(
        3, "slimtrain: how many times --on_nan=rollback may roll back before "
        "the run fails.", group=OPTIMIZATION, check=not_negative)

    # Learning rate.
    learning_rate: float = flag_field(
        0.01, "Initial learning rate.", group=LEARNING_RATE, check=positive)
    learning_rate_decay_type: str = flag_field(
        "exponential", 'Specifies how the learning rate is decayed. One of '
        '"fixed", "exponential", "polynomial" or (slimtrain) "cosine", which '
        'decays to --end_learning_rate over --max_number_of_steps.',
        group=LEARNING_RATE, check=one_of(LEARNING_RATE_DECAY_TYPES))
    end_learning_rate: float = flag_field(
        0.0001, "The minimal end learning rate used by a polynomial decay "
        "learning rate.", group=LEARNING_RATE, check=not_negative)
    learning_rate_decay_factor: float = flag_field(
        0.94, "Learning rate decay factor.", group=LEARNING_RATE)
    num_epochs_per_decay: float = flag_field(
        2.0, "Number of epochs after which learning rate decays.",
        group=LEARNING_RATE, check=positive)
    warmup_epochs: float = flag_field(
        0.0, "slimtrain: ramp the learning rate up linearly from 0 over this "
        "many epochs before the decay schedule starts.", group=LEARNING_RATE,
        check=not_negative)

    # Checkpoints and summaries.
    train_dir: str = flag_field(
        DEFAULT_TRAIN_DIR, "Directory where checkpoints and event logs are "
        "written to.", group=CHECKPOINTS)
    log_every_n_steps: Optional[int] = flag_field(
        None, "The frequency with which logs are print (slimtrain: unset, "
        "about 20 progress lines per run: every 100 steps of the default "
        "2000, and every 60 s without --max_number_of_steps; 0: only after "
        "the last step).", group=CHECKPOINTS, check=not_negative)
    save_interval_secs: int = flag_field(
        600, "The frequency with which the model is saved, in seconds.",
        group=CHECKPOINTS, check=not_negative)
    save_interval_steps: Optional[int] = flag_field(
        500, "slimtrain: also save a checkpoint every this many global "
        "steps (0: only by seconds): the default run saves at steps 500, "
        "1000, 1500 and at its end.",
        group=CHECKPOINTS, check=not_negative)
    max_checkpoints_to_keep: int = flag_field(
        5, "slimtrain: how many recent checkpoints to keep.",
        group=CHECKPOINTS, check=positive)
    keep_checkpoint_every_n_hours: float = flag_field(
        10000.0, "slimtrain: additionally keep one checkpoint per this many "
        "hours of training.", group=CHECKPOINTS, check=positive)
    save_summaries_secs: int = flag_field(
        600, "The frequency with which summaries are saved, in seconds.",
        group=CHECKPOINTS, check=not_negative)
    save_summaries_steps: Optional[int] = flag_field(
        100, "slimtrain: also save the scalar summaries every this many "
        "global steps, and all summaries after the last step (0 or None: "
        "only by seconds). Histograms, which can cost more than a training "
        "step, are otherwise saved only every --save_summaries_secs.",
        group=CHECKPOINTS, check=not_negative)
    summarize_gradients: bool = flag_field(
        False, "slimtrain: write histograms of gradients and their norms.",
        group=CHECKPOINTS)
    # Evaluation during training.
    eval_every_n_steps: Optional[int] = flag_field(
        None, "slimtrain: evaluate a checkpoint saved every this many global "
        "steps, and the last one, in the training process, with eval.py's "
        "metrics and records (<train_dir>/eval).", group=EVALUATION,
        check=positive)
    eval_every_secs: Optional[int] = flag_field(
        None, "slimtrain: also evaluate (as --eval_every_n_steps) every this "
        "many seconds.", group=EVALUATION, check=positive)
    eval_dataset_split_name: Optional[str] = flag_field(
        None, "slimtrain: the split evaluated during training (default: the "
        "data set's held-out split, test or validation).", group=EVALUATION)
    eval_batch_size: int = flag_field(
        100, "slimtrain: the batch size of evaluation during training.",
        group=EVALUATION, check=positive)
    max_num_batches: Optional[int] = flag_field(
        None, "slimtrain: evaluate at most this many batches during "
        "training (default: the whole split).", group=EVALUATION,
        check=positive)
    keep_best_checkpoint_by: Optional[str] = flag_field(
        None, "slimtrain: copy each checkpoint that improves this metric of "
        "the evaluation during training into <train_dir>/best (default: "
        "the scenario's, Accuracy for the classifier, when evaluating "
        "during training; empty: keep none). Loss keeps the lowest, other "
        "metrics the highest.", group=EVALUATION)

    # Hooks and traces.
    hooks: Optional[str] = flag_field(
        None, "slimtrain: comma-separated package.module:factory entries; "
        "each factory is called with no argument in the training graph, once "
        "the model is built, and returns a tf.compat.v1.train.SessionRunHook "
        "(LoggingTensorHook, StopAtStepHook, ...), a slimtrain Hook, or a "
        "list of them. Their fetches ride in the training step's own "
        "session.run; request_stop() ends the run with a checkpoint "
        "(docs/SCENARIOS.md).", group=HOOKS)
    trace_every_n_steps: Optional[int] = flag_field(
        None, "slimtrain: write a Chrome trace (tf_trace-STEP.json) and run "
        "metadata every this many steps.", group=HOOKS, check=positive)

    # Distribution and devices.
    master: str = flag_field(
        "", "The address of the TensorFlow master to use.", group=DISTRIBUTION)
    task: int = flag_field(
        0, "Task id of the replica running the training.", group=DISTRIBUTION,
        check=not_negative)
    worker_replicas: int = flag_field(
        1, "Number of worker replicas.", group=DISTRIBUTION, check=positive)
    num_ps_tasks: int = flag_field(
        0, "The number of parameter servers. If the value is 0, then the "
        "parameters are handled locally by the worker.", group=DISTRIBUTION,
        check=not_negative)
    num_clones: int = flag_field(
        1, "Number of model clones to deploy. Each clone trains on its own "
        "batch of --batch_size; their gradients are summed, so one step "
        "sees num_clones x batch_size examples.", group=DISTRIBUTION,
        check=positive)
    clone_on_cpu: bool = flag_field(
        False, "Use CPUs to deploy clones.", group=DISTRIBUTION)
    sync_replicas: bool = flag_field(
        False, "Whether or not to synchronize the replicas during training.",
        group=DISTRIBUTION)
    replicas_to_aggregate: int = flag_field(
        1, "The Number of gradients to collect before updating params.",
        group=DISTRIBUTION, check=positive)
    cluster_timeout_secs: float = flag_field(
        60.0, "slimtrain: in a TF_CONFIG cluster, a task ends (exit status "
        "4, one line naming the task) when a parameter server, the chief, or "
        "so many --sync_replicas workers that --replicas_to_aggregate "
        "cannot be met have not answered for this many seconds "
        "(docs/DISTRIBUTED.md).", group=DISTRIBUTION, check=positive)
    startup_delay_steps: int = flag_field(
        0, "slimtrain: non-chief workers wait until the global step reaches "
        "this many steps times their task id before they start.",
        group=DISTRIBUTION, check=not_negative)
    num_intra_threads: int = flag_field(
        0, "slimtrain: threads used within one op (0: TensorFlow's choice).",
        group=DISTRIBUTION, check=not_negative)
    num_inter_threads: int = flag_field(
        0, "slimtrain: threads used to run ops in parallel (0: TensorFlow's "
        "choice).", group=DISTRIBUTION, check=not_negative)
    gpu_memory_growth: bool = flag_field(
        False, "slimtrain: allocate GPU memory as needed instead of all at "
        "start.", group=DISTRIBUTION)
    mixed_precision: Optional[str] = mixed_precision_field()

    def validate(self):
        """Raises ConfigError for a setting that cannot work; returns self."""
        check_fields(self)
        if (self.learning_rate_decay_type == "cosine" and
                not self.max_number_of_steps):
            raise ConfigError(
                "--learning_rate_decay_type=cosine needs --max_number_of_steps: "
                "the cosine decays over the whole run.")
        if self.moving_average_decay == 0:
            raise ConfigError(
                "--moving_average_decay=0 keeps no average: use a value in "
                "(0, 1), e.g. 0.9999, or leave it unset.")
        if self.quantize_delay < -1:
            raise ConfigError(
                "--quantize_delay=%d is out of range: give the global step "
                "from which to quantize (0: from the start), or -1 to train "
                "in float." % self.quantize_delay)
        if self.freeze_bn_delay is not None and not self.quantizes:
            raise ConfigError(
                "--freeze_bn_delay=%d applies to quantization-aware training: "
                "add --quantize_delay (e.g. --quantize_delay=0), or drop "
                "--freeze_bn_delay." % self.freeze_bn_delay)
        if self.task >= self.worker_replicas:
            raise ConfigError(
                "--task=%d is out of range for --worker_replicas=%d: use a "
                "task id from 0 to %d." %
                (self.task, self.worker_replicas, self.worker_replicas - 1))
        if self.on_nan == "rollback" and self.worker_replicas > 1:
            raise ConfigError(
                "--on_nan=rollback works with one worker only (a worker "
                "cannot roll back variables the others share): use "
                "--on_nan=fail with --worker_replicas=%d."
                % self.worker_replicas)
        if self.keep_best_checkpoint_by and not self.evaluates:
            raise ConfigError(
                "--keep_best_checkpoint_by=%s needs evaluation during "
                "training: add --eval_every_n_steps (or --eval_every_secs), "
                "or keep best/ with eval.py --keep_best_checkpoint_by."
                % self.keep_best_checkpoint_by)
        if self.sync_replicas and self.startup_delay_steps:
            raise ConfigError(
                "--startup_delay_steps must be 0 with --sync_replicas: "
                "synchronous replicas start together.")
        if not self.train_dir:
            raise ConfigError("--train_dir is empty: name a directory for "
                              "checkpoints and events.")
        parse_gradient_multipliers(self.gradient_multipliers)
        return self

    @property
    def examples_per_worker_step(self):
        """The examples one step of one worker takes: a batch per clone."""
        return self.batch_size * self.num_clones

    @property
    def examples_per_job_step(self):
        """The examples the whole job consumes per global-step increment:
        a worker's step, times the replicas a sync update aggregates."""
        replicas = self.replicas_to_aggregate if self.sync_replicas else 1
        return self.examples_per_worker_step * replicas

    @property
    def quantizes(self):
        """Whether the run trains quantization-aware (--quantize_delay)."""
        return self.quantize_delay >= 0

    @property
    def evaluates(self):
        """Whether the run evaluates during training."""
        return bool(self.eval_every_n_steps or self.eval_every_secs)


def parse_gradient_multipliers(text):
    """'scope=2,other=0.5' -> {'scope': 2.0, 'other': 0.5}."""
    multipliers = {}
    for item in split_comma_list(text):
        scope, sep, value = item.partition("=")
        try:
            multipliers[scope.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not scope.strip():
            raise ConfigError(
                "--gradient_multipliers has a malformed entry %r: write "
                "scope=number pairs separated by commas, e.g. 'LeNet/fc4=10'."
                % item)
    return multipliers
