"""Keeps a copy of the best checkpoint of a run in `<train dir>/best`.

Checkpoint retention (`--max_checkpoints_to_keep`) deletes old checkpoints,
the best one included. `BestCheckpointKeeper(train_dir, metric)` is told
each evaluation's `EvalResult`; when the result beats the value recorded in
`best/best.json` by `metric` (`Loss` and `Loss/<part>` lower, every other
metric higher), it
copies the evaluated checkpoint's files there:

    keeper = BestCheckpointKeeper("train_logs", "Accuracy")
    result = evaluator.evaluate(checkpoint, eval_dir)
    if keeper.consider(result):
      print("new best:", keeper.best())

`best/` is a checkpoint directory of its own: the checkpoint files, a
`checkpoint` state file naming them by relative path (so
`tf.train.latest_checkpoint`, `eval.py --checkpoint_path=train_logs/best` and
fine-tuning with `train.py --checkpoint_path=train_logs/best` find it, also
after the train dir is moved), the run's `train_config.json` (so eval.py
evaluates it with the run's settings) and `best.json`: the metric, its value,
the global step, the source checkpoint, the data set split it was measured on
and all of that evaluation's metrics.

The copy is atomic. `best` is a relative symbolic link to a sibling folder
`best-step-<STEP>-<random>`; a new best is written completely into a new such
folder, and then a new link replaces the old one with one `rename`, which
POSIX file systems do atomically. So at every moment `best/` is either the
old complete checkpoint or the new one; a crash leaves at most an unfinished
folder, which the next keeper removes. A plain directory cannot be used: a
rename cannot replace a non-empty directory, and deleting the old one first
would leave a moment without `best/`.

The keeper holds no state but its metric: it reads `best.json` each time, so
it continues where a previous process stopped (resume, or eval.py run again).
Let one process at a time keep a train dir's `best/` (train.py or eval.py).
"""

import dataclasses
import glob
import json
import math
import os
import shutil
import tempfile

from absl import logging

from slimtrain.errors import ConfigError
from slimtrain.rundir.layout import (
    BEST_FILENAME,
    BEST_FOLDER_PREFIX,
    BEST_LINK,
    CONFIG_FILENAME,
    STATE_FILENAME,
)
from slimtrain.rundir.write_guard import write_errors, write_file
from slimtrain.scenarios.classifier import METRIC_NAMES

# The metric that is better when lower, alone or as "Loss/<part>" (a
# scenario's per-head losses); every other one is better higher.
LOWER_IS_BETTER_METRIC = "Loss"


def check_metric_name(metric, metric_names=METRIC_NAMES,
                      flag="--keep_best_checkpoint_by"):
    """Raises ConfigError unless `metric` is one of `metric_names`, the
    metrics the evaluation measures (the classifier's by default)."""
    if metric not in metric_names:
        raise ConfigError("%s=%s is not a metric of the evaluation: use one "
                          "of %s." % (flag, metric, ", ".join(metric_names)))


def higher_is_better(metric):
    """Whether a larger value of `metric` is an improvement."""
    return metric.split("/")[0] != LOWER_IS_BETTER_METRIC


def read_best(train_dir):
    """Returns the parsed `best/best.json` of `train_dir`, or None."""
    path = os.path.join(train_dir, BEST_LINK, BEST_FILENAME)
    try:
        with open(path) as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None
    except ValueError as error:
        raise ConfigError("%s is unreadable (%s): remove %s to start keeping "
                          "the best checkpoint afresh." % (
                              path, error, os.path.dirname(path))) from None


class BestCheckpointKeeper:
    """Copies each evaluated checkpoint that improves a metric into `best/`."""

    def __init__(self, train_dir, metric, metric_names=METRIC_NAMES):
        """Checks the metric and what `best/` holds already.

        Args:
          train_dir: the run's directory; `best` is created inside it.
          metric: a name of `metric_names` (e.g. "Accuracy" or "Loss").
          metric_names: the metrics the evaluation measures (the scenario's;
            by default the classifier's).

        Raises:
          ConfigError: an unknown metric, a `best` that is not this module's
            link, or a `best/` kept by another metric.
        """
        check_metric_name(metric, metric_names)
        self.train_dir = train_dir
        self.metric = metric
        self.path = os.path.join(train_dir, BEST_LINK)
        if os.path.lexists(self.path) and not os.path.islink(self.path):
            raise ConfigError(
                "%s exists and is not the link slimtrain keeps the best "
                "checkpoint in: move it away, or keep no best checkpoint."
                % self.path)
        best = self.best()
        if best is not None and best["metric"] != metric:
            raise ConfigError(
                "%s holds the best checkpoint by %s, not %s: pass "
                "--keep_best_checkpoint_by=%s, or remove %s to start afresh."
                % (self.path, best["metric"], metric, best["metric"],
                   self.path))

    def best(self):
        """The current `best.json` as a dict, or None when there is none."""
        return read_best(self.train_dir)

    def consider(self, result):
        """Makes `result`'s checkpoint the best one if it improves the metric.

        Args:
          result: an `EvalResult` of a checkpoint that still exists.

        Returns:
          True if the checkpoint was copied into `best/`; False if it does
          not improve on it (equal is not better; NaN never is) or its files
          were deleted (by retention) before they could be copied.

        Raises:
          ConfigError: the result lacks the metric (Recall_5 needs more than
            5 classes), or `best/` was measured on another data set split.
        """
        if self.metric not in result.metrics:
            raise ConfigError(
                "--keep_best_checkpoint_by=%s: the evaluation of %s has no "
                "such metric (it has %s): choose one of those." % (
                    self.metric, result.checkpoint_path,
                    ", ".join(sorted(result.metrics))))
        value = result.metrics[self.metric]
        best = self.best()
        if best is not None:
            split = (result.dataset_name, result.dataset_split_name)
            if split != (best["dataset_name"], best["dataset_split_name"]):
                raise ConfigError(
                    "%s was chosen on %s/%s, but %s is evaluated on %s/%s: "
                    "evaluate on that split, or remove %s to start afresh."
                    % (self.path, best["dataset_name"],
                       best["dataset_split_name"], result.checkpoint_path,
                       split[0], split[1], self.path))
        if math.isnan(value) or (best is not None and not self._better(
                value, best["value"])):
            return False
        return self._replace(result)

    def _better(self, value, best_value):
        if higher_is_better(self.metric):
            return value > best_value
        return value < best_value

    def _replace(self, result):
        """Writes `result`'s checkpoint into a new folder and links to it.

        A failed write (a full disk) is one line (`write_guard`), and the
        new folder is removed: `best/` stays what it was.
        """
        self._remove_unlinked_folders()
        with write_errors(self.train_dir):
            folder = tempfile.mkdtemp(
                prefix="%s%d-" % (BEST_FOLDER_PREFIX, result.global_step),
                dir=self.train_dir)
        new_link = folder + ".link"
        with write_errors(self.train_dir,
                          cleanup=lambda: _remove(folder, new_link)):
            try:
                prefix = self._copy_checkpoint(result.checkpoint_path, folder)
            except FileNotFoundError:
                shutil.rmtree(folder)
                logging.warning("Not keeping %s as the best checkpoint: it "
                                "was deleted before it could be copied.",
                                result.checkpoint_path)
                return False
            write_file(os.path.join(folder, STATE_FILENAME),
                       'model_checkpoint_path: "%s"\n'
                       'all_model_checkpoint_paths: "%s"\n' % (prefix, prefix))
            write_file(os.path.join(folder, BEST_FILENAME), json.dumps(
                self._record(result, prefix), indent=2, sort_keys=True) + "\n")
            _sync_files(folder)
            _sync_entries(folder)
            old_folder = (os.readlink(self.path) if os.path.islink(self.path)
                          else None)
            os.symlink(os.path.basename(folder), new_link)
            os.replace(new_link, self.path)  # the atomic switch
        _sync_entries(self.train_dir)
        if old_folder is not None:
            shutil.rmtree(os.path.join(self.train_dir, old_folder),
                          ignore_errors=True)
        logging.info("New best checkpoint by %s (%s): %s at step %d, kept "
                     "in %s.", self.metric, result.metrics[self.metric],
                     result.checkpoint_path, result.global_step, self.path)
        return True

    def _copy_checkpoint(self, checkpoint, folder):
        """Copies the checkpoint's files (and train_config.json) to `folder`.

        Returns the checkpoint's prefix inside `folder` (its file name).
        Raises FileNotFoundError when the checkpoint is gone.
        """
        files = [path for path in glob.glob(glob.escape(checkpoint) + ".*")
                 if os.path.isfile(path)]
        if not any(path.endswith(".index") for path in files):
            raise FileNotFoundError(checkpoint)
        for path in files:
            shutil.copy2(path, folder)
        train_config = os.path.join(os.path.dirname(checkpoint),
                                    CONFIG_FILENAME)
        if os.path.isfile(train_config):
            shutil.copy2(train_config, folder)
        return os.path.basename(checkpoint)

    def _record(self, result, prefix):
        """The contents of best.json for `result`."""
        record = dataclasses.asdict(result)
        record.update(metric=self.metric,
                      value=result.metrics[self.metric],
                      higher_is_better=higher_is_better(self.metric),
                      checkpoint=prefix,
                      source_checkpoint=record.pop("checkpoint_path"))
        return record

    def _remove_unlinked_folders(self):
        """Removes folders left by a keeper that stopped before its switch."""
        linked = (os.readlink(self.path) if os.path.islink(self.path)
                  else None)
        for path in glob.glob(os.path.join(self.train_dir,
                                           BEST_FOLDER_PREFIX + "*")):
            name = os.path.basename(path)
            if name == linked:
                continue
            if os.path.islink(path):  # an unfinished new link
                os.remove(path)
            elif os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)


def _remove(folder, link):
    """Removes an unfinished best folder and its new link, if there."""
    shutil.rmtree(folder, ignore_errors=True)
    if os.path.lexists(link):
        os.remove(link)


def _sync_files(folder):
    """Flushes the contents of `folder`'s files to disk (for a power loss)."""
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def _sync_entries(folder):
    """Flushes `folder`'s entries (names, links) to disk, not its files."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
