"""The VGG networks A (11 layers), D (16 layers) and E (19 layers).

From "Very Deep Convolutional Networks For Large-Scale Image Recognition"
(Simonyan, Zisserman, 2014, http://arxiv.org/abs/1409.1556). The fully
connected layers are written as convolutions so the networks also run fully
convolutionally.

`tf_slim.nets.vgg` has the same layers but none of `reuse`,
`fc_conv_padding` and `global_pool`, and always builds the logits layer, so
this module defines the networks itself. Scope names follow tensorflow/models
research/slim (e.g. `vgg_16/conv1/conv1_1/weights`, `vgg_16/fc8/biases`), so
the published checkpoints restore unchanged.

Usage:
  with slim.arg_scope(vgg.vgg_arg_scope()):
    outputs, end_points = vgg.vgg_16(inputs)
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim

# Number of 3x3 conv layers in each of the five stages (64, 128, 256, 512
# and 512 channels) of configurations A, D and E of the paper.
_STAGE_DEPTHS = (64, 128, 256, 512, 512)
_VGG_A_REPEATS = (1, 1, 2, 2, 2)
_VGG_16_REPEATS = (2, 2, 3, 3, 3)
_VGG_19_REPEATS = (2, 2, 4, 4, 4)


def vgg_arg_scope(weight_decay=0.0005):
    """Returns the arg_scope the VGG networks are trained with.

    Args:
      weight_decay: the L2 coefficient for conv and fully connected weights.

    Returns:
      An `arg_scope` for the VGG networks.
    """
    with slim.arg_scope([slim.conv2d, slim.fully_connected],
                        activation_fn=tf.nn.relu,
                        weights_regularizer=slim.l2_regularizer(weight_decay),
                        biases_initializer=tf.zeros_initializer()):
        with slim.arg_scope([slim.conv2d], padding='SAME') as arg_sc:
            return arg_sc


def _vgg(inputs, repeats, num_classes, is_training, dropout_keep_prob,
         spatial_squeeze, reuse, scope, default_scope, fc_conv_padding,
         global_pool):
    """Builds a VGG network with `repeats[i]` conv layers in stage i+1."""
    with tf.variable_scope(scope, default_scope, [inputs], reuse=reuse) as sc:
        end_points_collection = sc.original_name_scope + '_end_points'
        with slim.arg_scope(
                [slim.conv2d, slim.fully_connected, slim.max_pool2d],
                outputs_collections=end_points_collection):
            net = inputs
            for stage, (repeat, depth) in enumerate(
                    zip(repeats, _STAGE_DEPTHS), start=1):
                net = slim.repeat(net, repeat, slim.conv2d, depth, [3, 3],
                                  scope='conv%d' % stage)
                net = slim.max_pool2d(net, [2, 2], scope='pool%d' % stage)

            # The fully connected layers, as convolutions.
            net = slim.conv2d(net, 4096, [7, 7], padding=fc_conv_padding,
                              scope='fc6')
            net = slim.dropout(net, dropout_keep_prob, is_training=is_training,
                               scope='dropout6')
            net = slim.conv2d(net, 4096, [1, 1], scope='fc7')
            end_points = slim.utils.convert_collection_to_dict(
                end_points_collection)
            if global_pool:
                net = tf.reduce_mean(net, [1, 2], keepdims=True,
                                     name='global_pool')
                end_points['global_pool'] = net
            if num_classes:
                net = slim.dropout(net, dropout_keep_prob,
                                   is_training=is_training, scope='dropout7')
                net = slim.conv2d(net, num_classes, [1, 1],
                                  activation_fn=None,
                                  normalizer_fn=None,
                                  scope='fc8')
                if spatial_squeeze:
                    net = tf.squeeze(net, [1, 2], name='fc8/squeezed')
                end_points[sc.name + '/fc8'] = net
            return net, end_points


def vgg_a(inputs,
          num_classes=1000,
          is_training=True,
          dropout_keep_prob=0.5,
          spatial_squeeze=True,
          reuse=None,
          scope='vgg_a',
          fc_conv_padding='VALID',
          global_pool=False):
    """Oxford Net VGG 11-layer, configuration A.

    For classification use 224x224 inputs, or set `global_pool=True` for any
    size.

    Args:
      inputs: a `Tensor` of size [batch_size, height, width, channels].
      num_classes: number of classes. If 0 or None, the logits layer is
        omitted and its input (the `fc7` activations, before dropout, pooled
        if `global_pool`) is returned instead.
      is_training: whether dropout is active.
      dropout_keep_prob: the fraction of activations kept by dropout.
      spatial_squeeze: whether to squeeze the 1x1 spatial dimensions of the
        logits.
      reuse: whether the network and its variables should be reused; to
        reuse, `scope` must be given.
      scope: optional variable_scope.
      fc_conv_padding: padding of `fc6`, the 7x7 convolution standing for
        the first fully connected layer. 'VALID' gives an output map of
        (input / 32) - 6; use 'SAME' for a map downsampled by exactly 32 when
        running fully convolutionally.
      global_pool: if True, average-pool the input of the logits layer to
        1x1 whatever the input size (not part of the original VGG).

    Returns:
      net: the logits if `num_classes` is a non-zero integer, else the
        non-dropped-out input to the logits layer.
      end_points: a dict of intermediate activations.
    """
    return _vgg(inputs, _VGG_A_REPEATS, num_classes, is_training,
                dropout_keep_prob, spatial_squeeze, reuse, scope, 'vgg_a',
                fc_conv_padding, global_pool)


def vgg_16(inputs,
           num_classes=1000,
           is_training=True,
           dropout_keep_prob=0.5,
           spatial_squeeze=True,
           reuse=None,
           scope='vgg_16',
           fc_conv_padding='VALID',
           global_pool=False):
    """Oxford Net VGG 16-layer, configuration D; arguments as in `vgg_a`."""
    return _vgg(inputs, _VGG_16_REPEATS, num_classes, is_training,
                dropout_keep_prob, spatial_squeeze, reuse, scope, 'vgg_16',
                fc_conv_padding, global_pool)


def vgg_19(inputs,
           num_classes=1000,
           is_training=True,
           dropout_keep_prob=0.5,
           spatial_squeeze=True,
           reuse=None,
           scope='vgg_19',
           fc_conv_padding='VALID',
           global_pool=False):
    """Oxford Net VGG 19-layer, configuration E; arguments as in `vgg_a`."""
    return _vgg(inputs, _VGG_19_REPEATS, num_classes, is_training,
                dropout_keep_prob, spatial_squeeze, reuse, scope, 'vgg_19',
                fc_conv_padding, global_pool)


vgg_a.default_image_size = 224
vgg_16.default_image_size = 224
vgg_19.default_image_size = 224

# The paper's configuration letters.
vgg_d = vgg_16
vgg_e = vgg_19
