"""Distributed training: processes of a TensorFlow cluster.

- `server`: `python -m slimtrain.distributed.server`, one TensorFlow server
  of a cluster, for train.py's `--master`.
- `master`: waits a bounded time for `--master` to answer, then gives up
  with one line instead of hanging.
"""
