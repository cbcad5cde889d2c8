"""Which checkpoints an evaluation run evaluates, and when it stops.

`run_evaluation(config)` is what `eval.py` calls. It fills the model and
data settings in from the train dir (`eval_config.with_train_defaults`),
resolves every name before anything is written, and then runs one of two
modes:

- once: the checkpoint given by --checkpoint_path, or the latest one of the
  directory (if the trainer deletes that one before it is restored, the new
  latest is evaluated instead);
- continuous (--eval_interval_secs): each new checkpoint as
  `slim.evaluation.checkpoints_iterator` finds it. It stops by itself once
  train.py has marked training finished (`workspace.finished_step`) and the
  checkpoint of that step, or the last one written, has been evaluated; after
  --timeout seconds without a new checkpoint; or after
  --max_number_of_evaluations. A checkpoint deleted before it could be
  restored is skipped with a warning.

slimtrain runs its own loop over `checkpoints_iterator` instead of
`slim.evaluation.evaluation_loop` because that loop dies on the first
checkpoint that disappears, and cannot stop when training finishes.

Every result is appended to the eval dir's results file and printed as a
table (`eval_results`).
"""

import os
import time

import tf_slim as slim
from absl import logging

from slimtrain.training import checkpoints, workspace
from slimtrain.errors import ConfigError
from slimtrain.evaluation.config import DEFAULT_TIMEOUT_SECS, with_run_defaults
from slimtrain.evaluation.results import append_result, format_table
from slimtrain.evaluation.evaluator import CheckpointEvaluator

# How often a continuous evaluation with no new checkpoint looks for the
# training-finished marker and checks its --timeout, in seconds.
POLL_SECS = 5.0


def run_evaluation(config):
    """Evaluates as `config` says; returns the list of `EvalResult`s.

    Raises:
      ConfigError: for a setting, data set or checkpoint that cannot work;
        raised before the eval dir is written, except for a checkpoint that
        first appears during a continuous evaluation and does not fit.
    """
    config.validate()
    config = with_run_defaults(config)
    evaluator = CheckpointEvaluator(config)
    if config.continuous:
        return _run_continuously(evaluator, config)
    return [_run_once(evaluator, config)]


def _run_once(evaluator, config):
    """Evaluates the given checkpoint or the directory's latest one."""
    source = config.checkpoint_source
    while True:
        checkpoint = checkpoints.resolve_checkpoint(source,
                                                    config.checkpoint_flag)
        result = evaluator.evaluate(checkpoint, config.resolved_eval_dir)
        if result is not None:
            return _record(result, config)
        if not os.path.isdir(source):
            raise ConfigError(
                "%s was deleted while it was being evaluated: evaluate a "
                "checkpoint the trainer keeps, or its directory." % checkpoint)


def _run_continuously(evaluator, config):
    """Evaluates each new checkpoint of the directory until told to stop."""
    train_dir = config.train_dir
    timeout = config.timeout or DEFAULT_TIMEOUT_SECS
    idle = _IdleStop(train_dir, timeout)
    results = []
    for checkpoint in slim.evaluation.checkpoints_iterator(
            train_dir, min_interval_secs=config.eval_interval_secs,
            timeout=min(POLL_SECS, timeout), timeout_fn=idle):
        result = evaluator.evaluate(checkpoint, config.resolved_eval_dir)
        idle.restart()
        if result is None:
            continue
        results.append(_record(result, config))
        if len(results) == config.max_number_of_evaluations:
            logging.info("Stopping after %d evaluations.", len(results))
            break
        finished = workspace.finished_step(train_dir)
        if finished is not None and result.global_step >= finished:
            logging.info("Training finished at step %d; evaluation done.",
                         finished)
            break
    return results


class _IdleStop:
    """The iterator's `timeout_fn`: whether to stop waiting for checkpoints.

    The iterator calls it after each POLL_SECS without a new checkpoint. It
    says stop when train.py has marked training finished (so no checkpoint
    will come, and the last one has been handled), or when `timeout` seconds
    have passed since the last evaluation (or the start) without one.
    """

    def __init__(self, train_dir, timeout):
        self._train_dir = train_dir
        self._timeout = timeout
        self._since = time.time()

    def restart(self):
        self._since = time.time()

    def __call__(self):
        finished = workspace.finished_step(self._train_dir)
        if finished is not None:
            logging.info("Training finished at step %d and its checkpoints "
                         "are evaluated.", finished)
            return True
        if time.time() - self._since >= self._timeout:
            logging.warning("No new checkpoint in %s for %d s (--timeout): "
                            "stopping.", self._train_dir, self._timeout)
            return True
        return False


def _record(result, config):
    """Appends `result` to the results file and prints its table."""
    append_result(config.resolved_eval_dir, result)
    print(format_table(result), flush=True)
    return result
