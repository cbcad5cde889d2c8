"""Summaries written from the training step's own values: `SummaryHook`."""

from slimtrain.training.hooks.base import Hook, StepArgs
from slimtrain.training.hooks.trigger import PeriodicTrigger

# The step of a run (counted from 1 in each process) that computes the
# scalar summaries once early, written only if they are due then.
SCALAR_WARM_UP_STEP = 2


class SummaryHook(Hook):
    """Writes summaries computed by the training step itself.

    - every `every_steps` global steps: the scalar summaries;
    - at the run's first step (as TF-Slim's Supervisor wrote them at its
      start), then every `every_secs` seconds, and at the last step: all
      summaries, histograms included (a histogram of a large tensor costs
      more than a small network's step).

    Each new set of fetches costs a graph optimization (Grappler's, in the
    session) the first time a step runs it. With step-based summaries on,
    the run's second step therefore computes the scalars once, early
    (written only if they are due then): otherwise their optimization fell
    on the first step-based summary, in the run's steady state (for LeNet
    it took longer than 5 training steps).
    """

    def __init__(self, writer, all_summaries, scalar_summaries, every_steps,
                 every_secs):
        """Args:
          writer: the run's FileWriter.
          all_summaries, scalar_summaries: merged summary ops (or None).
          every_steps, every_secs: the triggers (0 or None: off).
        """
        self._writer = writer
        self._all = all_summaries
        self._scalars = scalar_summaries
        self._all_trigger = PeriodicTrigger(every_secs=every_secs,
                                            fire_at_start=True,
                                            at_last_step=True)
        self._scalar_trigger = PeriodicTrigger(every_steps=every_steps)
        self._steps_run = 0
        self._writing_all = False
        self._writing_scalars = False

    def begin(self, session, step):
        self._all_trigger.start(step)
        self._scalar_trigger.start(step)

    def before_step(self, context):
        self._writing_scalars = False
        self._writing_all = self._all is not None and self._all_trigger.due(
            context.step, last=context.is_last)
        if self._writing_all:
            return StepArgs(fetches=self._all)
        if self._scalars is None:
            return None
        self._writing_scalars = self._scalar_trigger.due(context.step)
        warming_up = (bool(self._scalar_trigger.every_steps) and
                      self._steps_run + 1 == SCALAR_WARM_UP_STEP)
        if self._writing_scalars or warming_up:
            return StepArgs(fetches=self._scalars)
        return None

    def after_step(self, context, values):
        self._steps_run += 1
        if values is not None and (self._writing_all or
                                   self._writing_scalars):
            self._writer.add_summary(values, context.step)
        if self._writing_all:
            self._all_trigger.fired()
        self._scalar_trigger.passed(context.step)
