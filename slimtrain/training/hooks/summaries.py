"""Summaries written from the training step's own values: `SummaryHook`."""

from slimtrain.training.hooks.base import Hook, StepArgs
from slimtrain.training.hooks.trigger import PeriodicTrigger


class SummaryHook(Hook):
    """Writes summaries computed by the training step itself.

    - every `every_steps` global steps: the scalar summaries;
    - every `every_secs` seconds, from the first step of the run on, and at
      the last step: all summaries, histograms included (a histogram of a
      large tensor costs more than a small network's step).
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
        self._writing_all = False

    def begin(self, session, step):
        self._all_trigger.start(step)
        self._scalar_trigger.start(step)

    def before_step(self, context):
        self._writing_all = self._all is not None and self._all_trigger.due(
            context.step, last=context.is_last)
        if self._writing_all:
            return StepArgs(fetches=self._all)
        if self._scalars is not None and self._scalar_trigger.due(
                context.step):
            return StepArgs(fetches=self._scalars)
        return None

    def after_step(self, context, values):
        if values is not None:
            self._writer.add_summary(values, context.step)
        if self._writing_all:
            self._all_trigger.fired()
        self._scalar_trigger.passed(context.step)
