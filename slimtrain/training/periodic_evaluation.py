"""Evaluation during training: eval.py's metrics on the chief's checkpoints.

`train.py --eval_every_n_steps=N` (and/or `--eval_every_secs`) evaluates the
run every N steps, and once more after its last step, in the training
process, with exactly what `eval.py --checkpoint_dir=<train dir>` would do:
the same evaluator (`evaluation.evaluator.CheckpointEvaluator`, in a graph
and session of its own, with its own input pipeline), the same exact counts
and the same records (`eval/results.jsonl`, the `eval/` summaries next to the
training curves in TensorBoard, the printed table), and with
--keep_best_checkpoint_by the same `best/` (`evaluation.best`).

It never touches the training graph or its input, so training is the same,
bit for bit, with and without it. The checkpoint hook saves a checkpoint at
each evaluation step and hands it over (`step_hooks.CheckpointHook`).
"""

import time

from slimtrain.evaluation.run_settings import eval_config_for_training
from slimtrain.evaluation.evaluator import CheckpointEvaluator
from slimtrain.evaluation.loop import ResultRecorder
from slimtrain.training.step_hooks import crossed


class PeriodicEvaluation:
    """Decides when to evaluate during training, and evaluates.

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
        self._every_steps = train_config.eval_every_n_steps
        self._every_secs = train_config.eval_every_secs
        self._last_time = time.time()
        self.last_evaluated_step = None

    def due(self, previous_step, step):
        """Whether the step that went from `previous_step` to `step` is one
        to evaluate at."""
        return crossed(previous_step, step, self._every_steps) or (
            bool(self._every_secs) and
            time.time() - self._last_time >= self._every_secs)

    def evaluate(self, checkpoint, step):
        """Evaluates `checkpoint` (saved at global `step`) and records it."""
        result = self._evaluator.evaluate(checkpoint,
                                          self._config.resolved_eval_dir)
        if result is not None:
            self._record(result)
        self.last_evaluated_step = step
        self._last_time = time.time()
