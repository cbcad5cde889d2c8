"""Where a run's variables and its clones' ops go: devices, in one place.

The rules, those of research/slim's `model_deploy` for several clones and
of `train_image_classifier.py` for one:

- variables: on the parameter servers with --num_ps_tasks (round robin,
  `replica_device_setter`; the worker's own ops on /job:worker/task:N);
  without them, on the CPU when there are several clones (so no clone's
  GPU holds them all), and for a single clone wherever the op that
  creates them runs;
- several clones: clone i on the worker's CPU with --clone_on_cpu, else on
  its GPU i;
- a single clone: on the CPU with --clone_on_cpu, else wherever TensorFlow
  puts it; the device asks for no job, so that under the parameter
  servers' device setter its variables still go to the parameter servers
  and its ops to this worker.

`device(spec)` turns either into a context for `with`.
"""

import contextlib

import tensorflow.compat.v1 as tf


def variables_device(config):
    """Where variables go (a device string, a device function, or None).

    Args:
      config: the run's TrainConfig (task, num_ps_tasks, num_clones).
    """
    if config.num_ps_tasks:
        return tf.train.replica_device_setter(
            ps_tasks=config.num_ps_tasks, worker_device=_worker(config))
    return "/device:CPU:0" if config.num_clones > 1 else None


def clone_device(config, index):
    """The device of clone `index`, or None to leave it to TensorFlow.

    Args:
      config: the run's TrainConfig (task, num_ps_tasks, num_clones,
        clone_on_cpu).
    """
    if config.num_clones == 1:
        return "/device:CPU:0" if config.clone_on_cpu else None
    worker = _worker(config) if config.num_ps_tasks else ""
    if config.clone_on_cpu:
        return worker + "/device:CPU:0"
    return worker + "/device:GPU:%d" % index


def device(spec):
    """`tf.device(spec)`, or a context that places nothing for None."""
    return contextlib.nullcontext() if spec is None else tf.device(spec)


def _worker(config):
    return "/job:worker/task:%d" % config.task
