"""What happens around a training step: summaries, checkpoints, progress.

Each hook is one concern with its own trigger, in the manner of
tensorpack's callbacks and TensorFlow's `SessionRunHook`. `StepRunner` calls,
for every step:

  begin(sess, step)             once before the first step (and again after
                                a rollback), with the global step;
  fetches(next_step, is_last)   before the step: what to add to the step's
                                own `session.run`, or None;
  after_step(sess, step, values, stopping)
                                after it: the hook's fetched values (None if
                                it asked for nothing) and whether this was
                                the last step of the run.

A hook never runs an op that reads the training input on its own.
"""

import datetime
import time

from absl import logging

from slimtrain.training.divergence import check_variables_finite


def crossed(previous, step, every):
    """Whether a multiple of `every` lies in (previous, step]."""
    return bool(every) and step // every > previous // every


class SummaryHook:
    """Writes summaries computed by the training step itself.

    - every `every_steps` global steps: the scalar summaries;
    - every `every_secs` seconds, from the first step of the run on, and at
      the last step: all summaries, histograms included (a histogram of a
      large tensor costs more than a small network's step).
    """

    def __init__(self, writer, all_summaries, scalar_summaries, every_steps,
                 every_secs):
        self._writer = writer
        self._all = all_summaries
        self._scalars = scalar_summaries
        self._every_steps = every_steps
        self._every_secs = every_secs
        self._last_step = None
        self._last_time = None
        self._wrote_all = False

    def begin(self, sess, step):
        del sess
        self._last_step = step

    def fetches(self, next_step, is_last):
        timed = bool(self._every_secs) and (
            self._last_time is None or
            time.time() - self._last_time >= self._every_secs)
        self._wrote_all = self._all is not None and (is_last or timed)
        if self._wrote_all:
            return self._all
        if crossed(self._last_step, next_step, self._every_steps):
            return self._scalars
        return None

    def after_step(self, sess, step, values, stopping):
        del sess, stopping
        if values is not None:
            self._writer.add_summary(values, step)
        if self._wrote_all:
            self._last_time = time.time()
        self._last_step = step


class CheckpointHook:
    """Saves a checkpoint every `every_steps` global steps and `every_secs`.

    The first timed checkpoint comes `every_secs` after the run starts, not
    at its start. The last step of a run is left to slim's final save, so
    no step is saved twice. Before saving, the variables are checked: a
    checkpoint never holds a NaN or Inf. With an `evaluation`
    (`periodic_evaluation.PeriodicEvaluation`), a checkpoint is also saved
    at each step it is due at, and handed to it.
    """

    def __init__(self, saver, save_path, every_steps, every_secs,
                 variables_finite, evaluation=None):
        """Args:
          saver, save_path: where and how to save (`saver.save` prefix).
          every_steps, every_secs: the triggers (0 or None: off).
          variables_finite: a bool tensor, whether every saved variable is
            finite; it reads no input.
          evaluation: None, or what evaluates checkpoints during training.
        """
        self._saver = saver
        self._save_path = save_path
        self._every_steps = every_steps
        self._every_secs = every_secs
        self._variables_finite = variables_finite
        self._evaluation = evaluation
        self._last_step = None
        self._last_time = None

    def begin(self, sess, step):
        del sess
        self._last_step = step
        self._last_time = time.time()

    def fetches(self, next_step, is_last):
        del next_step, is_last
        return None

    def after_step(self, sess, step, values, stopping):
        del values
        evaluate = (self._evaluation is not None and
                    self._evaluation.due(self._last_step, step))
        due = evaluate or crossed(self._last_step, step, self._every_steps) or (
            bool(self._every_secs) and
            time.time() - self._last_time >= self._every_secs)
        self._last_step = step
        if stopping:
            # slim's final save writes this step; make sure it is sound.
            check_variables_finite(sess, self._variables_finite, step)
        elif due:
            check_variables_finite(sess, self._variables_finite, step)
            saved = self._saver.save(sess, self._save_path, global_step=step)
            self._last_time = time.time()
            if evaluate:
                self._evaluation.evaluate(saved, step)


class ProgressHook:
    """Logs the loss, examples/sec and an ETA every `every_steps` steps."""

    def __init__(self, schedule, every_steps, batch_size, max_steps):
        """Args:
          schedule: the run's `train_ops.StepSchedule`; the loss logged is
            the one its step op returns (already fetched by the step, so
            asking for it again costs nothing).
          every_steps, max_steps: the run's settings.
          batch_size: the examples one step takes (every clone's batch).
        """
        self._schedule = schedule
        self._every_steps = every_steps
        self._batch_size = batch_size
        self._max_steps = max_steps
        self._last_step = None
        self._window = None  # (time, global step, local steps) at last log
        self._local_steps = 0

    def begin(self, sess, step):
        del sess
        self._last_step = step

    def fetches(self, next_step, is_last):
        del is_last
        return self._schedule.for_step(next_step).train_op

    def after_step(self, sess, step, values, stopping):
        del sess
        self._local_steps += 1
        if self._window is None:  # rates are measured from the first step on
            self._window = (time.time(), step, self._local_steps)
        elif crossed(self._last_step, step, self._every_steps) or stopping:
            self._log(step, values)
        self._last_step = step

    def _log(self, step, loss):
        start_time, start_step, start_local = self._window
        now = time.time()
        elapsed = max(now - start_time, 1e-9)
        examples_per_sec = ((self._local_steps - start_local) *
                            self._batch_size / elapsed)
        line = "step %d" % step
        if self._max_steps:
            line += "/%d" % self._max_steps
        line += ": loss = %.4f (%.1f examples/sec" % (loss, examples_per_sec)
        steps_per_sec = (step - start_step) / elapsed
        if self._max_steps and steps_per_sec > 0:
            remaining = max(self._max_steps - step, 0) / steps_per_sec
            line += "; ETA %s" % datetime.timedelta(seconds=round(remaining))
        logging.info(line + ")")
        self._window = (now, step, self._local_steps)

