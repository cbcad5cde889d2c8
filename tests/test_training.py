"""Real training runs (tens of steps) through slimtrain.training.trainer.train."""

import dataclasses
import os
import time

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from nets import nets_factory
from slimtrain.data.datasets import converters, dataset_factory
from slimtrain.errors import ConfigError
from slimtrain.rundir import checkpoint_files, run_files
from slimtrain.training import initialization, trainer
from slimtrain.training.trainer import train
from tests.training_helpers import (
    all_checkpoints,
    assert_same_variables,
    checkpoint_steps,
    checkpoint_value,
    recorded_config,
    scalar_events,
    small_config,
    summary_tags,
)


def test_training_learns_and_leaves_checkpoints_and_events(tmp_path):
    config = small_config(tmp_path, max_number_of_steps=60,
                          save_summaries_steps=10, optimizer="sgd",
                          learning_rate=0.05, learning_rate_decay_type="fixed")
    train(config)
    assert checkpoint_steps(tmp_path)[-1] == 60
    scalars = scalar_events(str(tmp_path))
    for tag in ("total_loss", "learning_rate",
                "losses/softmax_cross_entropy_loss/value"):
        assert tag in scalars, sorted(scalars)
    losses = [value for _, value in sorted(scalars["total_loss"])]
    assert len(losses) >= 5
    assert np.mean(losses[-2:]) < losses[0] * 0.7
    assert recorded_config(str(tmp_path)) == config
    assert run_files.finished_step(str(tmp_path)) == 60


def test_step_based_checkpoints_and_retention(tmp_path):
    train(small_config(tmp_path, max_number_of_steps=30,
                       save_interval_steps=5, max_checkpoints_to_keep=3))
    assert checkpoint_steps(tmp_path) == [20, 25, 30]
    assert not tf.train.checkpoint_exists(str(tmp_path / "model.ckpt-15"))


def steps_on_disk(train_dir):
    """The steps of every checkpoint in `train_dir`, listed or not."""
    return sorted(checkpoint_files.checkpoint_step(prefix)
                  for prefix in all_checkpoints(train_dir))


def test_keep_checkpoint_every_n_hours_keeps_more_than_the_recent_ones(
        tmp_path):
    # TensorFlow's Saver spares a checkpoint it would delete for retention
    # when it was saved --keep_checkpoint_every_n_hours after the Saver was
    # built (or after the last one spared). At 1e-9 hours (3.6 us) that is
    # every checkpoint of the run.
    config = small_config(tmp_path, max_number_of_steps=20,
                          save_interval_steps=5, max_checkpoints_to_keep=2,
                          keep_checkpoint_every_n_hours=1e-9)
    train(config)
    assert steps_on_disk(tmp_path) == [5, 10, 15, 20]
    assert checkpoint_steps(tmp_path) == [15, 20]

    # Resumed keeping one: the spared 5 and 10 stay (the state file no
    # longer lists them, so retention never sees them). The previous run's
    # recent 15 and 20 are deleted, as the Saver's clock starts again with
    # this run: both were saved before it. This run spares 25.
    train(dataclasses.replace(config, max_number_of_steps=30,
                              max_checkpoints_to_keep=1))
    assert steps_on_disk(tmp_path) == [5, 10, 25, 30]
    assert checkpoint_steps(tmp_path) == [30]


def test_resume_continues_from_the_train_dir_and_says_so(tmp_path, caplog):
    train(small_config(tmp_path, max_number_of_steps=10))
    assert run_files.finished_step(str(tmp_path)) == 10
    other = tmp_path / "other"
    train(small_config(other, max_number_of_steps=5))
    with caplog.at_level("INFO"):
        train(small_config(tmp_path, max_number_of_steps=25,
                           checkpoint_path=str(other)))
    assert checkpoint_steps(tmp_path)[-1] == 25
    resumed = [r.getMessage() for r in caplog.records
               if r.getMessage().startswith("Resuming from")]
    assert len(resumed) == 1
    assert "model.ckpt-10" in resumed[0] and "checkpoint wins" in resumed[0]
    assert run_files.finished_step(str(tmp_path)) == 25


def test_resume_from_a_different_model_is_refused(tmp_path):
    train(small_config(tmp_path, max_number_of_steps=2))
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(ConfigError, match="cannot resume"):
        train(small_config(tmp_path, model_name="cifarnet",
                           train_image_size=28))
    assert sorted(os.listdir(tmp_path)) == before


def test_fine_tuning_excludes_scopes_and_reports_shape_mismatches(tmp_path):
    source = tmp_path / "source"
    train(small_config(source, max_number_of_steps=5))
    source_checkpoint = tf.train.latest_checkpoint(str(source))
    target = tmp_path / "target"
    with pytest.raises(ConfigError, match="LeNet/fc4/weights"):
        train(small_config(target, labels_offset=1,
                           checkpoint_path=str(source)))
    assert not target.exists()
    # A typo in an excluded scope would restore the head it meant to drop.
    with pytest.raises(ConfigError) as typo:
        train(small_config(target, checkpoint_path=str(source),
                           checkpoint_exclude_scopes="LeNet/fc4,LeNet/fc5"))
    assert str(typo.value) == (
        "--checkpoint_exclude_scopes names 'LeNet/fc5', which matches no "
        "variable: the closest scopes are LeNet/fc4, LeNet/fc3, LeNet; fix or "
        "remove the entry.")
    with pytest.raises(ConfigError, match="--trainable_scopes names "
                       "'LeNet/fc_4', which matches no trainable variable: "
                       "the closest scopes are LeNet/fc4"):
        train(small_config(target, trainable_scopes="LeNet/fc_4"))
    assert not target.exists()

    # One step with a negligible learning rate keeps the restored weights.
    train(small_config(target, labels_offset=1, max_number_of_steps=1,
                       learning_rate=1e-30, learning_rate_decay_type="fixed",
                       checkpoint_path=str(source),
                       checkpoint_exclude_scopes="LeNet/fc4"))
    target_checkpoint = tf.train.latest_checkpoint(str(target))
    np.testing.assert_allclose(
        checkpoint_value(target_checkpoint, "LeNet/conv1/weights"),
        checkpoint_value(source_checkpoint, "LeNet/conv1/weights"), rtol=1e-6)
    assert checkpoint_value(target_checkpoint, "LeNet/fc4/weights").shape[-1] == 9


def test_fine_tuning_never_restores_optimizer_slots(tmp_path):
    source = tmp_path / "source"
    train(small_config(source, max_number_of_steps=5, optimizer="momentum"))
    slot = "LeNet/conv1/weights/Momentum"
    source_slot = checkpoint_value(tf.train.latest_checkpoint(str(source)), slot)
    assert np.abs(source_slot).max() > 0
    with tf.Graph().as_default():
        images = tf.zeros([2, 28, 28, 1])
        logits, _ = nets_factory.get_network_fn("lenet", 10)(images)
        tf.train.MomentumOptimizer(0.1, 0.9).minimize(tf.reduce_sum(logits))
        init_fn = initialization.make_fine_tune_init_fn(str(source))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            init_fn(sess)
            slot_variable = [v for v in tf.global_variables()
                             if v.op.name == slot][0]
            assert not sess.run(slot_variable).any()


def test_missing_variables_need_ignore_missing_vars(tmp_path):
    source = tmp_path / "source"
    train(small_config(source, max_number_of_steps=2))
    checkpoint = tf.train.latest_checkpoint(str(source))
    partial = str(tmp_path / "partial" / "model.ckpt")
    with tf.Graph().as_default():
        kept = [tf.Variable(tf.train.load_variable(checkpoint, name), name=name)
                for name in ("LeNet/conv1/weights", "LeNet/conv1/biases")]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver(kept).save(sess, partial)
    with pytest.raises(ConfigError, match="ignore_missing_vars"):
        train(small_config(tmp_path / "a", checkpoint_path=partial))
    train(small_config(tmp_path / "b", max_number_of_steps=1,
                       learning_rate=1e-30, learning_rate_decay_type="fixed",
                       checkpoint_path=partial, ignore_missing_vars=True))
    np.testing.assert_allclose(
        checkpoint_value(tf.train.latest_checkpoint(str(tmp_path / "b")),
                         "LeNet/conv1/weights"),
        checkpoint_value(checkpoint, "LeNet/conv1/weights"), rtol=1e-6)


def test_trainable_scopes_and_gradient_multipliers_freeze_what_they_say(tmp_path):
    train(small_config(tmp_path / "init", max_number_of_steps=1,
                       learning_rate=1e-30, learning_rate_decay_type="fixed"))
    start = tf.train.latest_checkpoint(str(tmp_path / "init"))
    common = dict(max_number_of_steps=5, optimizer="sgd", learning_rate=0.1,
                  learning_rate_decay_type="fixed", checkpoint_path=start)
    train(small_config(tmp_path / "scoped", trainable_scopes="LeNet/fc4",
                       **common))
    train(small_config(tmp_path / "multiplied", weight_decay=0.0,
                       gradient_multipliers="LeNet/conv1=0", **common))
    for run, frozen, trained in (("scoped", "LeNet/conv1/weights",
                                  "LeNet/fc4/weights"),
                                 ("multiplied", "LeNet/conv1/weights",
                                  "LeNet/conv2/weights")):
        end = tf.train.latest_checkpoint(str(tmp_path / run))
        np.testing.assert_array_equal(checkpoint_value(end, frozen),
                                      checkpoint_value(start, frozen))
        assert not np.allclose(checkpoint_value(end, trained),
                               checkpoint_value(start, trained))


def test_step_summaries_are_scalars_and_the_last_step_has_all(tmp_path):
    # Histograms cost several steps of a small network: they are written
    # with the timed summaries (off here) and after the last step only.
    train(small_config(tmp_path, max_number_of_steps=10,
                       save_summaries_steps=4, save_summaries_secs=0))
    kinds = {}  # step -> {"simple_value", "histo"}
    for path in tf.io.gfile.glob(str(tmp_path / "events.out.tfevents.*")):
        for event in tf.train.summary_iterator(path):
            for value in event.summary.value:
                # Not a step's: the run's hparams, with TensorBoard installed.
                if value.metadata.plugin_data.plugin_name != "hparams":
                    kinds.setdefault(event.step, set()).add(
                        value.WhichOneof("value"))
    assert kinds == {4: {"simple_value"}, 8: {"simple_value"},
                     10: {"simple_value", "histo"}}


def test_clip_summaries_moving_averages_and_trace(tmp_path):
    train(small_config(tmp_path, max_number_of_steps=6, clip_gradient_norm=1.0,
                       summarize_gradients=True, save_summaries_steps=3,
                       moving_average_decay=0.9, trace_every_n_steps=3,
                       label_smoothing=0.1))
    tags = summary_tags(str(tmp_path))
    assert "summarize_grads/LeNet/conv1/weights_gradient_norm" in tags
    assert "variables/LeNet/conv1/weights" in tags
    names = dict(tf.train.list_variables(str(tmp_path)))
    assert "LeNet/conv1/weights/ExponentialMovingAverage" in names
    assert any(name.startswith("tf_trace-") for name in os.listdir(tmp_path))


def test_single_process_sync_replicas_end_cleanly(tmp_path):
    started = time.time()
    train(small_config(tmp_path, max_number_of_steps=6, sync_replicas=True,
                       moving_average_decay=0.99))
    assert time.time() - started < 60  # slim alone hangs 120 s, then raises
    assert checkpoint_steps(tmp_path)[-1] == 6
    names = dict(tf.train.list_variables(str(tmp_path)))
    assert "LeNet/conv1/weights/ExponentialMovingAverage" in names


def test_tfrecord_layout_of_the_reference_scripts(tmp_path):
    data = tmp_path / "mnist"
    converters.convert_mnist_idx(dataset_factory.DIGITS_DIR, str(data))
    train(small_config(tmp_path / "run", dataset_name="mnist",
                       dataset_dir=str(data), preprocessing_name="lenet",
                       max_number_of_steps=5))
    assert checkpoint_steps(tmp_path / "run")[-1] == 5


@pytest.mark.parametrize("changes, named", [
    ({"model_name": "lenet5"}, "--model_name"),
    ({"dataset_name": "mnist2"}, "mnist2"),
    ({"preprocessing_name": "fancy"}, "fancy"),
    ({"optimizer": "adamw"}, "--optimizer"),
    ({"dataset_name": "mnist"}, "dataset_dir"),
    ({"dataset_name": "mnist", "dataset_dir": "/nonexistent/mnist"},
     "/nonexistent/mnist"),
    ({"dataset_split_name": "validation"}, "validation"),
    ({"batch_size": 0}, "--batch_size"),
    ({"learning_rate": 0.0}, "--learning_rate"),
    ({"labels_offset": 10}, "--labels_offset"),
    ({"trainable_scopes": "Nothing/here"}, "--trainable_scopes"),
    ({"checkpoint_path": "/nonexistent/model.ckpt-1"}, "--checkpoint_path"),
])
def test_bad_input_is_one_line_and_leaves_no_train_dir(tmp_path, changes, named):
    train_dir = tmp_path / "run"
    with pytest.raises(ConfigError) as raised:
        train(small_config(train_dir, **changes))
    message = str(raised.value)
    assert named in message and "\n" not in message, message
    assert not train_dir.exists()


def test_empty_dataset_dir_is_reported(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match=str(empty)):
        train(small_config(tmp_path / "run", dataset_name="mnist",
                           dataset_dir=str(empty)))
    assert not (tmp_path / "run").exists()


def test_seed_makes_runs_repeatable_with_the_default_summaries(tmp_path):
    # The default summary settings, with a timer that fires during the run.
    for run in ("a", "b"):
        train(small_config(tmp_path / run, max_number_of_steps=150,
                           save_summaries_steps=100, save_summaries_secs=1))
    assert_same_variables(tf.train.latest_checkpoint(str(tmp_path / "a")),
                          tf.train.latest_checkpoint(str(tmp_path / "b")))


def test_graph_optimization_settings_train_as_tensorflows_defaults(
        tmp_path, monkeypatch):
    # trainer.session_config asks grappler for one pass and, on this
    # machine without a GPU, no layout optimizer; a seeded run must end
    # with the same weights as with TensorFlow's defaults.
    settings = dict(model_name="mobilenet_v1_025", train_image_size=32,
                    batch_size=8, max_number_of_steps=5, seed=3)
    train(small_config(tmp_path / "trimmed", **settings))
    trimmed = trainer.session_config

    def defaults(config):
        proto = trimmed(config)
        proto.graph_options.ClearField("rewrite_options")
        return proto

    monkeypatch.setattr(trainer, "session_config", defaults)
    train(small_config(tmp_path / "defaults", **settings))

    options = trimmed(small_config(tmp_path)).graph_options.rewrite_options
    assert options.meta_optimizer_iterations == options.ONE
    if not tf.config.list_physical_devices("GPU"):
        assert options.layout_optimizer == options.OFF
    assert_same_variables(
        tf.train.latest_checkpoint(str(tmp_path / "trimmed")),
        tf.train.latest_checkpoint(str(tmp_path / "defaults")))


def test_a_cluster_session_keeps_the_layout_optimizer(tmp_path):
    # Its tasks may have GPUs that this process cannot see.
    options = trainer.session_config(small_config(
        tmp_path, master="grpc://127.0.0.1:2222")).graph_options.rewrite_options
    assert options.layout_optimizer == options.DEFAULT


def test_batch_norm_statistics_are_updated_by_training(tmp_path):
    train(small_config(tmp_path, model_name="mobilenet_v1_025",
                       train_image_size=32, max_number_of_steps=3,
                       batch_size=8))
    checkpoint = tf.train.latest_checkpoint(str(tmp_path))
    moving_mean = checkpoint_value(
        checkpoint, "MobilenetV1/Conv2d_0/BatchNorm/moving_mean")
    assert np.abs(moving_mean).max() > 0  # starts at zero


def test_corrupt_checkpoint_is_reported(tmp_path):
    source = tmp_path / "source"
    train(small_config(source, max_number_of_steps=1))
    checkpoint = tf.train.latest_checkpoint(str(source))
    with open(checkpoint + ".index", "wb") as handle:
        handle.write(b"not an index")
    with pytest.raises(ConfigError, match="unreadable"):
        train(small_config(tmp_path / "run", checkpoint_path=checkpoint))
    assert not (tmp_path / "run").exists()
