"""Distributed training: processes of a TensorFlow cluster.

- `tf_config`: the cluster a task belongs to, read from `TF_CONFIG`.
- `cluster_task`: what each task of a TF_CONFIG cluster does (chief and
  workers train, a ps serves until training has finished, the evaluator
  evaluates each checkpoint) and how a dead task ends the others.
- `liveness`: which tasks still answer, by TCP probes.
- `launch`: `python -m slimtrain.launch`, a whole cluster on this machine.
- `server`: `python -m slimtrain.distributed.server`, one TensorFlow server
  of a cluster, for train.py's `--master` (TF-Slim's explicit way).
- `master`: waits a bounded time for `--master` to answer, then gives up
  with one line instead of hanging.

It builds on `slimtrain.training` and `slimtrain.evaluation`; the trainer
calls `cluster_task` when TF_CONFIG is set.
"""
