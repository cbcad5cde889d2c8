"""The progress lines of a run: `ProgressHook`, and their format.

    step 120/2000: loss = 0.4121 (1510.2 examples/sec; ETA 0:01:03)

`PROGRESS_PATTERN` reads one back (bench/ uses it), so the format is
written in this module only.
"""

import datetime
import re
import time

from absl import logging

from slimtrain.training.hooks.base import Hook, StepArgs
from slimtrain.training.hooks.trigger import PeriodicTrigger

# A progress line's start: its global step and --max_number_of_steps.
PROGRESS_PATTERN = re.compile(r"^step (?P<step>\d+)(?:/(?P<max_steps>\d+))?: "
                              r"loss = ")


def progress_line(step, max_steps, loss, examples_per_sec, eta_secs=None):
    """The text of one progress line (PROGRESS_PATTERN matches it)."""
    line = "step %d" % step
    if max_steps:
        line += "/%d" % max_steps
    line += ": loss = %.4f (%.1f examples/sec" % (loss, examples_per_sec)
    if eta_secs is not None:
        line += "; ETA %s" % datetime.timedelta(seconds=round(eta_secs))
    return line + ")"


class ProgressHook(Hook):
    """Logs the loss, examples/sec and an ETA every `every_steps` steps,
    and after the last step."""

    def __init__(self, schedule, every_steps, examples_per_step, max_steps):
        """Args:
          schedule: the run's `train_ops.StepSchedule`; the loss logged is
            the one its step op returns (already fetched by the step, so
            asking for it again costs nothing).
          every_steps, max_steps: the run's settings.
          examples_per_step: the examples one step of this worker takes
            (every clone's batch).
        """
        self._schedule = schedule
        self._trigger = PeriodicTrigger(every_steps=every_steps,
                                        at_last_step=True)
        self._examples_per_step = examples_per_step
        self._max_steps = max_steps
        self._window = None  # (time, global step, local steps) at last log
        self._local_steps = 0

    def begin(self, session, step):
        self._trigger.start(step)

    def before_step(self, context):
        return StepArgs(
            fetches=self._schedule.for_step(context.step).train_op)

    def after_step(self, context, values):
        self._local_steps += 1
        step = context.step
        if self._window is None:  # rates are measured from the first step on
            self._window = (time.time(), step, self._local_steps)
        elif self._trigger.due(step, last=context.stopping):
            self._log(step, values)
        self._trigger.passed(step)

    def _log(self, step, loss):
        start_time, start_step, start_local = self._window
        now = time.time()
        elapsed = max(now - start_time, 1e-9)
        examples_per_sec = ((self._local_steps - start_local) *
                            self._examples_per_step / elapsed)
        steps_per_sec = (step - start_step) / elapsed
        eta = None
        if self._max_steps and steps_per_sec > 0:
            eta = max(self._max_steps - step, 0) / steps_per_sec
        logging.info(progress_line(step, self._max_steps, loss,
                                   examples_per_sec, eta))
        self._window = (now, step, self._local_steps)
