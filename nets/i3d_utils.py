"""Building blocks of the I3D and S3D-G video networks.

`conv3d_spatiotemporal` is a 3-D convolution that can be split into a
spatial [1, k, k] and a temporal [t, 1, 1] one ("separable", as in S3D);
`inception_block_v1_3d` is Inception v1's mixed block in 3-D, with optional
self-gating of each branch. Scope names follow research/slim's
nets/i3d_utils.py, so the published checkpoints restore.
"""

import numpy as np
import tensorflow.compat.v1 as tf
import tf_slim as slim

add_arg_scope = slim.add_arg_scope
layers = slim.layers


def center_initializer():
    """An initializer that makes a temporal conv start as the identity.

    For kernels [t, 1, 1, channels, channels] with an odd t: 1 at the
    temporal centre from each channel to itself, 0 elsewhere. Separable I3D
    models converge well only when their temporal convs start this way.

    Returns:
      initializer(shape, dtype, partition_info) for a weights variable.

    Raises (when the initializer runs):
      ValueError: on a dtype other than float32/bfloat16, a shape that is not
        5-D, different input and output channels, a spatial size other than
        1 or an even temporal size.
    """
    def initializer(shape, dtype=tf.float32, partition_info=None):
        del partition_info  # unused
        if dtype not in (tf.float32, tf.bfloat16):
            raise ValueError(
                'Input tensor data type has to be tf.float32 or tf.bfloat16.')
        if len(shape) != 5:
            raise ValueError('Input tensor has to be 5-D.')
        if shape[3] != shape[4]:
            raise ValueError(
                'Input and output channel dimensions must be the same.')
        if shape[1] != 1 or shape[2] != 1:
            raise ValueError(
                'Spatial kernel sizes must be 1 (pointwise conv).')
        if shape[0] % 2 == 0:
            raise ValueError('Temporal kernel size has to be odd.')
        kernel = np.zeros(shape, dtype=np.float32)
        channels = np.arange(shape[3])
        kernel[shape[0] // 2, 0, 0, channels, channels] = 1.0
        return tf.constant(kernel, dtype=dtype)

    return initializer


@add_arg_scope
def conv3d_spatiotemporal(inputs, num_outputs, kernel_size, stride=1,
                          padding='SAME', activation_fn=None,
                          normalizer_fn=None, normalizer_params=None,
                          weights_regularizer=None, separable=False,
                          data_format='NDHWC', scope=''):
    """A 3-D convolution, or a spatial one followed by a temporal one.

    Args:
      inputs: a 5-D tensor [batch, frames, height, width, channels] (or
        channels first with data_format 'NCDHW').
      num_outputs: number of output channels.
      kernel_size: [frames, height, width] of the kernel.
      stride: an int, or [frames, height, width] strides.
      padding: 'SAME' or 'VALID'.
      activation_fn: activation of each convolution.
      normalizer_fn: normalizer of the (spatial) convolution; the temporal
        one of a separable pair has biases instead.
      normalizer_params: arguments of normalizer_fn.
      weights_regularizer: regularizer of the (spatial) weights.
      separable: with a temporal kernel size other than 1, build a
        [1, k, k] conv (scope `scope`) and a [t, 1, 1] conv (scope
        `scope`/temporal, starting as the identity) instead of one
        [t, k, k] conv.
      data_format: 'NDHWC' or 'NCDHW'.
      scope: variable scope.

    Returns:
      The output tensor.

    Raises:
      ValueError: if kernel_size does not have 3 entries.
    """
    if len(kernel_size) != 3:
        raise ValueError('kernel_size must be [frames, height, width], got '
                         '%s' % (kernel_size,))
    if not separable or kernel_size[0] == 1:
        return layers.conv3d(
            inputs, num_outputs, kernel_size, stride=stride, padding=padding,
            activation_fn=activation_fn, normalizer_fn=normalizer_fn,
            normalizer_params=normalizer_params,
            weights_regularizer=weights_regularizer, data_format=data_format,
            scope=scope)
    if isinstance(stride, list) and len(stride) == 3:
        temporal_stride, spatial_strides = stride[0], stride[1:]
    else:
        temporal_stride, spatial_strides = stride, [stride, stride]
    net = layers.conv3d(
        inputs, num_outputs, [1, kernel_size[1], kernel_size[2]],
        stride=[1] + spatial_strides, padding=padding,
        activation_fn=activation_fn, normalizer_fn=normalizer_fn,
        normalizer_params=normalizer_params,
        weights_regularizer=weights_regularizer, data_format=data_format,
        scope=scope)
    return layers.conv3d(
        net, num_outputs, [kernel_size[0], 1, 1],
        stride=[temporal_stride, 1, 1], padding=padding,
        scope=scope + '/temporal', activation_fn=activation_fn,
        normalizer_fn=None, data_format=data_format,
        weights_initializer=center_initializer())


@add_arg_scope
def inception_block_v1_3d(inputs, num_outputs_0_0a, num_outputs_1_0a,
                          num_outputs_1_0b, num_outputs_2_0a,
                          num_outputs_2_0b, num_outputs_3_0b,
                          temporal_kernel_size=3, self_gating_fn=None,
                          data_format='NDHWC', scope=''):
    """Inception v1's mixed block in 3-D (Xie et al. 2017,
    https://arxiv.org/abs/1712.04851).

    Four branches, concatenated along the channels: a 1x1x1 conv
    (Branch_0); 1x1x1 then [t, 3, 3] convs (Branch_1 and Branch_2); 3x3x3
    max pooling then a 1x1x1 conv (Branch_3).

    Args:
      inputs: a 5-D tensor.
      num_outputs_0_0a: channels of Branch_0/Conv2d_0a_1x1.
      num_outputs_1_0a: channels of Branch_1/Conv2d_0a_1x1.
      num_outputs_1_0b: channels of Branch_1/Conv2d_0b_3x3.
      num_outputs_2_0a: channels of Branch_2/Conv2d_0a_1x1.
      num_outputs_2_0b: channels of Branch_2/Conv2d_0b_3x3.
      num_outputs_3_0b: channels of Branch_3/Conv2d_0b_1x1.
      temporal_kernel_size: t, the temporal size of the 3x3 convs.
      self_gating_fn: if given, fn(tensor, scope=) applied to each branch's
        output (S3D-G's self-gating).
      data_format: 'NDHWC' or 'NCDHW'.
      scope: variable scope.

    Returns:
      The concatenated branches, num_outputs_0_0a + num_outputs_1_0b +
      num_outputs_2_0b + num_outputs_3_0b channels.
    """
    def gate(net, scope):
        return self_gating_fn(net, scope=scope) if self_gating_fn else net

    with tf.variable_scope(scope):
        with tf.variable_scope('Branch_0'):
            branch_0 = layers.conv3d(inputs, num_outputs_0_0a, [1, 1, 1],
                                     scope='Conv2d_0a_1x1')
            branch_0 = gate(branch_0, 'Conv2d_0a_1x1')
        branches = [branch_0]
        for name, reduce_depth, depth in (
                ('Branch_1', num_outputs_1_0a, num_outputs_1_0b),
                ('Branch_2', num_outputs_2_0a, num_outputs_2_0b)):
            with tf.variable_scope(name):
                net = layers.conv3d(inputs, reduce_depth, [1, 1, 1],
                                    scope='Conv2d_0a_1x1')
                net = conv3d_spatiotemporal(
                    net, depth, [temporal_kernel_size, 3, 3],
                    scope='Conv2d_0b_3x3')
                branches.append(gate(net, 'Conv2d_0b_3x3'))
        with tf.variable_scope('Branch_3'):
            branch_3 = layers.max_pool3d(inputs, [3, 3, 3],
                                         scope='MaxPool_0a_3x3')
            branch_3 = layers.conv3d(branch_3, num_outputs_3_0b, [1, 1, 1],
                                     scope='Conv2d_0b_1x1')
            branches.append(gate(branch_3, 'Conv2d_0b_1x1'))
        return tf.concat(branches, data_format.index('C'))


def reduced_kernel_size_3d(input_tensor, kernel_size):
    """kernel_size, shrunk to the input's [frames, height, width] where the
    input is smaller; unchanged when any of those is unknown."""
    shape = input_tensor.get_shape().as_list()
    if len(kernel_size) != 3 or len(shape) != 5:
        raise ValueError('expected a 3-D kernel size and a 5-D input')
    if None in shape[1:4]:
        return kernel_size
    return [min(size, kernel) for size, kernel in zip(shape[1:4],
                                                      kernel_size)]
