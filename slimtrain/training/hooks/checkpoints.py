"""Checkpoints saved on the training thread: `CheckpointHook`, and what it
tells about its saves (`CheckpointListener`)."""

from slimtrain.training.divergence import check_variables_finite
from slimtrain.training.hooks.base import Hook
from slimtrain.training.hooks.trigger import PeriodicTrigger


class CheckpointListener:
    """What a `CheckpointHook` asks before and tells after its saves (as
    TensorFlow's CheckpointSaverListener): evaluation during training is
    one (`slimtrain.evaluation.during_training`)."""

    def save_due(self, step):
        """Whether a checkpoint must be saved at global `step` for this
        listener (besides the hook's own schedule)."""
        del step
        return False

    def after_save(self, checkpoint, step):
        """Called with each checkpoint the hook saved at a step this
        listener asked for."""
        del checkpoint, step


class CheckpointHook(Hook):
    """Saves a checkpoint every `every_steps` global steps and `every_secs`.

    The first timed checkpoint comes `every_secs` after the run starts, not
    at its start. The last step of a run is left to slim's final save, so
    no step is saved twice. Before saving, the variables are checked: a
    checkpoint never holds a NaN or Inf. A checkpoint is also saved at each
    step a listener asks for, and handed to it.
    """

    def __init__(self, saver, save_path, every_steps, every_secs,
                 variables_finite, listeners=()):
        """Args:
          saver, save_path: where and how to save (`saver.save` prefix).
          every_steps, every_secs: the triggers (0 or None: off).
          variables_finite: a bool tensor, whether every saved variable is
            finite; it reads no input.
          listeners: `CheckpointListener`s.
        """
        self._saver = saver
        self._save_path = save_path
        self._trigger = PeriodicTrigger(every_steps, every_secs)
        self._variables_finite = variables_finite
        self._listeners = list(listeners)

    def begin(self, session, step):
        # The clock restarts here, after a rollback too: the next timed
        # checkpoint comes every_secs after the run (re)started.
        self._trigger.start(step)
        self._trigger.fired()

    def after_step(self, context, values):
        step = context.step
        asking = [listener for listener in self._listeners
                  if listener.save_due(step)]
        due = bool(asking) or self._trigger.due(step)
        self._trigger.passed(step)
        if context.stopping:
            # slim's final save writes this step; make sure it is sound.
            check_variables_finite(context.session, self._variables_finite,
                                   step)
        elif due:
            check_variables_finite(context.session, self._variables_finite,
                                   step)
            saved = self._saver.save(context.session, self._save_path,
                                     global_step=step)
            self._trigger.fired()
            for listener in asking:
                listener.after_save(saved, step)
