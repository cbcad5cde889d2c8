"""Training: a run from its config to its checkpoints.

- `config`: `TrainConfig`, one field per `train.py` flag.
- `trainer`: `train(config)`, in phases: `run_start` (the run lock, the
  checkpoint to resume, the input's start), `graph` (input -> the
  scenario's model -> step ops, as a `TrainGraph`), the run (handed to
  `slim.learning.train`), the finish.
- `hooks`: what happens around each step, one concern per hook (`Hook`,
  `PeriodicTrigger`): summaries, checkpoints, progress lines, traces, the
  HParams dashboard's summary, and the caller's own.
- `step_runner`: the `train_step_fn`: one `session.run` per step, with what
  the hooks fetch; `step_calls` runs each kind of step through a callable
  made once.
- `train_ops`: a scenario's updates and schedule made into one op per kind
  of step, with the flags' optimizers and gradient transforms.
- `divergence`: loss and gradients checked before each update, and the
  --on_nan policy.
- `initialization`: resuming and fine-tuning, and their checks; `scopes`:
  the fine-tuning scope flags, each checked against the variables.
- `input_position`: the input stream's position, saved in each checkpoint.
- `input_checks`: the start line, and warnings about a wasteful input.
- `stop_signals`: SIGTERM and SIGINT stop the run after the current step.
- `sync_replicas`: synchronous replicas that shut down cleanly.
- `session`, `master`: the session's configuration; a --master that
  answers.
- `scenarios`: the earlier import path of `slimtrain.scenarios`.

A new hook goes in `hooks` (or in the caller's code: `train(config,
hooks=[...])`); evaluation during training is such a hook, in
`slimtrain.evaluation`.

May import: slimtrain.scenarios, slimtrain.compute, slimtrain.data,
slimtrain.rundir, slimtrain.settings, slimtrain.errors, slimtrain.compat.
"""
