"""CifarNet: the CIFAR-10 convnet of the TF-Slim zoo.

Two 5x5 conv layers with local response normalisation and max pooling,
followed by fully connected layers of 384 and 192 units, as in the TensorFlow
CIFAR-10 tutorial. Layer and scope names follow tensorflow/models
research/slim, so its checkpoints restore unchanged.

Usage:
  with slim.arg_scope(cifarnet.cifarnet_arg_scope()):
    logits, end_points = cifarnet.cifarnet(images, num_classes=10)
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim


def _trunc_normal(stddev):
    return tf.truncated_normal_initializer(stddev=stddev)


def _lrn(net, name):
    return tf.nn.lrn(net, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75, name=name)


def cifarnet(images, num_classes=10, is_training=False,
             dropout_keep_prob=0.5,
             prediction_fn=slim.softmax,
             scope='CifarNet'):
    """Creates the CifarNet model.

    The output is logits, i.e. unnormalised scores in (-inf, inf); apply
    `tf.nn.softmax` to get probabilities.

    Args:
      images: a `Tensor` of size [batch_size, height, width, channels].
      num_classes: number of classes. If 0 or None, the logits layer is
        omitted and the input to it (the `fc4` activations) is returned
        instead.
      is_training: whether dropout is active.
      dropout_keep_prob: the fraction of activations kept by dropout.
      prediction_fn: maps logits to predictions (end point 'Predictions').
      scope: optional variable_scope.

    Returns:
      net: a 2-D `Tensor` with the logits if `num_classes` is a non-zero
        integer, else the input to the logits layer.
      end_points: a dict from layer names to their activations.
    """
    end_points = {}
    with tf.variable_scope(scope, 'CifarNet', [images]):
        net = end_points['conv1'] = slim.conv2d(
            images, 64, [5, 5], scope='conv1')
        net = end_points['pool1'] = slim.max_pool2d(
            net, [2, 2], 2, scope='pool1')
        net = _lrn(net, 'norm1')
        net = end_points['conv2'] = slim.conv2d(net, 64, [5, 5], scope='conv2')
        net = _lrn(net, 'norm2')
        net = end_points['pool2'] = slim.max_pool2d(
            net, [2, 2], 2, scope='pool2')
        net = end_points['Flatten'] = slim.flatten(net)
        net = end_points['fc3'] = slim.fully_connected(net, 384, scope='fc3')
        net = slim.dropout(net, dropout_keep_prob, is_training=is_training,
                           scope='dropout3')
        net = end_points['fc4'] = slim.fully_connected(net, 192, scope='fc4')
        if not num_classes:
            return net, end_points
        logits = end_points['Logits'] = slim.fully_connected(
            net, num_classes,
            biases_initializer=tf.zeros_initializer(),
            weights_initializer=_trunc_normal(1 / 192.0),
            weights_regularizer=None,
            activation_fn=None,
            scope='logits')
        end_points['Predictions'] = prediction_fn(logits, scope='Predictions')
    return logits, end_points


cifarnet.default_image_size = 32


def cifarnet_arg_scope(weight_decay=0.004):
    """Returns the arg_scope CifarNet is trained with.

    Only the fully connected layers are weight-decayed, as in the CIFAR-10
    tutorial; the logits layer opts out of it.

    Args:
      weight_decay: the L2 coefficient for fully connected weights.

    Returns:
      An `arg_scope` for `cifarnet`.
    """
    with slim.arg_scope(
            [slim.conv2d],
            weights_initializer=_trunc_normal(5e-2),
            activation_fn=tf.nn.relu):
        with slim.arg_scope(
                [slim.fully_connected],
                biases_initializer=tf.constant_initializer(0.1),
                weights_initializer=_trunc_normal(0.04),
                weights_regularizer=slim.l2_regularizer(weight_decay),
                activation_fn=tf.nn.relu) as sc:
            return sc
