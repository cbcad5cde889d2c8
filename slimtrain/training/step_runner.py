"""The `train_step_fn` slimtrain gives `slim.learning.train`: one run per step.

Everything a step needs is fetched in the one `session.run` that trains it.
Before each step, `StepRunner` asks its hooks (`slimtrain.training.step_hooks`)
what they want from that step: the summaries when they are due, so that they
describe the batch trained and never pull a batch of their own from the
input. After the step, each hook gets its values and acts: writes the
summaries, saves a checkpoint, logs progress. Nothing else runs an op that
reads the training input, so a seeded run is repeatable whatever the timers
do.

The runner also ends the loop: when --max_number_of_steps is reached, or
after the step during which a stop signal arrived (`StopSignals`). slim then
saves the final checkpoint, once, on this same thread; the hooks leave that
step to it. A step whose loss or gradients are not finite fails inside its
own run, before any variable is updated (see `trainer.build_model`); the
`DivergencePolicy` decides whether the run fails or rolls back.
"""

import os

import tensorflow.compat.v1 as tf
from tensorflow.python.client import timeline

from slimtrain.rundir.layout import TRACE_FILENAME
from slimtrain.training.step_hooks import crossed


class StepRunner:
    """Runs one training step per call; a `train_step_fn` for slim.

    Attributes:
      last_step: the global step after the latest call (None before).
      reached_last_step: whether --max_number_of_steps was reached.
      stopped_by: the number of the signal that stopped training, or None.
    """

    def __init__(self, *, schedule, hooks, max_steps, stop_signals,
                 divergence, input_position=None, last_step_op=None,
                 trace_every_n_steps=None, summary_writer=None, train_dir=None):
        """Args:
          schedule: the `train_ops.StepSchedule` giving the op that trains
            each global step, and the global step read after it.
          hooks: `step_hooks` objects, asked in order before and after
            every step.
          max_steps: --max_number_of_steps (0 or None: no limit).
          stop_signals: the run's `StopSignals`.
          divergence: the `DivergencePolicy` for a non-finite step.
          input_position: the run's `InputPosition`, or None when the input
            position is not tracked.
          last_step_op: run once after the last step, e.g. to release
            other workers (see slimtrain.training.sync_replicas).
          trace_every_n_steps, summary_writer, train_dir: write a Chrome
            trace (tf_trace-STEP.json) and the run metadata every this many
            steps (chief only: pass None elsewhere).
        """
        self._schedule = schedule
        self._hooks = list(hooks)
        self._max_steps = max_steps
        self._stop_signals = stop_signals
        self._divergence = divergence
        self._input_position = input_position
        self._last_step_op = last_step_op
        self._trace_every = trace_every_n_steps
        self._summary_writer = summary_writer
        self._train_dir = train_dir
        self.last_step = None
        self.reached_last_step = False
        self.stopped_by = None

    def __call__(self, sess, train_op, global_step, train_step_kwargs):
        # What slim would pass is decided here: the schedule gives the op.
        del train_op, train_step_kwargs
        if self.last_step is None:
            self._begin(sess, int(sess.run(global_step)))
        next_step = self.last_step + 1
        is_last = bool(self._max_steps) and next_step >= self._max_steps
        step_op = self._schedule.for_step(next_step)
        fetches = {"loss": step_op.train_op, "step": step_op.step_after_train}
        for index, hook in enumerate(self._hooks):
            wanted = hook.fetches(next_step, is_last)
            if wanted is not None:
                fetches[index] = wanted
        trace = (bool(self._trace_every) and
                 crossed(self.last_step, next_step, self._trace_every))
        try:
            values = self._run(sess, fetches, next_step if trace else None)
        except tf.errors.InvalidArgumentError as error:
            restored_step = self._divergence.handle(sess, error, next_step)
            self._begin(sess, restored_step)
            return None, False
        if self._input_position is not None:
            self._input_position.advanced()

        step = int(values["step"])
        self.reached_last_step = (bool(self._max_steps) and
                                  step >= self._max_steps)
        self.stopped_by = self._stop_signals.received
        stopping = self.reached_last_step or self.stopped_by is not None
        for index, hook in enumerate(self._hooks):
            hook.after_step(sess, step, values.get(index), stopping)
        if stopping and self._last_step_op is not None:
            sess.run(self._last_step_op)
        self.last_step = step
        return values["loss"], stopping

    def _begin(self, sess, step):
        """Starts (or, after a rollback, restarts) counting from `step`."""
        self.last_step = step
        for hook in self._hooks:
            hook.begin(sess, step)

    def _run(self, sess, fetches, trace_step):
        """Runs the step; with `trace_step`, also writes its trace."""
        if trace_step is None:
            return sess.run(fetches)
        options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
        metadata = tf.RunMetadata()
        values = sess.run(fetches, options=options, run_metadata=metadata)
        trace = timeline.Timeline(metadata.step_stats).generate_chrome_trace_format()
        path = os.path.join(self._train_dir, TRACE_FILENAME % trace_step)
        with tf.gfile.Open(path, "w") as handle:
            handle.write(trace)
        self._summary_writer.add_run_metadata(metadata,
                                              "run_metadata-%d" % trace_step)
        return values

