"""Training: a run from its config to its checkpoints.

- `config`: `TrainConfig`, one field per `train.py` flag.
- `trainer`: `train(config)`: input, the scenario's model and the step
  ops, handed to `slim.learning.train`.
- `scenarios`: what is trained (`Scenario`, `TrainStep`, `Update`): the
  built-in classifier (the default), multi_head and gan, and the loader of
  the user's own (docs/SCENARIOS.md).
- `train_ops`: a scenario's updates and schedule made into one op per
  kind of step, with the flags' optimizers and gradient transforms.
- `step_runner`: the `train_step_fn`: one `session.run` per step, with
  what the hooks of `step_hooks` fetch (summaries) and do after it
  (checkpoints, progress lines).
- `divergence`: loss and gradients checked before each update, and the
  --on_nan policy.
- `input_position`: the input stream's position, saved in each checkpoint.
- `stop_signals`: SIGTERM and SIGINT stop the run after the current step.
- `periodic_evaluation`: evaluation of checkpoints during training.
- `clones`: --num_clones replicas of the classifier in one process.
- `checkpoints`: resuming, fine-tuning and the checks that go with them.
- `checkpoint_files`: a train dir's checkpoints found by their files (torn
  ones skipped, the state file repaired, relative paths), and the Saver.
- `workspace`: the train dir's own bookkeeping files: the run lock, the
  config, the finished marker; one-line errors for failed writes.
- `input_checks`: the start line, and warnings about a wasteful input.
- `sync_replicas`: synchronous replicas that shut down cleanly.

It builds on `slimtrain.data` and `slimtrain.compute`; evaluation uses its
`checkpoints` and `config`.
"""
