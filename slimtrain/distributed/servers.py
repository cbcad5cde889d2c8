"""Starting this process's TensorFlow server of a cluster.

Every server listens on all network interfaces, whatever host the cluster
names, without authentication or encryption (TensorFlow's gRPC design;
tensorflow/tensorflow#11689): each says so when it starts. A server cannot
be stopped; it serves until its process ends, so the caller keeps the
returned object for as long as the process runs.
"""

import tensorflow.compat.v1 as tf
from absl import logging

from slimtrain.distributed import ports

SECURITY_NOTICE = (
    "%s: this TensorFlow server listens on port %s on ALL network interfaces "
    "(whatever host the cluster names), with no authentication and no "
    "encryption: anyone who can reach the port can run code in this "
    "process. Run clusters only on a private, trusted network.")


def start_server(cluster_spec, job_name, task_index, name):
    """Starts this process's TensorFlow server; says who can reach it.

    Raises:
      ConfigError: the server cannot listen on its port (in use, e.g. by a
        second task given the same address, or not allowed), naming the
        task and the port (`ports.server_start_error`).
    """
    address = cluster_spec[job_name][task_index]
    try:
        server = tf.train.Server(tf.train.ClusterSpec(cluster_spec),
                                 job_name=job_name, task_index=task_index,
                                 start=True)
    except tf.errors.UnknownError as error:  # "Could not start gRPC server"
        raise ports.server_start_error(name, address, error) from None
    logging.warning(SECURITY_NOTICE, name, address.rpartition(":")[2])
    return server
