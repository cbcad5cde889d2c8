"""What one task of a TF_CONFIG cluster does, and how it ends.

`python train.py <flags>` with TF_CONFIG set becomes the task TF_CONFIG
names (`slimtrain.distributed.tf_config`):

- chief and worker: `join_as_training_task` starts this task's TensorFlow
  server in the process, points --master at it, fills --task,
  --worker_replicas and --num_ps_tasks in, and starts a `TrainingWatch`;
  then train.py trains as with explicit flags.
- ps: `serve_as_parameter_server` serves variables until training has
  finished and the training tasks have left, then returns.
- evaluator: `evaluate_as_evaluator` evaluates each new checkpoint of the
  shared train dir, as `eval.py --eval_interval_secs=0`, until the final one.

How a task learns that training has finished: the global step lives on
ps:0, so any task can read it through its own server; training has
finished when it has reached --max_number_of_steps. The chief's
TRAINING_FINISHED marker is not used for this (the ps and workers need no
shared file system); only the evaluator, which reads the train dir anyway,
relies on it.

How failures end (docs/DISTRIBUTED.md, "When a task fails"): every task
probes the servers it depends on (`slimtrain.distributed.liveness`). A
training task ends with one line and exit status `CLUSTER_FAILURE_EXIT`
when a parameter server, the chief, or (with --sync_replicas) so many
workers that --replicas_to_aggregate can no longer be met have not answered
for --cluster_timeout_secs, unless training has already finished.
A step or a save that fails because a task of the cluster went away
(`describe_cluster_failure`) ends the same way, at once. Asynchronous
training goes on without a dead non-chief worker, with a warning. The process ends with `os._exit`: the step it is blocked in would
never return. A restarted chief resumes from its last checkpoint.

Every server listens on all network interfaces without authentication or
encryption (TensorFlow's gRPC design); each says so when it starts.
"""

import atexit
import dataclasses
import os
import re
import sys
import threading
import time

import tensorflow.compat.v1 as tf
from absl import logging

from slimtrain.distributed import ports
from slimtrain.distributed.liveness import PROBE_INTERVAL_SECS, Liveness
from slimtrain.errors import EXIT_CLUSTER_FAILURE, ConfigError
from slimtrain.evaluation.config import EvalConfig
from slimtrain.evaluation.loop import run_evaluation
from slimtrain.training import workspace
from slimtrain.training.config import CONFIG_FILENAME

# The exit status of a task ended because another task stopped answering.
CLUSTER_FAILURE_EXIT = EXIT_CLUSTER_FAILURE

SECURITY_NOTICE = (
    "%s: this TensorFlow server listens on port %s on ALL network interfaces "
    "(whatever host the cluster names), with no authentication and no "
    "encryption: anyone who can reach the port can run code in this "
    "process. Run clusters only on a private, trusted network.")

# After training has finished and the chief has left, a parameter server
# waits this long at most for the other training tasks to leave: a worker
# still waiting for the model to be ready checks again after 30 s.
LEAVE_WAIT_SECS = 90.0

# TensorFlow servers cannot be stopped; they are kept here for the life of
# the process, so that garbage collection never takes one away mid-run.
RUNNING_SERVERS = []


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
    RUNNING_SERVERS.append(server)
    logging.warning(SECURITY_NOTICE, name, address.rpartition(":")[2])
    return server


def cluster_failure(line):
    """Ends this process at once with `line`, the one line that says why."""
    print("cluster failure: %s" % line, file=sys.stderr, flush=True)
    os._exit(CLUSTER_FAILURE_EXIT)


class GlobalStep:
    """Reads the job's global step on ps:0 through a server, in a graph of its own.

    The variable is found by name in ps:0's resource manager, where the
    chief created it (`tf.train.get_or_create_global_step`).
    """

    def __init__(self, target, timeout_secs):
        self._target = target
        self._timeout_ms = int(timeout_secs * 1000)
        self._graph = tf.Graph()
        with self._graph.as_default(), tf.device("/job:ps/task:0"):
            self._value = tf.train.get_or_create_global_step().read_value()
        self._reader = None
        self._closed = False
        self._lock = threading.Lock()

    def read(self):
        """The global step, or None when it cannot be read within the timeout.

        Opening a session waits as long as ps:0 does not answer, so the read
        runs in a thread of its own and is given up after the timeout.
        """
        result = []
        with self._lock:
            if self._closed:
                return None
            reader = self._reader = threading.Thread(
                target=self._read_into, args=(result,), daemon=True)
            reader.start()
        reader.join(self._timeout_ms / 1000.0)
        return result[0] if result else None

    def close(self):
        """Lets a read in progress end; no read starts after this.

        For `atexit`: a daemon thread still inside TensorFlow when the
        interpreter shuts down aborts the process ("terminate called after
        throwing an instance of ''"), whatever its exit status was to be.
        """
        with self._lock:
            self._closed = True
            reader = self._reader
        if reader is not None:
            reader.join(self._timeout_ms / 1000.0)

    def _read_into(self, result):
        config = tf.ConfigProto(device_filters=["/job:ps/task:0"],
                                operation_timeout_in_ms=self._timeout_ms)
        try:
            with tf.Session(self._target, graph=self._graph,
                            config=config) as sess:
                result.append(int(sess.run(self._value)))
        except tf.errors.OpError:
            pass

    def finished(self, max_number_of_steps):
        """Whether the global step has reached --max_number_of_steps (> 0)."""
        step = self.read()
        return bool(max_number_of_steps) and step is not None and (
            step >= max_number_of_steps)


def join_as_training_task(cluster, config):
    """Makes this process the chief or a worker of `cluster`; returns its config.

    Raises:
      ConfigError: a flag contradicts TF_CONFIG, or the cluster cannot train.
    """
    config = cluster.apply_to(config).validate()
    if len(cluster.training_hosts) > 1 and not cluster.ps_hosts:
        raise ConfigError(
            "TF_CONFIG lists %d training tasks but no 'ps': each would train "
            "its own copy of the model; add a parameter server."
            % len(cluster.training_hosts))
    job, index = cluster.server_job()
    server = start_server(cluster.cluster_spec(), job, index, cluster.name)
    if cluster.ps_hosts:  # else this is the only task: nobody to watch
        TrainingWatch(cluster, config, server.target).start()
    return dataclasses.replace(config, master=server.target)


class TrainingWatch(threading.Thread):
    """Ends a training task whose cluster can no longer train (module doc)."""

    def __init__(self, cluster, config, target):
        super().__init__(name="slimtrain-cluster-watch", daemon=True)
        self._cluster = cluster
        self._config = config
        self._task = config.task
        self._global_step = GlobalStep(target, config.cluster_timeout_secs)
        atexit.register(self._global_step.close)
        peers = {cluster.describe("ps", index): address
                 for index, address in enumerate(cluster.ps_hosts)}
        self._trainers = {cluster.describe("worker", index): address
                          for index, address
                          in enumerate(cluster.training_hosts)
                          if index != self._task}
        peers.update(self._trainers)
        self._chief = cluster.describe("worker", 0)
        self._ps0 = cluster.describe("ps", 0)
        self._liveness = Liveness(peers, config.cluster_timeout_secs)
        self._warned = set()

    def run(self):
        while True:
            time.sleep(PROBE_INTERVAL_SECS)
            silent = self._liveness.poll()
            if self._chief_left() and self._finished():
                # Nothing is left to do: a worker still waiting for the
                # model, or for its last step, would only wait longer.
                logging.info("Training has finished and the chief has left; "
                             "%s exits.", self._cluster.name)
                sys.stderr.flush()
                os._exit(0)
            if not silent:
                continue
            if self._finished():
                return  # the others leave because training is done
            fatal = self._fatal(silent)
            if fatal:
                cluster_failure(fatal)
            for name in set(silent) - self._warned:
                self._warned.add(name)
                logging.warning(
                    "%s stopped answering %d s ago; asynchronous training "
                    "goes on without it.", name,
                    self._liveness.silent_for(name))

    def _chief_left(self):
        """Whether this is a worker whose chief was seen and has now gone."""
        return (self._task != 0 and self._liveness.ever_seen(self._chief) and
                not self._liveness.answered_last(self._chief))

    def _finished(self):
        """Whether the global step on ps:0 says training has finished."""
        return (self._liveness.answered_last(self._ps0) and
                self._global_step.finished(self._config.max_number_of_steps))

    def _fatal(self, silent):
        """The line saying why training cannot go on, or None."""
        timeout = self._config.cluster_timeout_secs
        for name in silent:
            if name not in self._trainers:
                return ("%s (a parameter server) stopped answering for %d s "
                        "(--cluster_timeout_secs=%d); %s stops." %
                        (name, self._liveness.silent_for(name), timeout,
                         self._cluster.name))
        if self._chief in silent:
            return ("%s (the chief) stopped answering for %d s "
                    "(--cluster_timeout_secs=%d); %s stops." %
                    (self._chief, self._liveness.silent_for(self._chief),
                     timeout, self._cluster.name))
        alive = len(self._trainers) + 1 - len(silent)
        needed = self._config.replicas_to_aggregate
        if self._config.sync_replicas and alive < needed:
            return ("%s stopped answering for %d s (--cluster_timeout_secs=%d):"
                    " %d training task(s) are left, fewer than "
                    "--replicas_to_aggregate=%d; %s stops." %
                    (", ".join(sorted(silent)),
                     max(self._liveness.silent_for(name) for name in silent),
                     timeout, alive, needed, self._cluster.name))
        return None


def run_service_task(cluster, config):
    """Runs a ps or evaluator task to its end (see the module doc); returns None."""
    if cluster.task_type == "ps":
        serve_as_parameter_server(cluster, config)
    else:
        evaluate_as_evaluator(cluster, config)
    return None


def serve_as_parameter_server(cluster, config):
    """Serves until training has finished and the training tasks have left.

    Returns normally once the chief has left after the global step reached
    --max_number_of_steps and the other training tasks have left too (or
    LEAVE_WAIT_SECS have passed). Ends the process with
    `cluster_failure` when the chief stops answering before that.
    """
    timeout = config.cluster_timeout_secs
    job, index = cluster.server_job()
    server = start_server(cluster.cluster_spec(), job, index, cluster.name)
    global_step = GlobalStep(server.target, timeout)
    chief = cluster.describe("worker", 0)
    liveness = Liveness({cluster.describe("worker", i): address
                         for i, address in enumerate(cluster.training_hosts)},
                        timeout)
    while True:
        time.sleep(PROBE_INTERVAL_SECS)
        silent = liveness.poll()
        chief_left = (liveness.ever_seen(chief) and
                      not liveness.answered_last(chief))
        if chief_left and global_step.finished(config.max_number_of_steps):
            staying = [name for name in liveness.names
                       if liveness.answered_last(name)]
            if not staying:
                logging.info("Training has finished and every training task "
                             "has left; %s exits.", cluster.name)
                return
            if liveness.silent_for(chief) > max(timeout, LEAVE_WAIT_SECS):
                logging.warning("Training has finished; %s exits although %s "
                                "did not leave.", cluster.name,
                                ", ".join(staying))
                return
        elif chief in silent:
            cluster_failure(
                "%s (the chief) stopped answering for %d s "
                "(--cluster_timeout_secs=%d) before training finished "
                "(global step %s of %s); %s stops." %
                (chief, liveness.silent_for(chief), timeout,
                 global_step.read(), config.max_number_of_steps or "unbounded",
                 cluster.name))


def evaluate_as_evaluator(cluster, config):
    """Evaluates each new checkpoint of the shared train dir until the last.

    Waits until the chief has started this run (its train_config.json is
    there, and a TRAINING_FINISHED marker of an earlier, shorter run is
    gone), then runs `run_evaluation` in continuous mode with the train
    dir's settings; it stops once training has finished and its final
    checkpoint is evaluated. Ends the process with `cluster_failure` if the
    chief stops answering before it has marked training finished.
    """
    logging.info("%s evaluates the checkpoints of %s.", cluster.name,
                 config.train_dir)
    EvaluatorWatch(cluster, config).start()
    while not run_started(config):
        time.sleep(PROBE_INTERVAL_SECS)
    run_evaluation(EvalConfig(checkpoint_dir=config.train_dir,
                              eval_interval_secs=0))


def run_started(config):
    """Whether the train dir shows the run `config` describes has started."""
    if not os.path.exists(os.path.join(config.train_dir, CONFIG_FILENAME)):
        return False
    return (workspace.finished_step(config.train_dir) is None or
            training_finished(config))


def training_finished(config):
    """Whether the train dir's marker says this run reached its last step.

    A marker of a run with fewer --max_number_of_steps is an earlier run's.
    """
    finished = workspace.finished_step(config.train_dir)
    return (finished is not None and bool(config.max_number_of_steps) and
            finished >= config.max_number_of_steps)


class EvaluatorWatch(threading.Thread):
    """Ends the evaluator if the chief leaves before training has finished."""

    def __init__(self, cluster, config):
        super().__init__(name="slimtrain-evaluator-watch", daemon=True)
        self._cluster = cluster
        self._config = config
        self._chief = cluster.describe("worker", 0)
        self._liveness = Liveness({self._chief: cluster.training_hosts[0]},
                                  config.cluster_timeout_secs)

    def run(self):
        while True:
            time.sleep(PROBE_INTERVAL_SECS)
            silent = self._liveness.poll()
            if training_finished(self._config):
                return
            if silent:
                cluster_failure(
                    "%s (the chief) stopped answering for %d s "
                    "(--cluster_timeout_secs=%d) before training finished; "
                    "%s stops." % (self._chief,
                                   self._liveness.silent_for(self._chief),
                                   self._config.cluster_timeout_secs,
                                   self._cluster.name))


# A task named in TensorFlow's error messages; group 1 marks the peer of a
# failed call.
_TASK_IN_ERROR = re.compile(
    r"(remote target )?/job:(\w+)/replica:\d+/task:(\d+)")


def describe_cluster_failure(error, cluster):
    """One line naming the task an UnavailableError or DeadlineExceeded is about.

    For the training loop: catch tf.errors.UnavailableError and
    tf.errors.DeadlineExceededError around a step and report this line.

    TensorFlow's message can name several tasks: the one reporting the error
    ("From /job:worker/replica:0/task:0:", often this task itself) and the
    peer a call failed on ("... from remote target /job:ps/replica:0/task:0
    while calling ..."). The line names the first remote target, or else the
    first task named, leaving out this task's own server. Returns None when
    the error names no other task of `cluster`.
    """
    spec, own = cluster.cluster_spec(), cluster.server_job()
    remote, named = [], []
    for match in _TASK_IN_ERROR.finditer(
            getattr(error, "message", str(error))):
        job, index = match.group(2), int(match.group(3))
        if job in spec and index < len(spec[job]) and (job, index) != own:
            (remote if match.group(1) else named).append((job, index))
    tasks = remote + named
    if not tasks:
        return None
    job, index = tasks[0]
    return "%s stopped answering (%s); %s stops." % (
        cluster.describe(job, index), type(error).__name__, cluster.name)
