"""The progress lines of a run: `ProgressHook`, and their format.

    step 1/2000: loss = 2.3026 (13.1 examples/sec)
    step 10/2000: loss = 2.1702 (1492.4 examples/sec; ETA 0:01:04)
    step 20/2000: loss = 1.8321 (1510.2 examples/sec; ETA 0:01:03)

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
    after the last step, and (with `every_steps` set) after the run's first
    step, at once: the first line shows the run has started training (its
    rate is the first step's own, graph optimization included; no ETA)."""

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
        self._begun = None  # (time, global step) when the run began
        self._window = None  # (time, global step, local steps) at last log
        self._local_steps = 0

    def begin(self, session, step):
        self._trigger.start(step)
        if self._begun is None:
            self._begun = (time.time(), step)

    def before_step(self, context):
        return StepArgs(
            fetches=self._schedule.for_step(context.step).train_op)

    def after_step(self, context, values):
        self._local_steps += 1
        step = context.step
        if self._window is None:  # rates are measured from the first step on
            if self._trigger.every_steps:
                started, start_step = self._begun
                self._log(step, values, (started, start_step, 0),
                          with_eta=False)
            self._window = (time.time(), step, self._local_steps)
        elif self._trigger.due(step, last=context.stopping):
            self._log(step, values, self._window)
            self._window = (time.time(), step, self._local_steps)
        self._trigger.passed(step)

    def _log(self, step, loss, window, with_eta=True):
        """Logs a line with the rates since `window` (time, global step,
        local steps)."""
        start_time, start_step, start_local = window
        elapsed = max(time.time() - start_time, 1e-9)
        examples_per_sec = ((self._local_steps - start_local) *
                            self._examples_per_step / elapsed)
        steps_per_sec = (step - start_step) / elapsed
        eta = None
        if with_eta and self._max_steps and steps_per_sec > 0:
            eta = max(self._max_steps - step, 0) / steps_per_sec
        logging.info(progress_line(step, self._max_steps, loss,
                                   examples_per_sec, eta))
