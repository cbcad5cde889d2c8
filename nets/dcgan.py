"""DCGAN's generator and discriminator (Radford et al. 2015,
https://arxiv.org/abs/1511.06434).

The discriminator halves a square, power-of-2 image with strided 4x4
convolutions ('conv1' ... 'conv<log2 size>'), doubling the depth each
time, down to 1x1, then a 1x1 conv gives one logit. The generator mirrors
it with transposed convolutions from a noise vector to `final_size`
images. Scope names are those of research/slim's nets/dcgan.py.
"""

import math

import tensorflow.compat.v1 as tf
import tf_slim as slim


def _validate_image_inputs(inputs):
    """Raises ValueError unless inputs is [batch, n, n, channels] with a
    known power-of-2 n."""
    inputs.get_shape().assert_has_rank(4)
    inputs.get_shape()[1:3].assert_is_fully_defined()
    height, width = inputs.get_shape().as_list()[1:3]
    if height != width:
        raise ValueError('Input tensor does not have equal width and '
                         'height: %s' % inputs.get_shape()[1:3])
    if math.log(width, 2) != int(math.log(width, 2)):
        raise ValueError('Input tensor `width` is not a power of 2: %d' %
                         width)


def _batch_norm_args(is_training, fused_batch_norm):
    return {'is_training': is_training, 'zero_debias_moving_mean': True,
            'fused': fused_batch_norm}


def discriminator(inputs, depth=64, is_training=True, reuse=None,
                  scope='Discriminator', fused_batch_norm=False):
    """The DCGAN discriminator.

    Args:
      inputs: float images [batch, n, n, channels], n a power of 2.
      depth: channels of the first conv; each next one doubles them.
      is_training: batch norm mode.
      reuse: whether to reuse the variables (requires `scope`).
      scope: variable scope.
      fused_batch_norm: use the fused batch norm kernel.

    Returns:
      (logits [batch, 1], end_points with 'conv<i>' and 'logits').

    Raises:
      ValueError: if inputs is not 4-D with a known, square, power-of-2
        size.
    """
    _validate_image_inputs(inputs)
    size = inputs.get_shape().as_list()[1]
    end_points = {}
    with tf.variable_scope(scope, values=[inputs], reuse=reuse), \
            slim.arg_scope([slim.batch_norm],
                           **_batch_norm_args(is_training,
                                              fused_batch_norm)), \
            slim.arg_scope([slim.conv2d], stride=2, kernel_size=4,
                           activation_fn=tf.nn.leaky_relu):
        net = inputs
        for i in range(int(math.log(size, 2))):
            layer = 'conv%i' % (i + 1)
            # No batch norm on the first layer, as in the paper.
            net = slim.conv2d(net, depth * 2 ** i,
                              normalizer_fn=None if i == 0
                              else slim.batch_norm,
                              scope=layer)
            end_points[layer] = net
        logits = slim.conv2d(net, 1, kernel_size=1, stride=1,
                             padding='VALID', normalizer_fn=None,
                             activation_fn=None)
        logits = tf.reshape(logits, [-1, 1])
        end_points['logits'] = logits
        return logits, end_points


def generator(inputs, depth=64, final_size=32, num_outputs=3,
              is_training=True, reuse=None, scope='Generator',
              fused_batch_norm=False):
    """The DCGAN generator.

    Args:
      inputs: noise [batch, N].
      depth: channels of the last transposed conv; each earlier one has
        twice those of the next.
      final_size: height and width of the output, a power of 2, at least 8.
      num_outputs: channels of the output.
      is_training: batch norm mode.
      reuse: whether to reuse the variables (requires `scope`).
      scope: variable scope.
      fused_batch_norm: use the fused batch norm kernel.

    Returns:
      (logits [batch, final_size, final_size, num_outputs], end_points with
      'deconv<i>' and 'logits').

    Raises:
      ValueError: if inputs is not 2-D, or final_size is not a power of 2
        or is less than 8.
    """
    inputs.get_shape().assert_has_rank(2)
    if math.log(final_size, 2) != int(math.log(final_size, 2)):
        raise ValueError('`final_size` (%i) must be a power of 2.' %
                         final_size)
    if final_size < 8:
        raise ValueError('`final_size` (%i) must be greater than 8.' %
                         final_size)
    end_points = {}
    num_layers = int(math.log(final_size, 2)) - 1
    with tf.variable_scope(scope, values=[inputs], reuse=reuse), \
            slim.arg_scope([slim.batch_norm],
                           **_batch_norm_args(is_training,
                                              fused_batch_norm)), \
            slim.arg_scope([slim.conv2d_transpose],
                           normalizer_fn=slim.batch_norm, stride=2,
                           kernel_size=4):
        net = tf.expand_dims(tf.expand_dims(inputs, 1), 1)
        # 1x1 -> 4x4, then doubling up to final_size / 2.
        net = slim.conv2d_transpose(net, depth * 2 ** (num_layers - 1),
                                    stride=1, padding='VALID',
                                    scope='deconv1')
        end_points['deconv1'] = net
        for i in range(2, num_layers):
            layer = 'deconv%i' % i
            net = slim.conv2d_transpose(net, depth * 2 ** (num_layers - i),
                                        scope=layer)
            end_points[layer] = net
        layer = 'deconv%i' % num_layers
        net = slim.conv2d_transpose(net, depth, normalizer_fn=None,
                                    activation_fn=None, scope=layer)
        end_points[layer] = net
        logits = slim.conv2d(net, num_outputs, normalizer_fn=None,
                             activation_fn=None, kernel_size=1, stride=1,
                             padding='VALID', scope='logits')
        end_points['logits'] = logits
        logits.get_shape().assert_has_rank(4)
        logits.get_shape().assert_is_compatible_with(
            [None, final_size, final_size, num_outputs])
        return logits, end_points
