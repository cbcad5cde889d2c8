"""Real evaluations (slimtrain.evaluation.loop) of real, tiny training runs.

One LeNet-on-digits run of 20 steps, checkpointed at steps 0, 10 and 20, is
trained once (`eval_helpers.finished_run`); tests that change its train dir
evaluate a copy. The digits test split holds 360 examples, not a multiple of
the batch sizes used, so the counts show that the last partial batch is
counted once.
"""

import dataclasses
import os
import threading
import time

import pytest
import tensorflow.compat.v1 as tf

from slimtrain.errors import ConfigError
from slimtrain.evaluation.config import EvalConfig
from slimtrain.evaluation.loop import run_evaluation
from slimtrain.rundir import run_files
from slimtrain.rundir.layout import RESULTS_FILENAME
from tests.eval_helpers import copy_run, finished_run, read_results, set_latest
from tests.training_helpers import scalar_events

DIGITS_TEST_SIZE = 360


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory):
    return finished_run(tmp_path_factory)


def eval_config(train_dir, **overrides):
    settings = dict(checkpoint_dir=train_dir, batch_size=50,
                    num_preprocessing_threads=2)
    settings.update(overrides)
    return EvalConfig(**settings)


def test_once_counts_each_example_once_and_records_everything(
        trained_dir, tmp_path, capsys):
    train_dir = copy_run(trained_dir, tmp_path / "run")
    [result] = run_evaluation(eval_config(train_dir))

    assert result.global_step == 20
    assert result.examples == DIGITS_TEST_SIZE
    assert result.dataset_name == "digits"
    assert result.dataset_split_name == "test"
    assert sorted(result.metrics) == [
        "Accuracy", "Loss", "Mean_Per_Class_Accuracy", "Recall_5"]
    assert result.metrics["Accuracy"] > 0.3  # chance is 0.1
    assert result.metrics["Recall_5"] >= result.metrics["Accuracy"]

    eval_dir = os.path.join(train_dir, "eval")
    [line] = read_results(eval_dir)
    assert line == dataclasses.asdict(result)
    assert line["checkpoint_path"] == os.path.join(train_dir, "model.ckpt-20")
    scalars = scalar_events(eval_dir)
    assert scalars["eval/Examples"] == [(20, DIGITS_TEST_SIZE)]
    assert scalars["eval/Accuracy"] == [
        (20, pytest.approx(result.metrics["Accuracy"]))]
    for name in result.metrics:
        assert "eval/" + name in scalars
    table = capsys.readouterr().out
    assert ("model.ckpt-20 (global step 20) on digits/test: 360 examples"
            in table)
    assert "Accuracy" in table


def test_exact_example_counts_and_results_accumulate(trained_dir, tmp_path):
    eval_dir = str(tmp_path / "results")
    runs = [(7, None, DIGITS_TEST_SIZE),  # 51 full batches and one of 3
            (50, 3, 150),
            (500, None, DIGITS_TEST_SIZE)]  # one partial batch
    for batch_size, max_num_batches, expected in runs:
        [result] = run_evaluation(eval_config(
            trained_dir, batch_size=batch_size,
            max_num_batches=max_num_batches, eval_dir=eval_dir))
        assert result.examples == expected
    counts = [expected for _, _, expected in runs]
    assert [line["examples"] for line in read_results(eval_dir)] == counts
    assert scalar_events(eval_dir)["eval/Examples"] == [
        (20, count) for count in counts]


def test_once_evaluates_a_given_checkpoint_file(trained_dir, tmp_path):
    eval_dir = str(tmp_path / "results")
    [result] = run_evaluation(EvalConfig(
        checkpoint_path=os.path.join(trained_dir, "model.ckpt-10"),
        eval_dir=eval_dir, batch_size=200))
    assert result.global_step == 10
    assert [line["global_step"] for line in read_results(eval_dir)] == [10]


def test_continuous_evaluates_each_new_checkpoint_until_training_finishes(
        trained_dir, tmp_path):
    train_dir = copy_run(trained_dir, tmp_path / "run", latest_step=10,
                         finished=False)
    results_path = os.path.join(train_dir, "eval", RESULTS_FILENAME)

    def trainer():
        """Saves step 20 and finishes once step 10 has been evaluated."""
        deadline = time.time() + 60
        while not os.path.exists(results_path) and time.time() < deadline:
            time.sleep(0.1)
        set_latest(train_dir, 20, source=trained_dir)
        run_files.mark_finished(train_dir, 20)

    thread = threading.Thread(target=trainer)
    thread.start()
    start = time.time()
    results = run_evaluation(eval_config(
        train_dir, eval_interval_secs=0, timeout=60, batch_size=200))
    thread.join()

    assert [result.global_step for result in results] == [10, 20]
    assert [line["global_step"] for line in
            read_results(os.path.join(train_dir, "eval"))] == [10, 20]
    assert time.time() - start < 45  # stopped on the marker, not the timeout


def test_continuous_stops_after_timeout_without_new_checkpoints(
        trained_dir, tmp_path, caplog):
    train_dir = copy_run(trained_dir, tmp_path / "run", finished=False)
    start = time.time()
    with caplog.at_level("WARNING"):
        results = run_evaluation(eval_config(
            train_dir, eval_interval_secs=0, timeout=2, batch_size=200))
    assert [result.global_step for result in results] == [20]
    assert time.time() - start < 30
    assert any("--timeout" in record.getMessage() for record in caplog.records)


def test_continuous_stops_after_max_number_of_evaluations(trained_dir,
                                                          tmp_path):
    train_dir = copy_run(trained_dir, tmp_path / "run", latest_step=10,
                         finished=False)
    results = run_evaluation(eval_config(
        train_dir, eval_interval_secs=0, timeout=60,
        max_number_of_evaluations=1, batch_size=200))
    assert [result.global_step for result in results] == [10]


@pytest.mark.parametrize("continuous", [False, True])
def test_checkpoint_deleted_before_restore_is_skipped(
        trained_dir, tmp_path, monkeypatch, caplog, continuous):
    """The trainer saves step 20 and deletes step 10 while 10 is opened."""
    train_dir = copy_run(trained_dir, tmp_path / "run", latest_step=10)
    doomed = os.path.join(train_dir, "model.ckpt-10")
    restore = tf.train.Saver.restore

    def restore_after_retention(saver, sess, save_path):
        if save_path == doomed:
            set_latest(train_dir, 20, source=trained_dir)
            for name in os.listdir(train_dir):
                if name.startswith("model.ckpt-10."):
                    os.remove(os.path.join(train_dir, name))
        return restore(saver, sess, save_path)

    monkeypatch.setattr(tf.train.Saver, "restore", restore_after_retention)
    overrides = dict(eval_interval_secs=0, timeout=60) if continuous else {}
    with caplog.at_level("WARNING"):
        results = run_evaluation(eval_config(train_dir, batch_size=200,
                                             **overrides))

    assert [result.global_step for result in results] == [20]
    assert [line["global_step"] for line in
            read_results(os.path.join(train_dir, "eval"))] == [20]
    skipped = [record.getMessage() for record in caplog.records
               if record.getMessage().startswith("Skipping")]
    assert len(skipped) == 1 and doomed in skipped[0]


# (case id, EvalConfig settings given the run's train dir as {run} and a
# scratch folder as {scratch}, text the error must contain).
BAD_INPUTS = [
    ("missing_dir", dict(checkpoint_dir="{scratch}/nowhere"),
     "there is no directory"),
    ("empty_dir", dict(checkpoint_dir="{scratch}/empty"),
     "--checkpoint_dir={scratch}/empty holds no checkpoint"),
    ("not_a_checkpoint", dict(checkpoint_path="{run}/model.ckpt-999"),
     "--checkpoint_path={run}/model.ckpt-999 is not a checkpoint"),
    ("other_model", dict(checkpoint_dir="{run}", model_name="cifarnet"),
     "lacks CifarNet/conv1/biases, CifarNet/conv1/weights"),
    ("no_moving_averages", dict(checkpoint_dir="{run}",
                                moving_average_decay=0.999),
     "holds no moving averages: pass --moving_average_decay=0"),
    ("too_large_labels_offset", dict(checkpoint_dir="{run}", labels_offset=10),
     "--labels_offset=10 leaves no classes"),
    ("unknown_preprocessing", dict(checkpoint_dir="{run}",
                                   preprocessing_name="sharpen"),
     "Unknown preprocessing name 'sharpen'"),
    ("unknown_dataset", dict(checkpoint_dir="{run}", dataset_name="svhn"),
     "--dataset_name=svhn is not known"),
    ("no_held_out_split", dict(checkpoint_dir="{run}", dataset_name="mnist",
                               dataset_dir="{scratch}/mnist"),
     "no held-out split of mnist could be opened (test: No files match"),
    ("bad_value", dict(checkpoint_dir="{run}", batch_size=0),
     "--batch_size=0 must be positive"),
    ("timeout_without_continuous", dict(checkpoint_dir="{run}", timeout=5),
     "--timeout applies only to continuous evaluation"),
    ("two_checkpoint_flags", dict(checkpoint_dir="{run}",
                                  checkpoint_path="{run}"), "both given"),
    ("continuous_on_a_file", dict(checkpoint_path="{run}/model.ckpt-20",
                                  eval_interval_secs=1),
     "--eval_interval_secs needs a directory of checkpoints"),
    ("all_on_a_file", dict(checkpoint_path="{run}/model.ckpt-20",
                           eval_all_checkpoints=True),
     "--eval_all_checkpoints needs a directory of checkpoints"),
    ("all_in_an_empty_dir", dict(checkpoint_dir="{scratch}/empty",
                                 eval_all_checkpoints=True),
     "holds no checkpoint to evaluate"),
    ("best_by_another_metric", dict(checkpoint_dir="{run}",
                                    keep_best_checkpoint_by="Recall_1"),
     "--keep_best_checkpoint_by=Recall_1 is not a metric"),
]


@pytest.mark.parametrize("settings, expected",
                         [case[1:] for case in BAD_INPUTS],
                         ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_is_refused_before_anything_is_written(
        trained_dir, tmp_path, settings, expected):
    run = copy_run(trained_dir, tmp_path / "run")
    scratch = tmp_path / "scratch"
    (scratch / "empty").mkdir(parents=True)
    (scratch / "mnist").mkdir()
    (scratch / "mnist" / "mnist_train.tfrecord").write_bytes(b"")
    before = sorted(os.walk(tmp_path))
    settings = {name: value.format(run=run, scratch=scratch)
                if isinstance(value, str) else value
                for name, value in settings.items()}
    with pytest.raises(ConfigError) as raised:
        run_evaluation(EvalConfig(**settings))
    message = str(raised.value)
    assert expected.format(run=run, scratch=scratch) in message
    assert "\n" not in message
    assert sorted(os.walk(tmp_path)) == before
