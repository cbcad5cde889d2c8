"""Hooks: everything that happens around a training step, one concern each.

- `base`: `Hook` (phases setup, begin, before_step, after_step, end,
  finish; all no-ops), `StepArgs` (what a hook adds to the step's
  `session.run`) and `StepContext`.
- `trigger`: `PeriodicTrigger`, when a periodic hook is due (steps,
  seconds, the last step); every periodic hook uses it.
- `summaries`, `checkpoints`, `progress`, `tracing`: slimtrain's own hooks
  (`CheckpointHook` tells `CheckpointListener`s about its saves);
  `hparams`: with TensorBoard installed, the run's flags and metrics for
  TensorBoard's HParams dashboard.
- `session_run_hooks`: TensorFlow's `SessionRunHook`s as hooks, and the
  factories of --hooks.

A new hook subclasses `Hook` (or `tf.compat.v1.train.SessionRunHook`) and
is given to `train(config, hooks=[...])`, returned by a scenario's
`hooks(run)`, or made by a --hooks factory.
"""

from slimtrain.training.hooks.base import Hook, StepArgs, StepContext
from slimtrain.training.hooks.trigger import PeriodicTrigger

__all__ = ["Hook", "PeriodicTrigger", "StepArgs", "StepContext"]
