"""The best checkpoint kept (slimtrain.evaluation.best), --eval_all_checkpoints,
and evaluation from inside a training process, on real tiny training runs.

The run is `eval_helpers.finished_run` (LeNet on digits, 20 steps,
checkpoints at steps 5, 10, 15 and 20); tests that change a train dir use a copy.
"""

import dataclasses
import glob
import json
import os
import shutil

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from slimtrain.errors import ConfigError
from slimtrain.evaluation import best as best_module
from slimtrain.evaluation.best import BestCheckpointKeeper
from slimtrain.evaluation.config import EvalConfig
from slimtrain.evaluation.evaluator import CheckpointEvaluator
from slimtrain.evaluation.loop import ResultRecorder, run_evaluation
from slimtrain.evaluation.run_settings import (
    eval_config_for_training,
    with_train_defaults,
)
from slimtrain.rundir.checkpoint_files import (
    complete_in_step_order,
    find_checkpoints,
)
from slimtrain.rundir.layout import RESULTS_FILENAME
from slimtrain.scenarios.classifier import METRIC_NAMES
from slimtrain.training.trainer import train
from tests.eval_helpers import copy_run, finished_run, read_results
from tests.training_helpers import recorded_config, small_config

STEPS = [5, 10, 15, 20]


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory):
    return finished_run(tmp_path_factory)


@pytest.fixture(scope="module")
def all_results(trained_dir, tmp_path_factory):
    """One --eval_all_checkpoints pass over a copy, keeping best by Loss:
    (train dir, results)."""
    train_dir = copy_run(trained_dir, tmp_path_factory.mktemp("all") / "run")
    results = run_evaluation(eval_config(
        train_dir, eval_all_checkpoints=True, keep_best_checkpoint_by="Loss"))
    return train_dir, results


def eval_config(train_dir, **overrides):
    settings = dict(checkpoint_dir=train_dir, batch_size=120,
                    num_preprocessing_threads=2)
    settings.update(overrides)
    return EvalConfig(**settings)


def variables_of(checkpoint):
    reader = tf.train.NewCheckpointReader(checkpoint)
    return {name: reader.get_tensor(name)
            for name in reader.get_variable_to_shape_map()}


def assert_same_checkpoint(first, second):
    first, second = variables_of(first), variables_of(second)
    assert first.keys() == second.keys()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])


def best_checkpoint(train_dir):
    return tf.train.latest_checkpoint(os.path.join(train_dir, "best"))


def names(results):
    return [os.path.basename(result.checkpoint_path) for result in results]


def test_eval_all_evaluates_every_checkpoint_in_step_order(all_results):
    train_dir, results = all_results
    assert names(results) == ["model.ckpt-%d" % step for step in STEPS]
    # (The Supervisor's first checkpoint may hold step 1 under the name -0.)
    steps = [result.global_step for result in results]
    assert steps == sorted(steps) and steps[1:] == STEPS[1:]
    lines = read_results(os.path.join(train_dir, "eval"))
    assert [line["global_step"] for line in lines] == steps


def test_best_holds_the_checkpoint_of_the_best_line(all_results):
    train_dir, results = all_results
    lowest = min(results, key=lambda result: result.metrics["Loss"])
    with open(os.path.join(train_dir, "best", "best.json")) as handle:
        record = json.load(handle)
    assert record["metric"] == "Loss" and record["higher_is_better"] is False
    assert record["value"] == lowest.metrics["Loss"]
    assert record["global_step"] == lowest.global_step
    assert record["source_checkpoint"] == lowest.checkpoint_path
    assert record["dataset_split_name"] == "test"
    # A checkpoint directory of its own, by relative path.
    with open(os.path.join(train_dir, "best", "checkpoint")) as handle:
        assert os.path.basename(lowest.checkpoint_path) in handle.read()
        handle.seek(0)
        assert os.sep not in handle.read()
    assert_same_checkpoint(best_checkpoint(train_dir), lowest.checkpoint_path)
    # Only the folder the link points to is left.
    assert glob.glob(os.path.join(train_dir, "best-step-*")) == [
        os.path.join(train_dir, os.readlink(os.path.join(train_dir, "best")))]


def test_eval_all_again_skips_what_results_jsonl_has(all_results, tmp_path):
    train_dir = str(tmp_path / "run")
    shutil.copytree(all_results[0], train_dir, symlinks=True)
    eval_dir = os.path.join(train_dir, "eval")
    assert run_evaluation(eval_config(train_dir,
                                      eval_all_checkpoints=True)) == []
    # Drop step 10's line: only step 10 is evaluated again.
    lines = open(os.path.join(eval_dir, RESULTS_FILENAME)).readlines()
    with open(os.path.join(eval_dir, RESULTS_FILENAME), "w") as handle:
        handle.writelines([lines[0]] + lines[2:])
    [again] = run_evaluation(eval_config(train_dir,
                                         eval_all_checkpoints=True))
    assert names([again]) == ["model.ckpt-10"]
    assert again.metrics == all_results[1][1].metrics
    # Another split is another evaluation: everything runs again for it.
    on_train = run_evaluation(eval_config(
        train_dir, eval_all_checkpoints=True, dataset_split_name="train",
        max_num_batches=1))
    assert names(on_train) == names(all_results[1])


def test_eval_all_lists_complete_checkpoints_by_step_number_not_text(
        tmp_path, caplog):
    """--eval_all_checkpoints' listing: step order by number, a torn
    checkpoint (here an empty index) skipped with one warning."""
    with tf.Graph().as_default():
        tf.compat.v1.get_variable("w", [2])
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for step in (100, 20, 3):
                saver.save(sess, str(tmp_path / "model.ckpt"), step)
    (tmp_path / "model.ckpt-50.index").write_text("")
    assert [os.path.basename(path) for path in find_checkpoints(
        str(tmp_path))] == ["model.ckpt-100", "model.ckpt-50",
                            "model.ckpt-20", "model.ckpt-3"]
    with caplog.at_level("WARNING"):
        found = complete_in_step_order(str(tmp_path))
    assert [os.path.basename(path) for path in found] == [
        "model.ckpt-3", "model.ckpt-20", "model.ckpt-100"]
    skipped = [r.getMessage() for r in caplog.records
               if "model.ckpt-50" in r.getMessage()]
    assert len(skipped) == 1


def test_best_survives_retention_and_is_evaluated_and_fine_tuned_from(
        all_results, tmp_path):
    train_dir = str(tmp_path / "run")
    shutil.copytree(all_results[0], train_dir, symlinks=True)
    best_dir = os.path.join(train_dir, "best")
    with open(os.path.join(best_dir, "best.json")) as handle:
        record = json.load(handle)
    kept = variables_of(best_checkpoint(train_dir))
    for path in glob.glob(os.path.join(train_dir, "model.ckpt-*")):
        os.remove(path)  # as retention would
    # eval.py --checkpoint_path=<train dir>/best: the run's settings come
    # with it, and the metrics are those it was kept for.
    [result] = run_evaluation(EvalConfig(
        checkpoint_path=best_dir, batch_size=120, num_preprocessing_threads=2,
        eval_dir=str(tmp_path / "best_eval")))
    assert result.global_step == record["global_step"]
    assert result.metrics == record["metrics"]
    # train.py --checkpoint_path=<train dir>/best starts from its weights
    # (one step with a negligible learning rate keeps them).
    fine_tuned = str(tmp_path / "fine_tuned")
    train(small_config(fine_tuned, checkpoint_path=best_dir,
                       max_number_of_steps=1, optimizer="sgd",
                       learning_rate=1e-9))
    after = variables_of(tf.train.latest_checkpoint(fine_tuned))
    model_variables = [name for name in kept
                       if name.endswith(("/weights", "/biases"))]
    assert model_variables
    for name in model_variables:
        np.testing.assert_allclose(after[name], kept[name], atol=1e-6)


def results_by_step(all_results):
    """{5: result of model.ckpt-5, 10: ..., 20: ...}."""
    return dict(zip(STEPS, all_results[1]))


def test_keeper_compares_by_direction_and_continues_after_restart(
        all_results, trained_dir, tmp_path):
    results = results_by_step(all_results)
    train_dir = copy_run(trained_dir, tmp_path / "run")
    results = {step: dataclasses.replace(result, checkpoint_path=os.path.join(
        train_dir, os.path.basename(result.checkpoint_path)))
        for step, result in results.items()}

    def accuracy(step):
        return results[step].metrics["Accuracy"]

    assert accuracy(20) > accuracy(5)
    keeper = BestCheckpointKeeper(train_dir, "Accuracy")
    assert keeper.best() is None
    assert keeper.consider(results[5])
    assert keeper.consider(results[20])
    assert not keeper.consider(results[20])  # equal is not better
    # A new process (resume) reads best.json: the worse step 5 does not win.
    restarted = BestCheckpointKeeper(train_dir, "Accuracy")
    assert not restarted.consider(results[5])
    assert restarted.best()["source_checkpoint"] == results[20].checkpoint_path
    assert_same_checkpoint(best_checkpoint(train_dir),
                           results[20].checkpoint_path)
    with pytest.raises(ConfigError, match="by Accuracy, not Loss"):
        BestCheckpointKeeper(train_dir, "Loss")
    nan = dataclasses.replace(results[10], metrics=dict(
        results[10].metrics, Accuracy=float("nan")))
    assert not restarted.consider(nan)


def test_a_crash_while_copying_leaves_the_old_best_complete(
        all_results, trained_dir, tmp_path, monkeypatch):
    results = results_by_step(all_results)
    train_dir = copy_run(trained_dir, tmp_path / "run")
    local = {step: dataclasses.replace(result, checkpoint_path=os.path.join(
        train_dir, os.path.basename(result.checkpoint_path)))
        for step, result in results.items()}
    keeper = BestCheckpointKeeper(train_dir, "Accuracy")
    assert keeper.consider(local[5])
    copies = []

    def copy_then_die(source, destination):
        if copies:
            raise KeyboardInterrupt("killed while copying")
        copies.append(shutil.copyfile(
            source, os.path.join(destination, os.path.basename(source))))

    monkeypatch.setattr(best_module.shutil, "copy2", copy_then_die)
    with pytest.raises(KeyboardInterrupt):
        keeper.consider(local[20])
    monkeypatch.undo()
    assert len(glob.glob(os.path.join(train_dir, "best-step-*"))) == 2
    assert keeper.best()["source_checkpoint"] == local[5].checkpoint_path
    assert_same_checkpoint(best_checkpoint(train_dir),
                           local[5].checkpoint_path)
    # The next keeper removes the unfinished folder and keeps step 20.
    assert BestCheckpointKeeper(train_dir, "Accuracy").consider(local[20])
    assert len(glob.glob(os.path.join(train_dir, "best-step-*"))) == 1
    assert_same_checkpoint(best_checkpoint(train_dir),
                           local[20].checkpoint_path)


def test_a_checkpoint_deleted_before_the_copy_is_not_kept(
        all_results, trained_dir, tmp_path):
    train_dir = copy_run(trained_dir, tmp_path / "run")
    result = dataclasses.replace(results_by_step(all_results)[20],
                                 checkpoint_path=os.path.join(
                                     train_dir, "model.ckpt-20"))
    for path in glob.glob(result.checkpoint_path + ".*"):
        os.remove(path)  # as retention would
    assert not BestCheckpointKeeper(train_dir, "Loss").consider(result)
    assert not os.path.lexists(os.path.join(train_dir, "best"))
    assert glob.glob(os.path.join(train_dir, "best-step-*")) == []


def test_keeper_refuses_what_it_cannot_keep(all_results, tmp_path):
    with pytest.raises(ConfigError, match="Precision is not a metric"):
        BestCheckpointKeeper(str(tmp_path), "Precision")
    (tmp_path / "best").mkdir()
    with pytest.raises(ConfigError, match="is not the link"):
        BestCheckpointKeeper(str(tmp_path), "Accuracy")
    with pytest.raises(ConfigError, match="not a metric of the evaluation"):
        BestCheckpointKeeper(str(tmp_path), "Accuracy/digit")
    with pytest.raises(ConfigError, match="pass one"):
        eval_config(str(tmp_path), eval_all_checkpoints=True,
                    eval_interval_secs=1).validate()
    # A best chosen on one split is not compared with another split's.
    train_dir, results = all_results
    on_train = dataclasses.replace(results[0], dataset_split_name="train")
    with pytest.raises(ConfigError, match="was chosen on digits/test"):
        BestCheckpointKeeper(train_dir, "Loss").consider(on_train)


def test_continuous_eval_keeps_the_best(trained_dir, tmp_path):
    train_dir = copy_run(trained_dir, tmp_path / "run")
    [result] = run_evaluation(eval_config(
        train_dir, eval_interval_secs=0, keep_best_checkpoint_by="Accuracy"))
    assert names([result]) == ["model.ckpt-20"]
    assert_same_checkpoint(best_checkpoint(train_dir), result.checkpoint_path)


def test_metric_names_are_the_evaluations(all_results):
    # digits has 10 classes, so Recall_5 is measured too.
    assert set(all_results[1][0].metrics) == set(METRIC_NAMES)


def test_evaluates_inside_a_training_session_without_touching_it(
        trained_dir, tmp_path):
    """The evaluator builds its own graph: a training graph that is
    finalized and running in this thread keeps its ops and its input."""
    train_dir = copy_run(trained_dir, tmp_path / "run")
    train_config = dataclasses.replace(recorded_config(train_dir),
                                       train_dir=train_dir)
    config = eval_config_for_training(train_config, batch_size=120,
                                      keep_best_checkpoint_by="Accuracy")
    assert config == with_train_defaults(EvalConfig(
        checkpoint_dir=train_dir, batch_size=120,
        num_preprocessing_threads=train_config.num_preprocessing_threads,
        keep_best_checkpoint_by="Accuracy"), train_config)
    evaluator = CheckpointEvaluator(config)
    record = ResultRecorder(config, evaluator.metric_names)
    checkpoint = tf.train.latest_checkpoint(train_dir)

    def training_graph():
        graph = tf.Graph()
        with graph.as_default():
            tf.set_random_seed(3)
            batches = tf.data.Dataset.range(1000).shuffle(1000).batch(4)
            step = tf.data.make_one_shot_iterator(batches).get_next()
            noise = tf.random.uniform([])
        graph.finalize()
        return graph, (step, noise)

    def train_steps(evaluate_at=None):
        graph, fetches = training_graph()
        operations = len(graph.get_operations())
        seen, results = [], []
        with graph.as_default(), tf.Session(graph=graph) as session:
            for index in range(6):
                if index == evaluate_at:
                    results.append(record(evaluator.evaluate(
                        checkpoint, config.resolved_eval_dir)))
                    assert tf.get_default_graph() is graph
                values = session.run(fetches)
                seen.append((values[0].tolist(), float(values[1])))
        assert len(graph.get_operations()) == operations
        return seen, results

    plain, _ = train_steps()
    interrupted, [result] = train_steps(evaluate_at=3)
    assert interrupted == plain
    # eval.py's results, line and best checkpoint.
    [separate] = run_evaluation(eval_config(
        train_dir, eval_dir=str(tmp_path / "separate")))
    assert result.metrics == separate.metrics
    assert result.examples == separate.examples == 360
    [line] = read_results(os.path.join(train_dir, "eval"))
    assert line["metrics"] == result.metrics
    assert_same_checkpoint(best_checkpoint(train_dir), checkpoint)
