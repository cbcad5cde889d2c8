"""Scenarios: the user's own, multi_head and gan, trained by the harness.

The user's scenario lives in tests/user_scenario.py, outside slimtrain, and
is trained through train.py as a user would: it checkpoints, is stopped by
SIGTERM, resumes, and the resumed run ends with exactly the weights of an
uninterrupted one (its schedule has a step that does not read the batch).
"""

import dataclasses
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from slimtrain.data.datasets import dataset_factory
from slimtrain.data.input_pipeline import evaluation_pass
from slimtrain.data.preprocessing import preprocessing_factory
from slimtrain.errors import ConfigError
from slimtrain.evaluation.config import EvalConfig
from slimtrain.evaluation.during_training import train_and_evaluate
from slimtrain.evaluation.loop import run_evaluation
from slimtrain.evaluation.run_settings import with_train_defaults
from slimtrain.export.config import ExportConfig
from slimtrain.export.exporter import run_export
from slimtrain.scenarios import TrainStep, Update
from slimtrain.scenarios.gan import GanScenario
from slimtrain.scenarios.registry import load_scenario, with_scenario_defaults
from slimtrain.training.config import TrainConfig
from slimtrain.training.graph import build_train_graph
from slimtrain.training.initialization import make_fine_tune_init_fn
from slimtrain.training.train_ops import StepSchedule
from slimtrain.training.trainer import train
from tests.training_helpers import (
    PROCESS_DEADLINE_SECS,
    REPO,
    assert_same_variables,
    checkpoint_steps,
    recorded_config,
    scalar_events,
    signal_after,
    small_config,
    train_command,
)

USER_SCENARIO = "tests.user_scenario:AlternatingScenario"


def _train(train_dir, *flags, cwd=REPO):
    """Runs train.py from `cwd`, with this checkout's slimtrain."""
    return subprocess.run(
        train_command("--train_dir=%s" % train_dir, "--batch_size=16",
                      "--num_readers=1", "--log_every_n_steps=1", *flags),
        capture_output=True, text=True, cwd=cwd,
        env=dict(os.environ, PYTHONPATH=REPO),
        timeout=PROCESS_DEADLINE_SECS)


@pytest.mark.slow
def test_a_user_scenario_stops_on_sigterm_and_resumes_exactly(tmp_path):
    # Every checkpoint is kept, so step 4's is there however late the
    # signal lands.
    flags = ("--scenario=" + USER_SCENARIO, "--seed=3",
             "--save_interval_steps=4", "--max_checkpoints_to_keep=1000")
    process = subprocess.Popen(
        train_command("--train_dir=%s" % (tmp_path / "stopped"),
                      "--batch_size=16", "--num_readers=1",
                      "--log_every_n_steps=1", "--max_number_of_steps=0",
                      *flags),
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True)
    output = signal_after(process, "step 7: loss", signal.SIGTERM)
    assert process.returncode == 143, output[-3000:]
    stopped_at = int(re.search(r"stopped by SIGTERM at step (\d+)",
                               output).group(1))
    steps = checkpoint_steps(tmp_path / "stopped")
    assert steps[-1] == stopped_at and 4 in steps

    last = stopped_at + 7  # not a multiple of the schedule's 3 steps
    resumed = _train(tmp_path / "stopped", "--max_number_of_steps=%d" % last,
                     *flags)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Resuming from" in resumed.stderr
    whole = _train(tmp_path / "whole", "--max_number_of_steps=%d" % last,
                   *flags)
    assert whole.returncode == 0, whole.stderr[-3000:]
    assert_same_variables(tf.train.latest_checkpoint(str(tmp_path / "stopped")),
                          tf.train.latest_checkpoint(str(tmp_path / "whole")))
    # Both updates' losses were summarized.
    scalars = scalar_events(str(tmp_path / "whole"))
    assert {"losses/fit", "losses/shrink"} <= set(scalars)
    assert recorded_config(str(tmp_path / "whole")).scenario == USER_SCENARIO


@pytest.mark.parametrize("spec, options, expected", [
    ("nonesuch", None, "neither a built-in scenario"),
    ("tests.no_such_module:Thing", None, "does not import"),
    ("tests.user_scenario:Missing", None, "has no attribute 'Missing'"),
    ("tests.user_scenario:NOT_A_SCENARIO", None, "is not a Scenario"),
    (USER_SCENARIO, "shrink=2", "does not fit scenario"),
    (USER_SCENARIO, "=2", "malformed entry"),
    ("gan", "depth=-1", "must be a positive integer"),
])
def test_a_bad_scenario_is_one_line(spec, options, expected):
    with pytest.raises(ConfigError, match=expected):
        load_scenario(spec, options)


def test_a_bad_scenario_exits_2_and_writes_nothing(tmp_path):
    result = _train(tmp_path / "run", "--scenario=tests.no_such_module:X")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        "error: --scenario=tests.no_such_module:X: module tests.no_such_module "
        "does not import (ModuleNotFoundError")
    assert not os.path.exists(tmp_path / "run")


def test_scenario_flag_defaults_yield_to_given_flags():
    config = TrainConfig(scenario="gan")
    gan = load_scenario("gan")
    assert with_scenario_defaults(config, set(), gan).optimizer == "adam"
    kept = with_scenario_defaults(
        dataclasses.replace(config, optimizer="sgd"), {"optimizer"}, gan)
    assert (kept.optimizer, kept.learning_rate) == ("sgd", 0.0002)


def test_a_schedule_runs_its_groups_in_turn():
    schedule = StepSchedule(["d", "d", "g"])
    assert [schedule.for_step(step) for step in range(1, 8)] == [
        "d", "d", "g", "d", "d", "g", "d"]
    loss = tf.constant(1.0)
    step = TrainStep(updates=[Update("a", loss), Update("b", loss)],
                     schedule=[["a"], ["b", "a"]])
    assert [[u.name for u in group] for group in step.groups()] == [
        ["a"], ["b", "a"]]
    for bad, expected in ((dict(schedule=[["c"]]), "names \\['c'\\]"),
                          (dict(updates=[Update("a", loss), Update("b", loss)],
                                schedule=[["a"]]), "never runs the update"),
                          (dict(schedule=[]), "schedule is empty"),
                          (dict(updates=[]), "no update")):
        settings = dict(updates=[Update("a", loss)])
        settings.update(bad)
        with pytest.raises(ConfigError, match=expected):
            TrainStep(**settings).groups()


@pytest.mark.parametrize("scenario, parts", [
    ("classifier", "all"), ("multi_head", "all"), ("gan", None)])
def test_progress_lines_split_off_the_regularization_each_step_includes(
        scenario, parts):
    """The regularization part of a step's loss is the sum of the graph's
    regularization losses that the step's updates compute their losses
    from: all of them for the classifier (one total loss) and multi_head
    (each head and the trunk its own scope's); the gan's losses include
    none."""
    config = with_scenario_defaults(
        TrainConfig(scenario=scenario, scenario_options=(
            "depth=8" if scenario == "gan" else None), batch_size=4),
        set(), load_scenario(scenario, None))
    with tf.Graph().as_default():
        graph = build_train_graph(config, load_scenario(
            scenario, config.scenario_options))
        regularization = [op.regularization
                          for op in graph.schedule.step_ops]
        if parts is None:
            assert regularization == [None, None]
            return
        [part] = regularization
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            value, expected = sess.run(
                [part, tf.add_n(tf.losses.get_regularization_losses())])
    assert value == pytest.approx(expected) and value > 0
    assert graph.main_loss_name == "cross-entropy"


def test_multi_head_trains_each_head_and_evaluates_them(tmp_path):
    config = small_config(tmp_path, scenario="multi_head",
                          max_number_of_steps=120, batch_size=32,
                          eval_every_n_steps=120, eval_batch_size=120)
    train_and_evaluate(config)
    result, = run_evaluation(EvalConfig(checkpoint_dir=str(tmp_path),
                                        batch_size=120))
    assert set(result.metrics) == {"Accuracy/digit", "Accuracy/odd",
                                   "Accuracy/ge5"}
    # Chance is 0.1 and 0.5; each head learned its own target.
    assert result.metrics["Accuracy/digit"] > 0.5, result.metrics
    assert result.metrics["Accuracy/odd"] > 0.7, result.metrics
    assert result.metrics["Accuracy/ge5"] > 0.7, result.metrics
    # Training evaluated too, and kept best/.
    assert os.path.islink(tmp_path / "best")
    scalars = scalar_events(str(tmp_path / "eval"))
    assert "eval/Accuracy/odd" in scalars
    # export.py serves classifiers only, and says so before writing.
    with pytest.raises(ConfigError, match="--scenario=multi_head, and "
                       "export.py and predict.py serve image classifiers"):
        run_export(ExportConfig(checkpoint_dir=str(tmp_path)))
    assert not os.path.exists(tmp_path / "export")


def test_gan_moves_both_losses_and_its_samples_towards_the_data(tmp_path):
    scenario_options = "depth=16"
    config = small_config(tmp_path, scenario="gan", max_number_of_steps=600,
                          batch_size=32, save_summaries_steps=20,
                          scenario_options=scenario_options,
                          learning_rate=0.001)
    train(with_scenario_defaults(config, {"learning_rate"},
                                 load_scenario("gan", scenario_options)))
    scalars = scalar_events(str(tmp_path))
    for name in ("losses/discriminator", "losses/generator"):
        values = [value for _, value in scalars[name]]
        assert abs(values[-1] - values[0]) > 0.1, (name, values)
    # The default --save_interval_steps=500 saved along the way.
    assert checkpoint_steps(tmp_path) == [500, 600]

    data = _digits_at_32_pixels()
    untrained = _samples(GanScenario(depth=16), None)
    trained = _samples(GanScenario(depth=16),
                       tf.train.latest_checkpoint(str(tmp_path)))
    # The distribution of pixel values (mostly black background, white
    # strokes) of the samples nears that of the digits.
    assert (_pixel_value_distance(trained, data) <
            0.6 * _pixel_value_distance(untrained, data))


def _samples(scenario, checkpoint, count=256):
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        noise = tf.random.normal([count, scenario.noise_dims], seed=7)
        images = scenario.generate(noise, 32, 1, is_training=True)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            if checkpoint:
                tf.train.Saver(tf.global_variables("Generator")).restore(
                    sess, checkpoint)
            return sess.run(images)


def _digits_at_32_pixels():
    with tf.Graph().as_default():
        split = dataset_factory.get_dataset("digits", "train", None)
        batches = evaluation_pass(
            split, preprocessing_factory.get_preprocessing("lenet"),
            batch_size=split.num_samples, image_size=32)
        with tf.Session() as sess:
            return sess.run(tf.data.make_one_shot_iterator(
                batches).get_next()[0])


def _pixel_value_distance(images, data):
    """Total variation distance between two histograms of pixel values."""
    bins = np.linspace(-1.0, 1.0, 11)
    first = np.histogram(images, bins)[0] / images.size
    second = np.histogram(data, bins)[0] / data.size
    return np.abs(first - second).sum()


@pytest.mark.slow
def test_the_scenario_in_the_docs_trains_fine_tunes_and_evaluates(tmp_path):
    with open(os.path.join(REPO, "docs", "SCENARIOS.md")) as handle:
        text = handle.read()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert len(code.splitlines()) < 60
    (tmp_path / "my_scenario.py").write_text(code)
    run = _train("my_logs", "--scenario=my_scenario:MyNet",
                 "--max_number_of_steps=60", "--seed=1",
                 "--scenario_options=width=8", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    tuned = _train("tuned", "--scenario=my_scenario:MyNet",
                   "--max_number_of_steps=5", "--checkpoint_path=my_logs",
                   "--scenario_options=width=8", cwd=tmp_path)
    assert tuned.returncode == 0, tuned.stderr[-3000:]
    assert "Fine-tuning from" in tuned.stderr
    evaluated = subprocess.run(
        [sys.executable, os.path.join(REPO, "eval.py"),
         "--checkpoint_dir=my_logs"], capture_output=True, text=True,
        cwd=tmp_path, timeout=PROCESS_DEADLINE_SECS)
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    accuracy = float(re.search(r"Accuracy\s+([0-9.]+)",
                               evaluated.stdout).group(1))
    assert accuracy > 0.5, evaluated.stdout


def test_fine_tuning_that_would_restore_nothing_is_one_line(tmp_path):
    with tf.Graph().as_default():
        tf.compat.v1.get_variable("Tiny/weights", [2])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"))
        with pytest.raises(ConfigError, match="would restore no variable "
                           "\\(1 candidate\\(s\\), 1 of them excluded"):
            make_fine_tune_init_fn(str(tmp_path), ["Tiny"],
                                   candidates=tf.global_variables())
        other = tf.compat.v1.get_variable("Other/weights", [2])
        with pytest.raises(ConfigError, match="0 of them excluded by "
                           "--checkpoint_exclude_scopes, 1 missing from"):
            make_fine_tune_init_fn(str(tmp_path), ignore_missing_vars=True,
                                   candidates=[other])


def test_eval_takes_the_scenario_options_only_with_the_scenario():
    trained = TrainConfig(scenario="gan", scenario_options="depth=16")
    inherited = with_train_defaults(EvalConfig(), trained)
    assert (inherited.scenario, inherited.scenario_options) == (
        "gan", "depth=16")
    named = with_train_defaults(EvalConfig(scenario="gan"), trained)
    assert named.scenario_options == "depth=16"
    other = with_train_defaults(EvalConfig(scenario="classifier"), trained)
    assert (other.scenario, other.scenario_options) == ("classifier", None)
