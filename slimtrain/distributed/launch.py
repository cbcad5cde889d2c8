r"""Starts a whole training cluster on this machine with one command.

  slimtrain launch --num_workers=2 --num_ps=1 --evaluator -- \
      --train_dir=runs/digits --sync_replicas --replicas_to_aggregate=2

(or `python -m slimtrain.launch ...`) starts every task of the cluster
(parameter servers, workers, an optional evaluator) as `slimtrain train
<the flags after -->` on 127.0.0.1 with free ports, each told its role
through `TF_CONFIG` exactly as a cluster manager would tell it
(`slimtrain.distributed.tf_config`). worker:0 is the chief.
Each output line is prefixed with its task (`[worker:1] ...`).

The launcher waits for the chief and exits with its status, after the other
tasks have ended by themselves (a ps ends once training has finished, the
evaluator after the final checkpoint). If any task fails, the others are
stopped (SIGTERM, then SIGKILL after --stop_grace_secs; 30 s at most in
all) and the launcher names the task and its last error line, and exits
with that task's status (1 if a signal killed it). Ctrl-C or
SIGTERM to the launcher stops the whole cluster the same way: the training
tasks get SIGTERM first, so the chief saves a checkpoint. Running the same
command again resumes from the train dir.

A port the launcher found free can be taken by another process before the
task's server binds it (a server cannot share it, so the launcher cannot
hold it meanwhile). A task that fails because its port is in use
(`ports.reports_port_in_use`) makes the launcher stop the cluster as above
and start it again on new ports, up to START_ATTEMPTS times in all.

The TensorFlow servers listen on all network interfaces of this machine,
not only 127.0.0.1, without authentication: see docs/DISTRIBUTED.md.
"""

import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import threading
import time

from slimtrain.distributed import ports
from slimtrain.errors import ConfigError

# A task that still runs this long after SIGTERM is killed.
DEFAULT_STOP_GRACE_SECS = 20.0
STOP_GRACE_LIMIT_SECS = 30.0
POLL_SECS = 0.2
# After the chief has finished, the parameter servers and other workers
# leave within seconds; one still running this much later is stopped.
LEAVE_AFTER_CHIEF_SECS = 150.0
LAUNCHER_TAG = "[launch]"
SECURITY_NOTICE = (
    "the cluster's TensorFlow servers listen on ALL network interfaces of "
    "this machine (not only 127.0.0.1), with no authentication and no "
    "encryption: anyone who can reach their ports can run code in them. "
    "Use a machine whose ports are not reachable from untrusted networks.")
ERROR_WORDS = ("error", "Error", "ERROR", "failure", "Traceback", "Killed")
# What every task runs: the train program of the slimtrain this launcher
# belongs to, by module name, so that it is found wherever slimtrain is
# installed (a wheel, an editable install, a checkout on PYTHONPATH).
TRAIN_PROGRAM = "slimtrain.commands.train"
# How many times the cluster is started when a task loses its port.
START_ATTEMPTS = 3


def cluster_tf_configs(num_workers, num_ps, evaluator, host="127.0.0.1"):
    """{task name: TF_CONFIG dict} for a local cluster on free ports."""
    chosen = ports.free_ports(num_workers + num_ps)
    jobs = {"worker": ["%s:%d" % (host, port)
                       for port in chosen[:num_workers]]}
    if num_ps:
        jobs["ps"] = ["%s:%d" % (host, port) for port in chosen[num_workers:]]
    tasks = [("ps", index) for index in range(num_ps)]
    tasks += [("worker", index) for index in range(num_workers)]
    if evaluator:
        tasks.append(("evaluator", 0))
    return {"%s:%d" % (role, index): {"cluster": jobs,
                                      "task": {"type": role, "index": index}}
            for role, index in tasks}


class Task:
    """One child process of the cluster, its output prefixed with its name."""

    def __init__(self, name, command, env, output, lock):
        self.name = name
        self.trains = name.startswith("worker:")
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        self.last_lines = collections.deque(maxlen=200)
        self._output = output
        self._lock = lock
        self._reader = threading.Thread(target=self._copy_output, daemon=True)
        self._reader.start()

    def _copy_output(self):
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.last_lines.append(line)
            with self._lock:
                self._output.write("[%s] %s\n" % (self.name, line))
                self._output.flush()

    def poll(self):
        return self.process.poll()

    def signal(self, signum):
        """Sends `signum` to the task's whole process group, if still running."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signum)
            except ProcessLookupError:
                pass

    def finish_output(self):
        self._reader.join(timeout=5)

    def last_error_line(self):
        """The last output line that looks like an error, else the last line."""
        for line in reversed(self.last_lines):
            if any(word in line for word in ERROR_WORDS):
                return line.strip()
        return self.last_lines[-1].strip() if self.last_lines else "(no output)"


def describe_exit(status):
    if status < 0:
        return "was killed by %s" % signal.Signals(-status).name
    return "exited with status %d" % status


class Launcher:
    """Runs a local cluster until its chief is done (see the module doc)."""

    def __init__(self, tf_configs, train_command, stop_grace_secs, output):
        self._output = output
        self._lock = threading.Lock()
        self._grace = stop_grace_secs
        self._stop_signal = None
        self.tasks = []
        for name, tf_config in tf_configs.items():
            env = dict(os.environ, TF_CONFIG=json.dumps(tf_config),
                       PYTHONUNBUFFERED="1")
            self.tasks.append(Task(name, train_command, env, output,
                                   self._lock))
        self.chief = next(task for task in self.tasks if task.name == "worker:0")
        self.failed = None

    def say(self, text):
        with self._lock:
            self._output.write("%s %s\n" % (LAUNCHER_TAG, text))
            self._output.flush()

    def request_stop(self, signum, frame=None):
        """Signal handler: stop the whole cluster (the chief saves)."""
        del frame
        self._stop_signal = signum

    def run(self):
        """Waits for the cluster; returns the launcher's exit status."""
        failed = None
        chief_done_at = None
        reported = set()
        while True:
            if self._stop_signal is not None:
                name = signal.Signals(self._stop_signal).name
                self.say("%s received: stopping the cluster." % name)
                self.stop()
                return 128 + self._stop_signal
            statuses = {task.name: task.poll() for task in self.tasks}
            for name, status in statuses.items():
                if status is not None and name not in reported:
                    reported.add(name)
                    self.say("%s %s." % (name, describe_exit(status)))
            failed = next((task for task in self.tasks
                           if statuses[task.name] not in (None, 0)), None)
            if failed is not None:
                break
            if all(status is not None for status in statuses.values()):
                self.say("every task has finished.")
                return 0
            if chief_done_at is None and statuses[self.chief.name] == 0:
                chief_done_at = time.time()
            lingering = [task for task in self.tasks
                         if task.poll() is None and
                         not task.name.startswith("evaluator")]
            if (chief_done_at is not None and lingering and
                    time.time() - chief_done_at > LEAVE_AFTER_CHIEF_SECS):
                self.say("%s still running %d s after the chief finished: "
                         "stopping it." % (", ".join(task.name for task
                                                     in lingering),
                                           LEAVE_AFTER_CHIEF_SECS))
                self.stop()
                return 0
            time.sleep(POLL_SECS)
        self.failed = failed
        # Let the others' last lines arrive before the summary line.
        failed.finish_output()
        status = failed.poll()
        self.say("stopping the other tasks.")
        self.stop()
        self.say("%s failed (%s): %s" % (failed.name, describe_exit(status),
                                         failed.last_error_line()))
        # The status of the task that failed first (the one just named),
        # not of those the launcher then stopped.
        return status if status > 0 else 1

    def lost_a_port(self):
        """Whether `run` ended because a task's server found its port in use
        (taken after the launcher had chosen it)."""
        return self.failed is not None and ports.reports_port_in_use(
            self.failed.last_error_line())

    def stop(self):
        """SIGTERM to the training tasks, then to the rest; SIGKILL at the end.

        Every task still running after the grace period is killed.
        """
        deadline = time.time() + self._grace
        for task in self.tasks:
            if task.trains:
                task.signal(signal.SIGTERM)
        # The chief saves while the parameter servers still serve.
        while time.time() < deadline and any(
                task.trains and task.poll() is None for task in self.tasks):
            time.sleep(POLL_SECS)
        for task in self.tasks:
            task.signal(signal.SIGTERM)
        while time.time() < deadline and any(
                task.poll() is None for task in self.tasks):
            time.sleep(POLL_SECS)
        for task in self.tasks:
            if task.poll() is None:
                self.say("%s did not stop within %d s: killing it." %
                         (task.name, self._grace))
                task.signal(signal.SIGKILL)
        for task in self.tasks:
            task.process.wait()
            task.finish_output()


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="slimtrain launch",
        description="Runs a local training cluster: parameter servers, "
        "workers (worker:0 is the chief) and an optional evaluator, each "
        "`slimtrain train <flags after -->` told its role through "
        "TF_CONFIG. Also `python -m slimtrain.launch`.")
    parser.add_argument("--num_workers", type=int, default=2,
                        help="training tasks, the chief included (default 2)")
    parser.add_argument("--num_ps", type=int, default=1,
                        help="parameter servers (default 1)")
    parser.add_argument("--evaluator", action="store_true",
                        help="also run an evaluator on the train dir")
    parser.add_argument("--stop_grace_secs", type=float,
                        default=DEFAULT_STOP_GRACE_SECS,
                        help="how long a stopped task may take before it is "
                        "killed (default %%(default)s, at most %d)"
                        % STOP_GRACE_LIMIT_SECS)
    args, train_flags = parser.parse_known_args(argv)
    if train_flags[:1] == ["--"]:
        train_flags = train_flags[1:]
    if args.num_workers < 1:
        raise ConfigError("--num_workers=%d: a cluster needs at least one "
                          "worker (worker:0 is the chief)." % args.num_workers)
    if args.num_ps < 0:
        raise ConfigError("--num_ps=%d must not be negative." % args.num_ps)
    if args.num_workers > 1 and not args.num_ps:
        raise ConfigError("--num_workers=%d with --num_ps=0: the workers "
                          "would train separate models; use --num_ps=1 or "
                          "more." % args.num_workers)
    if not 0 < args.stop_grace_secs <= STOP_GRACE_LIMIT_SECS:
        raise ConfigError("--stop_grace_secs=%s: use a value in (0, %d]."
                          % (args.stop_grace_secs, STOP_GRACE_LIMIT_SECS))
    for flag in train_flags:
        name = flag.lstrip("-").split("=")[0]
        if name in ("master", "task", "worker_replicas", "num_ps_tasks"):
            raise ConfigError("--%s is set by the launcher through TF_CONFIG: "
                              "drop it after --." % name)
    return args, train_flags


def main(argv=None):
    try:
        args, train_flags = parse_args(sys.argv[1:] if argv is None else argv)
    except ConfigError as error:
        print("error: %s" % error, file=sys.stderr)
        return 2
    command = [sys.executable, "-m", TRAIN_PROGRAM] + train_flags
    for attempt in range(1, START_ATTEMPTS + 1):
        launcher = start_cluster(args, command)
        status = launcher.run()
        if not launcher.lost_a_port() or attempt == START_ATTEMPTS:
            return status
        launcher.say("%s lost its port to another process before its server "
                     "could bind it: starting the cluster again on new ports "
                     "(start %d of %d)." % (launcher.failed.name, attempt + 1,
                                            START_ATTEMPTS))


def start_cluster(args, command):
    """Starts every task of the cluster `args` describe on new free ports,
    each running `command`; returns its `Launcher`, which Ctrl-C and
    SIGTERM now stop."""
    tf_configs = cluster_tf_configs(args.num_workers, args.num_ps,
                                    args.evaluator)
    launcher = Launcher(tf_configs, command, args.stop_grace_secs, sys.stdout)
    launcher.say("started %s (worker:0 is the chief); %s" %
                 (", ".join(tf_configs), SECURITY_NOTICE))
    signal.signal(signal.SIGINT, launcher.request_stop)
    signal.signal(signal.SIGTERM, launcher.request_stop)
    return launcher


if __name__ == "__main__":
    sys.exit(main())
