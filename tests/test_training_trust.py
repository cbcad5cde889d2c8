"""Training you can trust: real runs, real signals, real kill -9.

Summaries ride on the training step (no batch is pulled for them), seeded
runs repeat bit for bit, a killed run resumes with exactly the examples an
uninterrupted one trains on, SIGTERM/SIGINT stop after a checkpoint,
divergence never reaches a checkpoint, each checkpoint is written once by
one thread, and a finished run stays finished. The subprocesses run
train.py without tf_keras, as a user's `pip install -e .` does.
"""

import os
import signal
import subprocess
import threading
import time

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from slimtrain.errors import DivergedError
from slimtrain.rundir import run_files
from slimtrain.training.input_position import EXAMPLES_NAME, read_position
from slimtrain.training.trainer import train
from tests.training_helpers import (
    PROCESS_DEADLINE_SECS,
    StderrLines,
    all_checkpoints,
    assert_same_variables,
    checkpoint_steps,
    scalar_events,
    signal_after,
    small_config,
    train_command,
    variables_of,
)


def _assert_all_finite(train_dir):
    checkpoints = all_checkpoints(train_dir)
    for checkpoint in checkpoints:
        for name, value in variables_of(checkpoint).items():
            if np.issubdtype(np.asarray(value).dtype, np.floating):
                assert np.isfinite(value).all(), (checkpoint, name)
    return checkpoints


def test_summaries_take_no_batch_and_describe_the_trained_batch(tmp_path,
                                                                 caplog):
    with caplog.at_level("INFO"):
        train(small_config(tmp_path / "busy", max_number_of_steps=30,
                           save_summaries_steps=1, save_summaries_secs=1,
                           log_every_n_steps=10))
    train(small_config(tmp_path / "quiet", max_number_of_steps=30,
                       save_summaries_steps=0, save_summaries_secs=0))
    # Summaries at every step changed nothing the training saw.
    assert_same_variables(tf.train.latest_checkpoint(str(tmp_path / "busy")),
                           tf.train.latest_checkpoint(str(tmp_path / "quiet")))
    # The loss summarized at step 10 is the loss of the batch trained then.
    logged = [record.getMessage() for record in caplog.records
              if record.getMessage().startswith("step 10/30: loss = ")]
    assert len(logged) == 1
    logged_loss = float(logged[0].split("loss = ")[1].split()[0])
    summarized = dict(scalar_events(str(tmp_path / "busy"))["total_loss"])
    assert summarized[10] == pytest.approx(logged_loss, abs=1e-4)


def _start(train_dir, *flags):
    return subprocess.Popen(
        train_command("--train_dir=%s" % train_dir, *flags),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_after_the_step_with_a_checkpoint(tmp_path, signum):
    process = _start(tmp_path, "--max_number_of_steps=0", "--seed=1",
                     "--log_every_n_steps=1", "--save_summaries_steps=2")
    output = signal_after(process, "step 5: loss", signum)
    assert process.returncode == 128 + signum, output[-3000:]
    assert "Traceback" not in output
    last = output.strip().splitlines()[-1]
    name = signal.Signals(signum).name
    assert last.startswith("stopped by %s at step " % name), last
    assert last.endswith("; run the same command to resume"), last
    step = int(last.split(" at step ")[1].split(";")[0])
    assert step >= 5
    assert checkpoint_steps(tmp_path)[-1] == step
    # The events were flushed: the summaries of the last steps are there.
    assert max(s for s, _ in scalar_events(str(tmp_path))["total_loss"]) >= (
        step - 2)
    assert run_files.finished_step(str(tmp_path)) is None


@pytest.mark.slow
def test_a_second_signal_stops_at_once(tmp_path):
    process = _start(tmp_path, "--max_number_of_steps=0")
    lines = StderrLines(process)
    try:
        # Both signals arrive while the graph is being built, long before
        # the first step and the save that the first signal alone asks for.
        lines.wait_for("Training lenet (")
        process.send_signal(signal.SIGTERM)
        lines.wait_for("SIGTERM received")
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=PROCESS_DEADLINE_SECS)
    finally:
        process.kill()
    output = lines.joined()
    assert process.returncode == 143, output[-3000:]
    assert "Saving model to disk" not in output
    assert checkpoint_steps(tmp_path) == []


@pytest.mark.slow
def test_kill_9_and_resume_train_exactly_what_an_uninterrupted_run_does(
        tmp_path):
    # ResNet has no dropout, whose masks a resumed process draws anew. All
    # three runs are processes without tf_keras, so that batch norm takes
    # the same kernels in each.
    flags = ["--model_name=resnet_v1_50", "--train_image_size=32",
             "--batch_size=8", "--max_number_of_steps=24",
             "--save_interval_steps=8", "--seed=5", "--optimizer=momentum",
             "--learning_rate=0.01", "--num_preprocessing_threads=2"]
    straight = subprocess.run(
        train_command("--train_dir=%s" % (tmp_path / "straight"), *flags),
        capture_output=True, text=True, timeout=PROCESS_DEADLINE_SECS)
    assert straight.returncode == 0, straight.stderr[-3000:]

    killed = tmp_path / "killed"
    process = _start(killed, *flags)
    lines = StderrLines(process)
    try:
        deadline = time.time() + PROCESS_DEADLINE_SECS
        while checkpoint_steps(killed) != [8]:
            assert time.time() < deadline and process.poll() is None, (
                lines.joined()[-3000:])
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        process.kill()
    assert process.returncode == -signal.SIGKILL
    assert read_position(tf.train.latest_checkpoint(str(killed)))[1] == 64

    resumed = subprocess.run(train_command("--train_dir=%s" % killed, *flags),
                             capture_output=True, text=True,
                             timeout=PROCESS_DEADLINE_SECS)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "input resumes at example 64" in resumed.stderr
    assert_same_variables(str(tmp_path / "straight" / "model.ckpt-24"),
                           str(killed / "model.ckpt-24"))


@pytest.mark.slow
def test_divergence_exits_3_and_leaves_only_finite_checkpoints(tmp_path):
    result = subprocess.run(
        train_command("--train_dir=%s" % tmp_path, "--optimizer=sgd",
                      "--learning_rate=0.12", "--learning_rate_decay_type=fixed",
                      "--save_interval_steps=2", "--seed=1",
                      "--max_number_of_steps=60"),
        capture_output=True, text=True, timeout=PROCESS_DEADLINE_SECS)
    assert result.returncode == 3, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines()
              if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in result.stderr
    assert "NaN or Inf at global step" in errors[0]
    assert "--learning_rate" in errors[0]
    checkpoints = _assert_all_finite(tmp_path)
    assert checkpoints and checkpoints[-1] in errors[0]
    assert run_files.finished_step(str(tmp_path)) is None


def test_rollback_restores_the_newest_checkpoint_a_bounded_number_of_times(
        tmp_path, caplog):
    with caplog.at_level("WARNING"), pytest.raises(
            DivergedError, match="after 2 rollbacks"):
        train(small_config(tmp_path, optimizer="sgd", learning_rate=0.12,
                           learning_rate_decay_type="fixed",
                           save_interval_steps=5, max_number_of_steps=60,
                           on_nan="rollback", max_nan_rollbacks=2))
    rollbacks = [record.getMessage() for record in caplog.records
                 if "rolled back to" in record.getMessage()]
    assert len(rollbacks) == 2
    assert all("model.ckpt-5 " in message for message in rollbacks)
    assert _assert_all_finite(tmp_path)[-1].endswith("model.ckpt-5")
    # The input went on past the batches that diverged: 5 steps trained,
    # then each attempt's batches, none of them taken again.
    position = read_position(str(tmp_path / "model.ckpt-5"))[1]
    assert position == 5 * 16


def test_without_the_check_a_nan_still_ends_in_one_line(tmp_path):
    with pytest.raises(DivergedError) as raised:
        train(small_config(tmp_path, optimizer="sgd", learning_rate=0.12,
                           learning_rate_decay_type="fixed",
                           check_numerics=False, save_interval_steps=2,
                           save_summaries_secs=1, max_number_of_steps=60))
    assert "NaN or Inf" in str(raised.value)
    assert "\n" not in str(raised.value)
    _assert_all_finite(tmp_path)


def test_each_checkpoint_is_saved_once_by_the_training_thread(tmp_path,
                                                              monkeypatch):
    saves = []
    original_save = tf.train.Saver.save

    def recording_save(saver, sess, save_path, global_step=None, **kwargs):
        step = tf.train.global_step(sess, global_step) if global_step is not \
            None and not isinstance(global_step, int) else global_step
        saves.append((int(step), threading.get_ident()))
        return original_save(saver, sess, save_path, global_step=global_step,
                             **kwargs)

    monkeypatch.setattr(tf.train.Saver, "save", recording_save)
    train(small_config(tmp_path, max_number_of_steps=80, save_interval_steps=10,
                       save_interval_secs=1))
    steps = [step for step, _ in saves]
    assert len(steps) == len(set(steps)), steps
    assert {thread for _, thread in saves} == {threading.get_ident()}
    assert set(range(10, 90, 10)) <= set(steps)
    assert steps[-1] == 80


def test_a_finished_run_stays_finished_until_the_limit_is_raised(tmp_path,
                                                                 caplog):
    train(small_config(tmp_path, max_number_of_steps=10))
    before = sorted(os.listdir(tmp_path))
    with caplog.at_level("INFO"):
        assert train(small_config(tmp_path, max_number_of_steps=10)) is None
    assert any("Already trained to step 10" in record.getMessage()
               for record in caplog.records)
    assert sorted(os.listdir(tmp_path)) == before
    assert checkpoint_steps(tmp_path)[-1] == 10
    train(small_config(tmp_path, max_number_of_steps=15))
    assert checkpoint_steps(tmp_path)[-1] == 15
    assert run_files.finished_step(str(tmp_path)) == 15


def test_checkpoints_hold_the_input_position(tmp_path):
    train(small_config(tmp_path, max_number_of_steps=12,
                       save_interval_steps=4, batch_size=8))
    for step in (4, 8, 12):
        checkpoint = str(tmp_path / ("model.ckpt-%d" % step))
        assert tf.train.load_variable(checkpoint, EXAMPLES_NAME) == step * 8
