"""Inception v3, as in the TF-Slim model zoo.

From "Rethinking the Inception Architecture for Computer Vision" (Szegedy,
Vanhoucke, Ioffe, Shlens, Wojna, 2015, http://arxiv.org/abs/1512.00567).

The base network (`inception_v3_base`) is `tf_slim.nets.inception_v3`'s,
which has the same arguments and scope names as research/slim. The
classifier is defined here because tf_slim's has neither `global_pool` nor
the pre-logits output for `num_classes` 0/None. Scope names equal those of
the published `inception_v3` checkpoint.
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim
from tf_slim.nets.inception_v3 import inception_v3_base

from nets import inception_utils


def _trunc_normal(stddev):
    return tf.truncated_normal_initializer(0.0, stddev)


def _aux_logits(net, num_classes, depth, spatial_squeeze):
    """The auxiliary classifier on Mixed_6e, used as a training regulariser."""
    with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d],
                        stride=1, padding='SAME'):
        with tf.variable_scope('AuxLogits'):
            net = slim.avg_pool2d(net, [5, 5], stride=3, padding='VALID',
                                  scope='AvgPool_1a_5x5')
            net = slim.conv2d(net, depth(128), [1, 1], scope='Conv2d_1b_1x1')
            # A 5x5 window, shrunk to the feature map for small inputs.
            kernel_size = inception_utils.reduced_kernel_size_for_small_input(
                net, [5, 5])
            net = slim.conv2d(net, depth(768), kernel_size,
                              weights_initializer=_trunc_normal(0.01),
                              padding='VALID',
                              scope='Conv2d_2a_{}x{}'.format(*kernel_size))
            net = slim.conv2d(net, num_classes, [1, 1], activation_fn=None,
                              normalizer_fn=None,
                              weights_initializer=_trunc_normal(0.001),
                              scope='Conv2d_2b_1x1')
            if spatial_squeeze:
                net = tf.squeeze(net, [1, 2], name='SpatialSqueeze')
            return net


def inception_v3(inputs,
                 num_classes=1000,
                 is_training=True,
                 dropout_keep_prob=0.8,
                 min_depth=16,
                 depth_multiplier=1.0,
                 prediction_fn=slim.softmax,
                 spatial_squeeze=True,
                 reuse=None,
                 create_aux_logits=True,
                 scope='InceptionV3',
                 global_pool=False):
    """Defines the Inception v3 classification network.

    The default input size is 299x299. With `create_aux_logits` the
    auxiliary classifier's logits are end point 'AuxLogits'.

    Args:
      inputs: a `Tensor` of size [batch_size, height, width, channels].
      num_classes: number of classes. If 0 or None, the logits layers
        (auxiliary ones included) are omitted and the input of the main one
        (the pooled features, before dropout) is returned instead.
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
      create_aux_logits: whether to build the auxiliary classifier.
      scope: optional variable_scope.
      global_pool: if True, average-pool the final feature map to 1x1
        whatever its size; if False, use an 8x8 window (smaller for smaller
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

    def depth(d):
        return max(int(d * depth_multiplier), min_depth)

    with tf.variable_scope(scope, 'InceptionV3', [inputs],
                           reuse=reuse) as scope:
        with slim.arg_scope([slim.batch_norm, slim.dropout],
                            is_training=is_training):
            net, end_points = inception_v3_base(
                inputs, scope=scope, min_depth=min_depth,
                depth_multiplier=depth_multiplier)

            if create_aux_logits and num_classes:
                end_points['AuxLogits'] = _aux_logits(
                    end_points['Mixed_6e'], num_classes, depth,
                    spatial_squeeze)

            with tf.variable_scope('Logits'):
                if global_pool:
                    net = tf.reduce_mean(net, [1, 2], keepdims=True,
                                         name='GlobalPool')
                    end_points['global_pool'] = net
                else:
                    kernel_size = (
                        inception_utils.reduced_kernel_size_for_small_input(
                            net, [8, 8]))
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


inception_v3.default_image_size = 299

inception_v3_arg_scope = inception_utils.inception_arg_scope
