"""The `train_step_fn` slimtrain gives `slim.learning.train`.

slim's own `train_step` spends two extra `session.run` calls per step on
its `should_stop` and `should_log` tensors. `StepRunner` fetches the train op
and the global step in one call and decides in Python instead, and adds
what TF-Slim users asked for beside the Supervisor's timers: checkpoints and
summaries every N global steps (tensorflow#16462) and progress lines with
examples/sec and an ETA. The step-based summaries are the cheap ones
(slimtrain.training.trainer passes the scalars); all of them, histograms included,
are written after the last step, besides the Supervisor's timed ones. With
--trace_every_n_steps it hands each step to slim's `train_step`, which
writes the timeline and run metadata.
"""

import datetime
import os
import time

import tf_slim as slim
from absl import logging

CHECKPOINT_BASENAME = "model.ckpt"


class StepRunner:
    """Runs one training step per call; a `train_step_fn` for slim.

    Attributes:
      last_step: the global step after the latest call (None before).
      reached_last_step: whether --max_number_of_steps was reached.
    """

    def __init__(self, config, is_chief, saver, summary_writer, summary_op,
                 step_summary_op, step_after_train, last_step_op=None):
        """Args:
          config: the run's TrainConfig (step intervals, batch size, ...).
          is_chief: only the chief writes checkpoints and summaries.
          saver, summary_writer, summary_op: the ones slim's Supervisor uses;
            summary_op is also written after the last step.
          step_summary_op: written every --save_summaries_steps (the
            scalar summaries of summary_op).
          step_after_train: the global step read after the train op's
            update (fetching the variable itself may race with the update).
          last_step_op: run once after the last step, e.g. to release
            other workers (see slimtrain.training.sync_replicas).
        """
        self._max_steps = config.max_number_of_steps
        self._log_every = config.log_every_n_steps
        self._save_every = config.save_interval_steps if is_chief else None
        self._summarize_every = (config.save_summaries_steps
                                 if is_chief and summary_op is not None else None)
        self._trace = config.trace_every_n_steps is not None
        self._batch_size = config.batch_size
        self._step_after_train = step_after_train
        self._last_step_op = last_step_op
        self._save_path = os.path.join(config.train_dir, CHECKPOINT_BASENAME)
        self._saver = saver
        self._summary_writer = summary_writer
        self._summary_op = summary_op
        self._step_summary_op = step_summary_op
        self._window = None  # (time, global step, local steps) at last log
        self._local_steps = 0
        self.last_step = None
        self.reached_last_step = False

    def __call__(self, sess, train_op, global_step, train_step_kwargs):
        if self._trace:
            kwargs = {key: train_step_kwargs[key] for key in
                      ("should_trace", "logdir", "summary_writer")
                      if key in train_step_kwargs}
            total_loss, _ = slim.learning.train_step(
                sess, train_op, global_step, kwargs)
            step = int(sess.run(global_step))
        else:
            total_loss, step = sess.run([train_op, self._step_after_train])
            step = int(step)
        previous = step - 1 if self.last_step is None else self.last_step
        self._local_steps += 1
        self.last_step = step
        if self._window is None:  # rates are measured from the first step on
            self._window = (time.time(), step, self._local_steps)

        self.reached_last_step = bool(self._max_steps) and step >= self._max_steps
        if self._summarize_every and self.reached_last_step:
            self._summary_writer.add_summary(sess.run(self._summary_op), step)
        elif _crossed(previous, step, self._summarize_every):
            self._summary_writer.add_summary(sess.run(self._step_summary_op),
                                             step)
        if _crossed(previous, step, self._save_every):
            self._saver.save(sess, self._save_path, global_step=step)
        if self.reached_last_step and self._last_step_op is not None:
            sess.run(self._last_step_op)
        if (_crossed(previous, step, self._log_every) or
                self.reached_last_step) and self._local_steps > 1:
            self._log_progress(step, total_loss)
        return total_loss, self.reached_last_step

    def _log_progress(self, step, total_loss):
        start_time, start_step, start_local = self._window
        now = time.time()
        elapsed = max(now - start_time, 1e-9)
        examples_per_sec = ((self._local_steps - start_local) *
                            self._batch_size / elapsed)
        line = "step %d" % step
        if self._max_steps:
            line += "/%d" % self._max_steps
        line += ": loss = %.4f (%.1f examples/sec" % (total_loss, examples_per_sec)
        steps_per_sec = (step - start_step) / elapsed
        if self._max_steps and steps_per_sec > 0:
            remaining = max(self._max_steps - step, 0) / steps_per_sec
            line += "; ETA %s" % datetime.timedelta(seconds=round(remaining))
        logging.info(line + ")")
        self._window = (now, step, self._local_steps)


def _crossed(previous, step, every):
    """Whether a multiple of `every` lies in (previous, step]."""
    return bool(every) and step // every > previous // every
