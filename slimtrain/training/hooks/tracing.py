"""Chrome traces of training steps: `TracingHook` (--trace_every_n_steps)."""

import os

import tensorflow.compat.v1 as tf
from tensorflow.python.client import timeline

from slimtrain.rundir.layout import TRACE_FILENAME
from slimtrain.rundir.write_guard import write_file
from slimtrain.training.hooks.base import Hook, StepArgs
from slimtrain.training.hooks.trigger import PeriodicTrigger


class TracingHook(Hook):
    """Every `every_steps` steps, runs the step with a full trace and writes
    it as `tf_trace-STEP.json` (for chrome://tracing) into the train dir,
    and its run metadata to TensorBoard."""

    def __init__(self, every_steps, summary_writer, train_dir):
        self._trigger = PeriodicTrigger(every_steps=every_steps)
        self._summary_writer = summary_writer
        self._train_dir = train_dir
        self._traced_step = None

    def begin(self, session, step):
        self._trigger.start(step)

    def before_step(self, context):
        self._traced_step = (context.step if self._trigger.due(context.step)
                             else None)
        if self._traced_step is None:
            return None
        return StepArgs(options=tf.RunOptions(
            trace_level=tf.RunOptions.FULL_TRACE))

    def after_step(self, context, values):
        if self._traced_step is not None and context.run_metadata is not None:
            self._write(context.run_metadata, self._traced_step)
        self._trigger.passed(context.step)

    def _write(self, metadata, step):
        trace = timeline.Timeline(
            metadata.step_stats).generate_chrome_trace_format()
        write_file(os.path.join(self._train_dir, TRACE_FILENAME % step), trace)
        self._summary_writer.add_run_metadata(metadata, "run_metadata-%d" % step)
