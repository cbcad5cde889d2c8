r"""Runs one TensorFlow server of a training cluster, for `--master`.

  python -m slimtrain.distributed.server --ps_hosts=host:2222 \
      --worker_hosts=host:2223,host:2224 --job_name=ps --task_index=0

Start one per parameter server and one per worker, then run each worker as
`python train.py --master=grpc://<its worker host:port> --task=<index>
--worker_replicas=<workers> --num_ps_tasks=<ps count> ...`. The server
serves until it is killed: clusters whose tasks end by themselves, and end
in bounded time when one dies, are started with `python -m slimtrain.launch`
or through TF_CONFIG (docs/DISTRIBUTED.md).

The server listens on all network interfaces, whatever host the cluster
names, with no authentication or encryption; it says so when it starts. A
port in use is one line naming the task and the port, exit status 2.
"""

import sys

from absl import app, flags

from slimtrain import startup
from slimtrain.errors import ConfigError

flags.DEFINE_string("ps_hosts", "", "Comma-separated host:port of the "
                    "parameter servers.")
flags.DEFINE_string("worker_hosts", "", "Comma-separated host:port of the "
                    "workers.")
flags.DEFINE_enum("job_name", "worker", ["ps", "worker"], "This server's job.")
flags.DEFINE_integer("task_index", 0, "This server's index within its job.")

FLAGS = flags.FLAGS


def cluster_spec(ps_hosts, worker_hosts):
    """A ClusterSpec dict from the comma-separated host lists."""
    jobs = {"worker": [host for host in worker_hosts.split(",") if host]}
    ps = [host for host in ps_hosts.split(",") if host]
    if ps:
        jobs["ps"] = ps
    return jobs


def main(argv):
    if len(argv) > 1:
        raise app.UsageError("unexpected arguments %s: every setting is a "
                             "--flag." % " ".join(argv[1:]))
    with startup.quiet_tensorflow_import():
        from slimtrain.distributed.servers import start_server
    try:
        server = start_server(
            cluster_spec(FLAGS.ps_hosts, FLAGS.worker_hosts), FLAGS.job_name,
            FLAGS.task_index, "%s:%d" % (FLAGS.job_name, FLAGS.task_index))
    except ConfigError as error:  # a port in use: one line, exit status 2
        print("error: %s" % error, file=sys.stderr)
        sys.exit(error.exit_status)
    server.join()


if __name__ == "__main__":
    app.run(main)
