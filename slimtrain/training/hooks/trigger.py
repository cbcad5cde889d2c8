"""When a periodic action is due: every N global steps, every S seconds.

`PeriodicTrigger` is the one trigger every periodic hook uses (summaries,
checkpoints, progress lines, traces, evaluation during training):

    trigger = PeriodicTrigger(every_steps=100, every_secs=600,
                              at_last_step=True)
    trigger.start(step)                     # begin (or after a rollback)
    if trigger.due(step, last=is_last):     # after a step, or before one
        ...act...
        trigger.fired()
    trigger.passed(step)                    # the step is behind us

Steps count global steps: the action is due when a multiple of
`every_steps` lies in (the last step passed, `step`], so a step skipped by
another worker (asynchronous training) or by a scenario's schedule is not
missed. Seconds count from the last firing; the clock starts at the first
`start` (or, with `fire_at_start`, the action is due at once). With
`at_last_step`, the run's last step is always due.
"""

import time


def crossed(previous, step, every):
    """Whether a multiple of `every` lies in (previous, step]."""
    return bool(every) and step // every > previous // every


class PeriodicTrigger:
    """Every `every_steps` global steps and/or `every_secs` seconds (0 or
    None: that trigger is off), and with `at_last_step` at the last step."""

    def __init__(self, every_steps=None, every_secs=None, fire_at_start=False,
                 at_last_step=False):
        self.every_steps = every_steps
        self.every_secs = every_secs
        self._fire_at_start = fire_at_start
        self._at_last_step = at_last_step
        self._last_step = None
        self._last_time = None
        self._started = False

    def start(self, step):
        """Counts steps from `step`; the first call also starts the clock."""
        self._last_step = step
        if not self._started:
            self._started = True
            self._last_time = None if self._fire_at_start else time.time()

    def due(self, step, last=False):
        """Whether the action is due at global `step` (`last`: the run's
        last step)."""
        return (self._at_last_step and last) or crossed(
            self._last_step, step, self.every_steps) or self.secs_due()

    def secs_due(self):
        """Whether `every_secs` have passed since the last firing."""
        return bool(self.every_secs) and (
            self._last_time is None or
            time.time() - self._last_time >= self.every_secs)

    def fired(self):
        """Restarts the clock: the action just ran (or, after a rollback,
        counts from now)."""
        self._last_time = time.time()

    def passed(self, step):
        """Records that the run has reached global `step`."""
        self._last_step = step
