"""When a periodic action is due: every N global steps, every S seconds.

`PeriodicTrigger` is the one trigger every periodic hook uses (summaries,
checkpoints, progress lines, traces, evaluation during training):

    trigger = PeriodicTrigger(every_steps=100, every_secs=600)
    trigger.start(step)                     # begin (or after a rollback)
    if trigger.due(step):                   # after a step, or before one
        ...act...
        trigger.fired()
    trigger.passed(step)                    # the step is behind us

Steps count global steps: the action is due when a multiple of
`every_steps` lies in (the last step passed, `step`], so a step skipped by
another worker (asynchronous training) or by a scenario's schedule is not
missed. Seconds count from the last firing; the clock starts at the first
`start` (or, with `fire_at_start`, the action is due at once).
"""

import time


def crossed(previous, step, every):
    """Whether a multiple of `every` lies in (previous, step]."""
    return bool(every) and step // every > previous // every


class PeriodicTrigger:
    """Every `every_steps` global steps and/or `every_secs` seconds (0 or
    None: that trigger is off)."""

    def __init__(self, every_steps=None, every_secs=None, fire_at_start=False):
        self.every_steps = every_steps
        self.every_secs = every_secs
        self._fire_at_start = fire_at_start
        self._last_step = None
        self._last_time = None
        self._started = False

    def start(self, step):
        """Counts steps from `step`; the first call also starts the clock."""
        self._last_step = step
        if not self._started:
            self._started = True
            self._last_time = None if self._fire_at_start else time.time()

    def due(self, step):
        """Whether the action is due at global `step`."""
        return crossed(self._last_step, step, self.every_steps) or (
            self.secs_due())

    def secs_due(self):
        """Whether `every_secs` have passed since the last firing."""
        return bool(self.every_secs) and (
            self._last_time is None or
            time.time() - self._last_time >= self.every_secs)

    def fired(self):
        """Restarts the clock: the action just ran."""
        self._last_time = time.time()

    def passed(self, step):
        """Records that the run has reached global `step`."""
        self._last_step = step
