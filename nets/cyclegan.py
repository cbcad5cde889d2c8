"""CycleGAN's ResNet generator (Zhu et al. 2017,
https://arxiv.org/abs/1703.10593).

A 7x7 conv, two stride-2 convs down, `num_resnet_blocks` residual blocks,
two upsampling steps and a 7x7 conv back to the input's channels, with
reflection padding and instance norm throughout, following the authors'
Torch code. Scope names are those of research/slim's nets/cyclegan.py.
"""

import numpy as np
import tensorflow.compat.v1 as tf
import tf_slim as slim


def cyclegan_arg_scope(instance_norm_center=True, instance_norm_scale=True,
                       instance_norm_epsilon=0.001, weights_init_stddev=0.02,
                       weight_decay=0.0):
    """The arg_scope of CycleGAN's networks: convs with instance norm and
    normal(0, weights_init_stddev) weights.

    Args:
      instance_norm_center: instance norm learns an offset.
      instance_norm_scale: instance norm learns a scale.
      instance_norm_epsilon: added to the variance in instance norm.
      weights_init_stddev: stddev of the initial conv weights.
      weight_decay: L2 strength of the conv weights (0 for none).

    Returns:
      An arg_scope.
    """
    instance_norm_params = {'center': instance_norm_center,
                            'scale': instance_norm_scale,
                            'epsilon': instance_norm_epsilon}
    weights_regularizer = None
    if weight_decay and weight_decay > 0.0:
        weights_regularizer = slim.l2_regularizer(weight_decay)
    with slim.arg_scope(
            [slim.conv2d], normalizer_fn=slim.instance_norm,
            normalizer_params=instance_norm_params,
            weights_initializer=tf.random_normal_initializer(
                0, weights_init_stddev),
            weights_regularizer=weights_regularizer) as scope:
        return scope


# Pads height and width by one pixel on each side.
_SPATIAL_PAD_1 = np.array([[0, 0], [1, 1], [1, 1], [0, 0]])
# Pads height and width by three pixels on each side (for 7x7 convs).
_SPATIAL_PAD_3 = np.array([[0, 0], [3, 3], [3, 3], [0, 0]])


def cyclegan_upsample(net, num_outputs, stride, method='conv2d_transpose',
                      pad_mode='REFLECT', align_corners=False):
    """Upsamples net by stride, in scope 'upconv'.

    Args:
      net: a tensor [batch, height, width, channels].
      num_outputs: output channels.
      stride: [height factor, width factor].
      method: 'conv2d_transpose' (a 3x3 transposed conv),
        'nn_upsample_conv' or 'bilinear_upsample_conv' (resize, pad with
        pad_mode, 3x3 conv).
      pad_mode: tf.pad mode: 'CONSTANT', 'REFLECT' or 'SYMMETRIC'.
      align_corners: align_corners of the bilinear resize.

    Returns:
      The upsampled tensor.

    Raises:
      ValueError: on an unknown method.
    """
    with tf.variable_scope('upconv'):
        shape = tf.shape(net)
        size = [stride[0] * shape[1], stride[1] * shape[2]]
        if method == 'nn_upsample_conv':
            net = tf.image.resize(
                net, size, method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
            net = tf.pad(net, _SPATIAL_PAD_1, mode=pad_mode)
            net = slim.conv2d(net, num_outputs, kernel_size=[3, 3],
                              padding='valid')
        elif method == 'bilinear_upsample_conv':
            net = tf.image.resize_bilinear(net, size,
                                           align_corners=align_corners)
            net = tf.pad(net, _SPATIAL_PAD_1, mode=pad_mode)
            net = slim.conv2d(net, num_outputs, kernel_size=[3, 3],
                              padding='valid')
        elif method == 'conv2d_transpose':
            # A VALID 3x3 transposed conv makes (stride * size + 1) pixels;
            # dropping the first row and column leaves stride * size.
            net = slim.conv2d_transpose(net, num_outputs, kernel_size=[3, 3],
                                        stride=stride, padding='valid')
            net = net[:, 1:, 1:, :]
        else:
            raise ValueError('Unknown method: [%s]' % method)
        return net


def _dynamic_or_static_shape(tensor):
    """The shape of tensor, as numbers if known when the graph is built."""
    shape = tf.shape(tensor)
    static_shape = tf.get_static_value(shape)
    return static_shape if static_shape is not None else shape


def cyclegan_generator_resnet(images, arg_scope_fn=cyclegan_arg_scope,
                              num_resnet_blocks=6, num_filters=64,
                              upsample_fn=cyclegan_upsample, kernel_size=3,
                              tanh_linear_slope=0.0, is_training=False):
    """The CycleGAN ResNet generator.

    Height and width must be multiples of 4 for the output to have the
    input's shape (checked when they are known at graph construction).

    Args:
      images: [batch, height, width, channels] images.
      arg_scope_fn: returns the arg_scope the network is built in.
      num_resnet_blocks: residual blocks in the middle.
      num_filters: channels of the first layer (the middle has 4 times
        those).
      upsample_fn: fn(net, num_outputs=, stride=) of the decoder.
      kernel_size: an int or [height, width] of the inner convs' kernels.
      tanh_linear_slope: slope of a linear term added to the output tanh.
      is_training: unused; for the signature other generators share.

    Returns:
      (predictions, end_points): tanh(logits) + tanh_linear_slope * logits,
      shaped like images, and 'encoder_<i>', 'resnet_block_<i>',
      'decoder<i>', 'logits', 'predictions'.

    Raises:
      ValueError: if a known height or width is not a multiple of 4.
    """
    del is_training
    end_points = {}
    height, width, num_outputs = images.shape.as_list()[1:4]
    if height and height % 4 != 0:
        raise ValueError('The input height must be a multiple of 4.')
    if width and width % 4 != 0:
        raise ValueError('The input width must be a multiple of 4.')
    if not isinstance(kernel_size, (list, tuple)):
        kernel_size = [kernel_size, kernel_size]
    # "SAME" reflection padding, with the odd pixel at the bottom/right.
    paddings = np.array(
        [[0, 0], [(kernel_size[0] - 1) // 2, kernel_size[0] // 2],
         [(kernel_size[1] - 1) // 2, kernel_size[1] // 2], [0, 0]],
        dtype=np.int32)

    def reflect(net):
        return tf.pad(net, paddings, mode='REFLECT')

    with slim.arg_scope(arg_scope_fn()):
        with tf.variable_scope('input'):
            net = tf.pad(images, _SPATIAL_PAD_3, mode='REFLECT')
            net = slim.conv2d(net, num_filters, kernel_size=[7, 7],
                              padding='VALID')
            end_points['encoder_0'] = net
        with tf.variable_scope('encoder'), \
                slim.arg_scope([slim.conv2d], kernel_size=kernel_size,
                               stride=2, activation_fn=tf.nn.relu,
                               padding='VALID'):
            net = slim.conv2d(reflect(net), num_filters * 2)
            end_points['encoder_1'] = net
            net = slim.conv2d(reflect(net), num_filters * 4)
            end_points['encoder_2'] = net
        with tf.variable_scope('residual_blocks'), \
                slim.arg_scope([slim.conv2d], kernel_size=kernel_size,
                               stride=1, activation_fn=tf.nn.relu,
                               padding='VALID'):
            for block_id in range(num_resnet_blocks):
                with tf.variable_scope('block_{}'.format(block_id)):
                    res_net = slim.conv2d(reflect(net), num_filters * 4)
                    res_net = slim.conv2d(reflect(res_net), num_filters * 4,
                                          activation_fn=None)
                    net += res_net
                    end_points['resnet_block_%d' % block_id] = net
        with tf.variable_scope('decoder'), \
                slim.arg_scope([slim.conv2d], kernel_size=kernel_size,
                               stride=1, activation_fn=tf.nn.relu):
            with tf.variable_scope('decoder1'):
                net = upsample_fn(net, num_outputs=num_filters * 2,
                                  stride=[2, 2])
            end_points['decoder1'] = net
            with tf.variable_scope('decoder2'):
                net = upsample_fn(net, num_outputs=num_filters, stride=[2, 2])
            end_points['decoder2'] = net
        with tf.variable_scope('output'):
            net = tf.pad(net, _SPATIAL_PAD_3, mode='REFLECT')
            logits = slim.conv2d(net, num_outputs, [7, 7],
                                 activation_fn=None, normalizer_fn=None,
                                 padding='valid')
            logits = tf.reshape(logits, _dynamic_or_static_shape(images))
            end_points['logits'] = logits
            end_points['predictions'] = (tf.tanh(logits) +
                                         logits * tanh_linear_slope)
    return end_points['predictions'], end_points
