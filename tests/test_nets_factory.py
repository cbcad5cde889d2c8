"""nets_factory plumbing, importability of `nets`, and a forward pass."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from nets import nets_factory


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as error:
        nets_factory.get_network_fn('resnet_v1_49', num_classes=10)
    message = str(error.value)
    assert 'resnet_v1_49' in message
    for name in ('lenet', 'resnet_v1_50', 'inception_v3', 'vgg_16'):
        assert name in message


def test_maps_have_the_same_names():
    assert set(nets_factory.networks_map) == set(nets_factory.arg_scopes_map)


def test_network_fn_keeps_the_builder_identity():
    network_fn = nets_factory.get_network_fn('vgg_16', 1000)
    assert network_fn.__name__ == 'vgg_16'
    assert network_fn.default_image_size == 224


def test_num_classes_is_training_and_kwargs_reach_the_network():
    network_fn = nets_factory.get_network_fn('vgg_a', 7, is_training=True)
    with tf.Graph().as_default():
        images = tf.placeholder(tf.float32, [1, 224, 224, 3])
        logits, _ = network_fn(images, spatial_squeeze=False)
        assert logits.shape.as_list() == [1, 1, 1, 7]
        ops = {op.type for op in tf.get_default_graph().get_operations()}
        assert 'RandomUniform' in ops  # dropout is active when training


@pytest.mark.parametrize('weight_decay, num_losses', [(0.0, 0), (1e-4, 4)])
def test_weight_decay_reaches_the_arg_scope(weight_decay, num_losses):
    network_fn = nets_factory.get_network_fn('lenet', 10,
                                             weight_decay=weight_decay)
    with tf.Graph().as_default():
        network_fn(tf.placeholder(tf.float32, [1, 28, 28, 1]))
        losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
        assert len(losses) == num_losses  # one per weights tensor


def test_nets_imports_from_another_directory(tmp_path):
    """`nets` is importable as an installed package, not only from the repo."""
    modules = ('nets_factory, lenet, cifarnet, alexnet, overfeat, vgg, '
               'inception, inception_v1, inception_v2, inception_v3, '
               'inception_utils, resnet_utils, resnet_v1, resnet_v2')
    code = ('import nets, os\n'
            'from nets import %s\n'
            'print(os.path.dirname(nets.__file__))\n' % modules)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3')
    env.pop('PYTHONPATH', None)
    result = subprocess.run([sys.executable, '-c', code], cwd=str(tmp_path),
                            env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    package_dir = result.stdout.strip().splitlines()[-1]
    assert os.path.basename(package_dir) == 'nets'


def test_lenet_forward_pass():
    network_fn = nets_factory.get_network_fn('lenet', 10)
    with tf.Graph().as_default():
        images = tf.random_uniform([3, 28, 28, 1], seed=1)
        logits, end_points = network_fn(images)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            logits, predictions = sess.run(
                [logits, end_points['Predictions']])
    assert logits.shape == (3, 10)
    assert np.all(np.isfinite(logits))
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)
