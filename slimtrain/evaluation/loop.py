"""Which checkpoints an evaluation run evaluates, and when it stops.

`run_evaluation(config)` is what `eval.py` calls. It fills the model and
data settings in from the train dir (`run_settings.with_run_defaults`),
resolves every name before anything is written, and then runs one of three
modes:

- once: the checkpoint given by --checkpoint_path, or the latest one of the
  directory (if the trainer deletes that one before it is restored, the new
  latest is evaluated instead);
- continuous (--eval_interval_secs): each new checkpoint as
  `slim.evaluation.checkpoints_iterator` finds it. It stops by itself once
  train.py has marked training finished (`run_files.finished_step`) and the
  checkpoint of that step, or the last one written, has been evaluated; after
  --timeout seconds without a new checkpoint; or after
  --max_number_of_evaluations. A checkpoint deleted before it could be
  restored, or one that cannot be restored, is skipped with a warning;
- all (--eval_all_checkpoints): every complete checkpoint in the directory
  now, in step order (torn ones, and those whose data cannot be restored,
  skipped with a warning), except those the
  eval dir's results file already has a result of on the same data set
  split; then it exits.

slimtrain runs its own loop over `checkpoints_iterator` instead of
`slim.evaluation.evaluation_loop` because that loop dies on the first
checkpoint that disappears, and cannot stop when training finishes.

Every result is appended to the eval dir's results file and printed as a
table (`evaluation.results`), and with --keep_best_checkpoint_by offered to
the train dir's `BestCheckpointKeeper` (`evaluation.best`).
"""

import os
import time

import tensorflow.compat.v1 as tf
import tf_slim as slim
from absl import logging

from slimtrain.compute import precision
from slimtrain.errors import ConfigError
from slimtrain.evaluation.best import BestCheckpointKeeper
from slimtrain.evaluation.config import DEFAULT_TIMEOUT_SECS
from slimtrain.evaluation.evaluator import CheckpointEvaluator
from slimtrain.evaluation.results import append_result, format_table, read_results
from slimtrain.evaluation.run_settings import with_run_defaults
from slimtrain.rundir import checkpoint_files, run_files
from slimtrain.rundir.checkpoint_reading import resolve_checkpoint
from slimtrain.rundir.write_guard import event_file_errors
from slimtrain.training.hooks.hparams import BEST_TAG, hparams_api
from slimtrain.training.master import wait_for_master

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
    precision.check_supported(config.mixed_precision)  # before any file check
    wait_for_master(config.master)
    config = with_run_defaults(config)
    evaluator = CheckpointEvaluator(config)
    recorder = ResultRecorder(config, evaluator.metric_names)
    if config.continuous:
        return _run_continuously(evaluator, config, recorder)
    if config.eval_all_checkpoints:
        return _run_all(evaluator, config, recorder)
    return [_run_once(evaluator, config, recorder)]


def _run_once(evaluator, config, record):
    """Evaluates the given checkpoint or the directory's latest one."""
    source = config.source
    while True:
        checkpoint = resolve_checkpoint(source.path, source.flag)
        result = evaluator.evaluate(checkpoint, config.resolved_eval_dir)
        if result is not None:
            return record(result)
        if not os.path.isdir(source.path):
            raise ConfigError(
                "%s was deleted while it was being evaluated: evaluate a "
                "checkpoint the trainer keeps, or its directory." % checkpoint)


def _run_all(evaluator, config, record):
    """Evaluates each checkpoint of the directory not yet in the results."""
    train_dir = config.train_dir
    found = checkpoint_files.complete_in_step_order(train_dir)
    if not found:
        raise ConfigError(
            "%s=%s holds no checkpoint to evaluate: point it at train.py's "
            "--train_dir." % (config.source.flag, train_dir))
    split = (evaluator.split.name, evaluator.split.split_name)
    done = {os.path.basename(result.checkpoint_path)
            for result in read_results(config.resolved_eval_dir)
            if (result.dataset_name, result.dataset_split_name) == split}
    pending = [checkpoint for checkpoint in found
               if os.path.basename(checkpoint) not in done]
    logging.info("%d checkpoint(s) in %s, %d already evaluated on %s/%s.",
                 len(found), train_dir, len(found) - len(pending), *split)
    results = []
    for checkpoint in pending:
        result = evaluator.evaluate(checkpoint, config.resolved_eval_dir,
                                    skip_damaged=True)
        if result is not None:
            results.append(record(result))
    return results


def _run_continuously(evaluator, config, record):
    """Evaluates each new checkpoint of the directory until told to stop."""
    train_dir = config.train_dir
    timeout = config.timeout or DEFAULT_TIMEOUT_SECS
    idle = _IdleStop(train_dir, timeout)
    results = []
    for checkpoint in slim.evaluation.checkpoints_iterator(
            train_dir, min_interval_secs=config.eval_interval_secs,
            timeout=min(POLL_SECS, timeout), timeout_fn=idle):
        result = evaluator.evaluate(checkpoint, config.resolved_eval_dir,
                                    skip_damaged=True)
        idle.restart()
        if result is None:
            continue
        results.append(record(result))
        if len(results) == config.max_number_of_evaluations:
            logging.info("Stopping after %d evaluations.", len(results))
            break
        finished = run_files.finished_step(train_dir)
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
        finished = run_files.finished_step(self._train_dir)
        if finished is not None:
            logging.info("Training finished at step %d and its checkpoints "
                         "are evaluated.", finished)
            return True
        if time.time() - self._since >= self._timeout:
            logging.warning("No new checkpoint in %s for %d s (--timeout): "
                            "stopping.", self._train_dir, self._timeout)
            return True
        return False


class ResultRecorder:
    """Records each `EvalResult` as eval.py does, wherever it was evaluated.

    Calling it with a result appends the result to the eval dir's
    results.jsonl, prints its table, and with --keep_best_checkpoint_by
    offers it to the train dir's `BestCheckpointKeeper`; a new best is also
    written as the scalar `best/<metric>` into the eval dir's events when
    TensorBoard is installed (its HParams dashboard shows it:
    `training.hooks.hparams`). An evaluation
    inside the training process records its results with one, so that they
    are eval.py's:

        config = eval_config_for_training(train_config, ...)
        evaluator = CheckpointEvaluator(config)
        record = ResultRecorder(config, evaluator.metric_names)
        result = evaluator.evaluate(checkpoint, config.resolved_eval_dir)
        if result is not None:
            record(result)
    """

    def __init__(self, config, metric_names):
        """Raises ConfigError when best/ cannot be kept (`evaluation.best`).

        Args:
          config: the `EvalConfig`.
          metric_names: the metrics the evaluation measures
            (`CheckpointEvaluator.metric_names`).
        """
        self._eval_dir = config.resolved_eval_dir
        self._keeper = (
            BestCheckpointKeeper(config.train_dir,
                                 config.keep_best_checkpoint_by, metric_names)
            if config.keep_best_checkpoint_by else None)

    def __call__(self, result):
        append_result(self._eval_dir, result)
        print(format_table(result), flush=True)
        if self._keeper is not None and self._keeper.consider(result):
            print("New best checkpoint by %s: kept in %s" % (
                self._keeper.metric, self._keeper.path), flush=True)
            if hparams_api() is not None:
                self._write_best_summary(result)
        return result

    def _write_best_summary(self, result):
        """The new best value as a scalar at its checkpoint's step, through
        the eval dir's writer that slim's evaluation writes with."""
        metric = self._keeper.metric
        summary = tf.Summary(value=[tf.Summary.Value(
            tag=BEST_TAG % metric, simple_value=result.metrics[metric])])
        writer = tf.summary.FileWriterCache.get(self._eval_dir)
        with event_file_errors(self._eval_dir):
            writer.add_summary(summary, result.global_step)
            writer.flush()
