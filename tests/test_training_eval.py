"""Evaluation during training (train.py --eval_every_n_steps) and best/."""

import json

import pytest
import tensorflow.compat.v1 as tf

from slimtrain.errors import ConfigError
from slimtrain.evaluation.best import read_best
from slimtrain.evaluation.during_training import train_and_evaluate as train
from slimtrain.rundir.layout import RESULTS_FILENAME
from tests.training_helpers import scalar_events, small_config, variables_of


def test_evaluation_during_training_records_each_step_and_keeps_the_best(
        tmp_path):
    evaluated = tmp_path / "evaluated"
    train(small_config(evaluated, max_number_of_steps=25,
                       eval_every_n_steps=10, optimizer="sgd",
                       learning_rate=0.05, learning_rate_decay_type="fixed"))
    with open(evaluated / "eval" / RESULTS_FILENAME) as handle:
        lines = [json.loads(line) for line in handle]
    # Every 10 steps, and the last step.
    assert [line["global_step"] for line in lines] == [10, 20, 25]
    assert {line["dataset_split_name"] for line in lines} == {"test"}
    assert {line["examples"] for line in lines} == {360}
    assert sorted(lines[0]["metrics"]) == [
        "Accuracy", "Loss", "Mean_Per_Class_Accuracy", "Recall_5"]
    eval_summaries = scalar_events(str(evaluated / "eval"))
    assert [step for step, _ in eval_summaries["eval/Accuracy"]] == [10, 20,
                                                                     25]

    # best/ holds the checkpoint of the first line with the best accuracy.
    best_line = max(lines, key=lambda line: line["metrics"]["Accuracy"])
    best = read_best(str(evaluated))
    assert best["metric"] == "Accuracy"
    assert best["global_step"] == best_line["global_step"]
    assert best["value"] == best_line["metrics"]["Accuracy"]
    kept = tf.train.latest_checkpoint(str(evaluated / "best"))
    assert kept.endswith("model.ckpt-%d" % best_line["global_step"])

    # Evaluating took nothing from the training input.
    plain = tmp_path / "plain"
    train(small_config(plain, max_number_of_steps=25, save_interval_steps=10,
                       optimizer="sgd", learning_rate=0.05,
                       learning_rate_decay_type="fixed"))
    trained, untouched = (variables_of(str(run / "model.ckpt-25"))
                          for run in (evaluated, plain))
    assert all((trained[name] == untouched[name]).all() for name in trained)


@pytest.mark.parametrize("changes, named", [
    ({"keep_best_checkpoint_by": "Accuracy"}, "--eval_every_n_steps"),
    ({"eval_every_n_steps": 5, "keep_best_checkpoint_by": "Speed"}, "Speed"),
    ({"eval_every_n_steps": 5, "eval_dataset_split_name": "validation"},
     "validation"),
    ({"eval_every_n_steps": 5, "eval_batch_size": 0}, "--eval_batch_size"),
])
def test_bad_evaluation_settings_are_one_line_and_write_nothing(
        tmp_path, changes, named):
    with pytest.raises(ConfigError) as raised:
        train(small_config(tmp_path / "run", **changes))
    assert named in str(raised.value) and "\n" not in str(raised.value)
    assert not (tmp_path / "run").exists()
