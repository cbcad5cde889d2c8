"""TensorFlow's SessionRunHooks and the user's own in slimtrain's loop.

train.py runs with tf_keras hidden, with TensorFlow's StopAtStepHook,
LoggingTensorHook and ProfilerHook from --hooks and a recording hook of the
user's own from the scenario's hooks(); NanTensorHook ends a diverging run.
"""

import glob
import json
import os
import re

import pytest
import tensorflow.compat.v1 as tf

from slimtrain.errors import ConfigError
from slimtrain.training.hooks.progress import default_every_steps
from slimtrain.training.hooks.session_run_hooks import as_hooks, resolve_factories
from slimtrain.training.step_calls import StepCalls
from slimtrain.training.trainer import train
from tests.conftest import REPO
from tests.export_helpers import run_script
from tests.hook_factories import CoordinatorStop, CountingStepHook
from tests.training_helpers import (
    assert_same_variables,
    checkpoint_steps,
    small_config,
)

QUICK = ["--max_number_of_steps=20", "--batch_size=16", "--seed=5",
         "--num_readers=1", "--num_preprocessing_threads=2",
         "--optimizer=sgd", "--learning_rate_decay_type=fixed"]


@pytest.mark.slow
def test_standard_and_own_hooks_ride_in_the_step_and_stop_the_run(
        tmp_path, monkeypatch):
    hooked, plain = tmp_path / "hooked", tmp_path / "plain"
    record, profile = tmp_path / "record.json", tmp_path / "profile"
    monkeypatch.setenv("SLIMTRAIN_TEST_HOOK_RECORD", str(record))
    monkeypatch.setenv("SLIMTRAIN_TEST_PROFILE_DIR", str(profile))
    result = run_script(
        "train.py", "--train_dir=%s" % hooked,
        "--scenario=tests.hook_factories:HookedClassifier",
        "--hooks=tests.hook_factories:standard_hooks", *QUICK)
    assert result.returncode == 0, result.stderr[-3000:]
    # StopAtStepHook ended the run at step 6, cleanly: a checkpoint, done.
    assert sorted(os.path.basename(path) for path in glob.glob(
        str(hooked / "model.ckpt-*.index"))) == ["model.ckpt-6.index"]
    with open(hooked / "TRAINING_FINISHED") as handle:
        assert json.load(handle)["global_step"] == 6
    # LoggingTensorHook logged its tensor; ProfilerHook wrote traces.
    assert result.stderr.count("logged_loss = ") >= 2, result.stderr[-3000:]
    assert glob.glob(str(profile / "timeline-*.json"))
    # The user's hook saw every phase once per step, its fetches from the
    # step's own run: the losses the progress line shows are the same.
    with open(record) as handle:
        seen = json.load(handle)
    assert (seen["begin"], seen["sessions"], seen["end"]) == (1, 1, 1)
    assert len(seen["steps"]) == len(seen["losses"]) == 6
    assert "step 6/20: loss = %.4f" % seen["losses"][-1] in result.stderr

    # The hooks took no batch of their own: the same six steps without
    # them end with the same weights and input position.
    result = run_script("train.py", "--train_dir=%s" % plain,
                        *QUICK[1:], "--max_number_of_steps=6")
    assert result.returncode == 0, result.stderr[-3000:]
    assert_same_variables(str(hooked / "model.ckpt-6"),
                          str(plain / "model.ckpt-6"))


@pytest.mark.slow
def test_nan_tensor_hook_ends_a_diverging_run_in_one_line(tmp_path):
    result = run_script(
        "train.py", "--train_dir=%s" % tmp_path,
        "--hooks=tests.hook_factories:nan_hook", "--check_numerics=false",
        "--learning_rate=1e30", *QUICK)
    assert result.returncode == 3, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines()
              if line.startswith("error: ")]
    assert len(errors) == 1 and "NanTensorHook saw a NaN loss" in errors[0]


@pytest.mark.slow
def test_the_hooks_in_the_docs_run(tmp_path):
    """docs/SCENARIOS.md's scenario with hooks() and its --hooks module."""
    with open(os.path.join(REPO, "docs", "SCENARIOS.md")) as handle:
        blocks = re.findall(r"```python\n(.*?)```", handle.read(), re.S)
    scenario, with_logging, hooks_module = blocks[:3]
    (tmp_path / "my_scenario.py").write_text(scenario + "\n\n" + with_logging)
    (tmp_path / "my_hooks.py").write_text(hooks_module)
    result = run_script(
        "train.py", "--train_dir=my_logs", "--max_number_of_steps=3",
        "--scenario=my_scenario:MyNetWithLogging", "--hooks=my_hooks:make",
        "--batch_size=16", "--num_readers=1", cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "cross_entropy = " in result.stderr
    assert "loss = " in result.stderr
    assert os.path.exists(tmp_path / "my_logs" / "model.ckpt-3.index")


@pytest.mark.parametrize("factory, expected", [
    ("missing_tensor_hook", "hook LoggingTensorHook failed"),
    ("broken_factory", "--hooks factory broken_factory failed (RuntimeError: "
     "the factory's own bug)"),
])
def test_a_failing_hook_is_one_line_and_writes_nothing(tmp_path, factory,
                                                       expected):
    train_dir = tmp_path / "run"
    with pytest.raises(ConfigError) as raised:
        train(small_config(train_dir, max_number_of_steps=3,
                           hooks="tests.hook_factories:" + factory))
    assert expected in str(raised.value) and "\n" not in str(raised.value)
    assert not train_dir.exists()


def test_a_hook_stops_the_run_through_its_coordinator(tmp_path):
    train(small_config(tmp_path, max_number_of_steps=20),
          hooks=[CoordinatorStop(steps=3)])
    assert checkpoint_steps(str(tmp_path)) == [3]


def test_evaluating_during_training_needs_the_evaluation_hook(tmp_path):
    with pytest.raises(ValueError, match="train_and_evaluate"):
        train(small_config(tmp_path, eval_every_n_steps=5))
    assert not tmp_path.joinpath("checkpoint").exists()


def test_scenarios_written_for_the_earlier_import_path_still_import():
    from slimtrain import scenarios
    from slimtrain.training import scenarios as earlier

    for name in ("RunInfo", "Scenario", "TrainStep", "Update"):
        assert getattr(earlier, name) is getattr(scenarios, name)


def test_a_slimtrain_hook_given_to_train_sees_every_step(tmp_path):
    counting = CountingStepHook()
    train(small_config(tmp_path, max_number_of_steps=4), hooks=[counting])
    assert counting.steps == 4


@pytest.mark.parametrize("text, expected", [
    ("no_colon", "package.module:attribute"),
    ("tests.no_such_module:hooks", "does not import"),
    ("tests.hook_factories:missing", "has no callable 'missing'"),
])
def test_bad_hook_factories_are_one_line(text, expected):
    with pytest.raises(ConfigError, match=expected):
        resolve_factories(text)


def test_the_default_progress_cadence_gives_about_20_lines_a_run():
    assert [default_every_steps(steps) for steps in (
        1, 20, 30, 100, 2000, 3000, 7000, 100000)] == [
        1, 1, 2, 5, 100, 200, 500, 5000]
    for steps in range(200, 100001, 997):  # 12 to 32 lines, whatever length
        assert 12 <= steps // default_every_steps(steps) <= 32, steps


def test_objects_that_are_not_hooks_are_refused():
    assert as_hooks([tf.train.StopAtStepHook(last_step=1)])
    with pytest.raises(ConfigError, match="is not a hook"):
        as_hooks([object()])


def test_step_calls_make_one_callable_per_kind_of_step():
    with tf.Graph().as_default():
        counter = tf.Variable(0, dtype=tf.int64)
        step = counter.assign_add(1)
        factor = tf.placeholder_with_default(tf.constant(1, tf.int64), [])
        scaled = step * factor
        with tf.Session() as sess:
            sess.run(counter.initializer)
            made = []
            make_callable = sess.make_callable

            def counting(*args, **kwargs):
                made.append(args)
                return make_callable(*args, **kwargs)

            sess.make_callable = counting
            calls = StepCalls()
            # The same kind of step, in new dicts: one callable.
            for expected in (1, 2):
                values, metadata = calls.run(
                    sess, {"step": step, 0: [scaled]}, {})
                assert values == {"step": expected, 0: [expected]}
                assert metadata is None
            assert len(made) == 1
            assert calls.run(sess, step)[0] == 3 and len(made) == 2
            # Feeds and run options: session.run, which fills the RunMetadata.
            values, _ = calls.run(sess, {"step": step, 0: [scaled]},
                                  {factor: 5})
            assert values == {"step": 4, 0: [20]}
            values, metadata = calls.run(sess, step, options=tf.RunOptions(
                trace_level=tf.RunOptions.FULL_TRACE))
            assert values == 5 and metadata.step_stats.dev_stats
            # A fetch it does not key (IndexedSlices): session.run too.
            slices = tf.IndexedSlices(tf.constant([1.0]), tf.constant([0]))
            assert calls.run(sess, slices)[0].values.tolist() == [1.0]
            assert len(made) == 2
            # Another session (slim's retry): the old callables are dropped.
            with tf.Session() as other:
                other.run(counter.initializer)
                assert calls.run(other, {"step": step, 0: [scaled]},
                                 {})[0] == {"step": 1, 0: [1]}
            assert calls.run(sess, step)[0] == 6 and len(made) == 3
