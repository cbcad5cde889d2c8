"""TF_CONFIG: parsing, roles, contradictions; liveness; the launcher's checks."""

import json
import socket
import time

import pytest

from slimtrain.distributed.failures import describe_cluster_failure
from slimtrain.distributed.launch import cluster_tf_configs, parse_args
from slimtrain.distributed.liveness import Liveness, answers
from slimtrain.distributed.run_state import run_started, training_finished
from slimtrain.distributed.tf_config import Cluster
from slimtrain.errors import ConfigError
from slimtrain.rundir import run_files
from slimtrain.rundir.run_files import write_run_config
from slimtrain.training.config import TrainConfig
from slimtrain.training.master import wait_for_master

TFJOB_CLUSTER = {"chief": ["c:1"], "worker": ["w0:1", "w1:1"],
                 "ps": ["p0:1", "p1:1"], "evaluator": ["e:1"]}


def cluster(task_type, index, jobs=None):
    return Cluster.from_tf_config(json.dumps(
        {"cluster": jobs or TFJOB_CLUSTER,
         "task": {"type": task_type, "index": index}}))


def test_chief_and_workers_form_the_worker_job_chief_first():
    chief = cluster("chief", 0)
    assert chief.trains and chief.training_task == 0
    assert chief.cluster_spec() == {"worker": ["c:1", "w0:1", "w1:1"],
                                    "ps": ["p0:1", "p1:1"]}
    worker = cluster("worker", 1)
    assert worker.training_task == 2 and worker.server_job() == ("worker", 2)
    assert worker.describe("worker", 0) == "chief:0 (c:1)"
    assert worker.describe("worker", 2) == "worker:1 (w1:1)"
    ps = cluster("ps", 1)
    assert not ps.trains and ps.server_job() == ("ps", 1)
    assert not cluster("evaluator", 0).trains


def test_without_a_chief_worker_0_is_the_chief():
    jobs = {"worker": ["a:1", "b:1"], "ps": ["p:1"]}
    assert cluster("worker", 0, jobs).training_task == 0
    assert cluster("worker", 1, jobs).describe("worker", 0) == "worker:0 (a:1)"


def test_flags_are_filled_in_and_contradictions_name_both():
    config = cluster("worker", 0).apply_to(TrainConfig())
    assert (config.task, config.worker_replicas, config.num_ps_tasks) == (1, 3, 2)
    # A flag equal to what TF_CONFIG says is fine.
    cluster("worker", 0).apply_to(TrainConfig(worker_replicas=3))
    for flag, value in (("task", 2), ("worker_replicas", 5),
                        ("num_ps_tasks", 1), ("master", "grpc://x:1")):
        with pytest.raises(ConfigError) as raised:
            cluster("worker", 0).apply_to(TrainConfig(**{flag: value}))
        assert "--%s" % flag in str(raised.value)
        assert "TF_CONFIG" in str(raised.value)


@pytest.mark.parametrize("text, problem", [
    ("{not json", "not valid JSON"),
    ('{"cluster": {"gpu": ["a:1"]}, "task": {"type": "worker"}}', "gpu"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "boss"}}', "task.type"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 1}}',
     "worker:1"),
    ('{"cluster": {"worker": ["nohostport"]}, "task": {"type": "worker"}}',
     "host:port"),
    ('{"cluster": {"ps": ["a:1"]}, "task": {"type": "ps"}}', "no 'chief'"),
])
def test_bad_tf_config_is_one_line(text, problem):
    with pytest.raises(ConfigError) as raised:
        Cluster.from_tf_config(text)
    assert problem in str(raised.value) and "\n" not in str(raised.value)


def test_unset_tf_config_means_no_cluster():
    assert Cluster.from_environment({}) is None
    assert Cluster.from_environment({"TF_CONFIG": " "}) is None


def test_liveness_sees_a_closed_port():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    address = "127.0.0.1:%d" % listener.getsockname()[1]
    liveness = Liveness({"peer": address}, timeout_secs=0.2, startup_secs=0)
    assert answers(address)
    assert liveness.poll() == [] and liveness.answered_last("peer")
    listener.close()
    assert not answers(address)
    assert liveness.poll() == []  # silent, but not yet for the timeout
    time.sleep(0.3)
    assert liveness.poll() == ["peer"] and liveness.ever_seen("peer")


def test_cluster_errors_name_the_task():
    error = Exception("Socket closed: /job:ps/replica:0/task:1 at p1:1")
    line = describe_cluster_failure(error, cluster("chief", 0))
    assert line.startswith("ps:1 (p1:1) stopped answering")
    assert describe_cluster_failure(Exception("other"), cluster("chief", 0)) is None


def test_cluster_errors_name_the_failed_peer_not_the_reporting_task():
    # The shape of TensorFlow's message when a ps dies during the chief's
    # step: the chief's own task reports it, the ps is the remote target.
    error = Exception(
        "From /job:worker/replica:0/task:0:\nSocket closed\nAdditional GRPC "
        "error information from remote target /job:ps/replica:0/task:1 "
        "while calling /tensorflow.WorkerService/RecvTensor")
    line = describe_cluster_failure(error, cluster("chief", 0))
    assert line.startswith("ps:1 (p1:1) stopped answering")
    # Without a remote target, the first task named other than this one.
    error = Exception("From /job:worker/replica:0/task:2: /job:ps/replica:0/"
                      "task:0 closed the connection")
    line = describe_cluster_failure(error, cluster("worker", 1))
    assert line.startswith("ps:0 (p0:1) stopped answering")
    assert describe_cluster_failure(
        Exception("From /job:worker/replica:0/task:2: Socket closed"),
        cluster("worker", 1)) is None


def test_launcher_cluster_and_flag_checks():
    configs = cluster_tf_configs(num_workers=2, num_ps=1, evaluator=True)
    assert sorted(configs) == ["evaluator:0", "ps:0", "worker:0", "worker:1"]
    jobs = configs["worker:1"]["cluster"]
    assert len(set(jobs["worker"] + jobs["ps"])) == 3
    assert all(host.startswith("127.0.0.1:") for host in jobs["worker"])
    args, flags = parse_args(["--num_workers=3", "--", "--batch_size=4"])
    assert args.num_workers == 3 and flags == ["--batch_size=4"]
    for argv, problem in ((["--num_workers=0"], "--num_workers"),
                          (["--num_ps=0"], "--num_ps=0"),
                          (["--", "--task=1"], "--task"),
                          (["--stop_grace_secs=60"], "--stop_grace_secs")):
        with pytest.raises(ConfigError, match=problem):
            parse_args(argv)


def test_the_evaluator_ignores_an_earlier_runs_finished_marker(tmp_path):
    config = TrainConfig(train_dir=str(tmp_path), max_number_of_steps=200)
    assert not run_started(config)  # the chief has not written its config
    write_run_config(config, str(tmp_path))
    assert run_started(config) and not training_finished(config)
    run_files.mark_finished(str(tmp_path), 100)  # a shorter, earlier run
    assert not run_started(config) and not training_finished(config)
    run_files.mark_finished(str(tmp_path), 200)
    assert run_started(config) and training_finished(config)


def test_an_absent_master_is_one_line_after_a_bounded_wait():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConfigError, match="did not answer within 1 s"):
        wait_for_master("grpc://127.0.0.1:%d" % port, timeout_secs=1)
    with pytest.raises(ConfigError, match="is not an address"):
        wait_for_master("127.0.0.1:2222")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        wait_for_master("grpc://127.0.0.1:%d" % server.getsockname()[1])
