"""Inception v1 (GoogLeNet), as in the TF-Slim model zoo.

From "Going deeper with convolutions" (Szegedy et al., 2014,
http://arxiv.org/pdf/1409.4842v1.pdf), with batch normalisation (from the
arg_scope) and without the auxiliary classifiers.

`tf_slim.nets.inception_v1` builds the same layers, but its base has no
`include_root_block` option and its classifier has neither `global_pool` nor
the pre-logits output for `num_classes` 0/None. The base is therefore defined
here, from a table of the nine Inception modules. Scope names equal those of
the published `inception_v1` checkpoint, including its one irregular name,
`Mixed_5b/Branch_2/Conv2d_0a_3x3`.
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import inception_utils


def _trunc_normal(stddev):
    return tf.truncated_normal_initializer(0.0, stddev)


# The layers after the root block, in order. An Inception module has four
# branches: Branch_0 is a 1x1 conv; Branch_1 and Branch_2 are a 1x1 reduction
# followed by a 3x3 conv; Branch_3 is a 3x3 max pool followed by a 1x1 conv.
# Its entry gives the depths (b0, b1 reduce, b1, b2 reduce, b2, b3). A
# 'MaxPool_*' entry gives the kernel of a stride-2 max pool.
_LAYERS = (
    ('Mixed_3b', (64, 96, 128, 16, 32, 32)),
    ('Mixed_3c', (128, 128, 192, 32, 96, 64)),
    ('MaxPool_4a_3x3', [3, 3]),
    ('Mixed_4b', (192, 96, 208, 16, 48, 64)),
    ('Mixed_4c', (160, 112, 224, 24, 64, 64)),
    ('Mixed_4d', (128, 128, 256, 24, 64, 64)),
    ('Mixed_4e', (112, 144, 288, 32, 64, 64)),
    ('Mixed_4f', (256, 160, 320, 32, 128, 128)),
    ('MaxPool_5a_2x2', [2, 2]),
    ('Mixed_5b', (256, 160, 320, 32, 128, 128)),
    ('Mixed_5c', (384, 192, 384, 48, 128, 128)),
)
# The published checkpoint names this one conv differently from its siblings.
_BRANCH_2_CONV_NAME = {'Mixed_5b': 'Conv2d_0a_3x3'}


def _inception_module(net, depths, scope):
    """Builds one Inception module and returns the concatenated branches."""
    b0, b1_reduce, b1, b2_reduce, b2, b3 = depths
    with tf.variable_scope(scope):
        with tf.variable_scope('Branch_0'):
            branch_0 = slim.conv2d(net, b0, [1, 1], scope='Conv2d_0a_1x1')
        with tf.variable_scope('Branch_1'):
            branch_1 = slim.conv2d(net, b1_reduce, [1, 1],
                                   scope='Conv2d_0a_1x1')
            branch_1 = slim.conv2d(branch_1, b1, [3, 3], scope='Conv2d_0b_3x3')
        with tf.variable_scope('Branch_2'):
            branch_2 = slim.conv2d(net, b2_reduce, [1, 1],
                                   scope='Conv2d_0a_1x1')
            branch_2 = slim.conv2d(
                branch_2, b2, [3, 3],
                scope=_BRANCH_2_CONV_NAME.get(scope, 'Conv2d_0b_3x3'))
        with tf.variable_scope('Branch_3'):
            branch_3 = slim.max_pool2d(net, [3, 3], scope='MaxPool_0a_3x3')
            branch_3 = slim.conv2d(branch_3, b3, [1, 1], scope='Conv2d_0b_1x1')
        return tf.concat(axis=3, values=[branch_0, branch_1, branch_2,
                                         branch_3])


def _root_block(inputs):
    """Yields (end point name, activation) for the stem before Mixed_3b."""
    net = slim.conv2d(inputs, 64, [7, 7], stride=2, scope='Conv2d_1a_7x7')
    yield 'Conv2d_1a_7x7', net
    net = slim.max_pool2d(net, [3, 3], stride=2, scope='MaxPool_2a_3x3')
    yield 'MaxPool_2a_3x3', net
    net = slim.conv2d(net, 64, [1, 1], scope='Conv2d_2b_1x1')
    yield 'Conv2d_2b_1x1', net
    net = slim.conv2d(net, 192, [3, 3], scope='Conv2d_2c_3x3')
    yield 'Conv2d_2c_3x3', net
    net = slim.max_pool2d(net, [3, 3], stride=2, scope='MaxPool_3a_3x3')
    yield 'MaxPool_3a_3x3', net


def inception_v1_base(inputs,
                      final_endpoint='Mixed_5c',
                      include_root_block=True,
                      scope='InceptionV1'):
    """Defines the Inception v1 network up to `final_endpoint`.

    Args:
      inputs: a `Tensor` of size [batch_size, height, width, channels].
      final_endpoint: the end point to build up to: one of 'Conv2d_1a_7x7',
        'MaxPool_2a_3x3', 'Conv2d_2b_1x1', 'Conv2d_2c_3x3', 'MaxPool_3a_3x3',
        'Mixed_3b', 'Mixed_3c', 'MaxPool_4a_3x3', 'Mixed_4b', 'Mixed_4c',
        'Mixed_4d', 'Mixed_4e', 'Mixed_4f', 'MaxPool_5a_2x2', 'Mixed_5b',
        'Mixed_5c'. Without the root block the first five do not exist.
      include_root_block: if True, build the convolution and max-pool stem
        before the Inception modules; if False, `inputs` feed Mixed_3b.
      scope: optional variable_scope.

    Returns:
      net: the activation at `final_endpoint`.
      end_points: a dict from end point names to their activations.

    Raises:
      ValueError: if `final_endpoint` is not one of the values above.
    """
    end_points = {}
    with tf.variable_scope(scope, 'InceptionV1', [inputs]):
        with slim.arg_scope([slim.conv2d, slim.fully_connected],
                            weights_initializer=_trunc_normal(0.01)):
            with slim.arg_scope([slim.conv2d, slim.max_pool2d],
                                stride=1, padding='SAME'):
                net = inputs
                if include_root_block:
                    for end_point, net in _root_block(inputs):
                        end_points[end_point] = net
                        if end_point == final_endpoint:
                            return net, end_points
                for end_point, spec in _LAYERS:
                    if end_point.startswith('MaxPool'):
                        net = slim.max_pool2d(net, spec, stride=2,
                                              scope=end_point)
                    else:
                        net = _inception_module(net, spec, end_point)
                    end_points[end_point] = net
                    if end_point == final_endpoint:
                        return net, end_points
    raise ValueError('Unknown final endpoint %s' % final_endpoint)


def inception_v1(inputs,
                 num_classes=1000,
                 is_training=True,
                 dropout_keep_prob=0.8,
                 prediction_fn=slim.softmax,
                 spatial_squeeze=True,
                 reuse=None,
                 scope='InceptionV1',
                 global_pool=False):
    """Defines the Inception v1 classification network.

    The default input size is 224x224.

    Args:
      inputs: a `Tensor` of size [batch_size, height, width, channels].
      num_classes: number of classes. If 0 or None, the logits layer is
        omitted and its input (the pooled features, before dropout) is
        returned instead.
      is_training: whether batch_norm and dropout are in training mode.
      dropout_keep_prob: the fraction of activations kept by dropout.
      prediction_fn: maps logits to predictions (end point 'Predictions').
      spatial_squeeze: if True, logits have shape [B, C], else [B, 1, 1, C].
      reuse: whether the network and its variables should be reused; to
        reuse, `scope` must be given.
      scope: optional variable_scope.
      global_pool: if True, average-pool the final feature map to 1x1
        whatever its size; if False, use a fixed 7x7 window, which reduces
        only default-sized inputs to 1x1.

    Returns:
      net: the logits if `num_classes` is a non-zero integer, else the
        non-dropped-out input to the logits layer.
      end_points: a dict from end point names to their activations.
    """
    with tf.variable_scope(scope, 'InceptionV1', [inputs],
                           reuse=reuse) as scope:
        with slim.arg_scope([slim.batch_norm, slim.dropout],
                            is_training=is_training):
            net, end_points = inception_v1_base(inputs, scope=scope)
            with tf.variable_scope('Logits'):
                if global_pool:
                    net = tf.reduce_mean(net, [1, 2], keepdims=True,
                                         name='global_pool')
                    end_points['global_pool'] = net
                else:
                    net = slim.avg_pool2d(net, [7, 7], stride=1,
                                          scope='AvgPool_0a_7x7')
                    end_points['AvgPool_0a_7x7'] = net
                if not num_classes:
                    return net, end_points
                net = slim.dropout(net, dropout_keep_prob, scope='Dropout_0b')
                logits = slim.conv2d(net, num_classes, [1, 1],
                                     activation_fn=None, normalizer_fn=None,
                                     scope='Conv2d_0c_1x1')
                if spatial_squeeze:
                    logits = tf.squeeze(logits, [1, 2], name='SpatialSqueeze')
                end_points['Logits'] = logits
                end_points['Predictions'] = prediction_fn(
                    logits, scope='Predictions')
    return logits, end_points


inception_v1.default_image_size = 224

inception_v1_arg_scope = inception_utils.inception_arg_scope
