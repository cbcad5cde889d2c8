"""Checkpoint round trips through the code path of --checkpoint_path.

For every network in nets_factory.networks_map: build it with the class
count of docs/NETWORKS.md (checking the documented parameter count), save a
checkpoint, build it again in a fresh graph with 3 classes, and
fine-tune-restore it with slimtrain.training.initialization.make_fine_tune_init_fn,
excluding the documented scopes. Then, on one small network: optimizer slot
variables and the global step of a checkpoint are never restored, and
ExponentialMovingAverage shadows restore for evaluation.

Networks are built at their default image size: the auxiliary heads'
kernels, and so the parameter counts, depend on it. No forward pass runs.
"""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import nets_factory
from slimtrain.rundir import checkpoint_reading
from slimtrain.training import initialization
from tests.zoo_helpers import (
    NETWORKS,
    build,
    build_once,
    fast_graph_building,  # noqa: F401
    forget,
    session,
    variable_shapes,
)

pytestmark = pytest.mark.usefixtures('fast_graph_building')

RESTORED_CLASSES = 3


def _under(name, scopes):
    return any(name.startswith(scope) for scope in scopes)


# The largest NASNet-style graphs (12 to 18 cells and their reduction
# cells) take 15 to 40 s a round trip on 2 shared cores, more than any other
# network; test_zoo_nasnet.py checks reduced versions of them.
SLOW_TO_BUILD = ('nasnet_cifar', 'nasnet_large', 'pnasnet_large')


def _training_only_scope(name, scope):
    """NASNet and PNASNet build their auxiliary classifier ('aux_<n>') only
    in training, so this round trip (in inference mode) has no variables
    under it; test_zoo_nasnet.py checks those scopes."""
    return 'nasnet' in name and scope.startswith('aux_')


@pytest.mark.parametrize('name', [
    pytest.param(name, marks=pytest.mark.slow) if name in SLOW_TO_BUILD
    else name for name in sorted(nets_factory.networks_map)])
def test_fine_tune_round_trip(name, tmp_path):
    row = NETWORKS[name]
    checkpoint = str(tmp_path / 'model.ckpt')
    saved = build_once(name, row.classes)
    forget(name, row.classes)
    assert saved.trainable_parameters == row.parameters
    with saved.graph.as_default(), session() as sess:
        sess.run(tf.global_variables_initializer())
        tf.train.Saver().save(sess, checkpoint, write_meta_graph=False)

    with tf.Graph().as_default():
        build(name, RESTORED_CLASSES)
        shapes = variable_shapes()
        init_fn = initialization.make_fine_tune_init_fn(
            checkpoint, exclude_scopes=','.join(
                scope for scope in row.exclude_scopes
                if not _training_only_scope(name, scope)))
        excluded = [var for var in tf.global_variables()
                    if _under(var.op.name, row.exclude_scopes)]
        restored = [var for var in tf.global_variables()
                    if not _under(var.op.name, row.exclude_scopes)]
        with session() as sess:
            init_fn(sess)
            values = sess.run(restored)
            # The excluded variables were not restored, not even those
            # whose shapes did not change.
            excluded_initialized = sess.run(
                [tf.is_variable_initialized(var) for var in excluded])

    reader = tf.train.NewCheckpointReader(checkpoint)
    for var, value in zip(restored, values):
        np.testing.assert_array_equal(value, reader.get_tensor(var.op.name),
                                      err_msg=var.op.name)
    assert excluded and not any(excluded_initialized)
    changed = {var_name for var_name, shape in shapes.items()
               if saved.shapes.get(var_name) != shape}
    for scope in row.exclude_scopes:
        if _training_only_scope(name, scope):
            continue
        # Each documented scope holds a layer that depends on the classes.
        assert any(var_name.startswith(scope) for var_name in changed), scope


def _small_network(num_classes=5, is_training=False):
    """mobilenet_v1_025 on a 32x32 batch of 2: quick to build and run."""
    images, logits, _ = build('mobilenet_v1_025', num_classes, image_size=32,
                              batch_size=2, is_training=is_training)
    return images, logits


def _random_images():
    return np.random.RandomState(0).uniform(
        -1, 1, (2, 32, 32, 3)).astype(np.float32)


def _train_op(logits):
    """One RMSProp step with momentum: two slot variables per weight."""
    global_step = tf.train.get_or_create_global_step()
    labels = tf.one_hot([0, 1], logits.get_shape()[-1])
    loss = tf.losses.softmax_cross_entropy(labels, logits)
    optimizer = tf.train.RMSPropOptimizer(0.1, momentum=0.9)
    return optimizer.minimize(loss, global_step=global_step)


def test_optimizer_slots_and_global_step_are_never_restored(tmp_path):
    checkpoint = str(tmp_path / 'model.ckpt')
    with tf.Graph().as_default():
        images, logits = _small_network(is_training=True)
        train_op = _train_op(logits)
        with session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(train_op, {images: _random_images()})
            tf.train.Saver().save(sess, checkpoint, write_meta_graph=False)

    with tf.Graph().as_default():
        _, logits = _small_network(is_training=True)
        _train_op(logits)
        model = slim.get_model_variables()
        others = [var for var in tf.global_variables()
                  if all(var is not model_var for model_var in model)]
        slots = [var for var in others if '/RMSProp' in var.op.name]
        # Two slots (mean square and momentum) per trained variable.
        assert len(slots) == 2 * len(tf.trainable_variables())
        init_fn = initialization.make_fine_tune_init_fn(checkpoint)
        with session() as sess:
            sess.run(tf.global_variables_initializer())
            fresh = sess.run(others)
            init_fn(sess)
            after = sess.run(others)
            restored = sess.run(model)

    reader = tf.train.NewCheckpointReader(checkpoint)
    assert reader.get_tensor('global_step') == 1
    for var, before, value in zip(others, fresh, after):
        # Fine-tuning starts the optimizer and the step count afresh...
        np.testing.assert_array_equal(value, before, err_msg=var.op.name)
        assert not np.array_equal(value, reader.get_tensor(var.op.name)), (
            var.op.name)
    for var, value in zip(model, restored):
        # ...from the checkpoint's model.
        np.testing.assert_array_equal(value, reader.get_tensor(var.op.name))


def test_moving_average_shadows_restore_for_evaluation(tmp_path):
    checkpoint = str(tmp_path / 'model.ckpt')
    decay = 0.99
    with tf.Graph().as_default():
        _small_network()
        model = slim.get_model_variables()
        averages = tf.train.ExponentialMovingAverage(
            decay, tf.train.get_or_create_global_step())
        update_averages = averages.apply(model)
        with session() as sess:
            sess.run(tf.global_variables_initializer())
            # Move the weights away from their shadows, then update the
            # shadows once: each ends up between the old and new weights.
            sess.run([var.assign_add(tf.ones_like(var)) for var in model])
            sess.run(update_averages)
            tf.train.Saver().save(sess, checkpoint, write_meta_graph=False)

    reader = tf.train.NewCheckpointReader(checkpoint)
    for moving_average_decay, suffix in ((decay, '/ExponentialMovingAverage'),
                                         (None, '')):
        with tf.Graph().as_default():
            _small_network()
            var_list = checkpoint_reading.variables_to_restore(
                moving_average_decay)
            model = slim.get_model_variables()
            with session() as sess:
                tf.train.Saver(var_list).restore(sess, checkpoint)
                values = sess.run(model)
        assert model
        for var, value in zip(model, values):
            expected = reader.get_tensor(var.op.name + suffix)
            np.testing.assert_array_equal(value, expected,
                                          err_msg=var.op.name + suffix)
            if suffix:
                assert not np.array_equal(value,
                                          reader.get_tensor(var.op.name))
