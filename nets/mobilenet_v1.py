"""MobileNet v1 (Howard et al. 2017, https://arxiv.org/abs/1704.04861).

A stack of one full 3x3 convolution and thirteen depthwise-separable
convolutions (a 3x3 depthwise layer, then a 1x1 pointwise layer, each with
batch norm and ReLU6). Scope names, end points, arguments and defaults follow
TF-Slim's research/slim `nets/mobilenet_v1.py`, so the published
`MobilenetV1` checkpoints (all four depth multipliers) restore into it.

`mobilenet_v1_075`, `mobilenet_v1_050` and `mobilenet_v1_025` are the same
network with every layer's depth scaled by 0.75, 0.5 and 0.25.
"""

import collections
import functools

import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import inception_utils

# One full convolution layer.
Conv = collections.namedtuple('Conv', ['kernel', 'stride', 'depth'])
# A depthwise convolution followed by a 1x1 pointwise convolution.
DepthSepConv = collections.namedtuple('DepthSepConv',
                                      ['kernel', 'stride', 'depth'])

# The network body at depth multiplier 1.0; layer i is named 'Conv2d_<i>'.
MOBILENETV1_CONV_DEFS = [
    Conv(kernel=[3, 3], stride=2, depth=32),
    DepthSepConv(kernel=[3, 3], stride=1, depth=64),
    DepthSepConv(kernel=[3, 3], stride=2, depth=128),
    DepthSepConv(kernel=[3, 3], stride=1, depth=128),
    DepthSepConv(kernel=[3, 3], stride=2, depth=256),
    DepthSepConv(kernel=[3, 3], stride=1, depth=256),
    DepthSepConv(kernel=[3, 3], stride=2, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=2, depth=1024),
    DepthSepConv(kernel=[3, 3], stride=1, depth=1024),
]


def _fixed_padding(inputs, kernel_size, rate=1):
    """Pads height and width so a VALID conv gives the shape SAME would.

    Unlike SAME padding, the amount does not depend on the input size, which
    keeps the alignment of features fixed when the input size changes.
    """
    effective = [k + (k - 1) * (rate - 1) for k in kernel_size[:2]]
    before = [(k - 1) // 2 for k in effective]
    after = [k - 1 - b for k, b in zip(effective, before)]
    return tf.pad(inputs, [[0, 0], [before[0], after[0]],
                           [before[1], after[1]], [0, 0]])


def mobilenet_v1_base(inputs, final_endpoint='Conv2d_13_pointwise',
                      min_depth=8, depth_multiplier=1.0, conv_defs=None,
                      output_stride=None, use_explicit_padding=False,
                      scope=None):
    """Builds MobileNet v1 from `inputs` up to `final_endpoint`.

    Args:
      inputs: a tensor of shape [batch_size, height, width, channels].
      final_endpoint: the last layer to build: 'Conv2d_0', or
        'Conv2d_<i>_depthwise' / 'Conv2d_<i>_pointwise' for i in 1..13.
      min_depth: the least number of channels any layer gets; only matters
        when depth_multiplier < 1.
      depth_multiplier: scales the number of channels of every layer.
      conv_defs: a list of Conv / DepthSepConv tuples; defaults to
        MOBILENETV1_CONV_DEFS.
      output_stride: if set (8, 16 or 32), strides past this input-to-output
        ratio are replaced by atrous (dilated) convolutions.
      use_explicit_padding: pad inputs explicitly and use VALID convolutions
        instead of SAME padding.
      scope: optional variable scope.

    Returns:
      (the final_endpoint tensor, dict of end point name -> tensor).

    Raises:
      ValueError: on an unknown final_endpoint or conv_def, on
        depth_multiplier <= 0, or on an output_stride other than 8, 16, 32.
    """
    if depth_multiplier <= 0:
        raise ValueError('depth_multiplier is not greater than zero.')
    if output_stride is not None and output_stride not in (8, 16, 32):
        raise ValueError('Only allowed output_stride values are 8, 16, 32.')
    conv_defs = MOBILENETV1_CONV_DEFS if conv_defs is None else conv_defs

    def depth(channels):
        return max(int(channels * depth_multiplier), min_depth)

    padding = 'VALID' if use_explicit_padding else 'SAME'
    end_points = {}

    def add_layer(layer, net, end_point, pad_kernel=None, pad_rate=1,
                  **kwargs):
        if use_explicit_padding and pad_kernel is not None:
            net = _fixed_padding(net, pad_kernel, pad_rate)
        net = layer(net, scope=end_point, **kwargs)
        end_points[end_point] = net
        return net, end_point == final_endpoint

    with tf.variable_scope(scope, 'MobilenetV1', [inputs]):
        with slim.arg_scope([slim.conv2d, slim.separable_conv2d],
                            padding=padding):
            # current_stride is the input-to-output ratio reached so far;
            # once it equals output_stride, later strides become dilation.
            current_stride = 1
            rate = 1
            net = inputs
            for i, conv_def in enumerate(conv_defs):
                if output_stride and current_stride == output_stride:
                    layer_stride, layer_rate = 1, rate
                    rate *= conv_def.stride
                else:
                    layer_stride, layer_rate = conv_def.stride, 1
                    current_stride *= conv_def.stride

                if isinstance(conv_def, Conv):
                    net, done = add_layer(
                        slim.conv2d, net, 'Conv2d_%d' % i, conv_def.kernel,
                        num_outputs=depth(conv_def.depth),
                        kernel_size=conv_def.kernel, stride=conv_def.stride)
                    if done:
                        return net, end_points
                elif isinstance(conv_def, DepthSepConv):
                    # num_outputs=None: a depthwise convolution only.
                    net, done = add_layer(
                        slim.separable_conv2d, net, 'Conv2d_%d_depthwise' % i,
                        conv_def.kernel, layer_rate, num_outputs=None,
                        kernel_size=conv_def.kernel, depth_multiplier=1,
                        stride=layer_stride, rate=layer_rate)
                    if done:
                        return net, end_points
                    net, done = add_layer(
                        slim.conv2d, net, 'Conv2d_%d_pointwise' % i,
                        num_outputs=depth(conv_def.depth), kernel_size=[1, 1],
                        stride=1)
                    if done:
                        return net, end_points
                else:
                    raise ValueError('Unknown convolution type %s for layer %d'
                                     % (type(conv_def).__name__, i))
    raise ValueError('Unknown final endpoint %s' % final_endpoint)


def mobilenet_v1(inputs, num_classes=1000, dropout_keep_prob=0.999,
                 is_training=True, min_depth=8, depth_multiplier=1.0,
                 conv_defs=None, prediction_fn=slim.softmax,
                 spatial_squeeze=True, reuse=None, scope='MobilenetV1',
                 global_pool=False):
    """MobileNet v1 for classification.

    Args:
      inputs: a tensor of shape [batch_size, height, width, channels].
      num_classes: number of classes; if 0 or None the logits layer is omitted
        and the pooled features (before dropout) are returned.
      dropout_keep_prob: fraction of activations kept by dropout.
      is_training: whether batch norm and dropout run in training mode.
      min_depth, depth_multiplier, conv_defs: see mobilenet_v1_base.
      prediction_fn: maps logits to end_points['Predictions'].
      spatial_squeeze: if True logits are [batch, classes], else
        [batch, 1, 1, classes].
      reuse: whether to reuse the variables (requires `scope`).
      scope: variable scope.
      global_pool: if True, average over the whole feature map; otherwise use
        a fixed 7x7 window (smaller for small inputs), as the checkpoints did.

    Returns:
      (logits, or pre-logits features when num_classes is 0/None; end_points).

    Raises:
      ValueError: if inputs is not of rank 4.
    """
    rank = len(inputs.get_shape().as_list())
    if rank != 4:
        raise ValueError('Invalid input tensor rank, expected 4, was: %d' %
                         rank)

    with tf.variable_scope(scope, 'MobilenetV1', [inputs],
                           reuse=reuse) as scope:
        with slim.arg_scope([slim.batch_norm, slim.dropout],
                            is_training=is_training):
            net, end_points = mobilenet_v1_base(
                inputs, scope=scope, min_depth=min_depth,
                depth_multiplier=depth_multiplier, conv_defs=conv_defs)
            with tf.variable_scope('Logits'):
                if global_pool:
                    net = tf.reduce_mean(net, [1, 2], keepdims=True,
                                         name='global_pool')
                    end_points['global_pool'] = net
                else:
                    kernel_size = (
                        inception_utils.reduced_kernel_size_for_small_input(
                            net, [7, 7]))
                    net = slim.avg_pool2d(net, kernel_size, padding='VALID',
                                          scope='AvgPool_1a')
                    end_points['AvgPool_1a'] = net
                if not num_classes:
                    return net, end_points
                net = slim.dropout(net, keep_prob=dropout_keep_prob,
                                   scope='Dropout_1b')
                logits = slim.conv2d(net, num_classes, [1, 1],
                                     activation_fn=None, normalizer_fn=None,
                                     scope='Conv2d_1c_1x1')
                if spatial_squeeze:
                    logits = tf.squeeze(logits, [1, 2], name='SpatialSqueeze')
            end_points['Logits'] = logits
            if prediction_fn:
                end_points['Predictions'] = prediction_fn(
                    logits, scope='Predictions')
    return logits, end_points


mobilenet_v1.default_image_size = 224


def wrapped_partial(func, *args, **kwargs):
    """functools.partial that keeps func's name, docstring and attributes."""
    partial_func = functools.partial(func, *args, **kwargs)
    functools.update_wrapper(partial_func, func)
    return partial_func


mobilenet_v1_075 = wrapped_partial(mobilenet_v1, depth_multiplier=0.75)
mobilenet_v1_050 = wrapped_partial(mobilenet_v1, depth_multiplier=0.50)
mobilenet_v1_025 = wrapped_partial(mobilenet_v1, depth_multiplier=0.25)


def mobilenet_v1_arg_scope(
        is_training=True, weight_decay=0.00004, stddev=0.09,
        regularize_depthwise=False, batch_norm_decay=0.9997,
        batch_norm_epsilon=0.001,
        batch_norm_updates_collections=tf.GraphKeys.UPDATE_OPS,
        normalizer_fn=slim.batch_norm):
    """The arg_scope MobileNet v1 was trained with.

    Convolutions get truncated-normal weights, ReLU6 and `normalizer_fn`
    (batch norm with gamma and beta, hence no biases); 1x1 and full
    convolutions are L2-regularized, depthwise ones only when
    regularize_depthwise is set.

    Args:
      is_training: batch norm's training mode; None leaves it unset.
      weight_decay: L2 regularization strength.
      stddev: standard deviation of the truncated-normal initializer.
      regularize_depthwise: whether depthwise weights are regularized too.
      batch_norm_decay: decay of the batch norm moving averages.
      batch_norm_epsilon: added to the variance to avoid division by zero.
      batch_norm_updates_collections: collection for the moving-average
        update ops.
      normalizer_fn: normalization applied after each convolution.

    Returns:
      An arg_scope for mobilenet_v1.
    """
    batch_norm_params = {
        'center': True,
        'scale': True,
        'decay': batch_norm_decay,
        'epsilon': batch_norm_epsilon,
        'updates_collections': batch_norm_updates_collections,
    }
    if is_training is not None:
        batch_norm_params['is_training'] = is_training

    regularizer = slim.l2_regularizer(weight_decay)
    depthwise_regularizer = regularizer if regularize_depthwise else None
    initializer = tf.truncated_normal_initializer(stddev=stddev)
    with slim.arg_scope([slim.conv2d, slim.separable_conv2d],
                        weights_initializer=initializer,
                        activation_fn=tf.nn.relu6,
                        normalizer_fn=normalizer_fn):
        with slim.arg_scope([slim.batch_norm], **batch_norm_params):
            with slim.arg_scope([slim.conv2d],
                                weights_regularizer=regularizer):
                with slim.arg_scope([slim.separable_conv2d],
                                    weights_regularizer=depthwise_regularizer
                                    ) as sc:
                    return sc
