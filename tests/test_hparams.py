"""TensorBoard's HParams dashboard compares runs; without TensorBoard,
nothing changes.

Two real runs are read back by a real TensorBoard process on 127.0.0.1
through its HTTP API (the hparams plugin's experiment and session groups,
the scalars plugin's series), within a bounded time; the process is
stopped at the end whatever happens. The file is run again with
TensorBoard (and tf_keras) hidden, where a run writes no hparams and no
best/ scalar and works as before.
"""

import glob
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
import tensorflow.compat.v1 as tf

from slimtrain.evaluation.during_training import train_and_evaluate
from slimtrain.training.hooks import hparams
from tests import tf_keras_helpers
from tests.training_helpers import StderrLines, scalar_events, small_config

TENSORBOARD_HIDDEN = os.environ.get("SLIMTRAIN_HIDE_TENSORBOARD") == "1"
DEADLINE_SECS = 180
LEARNING_RATES = {"run_a": 0.01, "run_b": 0.003}


def evaluated_run(train_dir, learning_rate):
    """Trains 10 LeNet steps, evaluating at 5 and 10 and keeping best/."""
    train_and_evaluate(small_config(
        train_dir, max_number_of_steps=10, eval_every_n_steps=5,
        learning_rate=learning_rate))
    results = [json.loads(line) for line in
               open(os.path.join(train_dir, "eval", "results.jsonl"))]
    with open(os.path.join(train_dir, "best", "best.json")) as handle:
        return results, json.load(handle)


def hparams_plugin_tags(logdir):
    """Tags of the summaries in `logdir`'s events made for the hparams
    plugin."""
    return {value.tag
            for path in glob.glob(os.path.join(logdir, "events.out.tfevents.*"))
            for event in tf.train.summary_iterator(path)
            for value in event.summary.value
            if value.metadata.plugin_data.plugin_name == "hparams"}


def request(port, route, body=None):
    """TensorBoard's answer to GET (or, with a body, POST JSON) `route`."""
    data = None if body is None else json.dumps(body).encode()
    call = urllib.request.Request(
        "http://127.0.0.1:%d/data/plugin/%s" % (port, route), data=data,
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(call, timeout=30) as answer:
        return json.loads(answer.read())


def loaded(group):
    """Whether a session group holds its run's final and best evaluation
    metrics and its training loss."""
    steps = {(value["name"]["group"], value["name"]["tag"]):
             value["trainingStep"] for value in group["metricValues"]}
    return (steps.get(("eval", "eval/Accuracy")) == 10 and
            ("eval", "best/Accuracy") in steps and ("", "total_loss") in steps)


def session_groups(port):
    return request(port, "hparams/session_groups", {
        "experimentName": "", "startIndex": 0, "sliceSize": 10,
        "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS",
                            "STATUS_FAILURE", "STATUS_RUNNING"]})[
        "sessionGroups"]


@pytest.mark.slow
@pytest.mark.skipif(TENSORBOARD_HIDDEN, reason="needs TensorBoard")
def test_tensorboard_compares_two_runs_by_their_flags_and_metrics(tmp_path):
    recorded = {name: evaluated_run(str(tmp_path / name), rate)
                for name, rate in LEARNING_RATES.items()}
    board = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", str(tmp_path),
         "--host", "127.0.0.1", "--port", "0", "--load_fast", "false",
         "--reload_interval", "1"], stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        lines = StderrLines(board)
        lines.wait_for("(Press CTRL+C to quit)", timeout=DEADLINE_SECS)
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/",
                             "".join(lines.lines)).group(1))
        deadline = time.time() + DEADLINE_SECS
        while True:  # until TensorBoard has loaded both runs' evaluations
            groups = session_groups(port)
            if len(groups) == 2 and all(map(loaded, groups)):
                break
            assert time.time() < deadline, groups
            time.sleep(1)

        infos = {info["name"]: info for info in request(
            port, "hparams/experiment", {"experimentName": ""})["hparamInfos"]}
        assert {"model_name", "dataset_name", "batch_size", "optimizer",
                "learning_rate", "max_number_of_steps", "seed"} <= set(infos)
        assert not {"train_dir", "num_readers", "log_every_n_steps",
                    "eval_every_n_steps"} & set(infos)
        assert infos["learning_rate"]["differs"]
        assert not infos["model_name"]["differs"]

        for group in groups:
            name, = [session["name"] for session in group["sessions"]]
            results, best = recorded[name]
            assert group["hparams"]["learning_rate"] == LEARNING_RATES[name]
            assert group["hparams"]["model_name"] == "lenet"
            metrics = {(value["name"]["group"], value["name"]["tag"]): value
                       for value in group["metricValues"]}
            final = metrics[("eval", "eval/Accuracy")]
            assert final["trainingStep"] == results[-1]["global_step"] == 10
            assert final["value"] == pytest.approx(
                results[-1]["metrics"]["Accuracy"], abs=1e-6)
            kept = metrics[("eval", "best/Accuracy")]
            assert kept["trainingStep"] == best["global_step"]
            assert kept["value"] == pytest.approx(best["value"], abs=1e-6)

            series = request(port, "scalars/scalars?run=%s/eval&tag=%s" % (
                name, "eval/Loss"))
            assert [(step, round(value, 5)) for _, step, value in series] == [
                (result["global_step"], round(result["metrics"]["Loss"], 5))
                for result in results]
    finally:
        board.send_signal(signal.SIGTERM)
        try:
            board.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(board.pid, signal.SIGKILL)
            board.wait()


@pytest.mark.skipif(not TENSORBOARD_HIDDEN,
                    reason="runs in the re-run with TensorBoard hidden")
def test_without_tensorboard_a_run_writes_no_hparams(tmp_path):
    with pytest.raises(ImportError):
        import tensorboard  # noqa: F401
    assert hparams.hparams_api() is None
    results, best = evaluated_run(str(tmp_path / "run"), 0.01)
    assert [result["global_step"] for result in results] == [5, 10]
    assert best["metric"] == "Accuracy"
    assert hparams_plugin_tags(str(tmp_path / "run")) == set()
    assert not any(tag.startswith("best/") for tag in
                   scalar_events(str(tmp_path / "run" / "eval")))


@pytest.mark.slow
@pytest.mark.skipif(tf_keras_helpers.HIDDEN or TENSORBOARD_HIDDEN,
                    reason="this is the re-run")
def test_runs_the_same_with_tensorboard_hidden():
    status, tail = tf_keras_helpers.run_file_without_tf_keras(
        __file__, hide_tensorboard=True, select="without_tensorboard")
    assert status == 0, tail
    assert "1 passed" in tail


def test_the_hparams_are_the_flags_that_define_a_run(tmp_path):
    values = hparams.run_hparams(small_config(tmp_path, learning_rate=0.2))
    assert values["learning_rate"] == 0.2 and values["seed"] == 1
    assert values["num_clones"] == 1 and values["model_name"] == "lenet"
    assert hparams.run_hparams(small_config(
        tmp_path, mixed_precision="bfloat16"))["mixed_precision"] == "bfloat16"
    assert "checkpoint_path" not in values  # None: left out
    assert not {"train_dir", "num_readers", "save_interval_secs", "hooks",
                "master", "eval_every_n_steps"} & set(values)
