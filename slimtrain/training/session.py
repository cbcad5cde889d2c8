"""The training session's configuration: `session_config(config)`."""

import tensorflow.compat.v1 as tf

from slimtrain.compute import precision


def session_config(config):
    """The session's ConfigProto: thread counts, GPU memory growth, device
    filters, the graph optimization a training step needs, and the
    --mixed_precision rewrite (`compute.precision`).

    With parameter servers, the session sees only them and this worker
    (as tf.estimator does): a worker then neither waits for the other
    workers to start nor depends on them while it trains.

    Grappler optimizes the graph of each new kind of `session.run` (the
    variable initialization, the first step, the first step without
    summaries, ...), about half of a deep network's first step. Two
    settings cut that time and compute the same values
    (tests/test_training.py):
    - one pass instead of TensorFlow's default two. The second finds next
      to nothing (for resnet_v1_152's first step it merges 4% of the nodes
      as duplicates and rewrites no computation), yet takes about a third
      of the optimization time;
    - in a local session on a machine without a GPU, no layout
      optimizer. It converts layouts for GPUs only: without one it
      returns the graph as it was (TensorFlow's default
      `cpu_layout_conversion`), after 0.5 s of analysing resnet_v1_152's
      first step. A session of a cluster keeps it: its tasks may have
      GPUs this process cannot see. (The memory optimizer, 0.7 s there,
      stays: on a CPU it still rewrites large sums into accumulations
      when a graph's estimated memory nears the machine's.)
    """
    proto = tf.ConfigProto(
        allow_soft_placement=True,
        intra_op_parallelism_threads=config.num_intra_threads,
        inter_op_parallelism_threads=config.num_inter_threads)
    rewrite_options = proto.graph_options.rewrite_options
    rewrite_options.meta_optimizer_iterations = rewrite_options.ONE
    if not config.master and not tf.config.list_physical_devices("GPU"):
        rewrite_options.layout_optimizer = rewrite_options.OFF
    proto.gpu_options.allow_growth = config.gpu_memory_growth
    precision.configure_session(proto, config.mixed_precision)
    if config.num_ps_tasks:
        proto.device_filters.extend(
            ["/job:ps", "/job:worker/task:%d" % config.task])
    return proto


