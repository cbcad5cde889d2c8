"""Training: a run from its config to its checkpoints.

- `config`: `TrainConfig`, one field per `train.py` flag.
- `trainer`: `train(config)`, the default scenario (one classifier, one
  loss) handed to `slim.learning.train`.
- `step_runner`: the `train_step_fn` that runs each step and what is due
  after it (step checkpoints, summaries, progress lines).
- `checkpoints`: resuming, fine-tuning and the checks that go with them.
- `workspace`: the train dir's own bookkeeping files.
- `sync_replicas`: synchronous replicas that shut down cleanly.

It builds on `slimtrain.data` and `slimtrain.compute`; evaluation uses its
`checkpoints` and `config`.
"""
