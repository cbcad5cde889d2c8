"""Inception v2 (BN-Inception), as in the TF-Slim model zoo.

From "Batch Normalization: Accelerating Deep Network Training by Reducing
Internal Covariate Shift" (Ioffe, Szegedy, 2015, http://arxiv.org/abs/
1502.03167), up to inception(5b), with a depthwise-separable first layer.

`tf_slim.nets.inception_v2` builds the same layers, but its base lacks the
`use_separable_conv`, `data_format` and `include_root_block` options and its
classifier has neither `global_pool` nor the pre-logits output for
`num_classes` 0/None. The base is therefore defined here, from a table of the
ten Inception modules. Scope names equal those of the published
`inception_v2` checkpoint.
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import inception_utils


def _trunc_normal(stddev):
    return tf.truncated_normal_initializer(0.0, stddev)


# The Inception modules after the root block, in order. A 'mixed' module has
# four branches: Branch_0 is a 1x1 conv; Branch_1 a 1x1 reduction and a 3x3
# conv; Branch_2 a 1x1 reduction and two 3x3 convs; Branch_3 a 3x3 pool
# ('avg' or 'max') and a 1x1 conv. Its depths are (b0, b1 reduce, b1,
# b2 reduce, b2, b3). A 'reduction' module halves the resolution with a
# stride-2 3x3 conv in Branch_0 and Branch_1 and a max pool in Branch_2; its
# depths are (b0 reduce, b0, b1 reduce, b1).
_MODULES = (
    ('Mixed_3b', 'mixed', (64, 64, 64, 64, 96, 32, 'avg')),
    ('Mixed_3c', 'mixed', (64, 64, 96, 64, 96, 64, 'avg')),
    ('Mixed_4a', 'reduction', (128, 160, 64, 96)),
    ('Mixed_4b', 'mixed', (224, 64, 96, 96, 128, 128, 'avg')),
    ('Mixed_4c', 'mixed', (192, 96, 128, 96, 128, 128, 'avg')),
    ('Mixed_4d', 'mixed', (160, 128, 160, 128, 160, 96, 'avg')),
    ('Mixed_4e', 'mixed', (96, 128, 192, 160, 192, 96, 'avg')),
    ('Mixed_5a', 'reduction', (128, 192, 192, 256)),
    ('Mixed_5b', 'mixed', (352, 192, 320, 160, 224, 128, 'avg')),
    ('Mixed_5c', 'mixed', (352, 192, 320, 192, 224, 128, 'max')),
)


def _mixed(net, spec, depth, concat_dim):
    """An Inception module with 1x1, 3x3, double-3x3 and pooling branches."""
    b0, b1_reduce, b1, b2_reduce, b2, b3, pool = spec
    with tf.variable_scope('Branch_0'):
        branch_0 = slim.conv2d(net, depth(b0), [1, 1], scope='Conv2d_0a_1x1')
    with tf.variable_scope('Branch_1'):
        branch_1 = slim.conv2d(net, depth(b1_reduce), [1, 1],
                               weights_initializer=_trunc_normal(0.09),
                               scope='Conv2d_0a_1x1')
        branch_1 = slim.conv2d(branch_1, depth(b1), [3, 3],
                               scope='Conv2d_0b_3x3')
    with tf.variable_scope('Branch_2'):
        branch_2 = slim.conv2d(net, depth(b2_reduce), [1, 1],
                               weights_initializer=_trunc_normal(0.09),
                               scope='Conv2d_0a_1x1')
        branch_2 = slim.conv2d(branch_2, depth(b2), [3, 3],
                               scope='Conv2d_0b_3x3')
        branch_2 = slim.conv2d(branch_2, depth(b2), [3, 3],
                               scope='Conv2d_0c_3x3')
    with tf.variable_scope('Branch_3'):
        if pool == 'avg':
            branch_3 = slim.avg_pool2d(net, [3, 3], scope='AvgPool_0a_3x3')
        else:
            branch_3 = slim.max_pool2d(net, [3, 3], scope='MaxPool_0a_3x3')
        branch_3 = slim.conv2d(branch_3, depth(b3), [1, 1],
                               weights_initializer=_trunc_normal(0.1),
                               scope='Conv2d_0b_1x1')
    return tf.concat(axis=concat_dim,
                     values=[branch_0, branch_1, branch_2, branch_3])


def _reduction(net, spec, depth, concat_dim):
    """An Inception module that halves the spatial resolution."""
    b0_reduce, b0, b1_reduce, b1 = spec
    with tf.variable_scope('Branch_0'):
        branch_0 = slim.conv2d(net, depth(b0_reduce), [1, 1],
                               weights_initializer=_trunc_normal(0.09),
                               scope='Conv2d_0a_1x1')
        branch_0 = slim.conv2d(branch_0, depth(b0), [3, 3], stride=2,
                               scope='Conv2d_1a_3x3')
    with tf.variable_scope('Branch_1'):
        branch_1 = slim.conv2d(net, depth(b1_reduce), [1, 1],
                               weights_initializer=_trunc_normal(0.09),
                               scope='Conv2d_0a_1x1')
        branch_1 = slim.conv2d(branch_1, depth(b1), [3, 3],
                               scope='Conv2d_0b_3x3')
        branch_1 = slim.conv2d(branch_1, depth(b1), [3, 3], stride=2,
                               scope='Conv2d_1a_3x3')
    with tf.variable_scope('Branch_2'):
        branch_2 = slim.max_pool2d(net, [3, 3], stride=2,
                                   scope='MaxPool_1a_3x3')
    return tf.concat(axis=concat_dim, values=[branch_0, branch_1, branch_2])


def _root_block(inputs, depth, use_separable_conv):
    """Yields (end point name, activation) for the stem before Mixed_3b."""
    if use_separable_conv:
        # `depthwise_multiplier` sets the channels of the depthwise 7x7 conv
        # (in_channels * multiplier); it must not exceed depth(64), the
        # channels of the pointwise conv that follows, or the separable conv
        # would be over-parameterised.
        depthwise_multiplier = min(int(depth(64) / 3), 8)
        net = slim.separable_conv2d(
            inputs, depth(64), [7, 7],
            depth_multiplier=depthwise_multiplier,
            stride=2,
            padding='SAME',
            weights_initializer=_trunc_normal(1.0),
            scope='Conv2d_1a_7x7')
    else:
        net = slim.conv2d(inputs, depth(64), [7, 7], stride=2,
                          weights_initializer=_trunc_normal(1.0),
                          scope='Conv2d_1a_7x7')
    yield 'Conv2d_1a_7x7', net
    net = slim.max_pool2d(net, [3, 3], stride=2, scope='MaxPool_2a_3x3')
    yield 'MaxPool_2a_3x3', net
    net = slim.conv2d(net, depth(64), [1, 1],
                      weights_initializer=_trunc_normal(0.1),
                      scope='Conv2d_2b_1x1')
    yield 'Conv2d_2b_1x1', net
    net = slim.conv2d(net, depth(192), [3, 3], scope='Conv2d_2c_3x3')
    yield 'Conv2d_2c_3x3', net
    net = slim.max_pool2d(net, [3, 3], stride=2, scope='MaxPool_3a_3x3')
    yield 'MaxPool_3a_3x3', net


def inception_v2_base(inputs,
                      final_endpoint='Mixed_5c',
                      min_depth=16,
                      depth_multiplier=1.0,
                      use_separable_conv=True,
                      data_format='NHWC',
                      include_root_block=True,
                      scope=None):
    """Defines the Inception v2 network up to `final_endpoint`.

    Args:
      inputs: a `Tensor` of size [batch_size, height, width, channels].
      final_endpoint: the end point to build up to: one of 'Conv2d_1a_7x7',
        'MaxPool_2a_3x3', 'Conv2d_2b_1x1', 'Conv2d_2c_3x3', 'MaxPool_3a_3x3',
        'Mixed_3b', 'Mixed_3c', 'Mixed_4a', 'Mixed_4b', 'Mixed_4c',
        'Mixed_4d', 'Mixed_4e', 'Mixed_5a', 'Mixed_5b', 'Mixed_5c'. Without
        the root block the first five do not exist.
      min_depth: the minimum number of channels of every convolution; it
        matters only when `depth_multiplier` < 1.
      depth_multiplier: a positive float scaling the number of channels of
        every convolution, typically in (0, 1) to make the network cheaper.
      use_separable_conv: if True, `Conv2d_1a_7x7` is a depthwise-separable
        convolution (as in the published checkpoint), else a plain one.
      data_format: 'NHWC' or 'NCHW', the layout of the activations.
      include_root_block: if True, build the convolution and max-pool stem
        before the Inception modules; if False, `inputs` feed Mixed_3b.
      scope: optional variable_scope.

    Returns:
      net: the activation at `final_endpoint`.
      end_points: a dict from end point names to their activations.

    Raises:
      ValueError: if `final_endpoint` is not one of the values above, if
        `depth_multiplier` <= 0, if `data_format` is unknown, or if 'NCHW'
        is asked for together with the separable first layer.
    """
    end_points = {}
    if depth_multiplier <= 0:
        raise ValueError('depth_multiplier is not greater than zero.')

    def depth(d):
        return max(int(d * depth_multiplier), min_depth)

    if data_format not in ('NHWC', 'NCHW'):
        raise ValueError('data_format must be either NHWC or NCHW.')
    if data_format == 'NCHW' and use_separable_conv:
        raise ValueError(
            'separable convolution only supports NHWC layout. NCHW data '
            'format can only be used when use_separable_conv is False.')
    concat_dim = 3 if data_format == 'NHWC' else 1

    with tf.variable_scope(scope, 'InceptionV2', [inputs]):
        with slim.arg_scope(
                [slim.conv2d, slim.max_pool2d, slim.avg_pool2d],
                stride=1, padding='SAME', data_format=data_format):
            net = inputs
            if include_root_block:
                for end_point, net in _root_block(inputs, depth,
                                                  use_separable_conv):
                    end_points[end_point] = net
                    if end_point == final_endpoint:
                        return net, end_points
            for end_point, kind, spec in _MODULES:
                build = _mixed if kind == 'mixed' else _reduction
                with tf.variable_scope(end_point):
                    net = build(net, spec, depth, concat_dim)
                end_points[end_point] = net
                if end_point == final_endpoint:
                    return net, end_points
    raise ValueError('Unknown final endpoint %s' % final_endpoint)


def inception_v2(inputs,
                 num_classes=1000,
                 is_training=True,
                 dropout_keep_prob=0.8,
                 min_depth=16,
                 depth_multiplier=1.0,
                 prediction_fn=slim.softmax,
                 spatial_squeeze=True,
                 reuse=None,
                 scope='InceptionV2',
                 global_pool=False):
    """Defines the Inception v2 classification network.

    The default input size is 224x224.

    Args:
      inputs: a `Tensor` of size [batch_size, height, width, channels].
      num_classes: number of classes. If 0 or None, the logits layer is
        omitted and its input (the pooled features, before dropout) is
        returned instead.
      is_training: whether batch_norm and dropout are in training mode.
      dropout_keep_prob: the fraction of activations kept by dropout.
      min_depth: the minimum number of channels of every convolution; it
        matters only when `depth_multiplier` < 1.
      depth_multiplier: a positive float scaling the number of channels of
        every convolution.
      prediction_fn: maps logits to predictions (end point 'Predictions').
      spatial_squeeze: if True, logits have shape [B, C], else [B, 1, 1, C].
      reuse: whether the network and its variables should be reused; to
        reuse, `scope` must be given.
      scope: optional variable_scope.
      global_pool: if True, average-pool the final feature map to 1x1
        whatever its size; if False, use a 7x7 window (smaller for smaller
        inputs), which reduces only default-sized inputs to 1x1.

    Returns:
      net: the logits if `num_classes` is a non-zero integer, else the
        non-dropped-out input to the logits layer.
      end_points: a dict from end point names to their activations.

    Raises:
      ValueError: if `depth_multiplier` <= 0.
    """
    if depth_multiplier <= 0:
        raise ValueError('depth_multiplier is not greater than zero.')
    with tf.variable_scope(scope, 'InceptionV2', [inputs],
                           reuse=reuse) as scope:
        with slim.arg_scope([slim.batch_norm, slim.dropout],
                            is_training=is_training):
            net, end_points = inception_v2_base(
                inputs, scope=scope, min_depth=min_depth,
                depth_multiplier=depth_multiplier)
            with tf.variable_scope('Logits'):
                if global_pool:
                    net = tf.reduce_mean(net, [1, 2], keepdims=True,
                                         name='global_pool')
                    end_points['global_pool'] = net
                else:
                    kernel_size = (
                        inception_utils.reduced_kernel_size_for_small_input(
                            net, [7, 7]))
                    net = slim.avg_pool2d(
                        net, kernel_size, padding='VALID',
                        scope='AvgPool_1a_{}x{}'.format(*kernel_size))
                    end_points['AvgPool_1a'] = net
                if not num_classes:
                    return net, end_points
                net = slim.dropout(net, keep_prob=dropout_keep_prob,
                                   scope='Dropout_1b')
                end_points['PreLogits'] = net
                logits = slim.conv2d(net, num_classes, [1, 1],
                                     activation_fn=None, normalizer_fn=None,
                                     scope='Conv2d_1c_1x1')
                if spatial_squeeze:
                    logits = tf.squeeze(logits, [1, 2], name='SpatialSqueeze')
            end_points['Logits'] = logits
            end_points['Predictions'] = prediction_fn(logits,
                                                      scope='Predictions')
    return logits, end_points


inception_v2.default_image_size = 224

inception_v2_arg_scope = inception_utils.inception_arg_scope
