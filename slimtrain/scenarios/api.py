"""What a training scenario is: the part of a run that is the user's model.

A run of train.py is a harness around a scenario. The harness owns the
input pipeline (data set, preprocessing, the seekable training stream), the
global step, the learning-rate schedule and the optimizers made from the
flags, the gradient checks and transforms (--check_numerics,
--clip_gradient_norm, --gradient_multipliers, --trainable_scopes), sync
replicas and parameter servers, the step runner with its summaries,
checkpoints, signals, divergence policy and progress lines, and the
workspace. The scenario owns only the model: given a batch, it builds its
networks under their arg_scopes and says what to optimize.

A scenario subclasses `Scenario` and implements `build_train`, which
returns a `TrainStep`: one or more `Update`s (a loss, the variables it
trains and, optionally, its own optimizer), and optionally a schedule that
runs different updates at different steps (a GAN's k discriminator steps
per generator step). A scenario that implements `build_eval` can be
evaluated by eval.py (and by train.py --eval_every_n_steps): it returns
slim's streaming metrics by name.

Each step of the run takes exactly one batch of the input, whatever the
updates of that step read, so that resume, exact input positions and
seeded repeatability hold for every scenario.
"""

import dataclasses
from typing import Any, Mapping, Optional, Sequence

from slimtrain.compute.classifier import classes_after_offset
from slimtrain.data.preprocessing import preprocessing_factory
from slimtrain.errors import ConfigError
from slimtrain.settings import ModelSettings


@dataclasses.dataclass
class Update:
    """One optimizer's share of a step: minimize `loss` over `variables`.

    Attributes:
      name: names the update in a schedule and in error messages.
      loss: a scalar loss tensor (include any regularization it needs, e.g.
        `tf.losses.get_regularization_loss(scope)`).
      variables: the variables it trains; None: every trainable variable.
        --trainable_scopes narrows them further.
      optimizer: a `tf.compat.v1.train.Optimizer`; None: a new one made
        from the run's flags (--optimizer, --learning_rate and its schedule).
      update_ops: ops run with the update (e.g. batch-norm statistics);
        None: every op in the graph's UPDATE_OPS collection, as
        `slim.learning.create_train_op` does.
    """

    name: str
    loss: Any
    variables: Optional[Sequence[Any]] = None
    optimizer: Optional[Any] = None
    update_ops: Optional[Sequence[Any]] = None


@dataclasses.dataclass
class TrainStep:
    """What a scenario's `build_train` returns.

    Attributes:
      updates: the `Update`s, each with its own name.
      schedule: None to run every update at every step; else a list of
        groups of update names, step n (counted from 1) running group
        (n - 1) % len(schedule), e.g. [["discriminator"], ["discriminator"],
        ["generator"]] for two discriminator steps per generator step. The
        schedule follows the global step, so a resumed run goes on where it
        stopped.
      losses: scalars the harness writes to the summaries as
        `losses/<name>` (the updates' losses are not added by themselves).
      variables_to_restore: the variables --checkpoint_path may restore when
        fine-tuning (before --checkpoint_exclude_scopes); None: the model
        variables (`slim.get_model_variables()`).
    """

    updates: Sequence[Update]
    schedule: Optional[Sequence[Sequence[str]]] = None
    losses: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    variables_to_restore: Optional[Sequence[Any]] = None

    def groups(self):
        """The updates each step runs, in schedule order: a list of lists."""
        by_name = {update.name: update for update in self.updates}
        if len(by_name) != len(self.updates) or not self.updates:
            raise ConfigError(
                "the scenario's TrainStep has %s: give each Update a name of "
                "its own." % ("no update" if not self.updates else
                              "two updates of one name"))
        if self.schedule is None:
            return [list(self.updates)]
        groups = []
        for names in self.schedule:
            unknown = [name for name in names if name not in by_name]
            if unknown or not names:
                raise ConfigError(
                    "the scenario's schedule names %s: use groups of the "
                    "update names %s." % (unknown or "an empty group",
                                          ", ".join(by_name)))
            groups.append([by_name[name] for name in names])
        if not groups:
            raise ConfigError("the scenario's schedule is empty: give it at "
                              "least one group, or None for every update "
                              "at every step.")
        unscheduled = sorted(set(by_name) - {update.name for group in groups
                                             for update in group})
        if unscheduled:
            raise ConfigError(
                "the scenario's schedule never runs the update(s) %s: add "
                "them to a group, or leave them out of TrainStep.updates."
                % ", ".join(unscheduled))
        return groups


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """What a scenario may read about the run it is built for.

    Attributes:
      config: the run's settings, a `slimtrain.settings.ModelSettings`: its
        `TrainConfig` in training (with every train.py flag), its
        `EvalConfig` in evaluation.
      dataset: the `DatasetSplit` read.
      num_classes: the label values after --labels_offset.
      is_training: building for training, else for evaluation.
      global_step: the run's global step variable.
    """

    config: ModelSettings
    dataset: Any
    num_classes: int
    is_training: bool
    global_step: Any

    @classmethod
    def create(cls, config, dataset, *, is_training, global_step):
        """The `RunInfo` of a run of `config` on `dataset`.

        Raises:
          ConfigError: --labels_offset leaves no class of the data set.
        """
        return cls(config, dataset, classes_after_offset(config, dataset),
                   is_training, global_step)


class Scenario:
    """A model the harness can train: subclass it, implement `build_train`.

    Class attributes a subclass sets:
      preprocessing_name: the preprocessing (a `preprocessing_factory`
        name) of its input, unless --preprocessing_name is given.
      image_size: its input size in pixels (square), unless
        --train_image_size (--eval_image_size in evaluation) is given.
      flag_defaults: {train.py flag: value} replacing train.py's defaults
        for the flags not given on the command line, e.g. the optimizer a
        GAN trains well with.
      metric_names: the names `build_eval` returns, for the
        --keep_best_checkpoint_by check.
      best_metric: the metric `best/` follows when training evaluates and
        --keep_best_checkpoint_by is not given (None: keep no best/).
      main_loss_name: what progress lines call the step's loss without
        its regularization losses, e.g. "cross-entropy".

    A scenario class is built with the --scenario_options as keyword
    arguments, so its `__init__` declares the options it takes.
    """

    preprocessing_name = None
    image_size = None
    flag_defaults = {}
    metric_names = ()
    best_metric = None
    main_loss_name = "main loss"

    @property
    def name(self):
        """The scenario's name in log lines and messages."""
        return type(self).__name__

    def describe(self, config):
        """Names what is trained in log lines and messages: --model_name
        for the classifier, else the scenario."""
        del config
        return "scenario " + self.name

    @property
    def evaluates(self):
        """Whether the scenario defines an evaluation (`build_eval`)."""
        return type(self).build_eval is not Scenario.build_eval

    def input_preprocessing(self, run):
        """Returns (preprocessing_fn, image_size) of the run's input.

        The default uses the class attributes, or the flags that override
        them; the classifier chooses by --model_name instead.
        """
        config = run.config
        name = config.preprocessing_name or self.preprocessing_name
        size_flag = "train_image_size" if run.is_training else "eval_image_size"
        size = getattr(config, size_flag) or self.image_size
        if name is None or size is None:
            raise ConfigError(
                "scenario %s names no %s: set its class attribute, or pass "
                "--%s." % (self.name, "preprocessing" if name is None
                           else "image size",
                           "preprocessing_name" if name is None else size_flag))
        return preprocessing_factory.get_preprocessing(
            name, is_training=run.is_training,
            use_grayscale=config.use_grayscale), size

    def build_train(self, images, labels, run):
        """Builds the model(s) for training on one batch; returns a `TrainStep`.

        Args:
          images: float32 [batch, size, size, channels], preprocessed.
          labels: int64 [batch], after --labels_offset.
          run: the `RunInfo`.
        """
        raise NotImplementedError(
            "%s.build_train is not implemented" % self.name)

    def build_train_step(self, batches, run):
        """Returns the `TrainStep` for one (images, labels) batch per clone.

        Only the classifier builds several clones (--num_clones); every
        other scenario takes one batch and calls `build_train`.
        """
        if len(batches) > 1:
            raise ConfigError(
                "--num_clones=%d: scenario %s trains one clone per process; "
                "use --num_clones=1 (or several workers, docs/DISTRIBUTED.md)."
                % (len(batches), self.name))
        images, labels = batches[0]
        return self.build_train(images, labels, run)

    def hooks(self, run):
        """Hooks to run around each training step: a list of
        `tf.compat.v1.train.SessionRunHook`s (or slimtrain Hooks).

        Called once, in the training graph, after `build_train` (so a hook
        may watch a tensor it built, e.g. a `LoggingTensorHook`); their
        fetches ride in the step's own `session.run`. By default, none.
        """
        del run
        return []

    def build_eval(self, images, labels, run):
        """Builds the model for evaluation; returns {metric name: (value, update_op)}.

        Streaming metrics as `slim.metrics` makes them. A scenario that
        does not override this method defines no evaluation, and eval.py
        says so.
        """
        del images, labels, run
        return None
