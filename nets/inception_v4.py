"""Inception v4, as in the TF-Slim model zoo.

From "Inception-v4, Inception-ResNet and the Impact of Residual Connections
on Learning" (Szegedy, Ioffe, Vanhoucke, Alemi, 2016,
http://arxiv.org/abs/1602.07261). A stem, then 4 Inception-A, a Reduction-A,
7 Inception-B, a Reduction-B and 3 Inception-C blocks, with an auxiliary
classifier on the last Inception-B block. Arguments, end points and scope
names follow research/slim's nets/inception_v4.py, so the published
`inception_v4` checkpoint (1001 classes) restores unchanged.

Usage:
  with slim.arg_scope(inception_v4.inception_v4_arg_scope()):
    logits, end_points = inception_v4.inception_v4(images, num_classes)
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import inception_utils


def _branches(inputs, scope, default_scope, reuse, branch_fns):
    """Runs branch_fns[i] under 'Branch_i' and concatenates their outputs.

    All convolutions and pools inside default to stride 1, SAME padding.
    """
    with slim.arg_scope([slim.conv2d, slim.avg_pool2d, slim.max_pool2d],
                        stride=1, padding='SAME'):
        with tf.variable_scope(scope, default_scope, [inputs], reuse=reuse):
            outputs = []
            for i, branch_fn in enumerate(branch_fns):
                with tf.variable_scope('Branch_%d' % i):
                    outputs.append(branch_fn(inputs))
            return tf.concat(axis=3, values=outputs)


def _conv_chain(net, layers):
    """Applies slim.conv2d(net, depth, kernel, scope=scope) for each
    (depth, kernel, scope) in layers, in order."""
    for depth, kernel, scope in layers:
        net = slim.conv2d(net, depth, kernel, scope=scope)
    return net


def block_inception_a(inputs, scope=None, reuse=None):
    """Inception-A block (35x35 grid): 384 output channels."""
    return _branches(inputs, scope, 'BlockInceptionA', reuse, [
        lambda x: slim.conv2d(x, 96, [1, 1], scope='Conv2d_0a_1x1'),
        lambda x: _conv_chain(x, [(64, [1, 1], 'Conv2d_0a_1x1'),
                                  (96, [3, 3], 'Conv2d_0b_3x3')]),
        lambda x: _conv_chain(x, [(64, [1, 1], 'Conv2d_0a_1x1'),
                                  (96, [3, 3], 'Conv2d_0b_3x3'),
                                  (96, [3, 3], 'Conv2d_0c_3x3')]),
        lambda x: slim.conv2d(
            slim.avg_pool2d(x, [3, 3], scope='AvgPool_0a_3x3'),
            96, [1, 1], scope='Conv2d_0b_1x1'),
    ])


def block_reduction_a(inputs, scope=None, reuse=None):
    """Reduction-A block: 35x35x384 -> 17x17x1024."""
    return _branches(inputs, scope, 'BlockReductionA', reuse, [
        lambda x: slim.conv2d(x, 384, [3, 3], stride=2, padding='VALID',
                              scope='Conv2d_1a_3x3'),
        lambda x: slim.conv2d(
            _conv_chain(x, [(192, [1, 1], 'Conv2d_0a_1x1'),
                            (224, [3, 3], 'Conv2d_0b_3x3')]),
            256, [3, 3], stride=2, padding='VALID', scope='Conv2d_1a_3x3'),
        lambda x: slim.max_pool2d(x, [3, 3], stride=2, padding='VALID',
                                  scope='MaxPool_1a_3x3'),
    ])


def block_inception_b(inputs, scope=None, reuse=None):
    """Inception-B block (17x17 grid): 1024 output channels."""
    return _branches(inputs, scope, 'BlockInceptionB', reuse, [
        lambda x: slim.conv2d(x, 384, [1, 1], scope='Conv2d_0a_1x1'),
        lambda x: _conv_chain(x, [(192, [1, 1], 'Conv2d_0a_1x1'),
                                  (224, [1, 7], 'Conv2d_0b_1x7'),
                                  (256, [7, 1], 'Conv2d_0c_7x1')]),
        lambda x: _conv_chain(x, [(192, [1, 1], 'Conv2d_0a_1x1'),
                                  (192, [7, 1], 'Conv2d_0b_7x1'),
                                  (224, [1, 7], 'Conv2d_0c_1x7'),
                                  (224, [7, 1], 'Conv2d_0d_7x1'),
                                  (256, [1, 7], 'Conv2d_0e_1x7')]),
        lambda x: slim.conv2d(
            slim.avg_pool2d(x, [3, 3], scope='AvgPool_0a_3x3'),
            128, [1, 1], scope='Conv2d_0b_1x1'),
    ])


def block_reduction_b(inputs, scope=None, reuse=None):
    """Reduction-B block: 17x17x1024 -> 8x8x1536."""
    return _branches(inputs, scope, 'BlockReductionB', reuse, [
        lambda x: slim.conv2d(
            slim.conv2d(x, 192, [1, 1], scope='Conv2d_0a_1x1'),
            192, [3, 3], stride=2, padding='VALID', scope='Conv2d_1a_3x3'),
        lambda x: slim.conv2d(
            _conv_chain(x, [(256, [1, 1], 'Conv2d_0a_1x1'),
                            (256, [1, 7], 'Conv2d_0b_1x7'),
                            (320, [7, 1], 'Conv2d_0c_7x1')]),
            320, [3, 3], stride=2, padding='VALID', scope='Conv2d_1a_3x3'),
        lambda x: slim.max_pool2d(x, [3, 3], stride=2, padding='VALID',
                                  scope='MaxPool_1a_3x3'),
    ])


def _split_1x3_3x1(net, scope_1x3, scope_3x1):
    """Two parallel 256-channel 1x3 and 3x1 convolutions, concatenated."""
    return tf.concat(axis=3, values=[
        slim.conv2d(net, 256, [1, 3], scope=scope_1x3),
        slim.conv2d(net, 256, [3, 1], scope=scope_3x1)])


def block_inception_c(inputs, scope=None, reuse=None):
    """Inception-C block (8x8 grid): 1536 output channels."""
    return _branches(inputs, scope, 'BlockInceptionC', reuse, [
        lambda x: slim.conv2d(x, 256, [1, 1], scope='Conv2d_0a_1x1'),
        lambda x: _split_1x3_3x1(
            slim.conv2d(x, 384, [1, 1], scope='Conv2d_0a_1x1'),
            'Conv2d_0b_1x3', 'Conv2d_0c_3x1'),
        lambda x: _split_1x3_3x1(
            _conv_chain(x, [(384, [1, 1], 'Conv2d_0a_1x1'),
                            (448, [3, 1], 'Conv2d_0b_3x1'),
                            (512, [1, 3], 'Conv2d_0c_1x3')]),
            'Conv2d_0d_1x3', 'Conv2d_0e_3x1'),
        lambda x: slim.conv2d(
            slim.avg_pool2d(x, [3, 3], scope='AvgPool_0a_3x3'),
            256, [1, 1], scope='Conv2d_0b_1x1'),
    ])


def _stem_layers():
    """The stem as (end point, layer) pairs: 299x299x3 -> 35x35x384."""
    return [
        ('Conv2d_1a_3x3', lambda x: slim.conv2d(
            x, 32, [3, 3], stride=2, padding='VALID', scope='Conv2d_1a_3x3')),
        ('Conv2d_2a_3x3', lambda x: slim.conv2d(
            x, 32, [3, 3], padding='VALID', scope='Conv2d_2a_3x3')),
        ('Conv2d_2b_3x3', lambda x: slim.conv2d(
            x, 64, [3, 3], scope='Conv2d_2b_3x3')),
        ('Mixed_3a', lambda x: _branches(x, 'Mixed_3a', None, None, [
            lambda y: slim.max_pool2d(y, [3, 3], stride=2, padding='VALID',
                                      scope='MaxPool_0a_3x3'),
            lambda y: slim.conv2d(y, 96, [3, 3], stride=2, padding='VALID',
                                  scope='Conv2d_0a_3x3'),
        ])),
        ('Mixed_4a', lambda x: _branches(x, 'Mixed_4a', None, None, [
            lambda y: slim.conv2d(
                slim.conv2d(y, 64, [1, 1], scope='Conv2d_0a_1x1'),
                96, [3, 3], padding='VALID', scope='Conv2d_1a_3x3'),
            lambda y: slim.conv2d(
                _conv_chain(y, [(64, [1, 1], 'Conv2d_0a_1x1'),
                                (64, [1, 7], 'Conv2d_0b_1x7'),
                                (64, [7, 1], 'Conv2d_0c_7x1')]),
                96, [3, 3], padding='VALID', scope='Conv2d_1a_3x3'),
        ])),
        ('Mixed_5a', lambda x: _branches(x, 'Mixed_5a', None, None, [
            lambda y: slim.conv2d(y, 192, [3, 3], stride=2, padding='VALID',
                                  scope='Conv2d_1a_3x3'),
            lambda y: slim.max_pool2d(y, [3, 3], stride=2, padding='VALID',
                                      scope='MaxPool_1a_3x3'),
        ])),
    ]


def _block_names(prefix, count):
    """'Mixed_5b', 'Mixed_5c', ...: count names after prefix + 'a'."""
    return [prefix + chr(ord('b') + i) for i in range(count)]


def inception_v4_base(inputs, final_endpoint='Mixed_7d', scope=None):
    """Builds Inception v4 from `inputs` up to `final_endpoint`.

    Args:
      inputs: a 4-D tensor of size [batch_size, height, width, 3].
      final_endpoint: the last end point to build, one of 'Conv2d_1a_3x3',
        'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'Mixed_3a', 'Mixed_4a', 'Mixed_5a',
        'Mixed_5b'..'Mixed_5e', 'Mixed_6a', 'Mixed_6b'..'Mixed_6h',
        'Mixed_7a', 'Mixed_7b'..'Mixed_7d'.
      scope: optional variable scope.

    Returns:
      (the final_endpoint tensor, dict of end point name -> tensor).

    Raises:
      ValueError: if final_endpoint is not one of the above.
    """
    layers = _stem_layers()
    layers += [(name, lambda x, name=name: block_inception_a(x, name))
               for name in _block_names('Mixed_5', 4)]
    layers.append(('Mixed_6a', lambda x: block_reduction_a(x, 'Mixed_6a')))
    layers += [(name, lambda x, name=name: block_inception_b(x, name))
               for name in _block_names('Mixed_6', 7)]
    layers.append(('Mixed_7a', lambda x: block_reduction_b(x, 'Mixed_7a')))
    layers += [(name, lambda x, name=name: block_inception_c(x, name))
               for name in _block_names('Mixed_7', 3)]

    end_points = {}
    with tf.variable_scope(scope, 'InceptionV4', [inputs]):
        with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d],
                            stride=1, padding='SAME'):
            net = inputs
            for name, layer in layers:
                net = layer(net)
                end_points[name] = net
                if name == final_endpoint:
                    return net, end_points
    raise ValueError('Unknown final endpoint %s' % final_endpoint)


def _aux_logits(net, num_classes):
    """The auxiliary classifier on Mixed_6h (17x17x1024 at 299x299 input)."""
    with tf.variable_scope('AuxLogits'):
        net = slim.avg_pool2d(net, [5, 5], stride=3, padding='VALID',
                              scope='AvgPool_1a_5x5')
        net = slim.conv2d(net, 128, [1, 1], scope='Conv2d_1b_1x1')
        # A kernel as large as the map (5x5 at 299x299) reduces it to 1x1.
        net = slim.conv2d(net, 768, net.get_shape()[1:3], padding='VALID',
                          scope='Conv2d_2a')
        net = slim.flatten(net)
        return slim.fully_connected(net, num_classes, activation_fn=None,
                                    scope='Aux_logits')


def inception_v4(inputs, num_classes=1001, is_training=True,
                 dropout_keep_prob=0.8,
                 reuse=None,
                 scope='InceptionV4',
                 create_aux_logits=True):
    """Inception v4 for classification.

    Args:
      inputs: a 4-D tensor of size [batch_size, height, width, 3].
      num_classes: number of classes. If 0 or None, the logits layer is
        omitted and the globally pooled features (before dropout) are
        returned instead.
      is_training: whether batch norm and dropout run in training mode.
      dropout_keep_prob: fraction of the pooled features kept by dropout.
      reuse: whether to reuse the variables (requires `scope`).
      scope: variable scope.
      create_aux_logits: whether to build the auxiliary classifier.

    Returns:
      (logits, or the pooled features when num_classes is 0/None;
       end_points, which include 'AuxLogits' when built).
    """
    with tf.variable_scope(scope, 'InceptionV4', [inputs],
                           reuse=reuse) as scope:
        with slim.arg_scope([slim.batch_norm, slim.dropout],
                            is_training=is_training):
            net, end_points = inception_v4_base(inputs, scope=scope)

            with slim.arg_scope(
                    [slim.conv2d, slim.max_pool2d, slim.avg_pool2d],
                    stride=1, padding='SAME'):
                if create_aux_logits and num_classes:
                    end_points['AuxLogits'] = _aux_logits(
                        end_points['Mixed_6h'], num_classes)

                with tf.variable_scope('Logits'):
                    kernel_size = net.get_shape()[1:3]
                    if kernel_size.is_fully_defined():
                        net = slim.avg_pool2d(net, kernel_size,
                                              padding='VALID',
                                              scope='AvgPool_1a')
                    else:
                        net = tf.reduce_mean(net, [1, 2], keepdims=True,
                                             name='global_pool')
                    end_points['global_pool'] = net
                    if not num_classes:
                        return net, end_points
                    net = slim.dropout(net, dropout_keep_prob,
                                       scope='Dropout_1b')
                    net = slim.flatten(net, scope='PreLogitsFlatten')
                    end_points['PreLogitsFlatten'] = net
                    logits = slim.fully_connected(net, num_classes,
                                                  activation_fn=None,
                                                  scope='Logits')
                    end_points['Logits'] = logits
                    end_points['Predictions'] = tf.nn.softmax(
                        logits, name='Predictions')
    return logits, end_points


inception_v4.default_image_size = 299

inception_v4_arg_scope = inception_utils.inception_arg_scope
