"""Whole clusters on 127.0.0.1: the launcher, TF_CONFIG tasks, dead tasks.

Real processes: `python -m slimtrain.launch`, or `python train.py` per task
with TF_CONFIG. Every test waits a bounded time for the processes to end by
themselves, then checks that none is left (each process's command line
names the test's own train dir); the `finally` kills whatever is left.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from slimtrain.distributed.launch import cluster_tf_configs
from slimtrain.distributed.ports import free_ports
from slimtrain.errors import EXIT_CLUSTER_FAILURE as CLUSTER_FAILURE_EXIT
from slimtrain.rundir.layout import RESULTS_FILENAME
from tests.conftest import REPO
from tests.training_helpers import checkpoint_steps

TIMEOUT_SECS = 8
SMALL_RUN = ["--batch_size=8", "--save_summaries_steps=0", "--num_readers=1",
             "--num_preprocessing_threads=1", "--log_every_n_steps=2",
             "--cluster_timeout_secs=%d" % TIMEOUT_SECS,
             "--learning_rate_decay_type=fixed", "--optimizer=sgd"]


def processes_naming(text):
    """Pids of this user's processes whose command line contains `text`."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                if text.encode() in handle.read():
                    pids.append(int(entry))
        except OSError:
            pass
    return pids


def kill_all(processes, train_dir):
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    for pid in processes_naming(str(train_dir)):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def start_task(tf_config, train_dir, log_path, *flags):
    env = dict(os.environ, TF_CONFIG=json.dumps(tf_config),
               PYTHONPATH=REPO, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, os.path.join(REPO, "train.py"),
         "--train_dir=%s" % train_dir, *SMALL_RUN, *flags],
        env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
        start_new_session=True)


def start_cluster(tmp_path, train_dir, processes, *flags):
    """Starts ps:0, worker:0 and worker:1 through TF_CONFIG, into `processes`.

    Returns {task: log path} once the chief trains and worker:1's server is
    up. Training would go on for 100,000 steps.
    """
    logs = {}
    for name, tf_config in cluster_tf_configs(
            num_workers=2, num_ps=1, evaluator=False).items():
        logs[name] = tmp_path / (name.replace(":", "") + ".log")
        processes[name] = start_task(tf_config, train_dir, logs[name],
                                     "--max_number_of_steps=100000", *flags)
    start = time.time()
    wait_for_line(logs["worker:0"], ": loss = ", start + 150)
    wait_for_line(logs["worker:1"], "ALL network interfaces", start + 150)
    return logs


def wait_for_line(log_path, text, deadline):
    while time.time() < deadline:
        with open(log_path) as handle:
            if text in handle.read():
                return
        time.sleep(0.5)
    with open(log_path) as handle:
        raise AssertionError("%r never appeared:\n%s" % (text,
                                                         handle.read()[-3000:]))


def read(path):
    with open(path) as handle:
        return handle.read()


# `python -m slimtrain.launch ARGS`, but the port the launcher first picks
# for worker:0 is already taken by a listening socket of its own: as if
# another process took it between the pick and worker:0's server start.
LAUNCH_WITH_A_TAKEN_PORT = """
import socket, sys
from slimtrain.distributed import launch, ports
taken = socket.socket()
taken.bind(("", 0))
taken.listen()
pick = ports.free_ports
picks = []
def first_pick_taken(count):
    picks.append(pick(count))
    if len(picks) == 1:
        picks[0][0] = taken.getsockname()[1]
    return picks[-1]
ports.free_ports = first_pick_taken
sys.exit(launch.main(sys.argv[1:]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("sync", [True, False])
def test_launcher_runs_a_cluster_to_the_end(tmp_path, sync):
    """With sync=False, worker:0's first port is taken: the launcher stops
    that cluster (worker:1, waiting for its chief, is killed after the
    grace period) and starts it again on new ports."""
    train_dir = tmp_path / "run"
    launch = (["-m", "slimtrain.launch"] if sync else
              ["-c", LAUNCH_WITH_A_TAKEN_PORT, "--stop_grace_secs=3"])
    command = [sys.executable, *launch, "--num_workers=2",
               "--num_ps=1", "--evaluator", "--",
               "--train_dir=%s" % train_dir, "--max_number_of_steps=16",
               "--sync_replicas=%s" % sync, "--replicas_to_aggregate=2",
               *SMALL_RUN]
    launcher = subprocess.Popen(command, cwd=REPO, env=dict(
        os.environ, PYTHONPATH=REPO), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = launcher.communicate(timeout=240)
        assert launcher.returncode == 0, output[-4000:]
        for task in ("ps:0", "worker:0", "worker:1", "evaluator:0"):
            assert "[launch] %s exited with status 0." % task in output
        restarts = re.findall(
            r"\[worker:0\] error: worker:0 cannot listen on port \d+ "
            r"\(127\.0\.0\.1:\d+ in the cluster\): the port is already in "
            r"use, .*\n", output)
        assert len(restarts) == (0 if sync else 1), output[-4000:]
        assert ("[launch] worker:0 exited with status 2.\n" in output) != sync
        assert ("[launch] worker:0 lost its port to another process before "
                "its server could bind it: starting the cluster again on new "
                "ports (start 2 of 3).\n" in output) != sync
        assert "[worker:1] " in output and "ALL network interfaces" in output
        assert checkpoint_steps(train_dir)[-1] >= 16
        assert json.loads(read(train_dir / "TRAINING_FINISHED"))[
            "global_step"] >= 16
        events = [name for name in os.listdir(train_dir)
                  if name.startswith("events.out.tfevents")]
        assert len(events) == 1  # only the chief writes into the train dir
        results = [json.loads(line) for line in
                   read(train_dir / "eval" / RESULTS_FILENAME).splitlines()]
        assert results[-1]["global_step"] >= 16
        assert processes_naming(str(train_dir)) == []
    finally:
        kill_all([launcher], train_dir)


@pytest.mark.slow
def test_tf_config_cluster_ends_when_a_sync_worker_dies(tmp_path):
    """Without the launcher; kill -9 of worker:1 ends the chief and the ps."""
    train_dir = tmp_path / "run"
    processes = {}
    try:
        # worker:1 may still be waiting for the model to be ready when it is
        # killed: the chief must not train on alone.
        logs = start_cluster(tmp_path, train_dir, processes, "--sync_replicas",
                             "--replicas_to_aggregate=2")
        processes["worker:1"].send_signal(signal.SIGKILL)
        killed_at = time.time()
        for name in ("worker:0", "ps:0"):
            processes[name].wait(timeout=3 * TIMEOUT_SECS + 30)
        ended_in = time.time() - killed_at
        chief_log = read(logs["worker:0"])
        assert processes["worker:0"].returncode == CLUSTER_FAILURE_EXIT, \
            chief_log[-3000:]
        failures = [line for line in chief_log.splitlines()
                    if line.startswith("cluster failure: ")]
        assert len(failures) == 1 and "worker:1 (127.0.0.1:" in failures[0]
        assert "--replicas_to_aggregate=2" in failures[0]
        assert processes["ps:0"].returncode == CLUSTER_FAILURE_EXIT
        assert "worker:0 (127.0.0.1:" in read(logs["ps:0"])
        assert ended_in < 3 * TIMEOUT_SECS + 30
        assert processes_naming(str(train_dir)) == []
    finally:
        kill_all(processes.values(), train_dir)


@pytest.mark.slow
def test_async_training_survives_a_worker_but_not_the_ps(tmp_path):
    train_dir = tmp_path / "run"
    processes = {}
    try:
        logs = start_cluster(tmp_path, train_dir, processes)
        processes["worker:1"].send_signal(signal.SIGKILL)
        # The chief goes on, saying worker:1 is gone.
        wait_for_line(logs["worker:0"], "asynchronous training goes on",
                      time.time() + TIMEOUT_SECS + 30)
        steps_then = read(logs["worker:0"]).count("step ")
        time.sleep(3)
        assert read(logs["worker:0"]).count("step ") > steps_then
        assert processes["worker:0"].poll() is None
        processes["ps:0"].send_signal(signal.SIGKILL)
        killed_at = time.time()
        processes["worker:0"].wait(timeout=TIMEOUT_SECS + 30)
        assert time.time() - killed_at < TIMEOUT_SECS + 30
        chief_log = read(logs["worker:0"])
        assert processes["worker:0"].returncode == CLUSTER_FAILURE_EXIT
        failures = [line for line in chief_log.splitlines()
                    if line.startswith("cluster failure: ")]
        assert len(failures) == 1, chief_log[-3000:]
        assert "ps:0 (127.0.0.1:" in failures[0]
        assert processes_naming(str(train_dir)) == []
    finally:
        kill_all(processes.values(), train_dir)


@pytest.mark.slow
def test_sigterm_to_the_launcher_stops_the_cluster_and_a_rerun_resumes(
        tmp_path):
    train_dir = tmp_path / "run"

    def launch(*flags):
        return subprocess.Popen(
            [sys.executable, "-m", "slimtrain.launch", "--num_workers=2",
             "--num_ps=1", "--", "--train_dir=%s" % train_dir, *SMALL_RUN,
             *flags], cwd=REPO, env=dict(os.environ, PYTHONPATH=REPO),
            stdout=open(tmp_path / "launch.log", "w"), stderr=subprocess.STDOUT,
            start_new_session=True)

    launchers = []
    try:
        launchers.append(launch("--max_number_of_steps=100000"))
        wait_for_line(tmp_path / "launch.log", "[worker:1] ", time.time() + 150)
        wait_for_line(tmp_path / "launch.log", ": loss = ", time.time() + 150)
        launchers[0].send_signal(signal.SIGTERM)
        launchers[0].wait(timeout=40)
        output = read(tmp_path / "launch.log")
        assert launchers[0].returncode == 128 + signal.SIGTERM, output[-3000:]
        assert "SIGTERM received: stopping the cluster." in output
        assert processes_naming(str(train_dir)) == []
        saved = checkpoint_steps(train_dir)[-1]  # at least the first one

        launchers.append(launch("--max_number_of_steps=%d" % (saved + 4)))
        launchers[1].wait(timeout=200)
        output = read(tmp_path / "launch.log")
        assert launchers[1].returncode == 0, output[-3000:]
        assert "[worker:0] " in output and "Resuming from" in output
        assert checkpoint_steps(train_dir)[-1] >= saved + 4
        assert processes_naming(str(train_dir)) == []
    finally:
        kill_all(launchers, train_dir)


@pytest.mark.slow
def test_launcher_stops_the_cluster_when_a_task_dies(tmp_path):
    train_dir = tmp_path / "run"
    launcher = subprocess.Popen(
        [sys.executable, "-m", "slimtrain.launch", "--num_workers=2",
         "--num_ps=1", "--", "--train_dir=%s" % train_dir, *SMALL_RUN,
         "--max_number_of_steps=100000"], cwd=REPO,
        env=dict(os.environ, PYTHONPATH=REPO),
        stdout=open(tmp_path / "launch.log", "w"), stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        wait_for_line(tmp_path / "launch.log", ": loss = ", time.time() + 150)
        [ps] = [pid for pid in processes_naming(str(train_dir))
                if '"type": "ps"' in read("/proc/%d/environ" % pid)
                .replace("\0", "\n")]
        os.kill(ps, signal.SIGKILL)
        killed_at = time.time()
        launcher.wait(timeout=60)
        output = read(tmp_path / "launch.log")
        assert time.time() - killed_at < 40, output[-3000:]
        # The status of the task that failed: SIGKILL gives 1.
        assert launcher.returncode == 1, output[-3000:]
        assert output.strip().splitlines()[-1].startswith(
            "[launch] ps:0 failed (was killed by SIGKILL): ")
        assert processes_naming(str(train_dir)) == []
    finally:
        kill_all([launcher], train_dir)


@pytest.mark.slow
def test_two_tasks_told_they_are_ps_0_end_in_one_line(tmp_path):
    """The second ps:0's server cannot listen on the port the first one's
    holds: one line naming the task and the port, the bad-input status."""
    train_dir = tmp_path / "run"
    ps_port, worker_port = free_ports(2)
    tf_config = {"cluster": {"worker": ["127.0.0.1:%d" % worker_port],
                             "ps": ["127.0.0.1:%d" % ps_port]},
                 "task": {"type": "ps", "index": 0}}
    processes = {}
    try:
        processes["first"] = start_task(tf_config, train_dir,
                                        tmp_path / "first.log")
        wait_for_line(tmp_path / "first.log", "ALL network interfaces",
                      time.time() + 150)
        processes["second"] = start_task(tf_config, train_dir,
                                         tmp_path / "second.log")
        processes["second"].wait(timeout=150)
        log = read(tmp_path / "second.log")
        assert processes["second"].returncode == 2, log[-3000:]
        assert log.splitlines()[-1] == (
            "error: ps:0 cannot listen on port %d (127.0.0.1:%d in the "
            "cluster): the port is already in use, by another program or by "
            "another task given the same address (a second ps:0?): stop it, "
            "or give each task a port of its own." % (ps_port, ps_port))
        assert "Traceback" not in log
    finally:
        kill_all(processes.values(), train_dir)
