"""What a hook is: one concern around the training steps, in phases.

The trainer and `StepRunner` (slimtrain.training.step_runner) call every
hook of a run, in order, at each phase; each phase does nothing unless a
hook overrides it (tensorpack's callbacks and TensorFlow's `SessionRunHook`
are built the same way):

  setup()                     once, in the run's graph, before the session
                              exists: a hook may add ops here;
  begin(session, step)        before the first step, with the global step
                              (again after a rollback to a checkpoint);
  before_step(context)        before each step: a `StepArgs` naming what to
                              add to the step's own `session.run` (fetches,
                              feeds, run options), or None;
  after_step(context, values) after it: the hook's fetched values (None if
                              it asked for nothing);
  end(session, step)          after the last step of the loop, the session
                              still open;
  finish(checkpoint, step)    after the run ended by itself (its last step,
                              or a stop a hook requested) and its final
                              checkpoint was saved; the session is closed.

A hook never runs an op that reads the training input on its own: what it
needs from a step rides in that step's `session.run`, so it describes the
batch trained and never takes a batch of its own.
"""

import dataclasses
from typing import Any, Optional


@dataclasses.dataclass
class StepArgs:
    """What a hook adds to one step's `session.run`.

    Attributes:
      fetches: any fetch structure `session.run` takes, or None.
      feed_dict: tensors to feed, or None (never the training input's).
      options: a `tf.compat.v1.RunOptions` (e.g. a full trace), or None;
        every hook's are merged, and `StepContext.run_metadata` then holds
        the step's `RunMetadata`.
    """

    fetches: Any = None
    feed_dict: Optional[dict] = None
    options: Any = None


class StepContext:
    """One step, as the hooks see it.

    Attributes:
      session: the training session.
      step: before the step, the global step it will reach; after it, the
        global step it reached.
      is_last: before the step: it is the run's last (--max_number_of_steps).
      ends_run: after the step: it was the run's last, or a stop signal
        arrived during it.
      stop_requested: a hook asked to stop after this step.
      run_metadata: after a step run with options, its `RunMetadata`,
        else None.
    """

    def __init__(self, session, step, is_last=False):
        self.session = session
        self.step = step
        self.is_last = is_last
        self.ends_run = False
        self.stop_requested = False
        self.run_metadata = None

    @property
    def stopping(self):
        """After the step: the run ends after it (its last step, a stop
        signal, or a stop a hook requested)."""
        return self.ends_run or self.stop_requested

    def request_stop(self):
        """Ends the run after this step, cleanly: its checkpoint is saved
        and the program exits 0."""
        self.stop_requested = True


class Hook:
    """Base class of the step hooks: every phase is a no-op (module doc)."""

    def setup(self):
        pass

    def begin(self, session, step):
        del session, step

    def before_step(self, context):
        del context
        return None

    def after_step(self, context, values):
        del context, values

    def end(self, session, step):
        del session, step

    def finish(self, checkpoint, step):
        del checkpoint, step
