"""Every network of nets_factory: the TF 2 module equals the graph network.

For each entry of `nets_factory.networks_map`, the network is built in a
tf.Graph as train.py builds it (inference, then training on the same
variables), its batch-norm moving statistics are set to random values, and
a Session computes both logits and runs the training update ops; the
variables are saved to a checkpoint. `nets.eager` then loads that checkpoint
(every variable, by its TF-Slim name) and must give the same inference
logits, the same training logits and the same moving statistics after its
training call. Run op by op (`tf.config.run_functions_eagerly(True)`) it
must give the same inference logits too, except the networks that run only
as graphs (GRAPH_ONLY), which must fail there. Dropout is turned off (keep
probability 1) wherever the network or its arg_scope has one, so training
mode is deterministic.

Networks run at a reduced image size where TF-Slim allows it (the variables
do not depend on it). Without the slow marker runs one network of each
family: LeNet, CifarNet, Inception v1, ResNet v1 and v2 at 50 layers,
MobileNet v1 at a quarter width, MobileNet v2, MobileNet v3 small and
S3D-G. The others are slow: the large ones (VGG, AlexNet, OverFeat,
Inception v2 to v4, Inception-ResNet v2, the deeper ResNets, NASNet and
PNASNet, I3D) and the other widths and variants of the MobileNets. NASNet
and PNASNet run in nets.eager in inference mode only
(`eager.INFERENCE_ONLY`): their training mode must raise. A network added
to networks_map is tested here without a line to add (fast unless it joins
SLOW), at 64 pixels unless SETTINGS says otherwise.

The tests run without tf_keras (see tests/eager_helpers.py).
"""

import inspect

import numpy as np
import pytest
import tensorflow as tf
import tf_slim as slim

from nets import eager, nets_factory
from slimtrain.errors import ConfigError
from tests.eager_helpers import launcher, run_without_tf_keras, without_tf_keras
from tests.zoo_helpers import (
    fast_graph_building,  # noqa: F401
    session,
)

NUM_CLASSES = 7
DEFAULT_SIZE = 64

# name -> (image size, builder arguments) where the default above fails.
SETTINGS = {
    'lenet': (28, {}),
    'cifarnet': (32, {}),
    'alexnet_v2': (224, {}),
    'overfeat': (231, {}),
    # fc6 as a 7x7 'SAME' convolution: the same variables at 32 pixels.
    'vgg_a': (32, {'fc_conv_padding': 'SAME'}),
    'vgg_16': (32, {'fc_conv_padding': 'SAME'}),
    'vgg_19': (32, {'fc_conv_padding': 'SAME'}),
    'inception_v1': (64, {'global_pool': True}),
    'inception_v2': (64, {'global_pool': True}),
    # The auxiliary heads' 5x5 pooling needs 107 pixels.
    'inception_v3': (107, {}),
    'inception_v4': (107, {}),
    'inception_resnet_v2': (107, {}),
    'nasnet_cifar': (32, {}),
    # The auxiliary heads' 5x5 pooling needs 96 pixels.
    'nasnet_mobile': (96, {}),
    'nasnet_large': (96, {}),
    'pnasnet_mobile': (96, {}),
    'pnasnet_large': (96, {}),
}

# Video networks take clips [batch, frames, height, width, 3].
FRAMES = 8

# Large networks, and other variants of the families tested fast.
SLOW = {'alexnet_v2', 'overfeat', 'vgg_a', 'vgg_16', 'vgg_19',
        'inception_v2', 'inception_v3', 'inception_v4', 'inception_resnet_v2',
        'resnet_v1_101', 'resnet_v1_152', 'resnet_v1_200',
        'resnet_v2_101', 'resnet_v2_152', 'resnet_v2_200',
        'mobilenet_v1', 'mobilenet_v1_050', 'mobilenet_v1_075',
        'mobilenet_v2_035', 'mobilenet_v2_140',
        'mobilenet_v3_large', 'mobilenet_v3_large_minimalistic',
        'mobilenet_v3_small_minimalistic', 'mobilenet_edgetpu',
        'mobilenet_edgetpu_075', 'nasnet_cifar', 'nasnet_mobile',
        'nasnet_large', 'pnasnet_large', 'pnasnet_mobile', 'i3d'}


# Networks that read tensor names (end-point collections), which eager
# tensors lack: they run as graph functions only, never op by op.
GRAPH_ONLY = ('alexnet_v2', 'overfeat', 'vgg_', 'mobilenet_v2',
              'mobilenet_v3', 'mobilenet_edgetpu')


def _accepts(function, argument):
    parameters = inspect.signature(function).parameters
    return argument in parameters or any(
        p.kind == p.VAR_KEYWORD for p in parameters.values())


def _without_dropout(name):
    """(builder kwargs, arg_scope) for `name` with every dropout keeping all."""
    size, kwargs = SETTINGS.get(name, (DEFAULT_SIZE, {}))
    kwargs = dict(kwargs)
    builder = nets_factory.networks_map[name]
    if 'dropout_keep_prob' in inspect.signature(builder).parameters:
        kwargs['dropout_keep_prob'] = 1.0
    arg_scope_fn = nets_factory.arg_scopes_map[name]
    scope_kwargs = {'weight_decay': 0.0}
    if _accepts(arg_scope_fn, 'dropout_keep_prob'):
        scope_kwargs['dropout_keep_prob'] = 1.0
    return size, kwargs, arg_scope_fn(**scope_kwargs)


def _graph_run(name, images, arg_scope, kwargs, checkpoint):
    """Builds `name` in a graph, randomizes the moving statistics, saves them.

    Returns (inference logits, training logits, {name: value after the
    training step's updates}).
    """
    builder = nets_factory.networks_map[name]
    with tf.Graph().as_default() as graph:
        inputs = tf.compat.v1.placeholder(tf.float32, images.shape)
        with slim.arg_scope(arg_scope):
            inferred, _ = builder(inputs, num_classes=NUM_CLASSES,
                                  is_training=False, **kwargs)
        count = len(tf.compat.v1.global_variables())
        trained = None
        if not name.startswith(eager.INFERENCE_ONLY):
            with tf.compat.v1.variable_scope(
                    tf.compat.v1.get_variable_scope(), reuse=True), \
                    slim.arg_scope(arg_scope):
                trained, _ = builder(inputs, num_classes=NUM_CLASSES,
                                     is_training=True, **kwargs)
        assert len(tf.compat.v1.global_variables()) == count
        updates = tf.compat.v1.get_collection(
            tf.compat.v1.GraphKeys.UPDATE_OPS)
        variables = {v.op.name: v for v in tf.compat.v1.global_variables()}
        with session(graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            _randomize_moving_statistics(sess, variables)
            tf.compat.v1.train.Saver(variables).save(
                sess, checkpoint, write_meta_graph=False)
            inferred_value = sess.run(inferred, {inputs: images})
            trained_value = None
            if trained is not None:
                trained_value, _ = sess.run([trained, updates],
                                            {inputs: images})
            after = sess.run(variables)
    return inferred_value, trained_value, after


def _randomize_moving_statistics(sess, variables):
    """Moving means ~ N(0, 0.1), variances ~ U(0.5, 1.5): inference then
    depends on them (freshly initialized they are 0 and 1).

    One session run assigns them all: each run with new fetches
    (`Variable.load` per variable) builds an executor from the whole graph,
    about 10 s in all for a 200-layer ResNet.
    """
    random = np.random.RandomState(1)
    assignments = []
    for name, variable in sorted(variables.items()):
        shape = variable.get_shape().as_list()
        if name.endswith('/moving_mean'):
            value = random.normal(0, 0.1, shape)
        elif name.endswith('/moving_variance'):
            value = random.uniform(0.5, 1.5, shape)
        else:
            continue
        assignments.append(variable.assign(value.astype(np.float32)))
    sess.run(assignments)


def _assert_close(actual, expected):
    scale = float(np.abs(expected).max()) or 1.0
    np.testing.assert_allclose(actual, expected, rtol=1e-5,
                               atol=1e-5 * scale)


def check_parity(name, tmp_path):
    size, kwargs, arg_scope = _without_dropout(name)
    channels = 1 if name == 'lenet' else 3
    shape = (2, size, size, channels)
    if name in nets_factory.VIDEO_NETWORKS:
        shape = (2, FRAMES) + shape[1:]
    images = np.random.RandomState(0).normal(size=shape).astype(np.float32)
    checkpoint = str(tmp_path / 'graph.ckpt')
    inferred, trained, after = _graph_run(name, images, arg_scope, kwargs,
                                          checkpoint)

    module = eager.network(name, NUM_CLASSES, arg_scope=arg_scope, **kwargs)
    module.build(images.shape)
    assert sorted(module.slim_variables) == sorted(after)
    assert module.load_checkpoint(checkpoint) == sorted(after)
    logits, end_points = module(images)
    _assert_close(logits.numpy(), inferred)
    assert end_points
    _check_op_by_op(name, module, images, inferred)
    if trained is None:  # eager.INFERENCE_ONLY
        with pytest.raises(ConfigError, match='inference mode only'):
            module(images, is_training=True)
        return
    logits, _ = module(images, is_training=True)
    _assert_close(logits.numpy(), trained)
    for variable_name, value in after.items():
        _assert_close(module.slim_variables[variable_name].numpy(), value)


def _check_op_by_op(name, module, images, inferred):
    """Under run_functions_eagerly(True) the module gives the same logits,
    or, for the GRAPH_ONLY networks, fails (as docs/NETWORKS.md says)."""
    tf.config.run_functions_eagerly(True)
    try:
        if name.startswith(GRAPH_ONLY):
            with pytest.raises((AttributeError, TypeError)):
                module(images)
        else:
            _assert_close(module(images)[0].numpy(), inferred)
    finally:
        tf.config.run_functions_eagerly(False)


@without_tf_keras
@pytest.mark.parametrize('name', [
    pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name
    for name in sorted(nets_factory.networks_map)])
def test_module_equals_graph(name, tmp_path,
                             fast_graph_building):  # noqa: F811
    check_parity(name, tmp_path)


@launcher
def test_fast_networks_without_tf_keras():
    run_without_tf_keras(__file__, 'not slow')


# The slow networks in two halves, so that the suite's two workers can run
# them side by side (the second half runs from
# tests/test_nets_eager_parity_slow.py, another file).
SLOW_HALVES = (sorted(SLOW)[::2], sorted(SLOW)[1::2])


def slow_test_ids(half):
    return ['test_module_equals_graph[%s]' % name for name in SLOW_HALVES[half]]


@launcher
@pytest.mark.slow
def test_slow_networks_without_tf_keras():
    run_without_tf_keras(__file__, 'slow', slow_test_ids(0))
