"""Hooks: everything that happens around a training step, one concern each.

- `base`: `Hook` (phases begin, before_step, after_step, end, finish; all
  no-ops), `StepArgs` (what a hook adds to the step's `session.run`) and
  `StepContext`.
- `trigger`: `PeriodicTrigger`, when a periodic hook is due (steps,
  seconds); every periodic hook uses it.
- `summaries`, `checkpoints`, `progress`, `tracing`: slimtrain's own hooks
  (`CheckpointHook` tells `CheckpointListener`s about its saves);
  `hparams`: with TensorBoard installed, the run's flags and metrics for
  TensorBoard's HParams dashboard.

A new hook subclasses `Hook` and is given to `train(config, hooks=[...])`.
"""

from slimtrain.training.hooks.base import Hook, StepArgs, StepContext
from slimtrain.training.hooks.trigger import PeriodicTrigger

__all__ = ["Hook", "PeriodicTrigger", "StepArgs", "StepContext"]
