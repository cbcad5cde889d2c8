"""Multi-process training on 127.0.0.1: one parameter server, two workers.

Real TensorFlow servers (`python -m slimtrain.distributed.server`) and real `train.py`
workers with --master, --task, --num_ps_tasks and --sync_replicas. Every
process is killed when the test ends, whatever happens.
"""

import os
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO
from tests.training_helpers import checkpoint_steps

DEADLINE_SECS = 300


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


@pytest.mark.slow
@pytest.mark.parametrize("sync", [True, False])
def test_parameter_server_and_two_workers(tmp_path, sync):
    ps_port, *worker_ports = _free_ports(3)
    hosts = ["--ps_hosts=127.0.0.1:%d" % ps_port,
             "--worker_hosts=" + ",".join("127.0.0.1:%d" % port
                                          for port in worker_ports)]
    servers = [["--job_name=ps", "--task_index=0"]] + [
        ["--job_name=worker", "--task_index=%d" % task] for task in (0, 1)]
    processes = []
    logs = []
    try:
        for server in servers:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "slimtrain.distributed.server", *hosts, *server],
                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        workers = []
        for task, port in enumerate(worker_ports):
            log = open(tmp_path / ("worker%d.log" % task), "w+")
            logs.append(log)
            workers.append(subprocess.Popen(
                [sys.executable, os.path.join(REPO, "train.py"),
                 "--train_dir=%s" % (tmp_path / "run"),
                 "--master=grpc://127.0.0.1:%d" % port, "--task=%d" % task,
                 "--worker_replicas=2", "--num_ps_tasks=1",
                 "--sync_replicas=%s" % sync, "--replicas_to_aggregate=2",
                 "--max_number_of_steps=12", "--batch_size=16",
                 "--save_summaries_steps=0", "--num_readers=1",
                 "--num_preprocessing_threads=1", "--log_every_n_steps=4"],
                cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT))
            processes.append(workers[-1])
        deadline = time.time() + DEADLINE_SECS
        for worker in workers:
            worker.wait(timeout=max(1, deadline - time.time()))
        outputs = []
        for log in logs:
            log.seek(0)
            outputs.append(log.read())
        for worker, output in zip(workers, outputs):
            assert worker.returncode == 0, output[-3000:]
        assert checkpoint_steps(tmp_path / "run")[-1] >= 12
        assert (tmp_path / "run" / "TRAINING_FINISHED").exists()
        # Only the chief writes into the train dir: one events file.
        events = [name for name in os.listdir(tmp_path / "run")
                  if name.startswith("events.out.tfevents")]
        assert len(events) == 1
    finally:
        for process in processes:
            process.kill()
            process.wait()
        for log in logs:
            log.close()
