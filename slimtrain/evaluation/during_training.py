"""Evaluation during training: eval.py's metrics on the chief's checkpoints.

`train.py --eval_every_n_steps=N` (and/or `--eval_every_secs`) evaluates the
run every N steps, and once more after its last step, in the training
process, with exactly what `eval.py --checkpoint_dir=<train dir>` would do:
the same evaluator (`evaluator.CheckpointEvaluator`, in a graph and session
of its own, with its own input pipeline), the same exact counts and the same
records (`eval/results.jsonl`, the `eval/` summaries next to the training
curves in TensorBoard, the printed table), and with
--keep_best_checkpoint_by the same `best/` (`best`).

`EvaluationHook` is a training hook that listens to the checkpoint hook:
it has a checkpoint saved at each step it is due at, and evaluates that
one; after the run it evaluates the final checkpoint. It never touches the
training graph or its input, so training is the same, bit for bit, with
and without it. `train_and_evaluate` is `training.trainer.train` with it.
"""

from slimtrain.evaluation.evaluator import CheckpointEvaluator
from slimtrain.evaluation.loop import ResultRecorder
from slimtrain.evaluation.run_settings import eval_config_for_training
from slimtrain.scenarios.registry import load_scenario
from slimtrain.training.hooks import Hook, PeriodicTrigger
from slimtrain.training.hooks.checkpoints import CheckpointListener
from slimtrain.training.trainer import train


def train_and_evaluate(config, scenario=None, hooks=(),
                       on_cluster_error=None, on_second_signal=None,
                       eval_command=None):
    """`train`, evaluating during training as `config` says (chief only).

    Args and returns: as `training.trainer.train`.

    Raises:
      ConfigError: as `train`, and for an evaluation setting, split or
        metric that cannot work: before anything is written.
    """
    config.validate()
    if scenario is None:
        scenario = load_scenario(config.scenario, config.scenario_options)
    hooks = list(hooks)
    if config.evaluates and config.task == 0:
        hooks.append(EvaluationHook(config, scenario))
    return train(config, scenario=scenario, hooks=hooks,
                 on_cluster_error=on_cluster_error,
                 on_second_signal=on_second_signal, eval_command=eval_command)


class EvaluationHook(Hook, CheckpointListener):
    """Evaluates the chief's checkpoints during training (module doc).

    Attributes:
      last_evaluated_step: the global step of the newest checkpoint
        evaluated by this run (None before the first).
    """

    def __init__(self, train_config, scenario):
        """Resolves the evaluation's names, so a bad one fails before the
        train dir is touched.

        Args:
          train_config: the run's `TrainConfig`.
          scenario: the `Scenario` the run trains, evaluated as it is.

        Raises:
          ConfigError: an evaluation setting, split or metric that cannot
            work.
        """
        best_metric = train_config.keep_best_checkpoint_by
        if best_metric is None:  # empty: keep none
            best_metric = scenario.best_metric
        self._config = eval_config_for_training(
            train_config, split_name=train_config.eval_dataset_split_name,
            batch_size=train_config.eval_batch_size,
            max_num_batches=train_config.max_num_batches,
            keep_best_checkpoint_by=best_metric or None)
        self._evaluator = CheckpointEvaluator(self._config, scenario)
        self._record = ResultRecorder(self._config,
                                      self._evaluator.metric_names)
        self._trigger = PeriodicTrigger(train_config.eval_every_n_steps,
                                        train_config.eval_every_secs)
        self.last_evaluated_step = None

    def begin(self, session, step):
        self._trigger.start(step)

    def save_due(self, step):
        return self._trigger.due(step)

    def after_save(self, checkpoint, step):
        self._evaluate(checkpoint, step)

    def finish(self, checkpoint, step):
        """Evaluates the run's final checkpoint, unless it already did."""
        if self.last_evaluated_step != step:
            self._evaluate(checkpoint, step)

    def _evaluate(self, checkpoint, step):
        """Evaluates `checkpoint` (saved at global `step`) and records it."""
        result = self._evaluator.evaluate(checkpoint,
                                          self._config.resolved_eval_dir)
        if result is not None:
            self._record(result)
        self.last_evaluated_step = step
        self._trigger.passed(step)
        self._trigger.fired()
