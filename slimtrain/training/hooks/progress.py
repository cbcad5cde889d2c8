"""The progress lines of a run: `ProgressHook`, and their format.

    step 1/2000: loss = 2.8311 (cross-entropy 2.3026, regularization
    0.5285), 13 examples/sec                         (one line each)
    step 100/2000: loss = 0.5412 (cross-entropy 0.0383, regularization
    0.5029), 1510 examples/sec, ETA 0:01:03

The loss is the one the step minimized. When it includes regularization
losses (weight decay), their sum is shown apart from the rest, which the
scenario names (`Scenario.main_loss_name`: "cross-entropy" for the
classifier): late in a run the regularization often is most of the loss,
and the total then looks stalled while the cross-entropy still falls.

`PROGRESS_PATTERN` reads a line back (bench/ uses it), so the format is
written in this module only.

How often: every --log_every_n_steps global steps, after the last step,
and, where the cadence counts steps, after the run's first step. Unset
(None, the default), a run with --max_number_of_steps prints about
`LINES_PER_RUN` lines whatever its length (`default_every_steps`), and a
run without one a line every `UNLIMITED_RUN_EVERY_SECS` seconds.
"""

import datetime
import math
import re
import time

from absl import logging

from slimtrain.training.hooks.base import Hook, StepArgs
from slimtrain.training.hooks.trigger import PeriodicTrigger

# A progress line's start: its global step and --max_number_of_steps.
PROGRESS_PATTERN = re.compile(r"^step (?P<step>\d+)(?:/(?P<max_steps>\d+))?: "
                              r"loss = ")

# Unless --log_every_n_steps is given: about this many lines per run ...
LINES_PER_RUN = 20
# ... and, in a run without a last step, one line this often.
UNLIMITED_RUN_EVERY_SECS = 60


def progress_line(step, max_steps, loss, examples_per_sec, eta_secs=None,
                  parts=None):
    """The text of one progress line (PROGRESS_PATTERN matches it).

    Args:
      parts: None, or [(name, value)] that `loss` is the sum of, shown
        after it, e.g. [("cross-entropy", 0.04), ("regularization", 0.5)].
    """
    line = "step %d" % step
    if max_steps:
        line += "/%d" % max_steps
    line += ": loss = %.4f" % loss
    if parts:
        line += " (%s)" % ", ".join("%s %.4f" % part for part in parts)
    line += ", %.0f examples/sec" % examples_per_sec
    if eta_secs is not None:
        line += ", ETA %s" % datetime.timedelta(seconds=round(eta_secs))
    return line


def default_every_steps(max_steps):
    """The progress cadence of a run of `max_steps` steps when
    --log_every_n_steps is unset: the number of the 1-2-5 series (1, 2, 5,
    10, 20, 50, ...) nearest to max_steps / LINES_PER_RUN, so a default run
    (2000 steps) prints every 100 steps, a 30-step one every 2."""
    target = max(max_steps / LINES_PER_RUN, 1.0)
    decade = 10 ** math.floor(math.log10(target))
    candidates = [factor * decade for factor in (1, 2, 5, 10)]
    return int(min(candidates, key=lambda every: abs(math.log(every / target))))


class ProgressHook(Hook):
    """Logs the loss, its parts, examples/sec and an ETA (module doc), and,
    in a run whose cadence counts steps, a line after the run's first step
    at once: it shows the run has started training (its rate is the first
    step's own, graph optimization included; no ETA)."""

    def __init__(self, schedule, every_steps, examples_per_step, max_steps,
                 main_loss_name="main loss"):
        """Args:
          schedule: the run's `train_ops.StepSchedule`; the loss logged is
            the one its step op returns (already fetched by the step, so
            asking for it again costs nothing), split by the op's
            `regularization`.
          every_steps: --log_every_n_steps; None: the default cadence
            (module doc); 0: only after the last step.
          examples_per_step: the examples one step of this worker takes
            (every clone's batch).
          max_steps: --max_number_of_steps (0 or None: no last step).
          main_loss_name: what the loss without regularization is called.
        """
        self._schedule = schedule
        if every_steps is not None:
            cadence = {"every_steps": every_steps}
        elif max_steps:
            cadence = {"every_steps": default_every_steps(max_steps)}
        else:
            cadence = {"every_secs": UNLIMITED_RUN_EVERY_SECS}
        self._trigger = PeriodicTrigger(at_last_step=True, **cadence)
        self._examples_per_step = examples_per_step
        self._max_steps = max_steps
        self._main_loss_name = main_loss_name
        self._begun = None  # (time, global step) when the run began
        self._window = None  # (time, global step, local steps) at last log
        self._local_steps = 0

    def begin(self, session, step):
        self._trigger.start(step)
        if self._begun is None:
            self._begun = (time.time(), step)

    def before_step(self, context):
        step_op = self._schedule.for_step(context.step)
        fetches = {"loss": step_op.train_op}
        if step_op.regularization is not None:
            fetches["regularization"] = step_op.regularization
        return StepArgs(fetches=fetches)

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
            self._trigger.fired()
        self._trigger.passed(step)

    def _log(self, step, values, window, with_eta=True):
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
        loss, parts = values["loss"], None
        if "regularization" in values:
            regularization = values["regularization"]
            parts = [(self._main_loss_name, loss - regularization),
                     ("regularization", regularization)]
        logging.info(progress_line(step, self._max_steps, loss,
                                   examples_per_sec, eta, parts))
