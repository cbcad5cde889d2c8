"""Every zoo network, built through nets_factory, against the model zoo.

Each network is built (graph only, no session, once per class count) at
its default input size and canonical class count: 1000 where the published
checkpoint has 1000 classes (VGG, ResNet v1; also AlexNet and OverFeat,
which have none), 1001 where it has a background class (Inception, ResNet
v2), 10 for the MNIST/CIFAR-10 nets. The build is checked for its output
shape, its end points, the exact names and shapes of its first and last
layers' variables (those of the zoo checkpoints), its number of variables
and its number of trainable parameters.

The parameter counts were computed independently from the layer tables of
the papers and agree with other published implementations: torchvision's
ResNet-50/101/152 v1 (25,557,032 / 44,549,160 / 60,192,808), VGG-16
(138,357,544) and GoogLeNet (6,624,904, i.e. ours plus the 7,280 batch-norm
gammas that TF-Slim's Inception v1 does not learn, at 1000 classes), and the
trainable counts of Keras' ResNet50V2/101V2/152V2 (25,568,360 / 44,577,896 /
60,236,904) and InceptionV3 (23,817,352, no auxiliary head), each at 1000
classes.
"""

import collections
import functools
import importlib

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import nets_factory

Expected = collections.namedtuple('Expected', [
    'num_classes', 'image_size', 'channels', 'variables', 'num_variables',
    'num_params', 'end_points'])


_V1_BASE = ['Conv2d_1a_7x7', 'MaxPool_2a_3x3', 'Conv2d_2b_1x1',
            'Conv2d_2c_3x3', 'MaxPool_3a_3x3', 'Mixed_3b', 'Mixed_3c',
            'MaxPool_4a_3x3', 'Mixed_4b', 'Mixed_4c', 'Mixed_4d', 'Mixed_4e',
            'Mixed_4f', 'MaxPool_5a_2x2', 'Mixed_5b', 'Mixed_5c']
_V2_BASE = ['Conv2d_1a_7x7', 'MaxPool_2a_3x3', 'Conv2d_2b_1x1',
            'Conv2d_2c_3x3', 'MaxPool_3a_3x3', 'Mixed_3b', 'Mixed_3c',
            'Mixed_4a', 'Mixed_4b', 'Mixed_4c', 'Mixed_4d', 'Mixed_4e',
            'Mixed_5a', 'Mixed_5b', 'Mixed_5c']
_V3_BASE = ['Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3',
            'MaxPool_3a_3x3', 'Conv2d_3b_1x1', 'Conv2d_4a_3x3',
            'MaxPool_5a_3x3', 'Mixed_5b', 'Mixed_5c', 'Mixed_5d', 'Mixed_6a',
            'Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e', 'Mixed_7a',
            'Mixed_7b', 'Mixed_7c']


def _fc_as_conv_end_points(scope, convs, pools):
    return (['%s/%s' % (scope, c) for c in convs + ['fc6', 'fc7', 'fc8']] +
            ['%s/%s' % (scope, p) for p in pools])


def _vgg_end_points(scope, repeats):
    convs = ['conv%d/conv%d_%d' % (s, s, i)
             for s, r in enumerate(repeats, 1) for i in range(1, r + 1)]
    return _fc_as_conv_end_points(scope, convs,
                                  ['pool%d' % s for s in range(1, 6)])


def _resnet_end_points(scope, unit_kind):
    return ['%s/conv1' % scope,
            '%s/block1' % scope, '%s/block4' % scope,
            '%s/block1/unit_1/%s' % (scope, unit_kind),
            '%s/block4/unit_3/%s' % (scope, unit_kind),
            '%s/block1/unit_1/%s/shortcut' % (scope, unit_kind),
            '%s/block1/unit_1/%s/conv3' % (scope, unit_kind),
            '%s/logits' % scope, '%s/spatial_squeeze' % scope,
            'global_pool', 'predictions']


def _bn(prefix, channels, gamma=True):
    """The batch_norm variables of the conv `prefix`."""
    names = ['beta', 'moving_mean', 'moving_variance'] + (
        ['gamma'] if gamma else [])
    return {'%s/BatchNorm/%s' % (prefix, n): [channels] for n in names}


def _resnet_v1(depth, num_variables, num_params):
    scope = 'resnet_v1_%d' % depth
    variables = {
        scope + '/conv1/weights': [7, 7, 3, 64],
        scope + '/block1/unit_1/bottleneck_v1/conv1/weights': [1, 1, 64, 64],
        scope + '/block1/unit_1/bottleneck_v1/shortcut/weights':
            [1, 1, 64, 256],
        scope + '/block4/unit_3/bottleneck_v1/conv3/weights':
            [1, 1, 512, 2048],
        scope + '/logits/weights': [1, 1, 2048, 1000],
        scope + '/logits/biases': [1000],
    }
    variables.update(_bn(scope + '/conv1', 64))
    variables.update(_bn(scope + '/block1/unit_1/bottleneck_v1/conv1', 64))
    return Expected(1000, 224, 3, variables, num_variables, num_params,
                    _resnet_end_points(scope, 'bottleneck_v1'))


def _resnet_v2(depth, num_variables, num_params):
    scope = 'resnet_v2_%d' % depth
    unit = scope + '/block1/unit_1/bottleneck_v2'
    variables = {
        scope + '/conv1/weights': [7, 7, 3, 64],
        scope + '/conv1/biases': [64],
        unit + '/conv1/weights': [1, 1, 64, 64],
        unit + '/shortcut/weights': [1, 1, 64, 256],
        unit + '/shortcut/biases': [256],
        scope + '/block4/unit_3/bottleneck_v2/conv3/weights':
            [1, 1, 512, 2048],
        scope + '/block4/unit_3/bottleneck_v2/conv3/biases': [2048],
        scope + '/logits/weights': [1, 1, 2048, 1001],
        scope + '/logits/biases': [1001],
    }
    for bn in ('preact', 'conv1/BatchNorm'):
        for name in ('beta', 'gamma', 'moving_mean', 'moving_variance'):
            variables['%s/%s/%s' % (unit, bn, name)] = [64]
    for name in ('beta', 'gamma', 'moving_mean', 'moving_variance'):
        variables['%s/postnorm/%s' % (scope, name)] = [2048]
    return Expected(1001, 224, 3, variables, num_variables, num_params,
                    _resnet_end_points(scope, 'bottleneck_v2'))


EXPECTED = {
    'lenet': Expected(
        10, 28, 1,
        {'LeNet/conv1/weights': [5, 5, 1, 32], 'LeNet/conv1/biases': [32],
         'LeNet/fc3/weights': [3136, 1024],
         'LeNet/fc4/weights': [1024, 10], 'LeNet/fc4/biases': [10]},
        8, 3274634,
        ['conv1', 'pool1', 'conv2', 'pool2', 'Flatten', 'fc3', 'dropout3',
         'Logits', 'Predictions']),
    'cifarnet': Expected(
        10, 32, 3,
        {'CifarNet/conv1/weights': [5, 5, 3, 64],
         'CifarNet/conv1/biases': [64],
         'CifarNet/fc3/weights': [4096, 384],
         'CifarNet/logits/weights': [192, 10],
         'CifarNet/logits/biases': [10]},
        10, 1756426,
        ['conv1', 'pool1', 'conv2', 'pool2', 'Flatten', 'fc3', 'fc4',
         'Logits', 'Predictions']),
    'alexnet_v2': Expected(
        1000, 224, 3,
        {'alexnet_v2/conv1/weights': [11, 11, 3, 64],
         'alexnet_v2/conv1/biases': [64],
         'alexnet_v2/fc6/weights': [5, 5, 256, 4096],
         'alexnet_v2/fc8/weights': [1, 1, 4096, 1000],
         'alexnet_v2/fc8/biases': [1000]},
        16, 50303912,
        _fc_as_conv_end_points('alexnet_v2', ['conv1', 'conv2', 'conv3',
                                              'conv4', 'conv5'],
                               ['pool1', 'pool2', 'pool5'])),
    'overfeat': Expected(
        1000, 231, 3,
        {'overfeat/conv1/weights': [11, 11, 3, 64],
         'overfeat/conv1/biases': [64],
         'overfeat/fc6/weights': [6, 6, 1024, 3072],
         'overfeat/fc8/weights': [1, 1, 4096, 1000],
         'overfeat/fc8/biases': [1000]},
        16, 145704424,
        _fc_as_conv_end_points('overfeat', ['conv1', 'conv2', 'conv3',
                                            'conv4', 'conv5'],
                               ['pool1', 'pool2', 'pool5'])),
    'vgg_a': Expected(
        1000, 224, 3,
        {'vgg_a/conv1/conv1_1/weights': [3, 3, 3, 64],
         'vgg_a/conv1/conv1_1/biases': [64],
         'vgg_a/fc6/weights': [7, 7, 512, 4096],
         'vgg_a/fc8/weights': [1, 1, 4096, 1000],
         'vgg_a/fc8/biases': [1000]},
        22, 132863336, _vgg_end_points('vgg_a', (1, 1, 2, 2, 2))),
    'vgg_16': Expected(
        1000, 224, 3,
        {'vgg_16/conv1/conv1_1/weights': [3, 3, 3, 64],
         'vgg_16/conv1/conv1_1/biases': [64],
         'vgg_16/conv5/conv5_3/weights': [3, 3, 512, 512],
         'vgg_16/fc8/weights': [1, 1, 4096, 1000],
         'vgg_16/fc8/biases': [1000]},
        32, 138357544, _vgg_end_points('vgg_16', (2, 2, 3, 3, 3))),
    'vgg_19': Expected(
        1000, 224, 3,
        {'vgg_19/conv1/conv1_1/weights': [3, 3, 3, 64],
         'vgg_19/conv1/conv1_1/biases': [64],
         'vgg_19/conv5/conv5_4/weights': [3, 3, 512, 512],
         'vgg_19/fc8/weights': [1, 1, 4096, 1000],
         'vgg_19/fc8/biases': [1000]},
        38, 143667240, _vgg_end_points('vgg_19', (2, 2, 4, 4, 4))),
    'inception_v1': Expected(
        1001, 224, 3,
        dict({'InceptionV1/Conv2d_1a_7x7/weights': [7, 7, 3, 64],
              # The zoo checkpoint's one irregular scope name.
              'InceptionV1/Mixed_5b/Branch_2/Conv2d_0a_3x3/weights':
                  [3, 3, 32, 128],
              'InceptionV1/Logits/Conv2d_0c_1x1/weights': [1, 1, 1024, 1001],
              'InceptionV1/Logits/Conv2d_0c_1x1/biases': [1001]},
             **_bn('InceptionV1/Conv2d_1a_7x7', 64, gamma=False)),
        230, 6618649,
        _V1_BASE + ['AvgPool_0a_7x7', 'Logits', 'Predictions']),
    'inception_v2': Expected(
        1001, 224, 3,
        dict({'InceptionV2/Conv2d_1a_7x7/depthwise_weights': [7, 7, 3, 8],
              'InceptionV2/Conv2d_1a_7x7/pointwise_weights': [1, 1, 24, 64],
              'InceptionV2/Conv2d_1a_7x7/biases': [64],
              'InceptionV2/Mixed_5c/Branch_3/Conv2d_0b_1x1/weights':
                  [1, 1, 1024, 128],
              'InceptionV2/Logits/Conv2d_1c_1x1/weights': [1, 1, 1024, 1001],
              'InceptionV2/Logits/Conv2d_1c_1x1/biases': [1001]},
             **_bn('InceptionV2/Conv2d_2b_1x1', 64, gamma=False)),
        277, 11179361,
        _V2_BASE + ['AvgPool_1a', 'PreLogits', 'Logits', 'Predictions']),
    'inception_v3': Expected(
        1001, 299, 3,
        dict({'InceptionV3/Conv2d_1a_3x3/weights': [3, 3, 3, 32],
              # Two irregular scope names of the zoo checkpoint.
              'InceptionV3/Mixed_5c/Branch_1/Conv_1_0c_5x5/weights':
                  [5, 5, 48, 64],
              'InceptionV3/Mixed_7c/Branch_1/Conv2d_0c_3x1/weights':
                  [3, 1, 384, 384],
              'InceptionV3/AuxLogits/Conv2d_2a_5x5/weights': [5, 5, 128, 768],
              'InceptionV3/AuxLogits/Conv2d_2b_1x1/weights': [1, 1, 768, 1001],
              'InceptionV3/AuxLogits/Conv2d_2b_1x1/biases': [1001],
              'InceptionV3/Logits/Conv2d_1c_1x1/weights': [1, 1, 2048, 1001],
              'InceptionV3/Logits/Conv2d_1c_1x1/biases': [1001]},
             **_bn('InceptionV3/Conv2d_1a_3x3', 32, gamma=False)),
        # 23,817,352 without the auxiliary head at 1000 classes.
        388, 27145970,
        _V3_BASE + ['AuxLogits', 'AvgPool_1a', 'PreLogits', 'Logits',
                    'Predictions']),
    'resnet_v1_50': _resnet_v1(50, 267, 25557032),
    'resnet_v1_101': _resnet_v1(101, 522, 44549160),
    'resnet_v1_152': _resnet_v1(152, 777, 60192808),
    'resnet_v1_200': _resnet_v1(200, 1017, 64673832),
    'resnet_v2_50': _resnet_v2(50, 272, 25570409),
    'resnet_v2_101': _resnet_v2(101, 544, 44579945),
    'resnet_v2_152': _resnet_v2(152, 816, 60238953),
    'resnet_v2_200': _resnet_v2(200, 1072, 64728169),
}

_Build = collections.namedtuple('_Build', [
    'output_shape', 'end_points', 'variables', 'num_params'])


def _num_params(variables):
    return sum(int(np.prod(v.shape.as_list())) for v in variables)


@functools.lru_cache(maxsize=None)
def _build(name, num_classes):
    """Builds `name` in a fresh graph; returns plain data about it."""
    expected = EXPECTED[name]
    with tf.Graph().as_default():
        network_fn = nets_factory.get_network_fn(name, num_classes)
        size = network_fn.default_image_size
        images = tf.placeholder(tf.float32,
                                [2, size, size, expected.channels])
        net, end_points = network_fn(images)
        return _Build(
            net.shape.as_list(), frozenset(end_points),
            {v.op.name: v.shape.as_list() for v in tf.global_variables()},
            _num_params(tf.trainable_variables()))


def test_factory_registers_every_network():
    assert set(EXPECTED) <= set(nets_factory.networks_map)
    assert set(EXPECTED) <= set(nets_factory.arg_scopes_map)


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_default_image_size(name):
    network_fn = nets_factory.get_network_fn(name, 10)
    assert network_fn.default_image_size == EXPECTED[name].image_size


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_logits_shape(name):
    expected = EXPECTED[name]
    build = _build(name, expected.num_classes)
    assert build.output_shape == [2, expected.num_classes]


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_end_points(name):
    expected = EXPECTED[name]
    build = _build(name, expected.num_classes)
    missing = set(expected.end_points) - build.end_points
    assert not missing, sorted(build.end_points)


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_zoo_variable_names_and_shapes(name):
    expected = EXPECTED[name]
    build = _build(name, expected.num_classes)
    found = {n: build.variables.get(n) for n in expected.variables}
    assert found == expected.variables
    assert len(build.variables) == expected.num_variables


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_trainable_parameter_count(name):
    expected = EXPECTED[name]
    assert _build(name, expected.num_classes).num_params == (
        expected.num_params)


# num_classes to build with, the expected features shape, and the scopes of
# the classifier layers that must then be missing. The deep ResNets share
# their classifier code with the 50-layer ones (the `resnet_v1` / `resnet_v2`
# generators), so they are not built a second time.
_PRE_LOGITS = {
    'lenet': (None, [2, 1024], ['fc4']),
    'cifarnet': (0, [2, 192], ['logits']),
    'alexnet_v2': (0, [2, 1, 1, 4096], ['fc8']),
    'overfeat': (None, [2, 1, 1, 4096], ['fc8']),
    'vgg_a': (0, [2, 1, 1, 4096], ['fc8']),
    'vgg_16': (None, [2, 1, 1, 4096], ['fc8']),
    'vgg_19': (0, [2, 1, 1, 4096], ['fc8']),
    'inception_v1': (0, [2, 1, 1, 1024], ['Logits']),
    'inception_v2': (None, [2, 1, 1, 1024], ['Logits']),
    'inception_v3': (0, [2, 1, 1, 2048], ['Logits', 'AuxLogits']),
    'resnet_v1_50': (None, [2, 1, 1, 2048], ['logits']),
    'resnet_v2_50': (0, [2, 1, 1, 2048], ['logits']),
}


@pytest.mark.parametrize('name', sorted(_PRE_LOGITS))
def test_pre_logits_features_without_num_classes(name):
    num_classes, shape, classifier_scopes = _PRE_LOGITS[name]
    build = _build(name, num_classes)
    assert build.output_shape == shape
    full = _build(name, EXPECTED[name].num_classes).variables
    classifier = {n for n in full
                  if any('/%s/' % s in n for s in classifier_scopes)}
    assert classifier
    assert set(build.variables) == set(full) - classifier
    assert not build.end_points & {'Logits', 'Predictions', 'predictions',
                                   'AuxLogits'}


# Networks defined in `nets` from tables or loops whose tf_slim.nets
# counterpart (a port of the same research/slim code, without the newer
# options) must create exactly the same variables: a check of every name and
# shape, not just the sampled ones above.
_TF_SLIM_COUNTERPARTS = {
    'alexnet_v2': ('alexnet', 'alexnet_v2'),
    'overfeat': ('overfeat', 'overfeat'),
    'vgg_a': ('vgg', 'vgg_a'),
    'vgg_16': ('vgg', 'vgg_16'),
    'vgg_19': ('vgg', 'vgg_19'),
    'inception_v1': ('inception_v1', 'inception_v1'),
    'inception_v2': ('inception_v2', 'inception_v2'),
}


@pytest.mark.parametrize('name', sorted(_TF_SLIM_COUNTERPARTS))
def test_same_variables_as_tf_slim_nets(name):
    module_name, function_name = _TF_SLIM_COUNTERPARTS[name]
    module = importlib.import_module('tf_slim.nets.' + module_name)
    expected = EXPECTED[name]
    with tf.Graph().as_default():
        size = expected.image_size
        images = tf.placeholder(tf.float32, [2, size, size, 3])
        arg_scope = nets_factory.arg_scopes_map[name]()
        with slim.arg_scope(arg_scope):
            getattr(module, function_name)(images, expected.num_classes)
        tf_slim_variables = {v.op.name: v.shape.as_list()
                             for v in tf.global_variables()}
    assert _build(name, expected.num_classes).variables == tf_slim_variables
