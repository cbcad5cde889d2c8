"""A small convolutional classifier, in TF 1.x / tf.contrib style."""

import numpy as np
import tensorflow as tf

slim = tf.contrib.slim


def tiny_net(images, num_classes, width=8, is_training=True,
             scope='TinyNet'):
  """Returns the logits of a two-layer network over `images`."""
  with tf.variable_scope(scope, 'TinyNet', [images]):
    with slim.arg_scope(
        [slim.conv2d, slim.fully_connected],
        weights_initializer=tf.contrib.layers.xavier_initializer(),
        weights_regularizer=tf.contrib.layers.l2_regularizer(1e-4)):
      net = slim.conv2d(images, width, [3, 3], scope='conv1',
                        normalizer_fn=slim.batch_norm,
                        normalizer_params={'is_training': is_training})
      net = tf.layers.max_pooling2d(net, 2, 2, name='pool1')
      net = tf.layers.batch_normalization(net, training=is_training,
                                          name='bn2')
      net = tf.layers.dropout(net, rate=0.25, training=is_training)
      net = slim.flatten(net)
      # TF 1 shapes: dimensions are Dimension objects with a .value.
      units = np.int(net.get_shape()[1].value // 4)
      net = tf.layers.dense(net, units, activation=tf.nn.relu, name='fc2')
      return slim.fully_connected(net, num_classes, activation_fn=None,
                                  scope='logits')
