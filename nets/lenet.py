"""LeNet: the small MNIST convnet of the TF-Slim zoo.

A variant of LeCun et al.'s LeNet-5 with ReLUs, max pooling, a 1024-unit
fully connected layer and dropout. Layer and scope names follow
tensorflow/models research/slim, so its checkpoints restore unchanged.

Usage:
  with slim.arg_scope(lenet.lenet_arg_scope()):
    logits, end_points = lenet.lenet(images, num_classes=10)
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim


def lenet(images, num_classes=10, is_training=False,
          dropout_keep_prob=0.5,
          prediction_fn=slim.softmax,
          scope='LeNet'):
    """Creates the LeNet variant.

    The output is logits, i.e. unnormalised scores in (-inf, inf); apply
    `tf.nn.softmax` to get probabilities.

    Args:
      images: a `Tensor` of size [batch_size, height, width, channels].
      num_classes: number of classes. If 0 or None, the logits layer is
        omitted and the input to it (the `fc3` activations, before dropout)
        is returned instead.
      is_training: whether dropout is active.
      dropout_keep_prob: the fraction of activations kept by dropout.
      prediction_fn: maps logits to predictions (end point 'Predictions').
      scope: optional variable_scope.

    Returns:
      net: a 2-D `Tensor` with the logits if `num_classes` is a non-zero
        integer, else the non-dropped-out input to the logits layer.
      end_points: a dict from layer names to their activations.
    """
    end_points = {}
    with tf.variable_scope(scope, 'LeNet', [images]):
        net = end_points['conv1'] = slim.conv2d(
            images, 32, [5, 5], scope='conv1')
        net = end_points['pool1'] = slim.max_pool2d(
            net, [2, 2], 2, scope='pool1')
        net = end_points['conv2'] = slim.conv2d(net, 64, [5, 5], scope='conv2')
        net = end_points['pool2'] = slim.max_pool2d(
            net, [2, 2], 2, scope='pool2')
        net = end_points['Flatten'] = slim.flatten(net)
        net = end_points['fc3'] = slim.fully_connected(net, 1024, scope='fc3')
        if not num_classes:
            return net, end_points
        net = end_points['dropout3'] = slim.dropout(
            net, dropout_keep_prob, is_training=is_training, scope='dropout3')
        logits = end_points['Logits'] = slim.fully_connected(
            net, num_classes, activation_fn=None, scope='fc4')
    end_points['Predictions'] = prediction_fn(logits, scope='Predictions')
    return logits, end_points


lenet.default_image_size = 28


def lenet_arg_scope(weight_decay=0.0):
    """Returns the arg_scope LeNet is trained with.

    Args:
      weight_decay: the L2 coefficient for conv and fully connected weights.

    Returns:
      An `arg_scope` for `lenet`.
    """
    with slim.arg_scope(
            [slim.conv2d, slim.fully_connected],
            weights_regularizer=slim.l2_regularizer(weight_decay),
            weights_initializer=tf.truncated_normal_initializer(stddev=0.1),
            activation_fn=tf.nn.relu) as sc:
        return sc
