"""Distributed training: the processes of a TensorFlow cluster.

- `tf_config`: the cluster a task belongs to, read from `TF_CONFIG`.
- `roles`: what each task of a TF_CONFIG cluster does: chief and workers
  train, a ps serves until training has finished, the evaluator evaluates
  each checkpoint. train.py dispatches the role (`slimtrain.commands.train`).
- `servers`: this process's TensorFlow server, and what it exposes.
- `watches`, `liveness`, `global_step`, `run_state`: how a task learns
  that another has died (TCP probes) or that training has finished (the
  global step on ps:0, the train dir's marker), and ends.
- `failures`: the task a failed step is about, in one line; `ports`: free
  ports for the launcher, and a port in use as one line.
- `launch`: `slimtrain launch` (`python -m slimtrain.launch`), a whole
  cluster on this machine, each task `slimtrain train`'s module.
- `server`: `python -m slimtrain.distributed.server`, one TensorFlow server
  of a cluster, for train.py's `--master` (TF-Slim's explicit way).

A task that must end at once does so through the `end_process` action the
program gives it; nothing here ends the process itself.

May import: slimtrain.evaluation, slimtrain.training, slimtrain.rundir,
slimtrain.startup (its stand-alone server's quiet start),
slimtrain.errors, slimtrain.settings, TensorFlow.
"""
