"""The `train_step_fn` slimtrain gives `slim.learning.train`: one run per step.

Everything a step needs is fetched in the one `session.run` that trains it
(run through a callable made once per kind of step, `step_calls`).
Before each step, `StepRunner` asks its hooks (`slimtrain.training.hooks`)
what they want from that step: the summaries when they are due, so that they
describe the batch trained and never pull a batch of their own from the
input; a full trace. After the step, each hook gets its values and acts:
writes the summaries, saves a checkpoint, logs progress. Nothing else runs
an op that reads the training input, so a seeded run is repeatable whatever
the timers do.

The runner also ends the loop: when --max_number_of_steps is reached, after
the step during which a stop signal arrived (`StopSignals`), or after a step
whose hook requested a stop. slim then saves the final checkpoint, once, on
this same thread; the hooks leave that step to it. A step whose loss or
gradients are not finite fails inside its own run, before any variable is
updated (`divergence`); the `DivergencePolicy` decides whether the run fails
or rolls back.
"""

import tensorflow.compat.v1 as tf

from slimtrain.training.hooks.base import StepContext
from slimtrain.training.step_calls import StepCalls


class StepRunner:
    """Runs one training step per call; a `train_step_fn` for slim.

    Attributes:
      last_step: the global step after the latest call (None before).
      reached_last_step: whether --max_number_of_steps was reached.
      stopped_by: the number of the signal that stopped training, or None.
      stop_requested: whether a hook requested the stop.
    """

    def __init__(self, *, schedule, hooks, max_steps, stop_signals,
                 divergence, input_position=None, last_step_op=None):
        """Args:
          schedule: the `train_ops.StepSchedule` giving the op that trains
            each global step, and the global step read after it.
          hooks: `hooks.Hook`s, asked in order at every phase.
          max_steps: --max_number_of_steps (0 or None: no limit).
          stop_signals: the run's `StopSignals`.
          divergence: the `DivergencePolicy` for a non-finite step.
          input_position: the run's `InputPosition`, or None when the input
            position is not tracked.
          last_step_op: run once after the last step, e.g. to release
            other workers (see slimtrain.training.sync_replicas).
        """
        self._schedule = schedule
        self._hooks = list(hooks)
        self._max_steps = max_steps
        self._stop_signals = stop_signals
        self._divergence = divergence
        self._input_position = input_position
        self._last_step_op = last_step_op
        self._calls = StepCalls()
        self.last_step = None
        self.reached_last_step = False
        self.stopped_by = None
        self.stop_requested = False

    def __call__(self, sess, train_op, global_step, train_step_kwargs):
        # What slim would pass is decided here: the schedule gives the op.
        del train_op, train_step_kwargs
        if self.last_step is None:
            self._begin(sess, int(sess.run(global_step)))
        next_step = self.last_step + 1
        context = StepContext(sess, next_step, is_last=bool(
            self._max_steps) and next_step >= self._max_steps)
        step_op = self._schedule.for_step(next_step)
        fetches = {"loss": step_op.train_op, "step": step_op.step_after_train}
        feed_dict, options = {}, None
        for index, hook in enumerate(self._hooks):
            args = hook.before_step(context)
            if args is None:
                continue
            if args.fetches is not None:
                fetches[index] = args.fetches
            feed_dict.update(args.feed_dict or {})
            if args.options is not None:
                options = options or tf.RunOptions()
                options.MergeFrom(args.options)
        try:
            values, context.run_metadata = self._calls.run(
                sess, fetches, feed_dict, options)
        except tf.errors.InvalidArgumentError as error:
            restored_step = self._divergence.handle(sess, error, next_step)
            self._begin(sess, restored_step)
            return None, False
        if self._input_position is not None:
            self._input_position.advanced()

        context.step = step = int(values["step"])
        self.reached_last_step = (bool(self._max_steps) and
                                  step >= self._max_steps)
        self.stopped_by = self._stop_signals.received
        context.ends_run = (self.reached_last_step or
                            self.stopped_by is not None)
        for index, hook in enumerate(self._hooks):
            hook.after_step(context, values.get(index))
        self.stop_requested = context.stop_requested
        if context.stopping:
            if self._last_step_op is not None:
                sess.run(self._last_step_op)
            for hook in self._hooks:
                hook.end(sess, step)
        self.last_step = step
        return values["loss"], context.stopping

    def _begin(self, sess, step):
        """Starts (or, after a rollback, restarts) counting from `step`."""
        self.last_step = step
        for hook in self._hooks:
            hook.begin(sess, step)
