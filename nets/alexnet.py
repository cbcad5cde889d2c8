"""AlexNet v2, the "one weird trick" variant of AlexNet.

First described in "ImageNet Classification with Deep Convolutional Neural
Networks" (Krizhevsky, Sutskever, Hinton, 2012) and refined in "One weird
trick for parallelizing convolutional neural networks" (Krizhevsky, 2014).
This is the refined version: no LRN layers, and the fully connected layers
are written as convolutions so the network also runs fully convolutionally.

`tf_slim.nets.alexnet` has the same layers but no `global_pool` option and
always builds the logits layer, so this module defines the network itself.
Scope names follow tensorflow/models research/slim.

Usage:
  with slim.arg_scope(alexnet.alexnet_v2_arg_scope()):
    outputs, end_points = alexnet.alexnet_v2(inputs)
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim


def _trunc_normal(stddev):
    return tf.truncated_normal_initializer(0.0, stddev)


def alexnet_v2_arg_scope(weight_decay=0.0005):
    """Returns the arg_scope AlexNet v2 is trained with.

    Args:
      weight_decay: the L2 coefficient for conv and fully connected weights.

    Returns:
      An `arg_scope` for `alexnet_v2`.
    """
    with slim.arg_scope([slim.conv2d, slim.fully_connected],
                        activation_fn=tf.nn.relu,
                        biases_initializer=tf.constant_initializer(0.1),
                        weights_regularizer=slim.l2_regularizer(weight_decay)):
        with slim.arg_scope([slim.conv2d], padding='SAME'):
            with slim.arg_scope([slim.max_pool2d], padding='VALID') as arg_sc:
                return arg_sc


def alexnet_v2(inputs,
               num_classes=1000,
               is_training=True,
               dropout_keep_prob=0.5,
               spatial_squeeze=True,
               scope='alexnet_v2',
               global_pool=False):
    """AlexNet version 2 (http://arxiv.org/pdf/1404.5997v2.pdf).

    For classification use 224x224 inputs, or set `global_pool=True` for any
    size. For a fully convolutional output set `spatial_squeeze=False`.

    Args:
      inputs: a `Tensor` of size [batch_size, height, width, channels].
      num_classes: number of classes. If 0 or None, the logits layer is
        omitted and its input (the `fc7` activations, before dropout, pooled
        if `global_pool`) is returned instead.
      is_training: whether dropout is active.
      dropout_keep_prob: the fraction of activations kept by dropout.
      spatial_squeeze: whether to squeeze the 1x1 spatial dimensions of the
        logits.
      scope: optional variable_scope.
      global_pool: if True, average-pool the input of the logits layer to
        1x1 whatever the input size (not part of the original AlexNet).

    Returns:
      net: the logits if `num_classes` is a non-zero integer, else the
        non-dropped-out input to the logits layer.
      end_points: a dict of intermediate activations.
    """
    with tf.variable_scope(scope, 'alexnet_v2', [inputs]) as sc:
        end_points_collection = sc.original_name_scope + '_end_points'
        with slim.arg_scope(
                [slim.conv2d, slim.fully_connected, slim.max_pool2d],
                outputs_collections=[end_points_collection]):
            net = slim.conv2d(inputs, 64, [11, 11], 4, padding='VALID',
                              scope='conv1')
            net = slim.max_pool2d(net, [3, 3], 2, scope='pool1')
            net = slim.conv2d(net, 192, [5, 5], scope='conv2')
            net = slim.max_pool2d(net, [3, 3], 2, scope='pool2')
            net = slim.conv2d(net, 384, [3, 3], scope='conv3')
            net = slim.conv2d(net, 384, [3, 3], scope='conv4')
            net = slim.conv2d(net, 256, [3, 3], scope='conv5')
            net = slim.max_pool2d(net, [3, 3], 2, scope='pool5')

            # The fully connected layers, as convolutions.
            with slim.arg_scope(
                    [slim.conv2d],
                    weights_initializer=_trunc_normal(0.005),
                    biases_initializer=tf.constant_initializer(0.1)):
                net = slim.conv2d(net, 4096, [5, 5], padding='VALID',
                                  scope='fc6')
                net = slim.dropout(net, dropout_keep_prob,
                                   is_training=is_training, scope='dropout6')
                net = slim.conv2d(net, 4096, [1, 1], scope='fc7')
                end_points = slim.utils.convert_collection_to_dict(
                    end_points_collection)
                if global_pool:
                    net = tf.reduce_mean(net, [1, 2], keepdims=True,
                                         name='global_pool')
                    end_points['global_pool'] = net
                if num_classes:
                    net = slim.dropout(net, dropout_keep_prob,
                                       is_training=is_training,
                                       scope='dropout7')
                    net = slim.conv2d(
                        net, num_classes, [1, 1],
                        activation_fn=None,
                        normalizer_fn=None,
                        biases_initializer=tf.zeros_initializer(),
                        scope='fc8')
                    if spatial_squeeze:
                        net = tf.squeeze(net, [1, 2], name='fc8/squeezed')
                    end_points[sc.name + '/fc8'] = net
        return net, end_points


alexnet_v2.default_image_size = 224
