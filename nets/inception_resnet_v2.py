"""Inception-ResNet v2, as in the TF-Slim model zoo.

From "Inception-v4, Inception-ResNet and the Impact of Residual Connections
on Learning" (Szegedy, Ioffe, Vanhoucke, Alemi, 2016,
http://arxiv.org/abs/1602.07261). Inception blocks whose output is scaled
down and added to their input: 10 x block35, 20 x block17 and 10 x block8,
with reductions in between and an auxiliary classifier after the block17s.
Arguments, end points and scope names (e.g.
'InceptionResnetV2/Repeat_1/block17_3/Conv2d_1x1/biases') follow
research/slim's nets/inception_resnet_v2.py, so the published
`inception_resnet_v2` checkpoint (1001 classes) restores unchanged.

Usage:
  with slim.arg_scope(
      inception_resnet_v2.inception_resnet_v2_arg_scope()):
    logits, end_points = inception_resnet_v2.inception_resnet_v2(images)
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim


def _branch_concat(net, branch_fns):
    """Runs branch_fns[i](net) under 'Branch_i'; concatenates the outputs."""
    outputs = []
    for i, branch_fn in enumerate(branch_fns):
        with tf.variable_scope('Branch_%d' % i):
            outputs.append(branch_fn(net))
    return tf.concat(outputs, 3)


def _conv_chain(net, layers):
    """Applies slim.conv2d(net, depth, kernel, scope=scope) for each
    (depth, kernel, scope) in layers, in order."""
    for depth, kernel, scope in layers:
        net = slim.conv2d(net, depth, kernel, scope=scope)
    return net


def _residual(net, mixed, scale, activation_fn):
    """Adds the 1x1-projected, scaled `mixed` to `net`, then activates.

    The projection ('Conv2d_1x1') has biases and neither batch norm nor
    activation. With relu6 the scaled residual is clipped to [-6, 6] too,
    so the sum stays in the band relu6 is meant for.
    """
    up = slim.conv2d(mixed, net.get_shape()[3], 1, normalizer_fn=None,
                     activation_fn=None, scope='Conv2d_1x1')
    scaled_up = up * scale
    if activation_fn == tf.nn.relu6:
        scaled_up = tf.clip_by_value(scaled_up, -6.0, 6.0)
    net += scaled_up
    if activation_fn:
        net = activation_fn(net)
    return net


def block35(net, scale=1.0, activation_fn=tf.nn.relu, scope=None,
            reuse=None):
    """The residual Inception block of the 35x35 grid (320 channels)."""
    with tf.variable_scope(scope, 'Block35', [net], reuse=reuse):
        mixed = _branch_concat(net, [
            lambda x: slim.conv2d(x, 32, 1, scope='Conv2d_1x1'),
            lambda x: _conv_chain(x, [(32, 1, 'Conv2d_0a_1x1'),
                                      (32, 3, 'Conv2d_0b_3x3')]),
            lambda x: _conv_chain(x, [(32, 1, 'Conv2d_0a_1x1'),
                                      (48, 3, 'Conv2d_0b_3x3'),
                                      (64, 3, 'Conv2d_0c_3x3')]),
        ])
        return _residual(net, mixed, scale, activation_fn)


def block17(net, scale=1.0, activation_fn=tf.nn.relu, scope=None,
            reuse=None):
    """The residual Inception block of the 17x17 grid (1088 channels)."""
    with tf.variable_scope(scope, 'Block17', [net], reuse=reuse):
        mixed = _branch_concat(net, [
            lambda x: slim.conv2d(x, 192, 1, scope='Conv2d_1x1'),
            lambda x: _conv_chain(x, [(128, 1, 'Conv2d_0a_1x1'),
                                      (160, [1, 7], 'Conv2d_0b_1x7'),
                                      (192, [7, 1], 'Conv2d_0c_7x1')]),
        ])
        return _residual(net, mixed, scale, activation_fn)


def block8(net, scale=1.0, activation_fn=tf.nn.relu, scope=None,
           reuse=None):
    """The residual Inception block of the 8x8 grid (2080 channels)."""
    with tf.variable_scope(scope, 'Block8', [net], reuse=reuse):
        mixed = _branch_concat(net, [
            lambda x: slim.conv2d(x, 192, 1, scope='Conv2d_1x1'),
            lambda x: _conv_chain(x, [(192, 1, 'Conv2d_0a_1x1'),
                                      (224, [1, 3], 'Conv2d_0b_1x3'),
                                      (256, [3, 1], 'Conv2d_0c_3x1')]),
        ])
        return _residual(net, mixed, scale, activation_fn)


def inception_resnet_v2_base(inputs,
                             final_endpoint='Conv2d_7b_1x1',
                             output_stride=16,
                             align_feature_maps=False,
                             scope=None,
                             activation_fn=tf.nn.relu):
    """Builds Inception-ResNet v2 from `inputs` up to `final_endpoint`.

    Args:
      inputs: a tensor of size [batch_size, height, width, channels].
      final_endpoint: the last end point to build, one of 'Conv2d_1a_3x3',
        'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'MaxPool_3a_3x3', 'Conv2d_3b_1x1',
        'Conv2d_4a_3x3', 'MaxPool_5a_3x3', 'Mixed_5b', 'Mixed_6a',
        'PreAuxLogits', 'Mixed_7a', 'Conv2d_7b_1x1'.
      output_stride: 16, or 8 to keep the 35x35 resolution through the
        block17s with atrous convolution (only up to 'PreAuxLogits').
      align_feature_maps: use SAME instead of VALID padding everywhere, so
        feature maps stay aligned with the input.
      scope: optional variable scope.
      activation_fn: activation applied after each residual sum.

    Returns:
      (the final_endpoint tensor, dict of end point name -> tensor).

    Raises:
      ValueError: on an unknown final_endpoint, an output_stride other than
        8 or 16, or output_stride 8 with an end point past 'PreAuxLogits'.
    """
    if output_stride not in (8, 16):
        raise ValueError('output_stride must be 8 or 16.')
    padding = 'SAME' if align_feature_maps else 'VALID'
    # With output_stride 8 the 35x35 -> 17x17 reduction keeps stride 1 and
    # the block17s dilate their kernels instead.
    use_atrous = output_stride == 8
    reduction_stride = 1 if use_atrous else 2

    end_points = {}

    def add_and_check_final(name, net):
        end_points[name] = net
        return name == final_endpoint

    with tf.variable_scope(scope, 'InceptionResnetV2', [inputs]):
        with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d],
                            stride=1, padding='SAME'):
            net = inputs
            stem = [
                ('Conv2d_1a_3x3', lambda x: slim.conv2d(
                    x, 32, 3, stride=2, padding=padding,
                    scope='Conv2d_1a_3x3')),
                ('Conv2d_2a_3x3', lambda x: slim.conv2d(
                    x, 32, 3, padding=padding, scope='Conv2d_2a_3x3')),
                ('Conv2d_2b_3x3', lambda x: slim.conv2d(
                    x, 64, 3, scope='Conv2d_2b_3x3')),
                ('MaxPool_3a_3x3', lambda x: slim.max_pool2d(
                    x, 3, stride=2, padding=padding,
                    scope='MaxPool_3a_3x3')),
                ('Conv2d_3b_1x1', lambda x: slim.conv2d(
                    x, 80, 1, padding=padding, scope='Conv2d_3b_1x1')),
                ('Conv2d_4a_3x3', lambda x: slim.conv2d(
                    x, 192, 3, padding=padding, scope='Conv2d_4a_3x3')),
                ('MaxPool_5a_3x3', lambda x: slim.max_pool2d(
                    x, 3, stride=2, padding=padding,
                    scope='MaxPool_5a_3x3')),
            ]
            for name, layer in stem:
                net = layer(net)
                if add_and_check_final(name, net):
                    return net, end_points

            # 35 x 35 x 320
            with tf.variable_scope('Mixed_5b'):
                net = _branch_concat(net, [
                    lambda x: slim.conv2d(x, 96, 1, scope='Conv2d_1x1'),
                    lambda x: _conv_chain(x, [(48, 1, 'Conv2d_0a_1x1'),
                                              (64, 5, 'Conv2d_0b_5x5')]),
                    lambda x: _conv_chain(x, [(64, 1, 'Conv2d_0a_1x1'),
                                              (96, 3, 'Conv2d_0b_3x3'),
                                              (96, 3, 'Conv2d_0c_3x3')]),
                    lambda x: slim.conv2d(
                        slim.avg_pool2d(x, 3, stride=1, padding='SAME',
                                        scope='AvgPool_0a_3x3'),
                        64, 1, scope='Conv2d_0b_1x1'),
                ])
            if add_and_check_final('Mixed_5b', net):
                return net, end_points
            net = slim.repeat(net, 10, block35, scale=0.17,
                              activation_fn=activation_fn)

            # 17 x 17 x 1088 (33 x 33 with output_stride 8)
            with tf.variable_scope('Mixed_6a'):
                net = _branch_concat(net, [
                    lambda x: slim.conv2d(
                        x, 384, 3, stride=reduction_stride, padding=padding,
                        scope='Conv2d_1a_3x3'),
                    lambda x: slim.conv2d(
                        _conv_chain(x, [(256, 1, 'Conv2d_0a_1x1'),
                                        (256, 3, 'Conv2d_0b_3x3')]),
                        384, 3, stride=reduction_stride, padding=padding,
                        scope='Conv2d_1a_3x3'),
                    lambda x: slim.max_pool2d(
                        x, 3, stride=reduction_stride, padding=padding,
                        scope='MaxPool_1a_3x3'),
                ])
            if add_and_check_final('Mixed_6a', net):
                return net, end_points
            with slim.arg_scope([slim.conv2d], rate=2 if use_atrous else 1):
                net = slim.repeat(net, 20, block17, scale=0.10,
                                  activation_fn=activation_fn)
            if add_and_check_final('PreAuxLogits', net):
                return net, end_points
            if output_stride == 8:
                raise ValueError('output_stride==8 is only supported up to '
                                 'the PreAuxlogits end_point for now.')

            # 8 x 8 x 2080
            with tf.variable_scope('Mixed_7a'):
                net = _branch_concat(net, [
                    lambda x: slim.conv2d(
                        slim.conv2d(x, 256, 1, scope='Conv2d_0a_1x1'),
                        384, 3, stride=2, padding=padding,
                        scope='Conv2d_1a_3x3'),
                    lambda x: slim.conv2d(
                        slim.conv2d(x, 256, 1, scope='Conv2d_0a_1x1'),
                        288, 3, stride=2, padding=padding,
                        scope='Conv2d_1a_3x3'),
                    lambda x: slim.conv2d(
                        _conv_chain(x, [(256, 1, 'Conv2d_0a_1x1'),
                                        (288, 3, 'Conv2d_0b_3x3')]),
                        320, 3, stride=2, padding=padding,
                        scope='Conv2d_1a_3x3'),
                    lambda x: slim.max_pool2d(
                        x, 3, stride=2, padding=padding,
                        scope='MaxPool_1a_3x3'),
                ])
            if add_and_check_final('Mixed_7a', net):
                return net, end_points
            net = slim.repeat(net, 9, block8, scale=0.20,
                              activation_fn=activation_fn)
            # The last block8 is neither scaled nor activated.
            net = block8(net, activation_fn=None)

            # 8 x 8 x 1536
            net = slim.conv2d(net, 1536, 1, scope='Conv2d_7b_1x1')
            if add_and_check_final('Conv2d_7b_1x1', net):
                return net, end_points
    raise ValueError('final_endpoint (%s) not recognized' % final_endpoint)


def _aux_logits(net, num_classes):
    """The auxiliary classifier on PreAuxLogits (17x17x1088 at 299x299)."""
    with tf.variable_scope('AuxLogits'):
        net = slim.avg_pool2d(net, 5, stride=3, padding='VALID',
                              scope='Conv2d_1a_3x3')
        net = slim.conv2d(net, 128, 1, scope='Conv2d_1b_1x1')
        # A kernel as large as the map (5x5 at 299x299) reduces it to 1x1.
        net = slim.conv2d(net, 768, net.get_shape()[1:3], padding='VALID',
                          scope='Conv2d_2a_5x5')
        net = slim.flatten(net)
        return slim.fully_connected(net, num_classes, activation_fn=None,
                                    scope='Logits')


def inception_resnet_v2(inputs, num_classes=1001, is_training=True,
                        dropout_keep_prob=0.8,
                        reuse=None,
                        scope='InceptionResnetV2',
                        create_aux_logits=True,
                        activation_fn=tf.nn.relu):
    """Inception-ResNet v2 for classification.

    Args:
      inputs: a 4-D tensor of size [batch_size, height, width, 3]. Height
        and width may be unknown when create_aux_logits is False.
      num_classes: number of classes. If 0 or None, the logits layer is
        omitted and the globally pooled features (before dropout) are
        returned instead.
      is_training: whether batch norm and dropout run in training mode.
      dropout_keep_prob: fraction of the pooled features kept by dropout.
      reuse: whether to reuse the variables (requires `scope`).
      scope: variable scope.
      create_aux_logits: whether to build the auxiliary classifier.
      activation_fn: activation after each residual sum.

    Returns:
      (logits, or the pooled features when num_classes is 0/None;
       end_points, which include 'AuxLogits' when built).
    """
    with tf.variable_scope(scope, 'InceptionResnetV2', [inputs],
                           reuse=reuse) as scope:
        with slim.arg_scope([slim.batch_norm, slim.dropout],
                            is_training=is_training):
            net, end_points = inception_resnet_v2_base(
                inputs, scope=scope, activation_fn=activation_fn)

            if create_aux_logits and num_classes:
                end_points['AuxLogits'] = _aux_logits(
                    end_points['PreAuxLogits'], num_classes)

            with tf.variable_scope('Logits'):
                kernel_size = net.get_shape()[1:3]
                if kernel_size.is_fully_defined():
                    net = slim.avg_pool2d(net, kernel_size, padding='VALID',
                                          scope='AvgPool_1a_8x8')
                else:
                    net = tf.reduce_mean(net, [1, 2], keepdims=True,
                                         name='global_pool')
                end_points['global_pool'] = net
                if not num_classes:
                    return net, end_points
                net = slim.flatten(net)
                net = slim.dropout(net, dropout_keep_prob,
                                   is_training=is_training, scope='Dropout')
                end_points['PreLogitsFlatten'] = net
                logits = slim.fully_connected(net, num_classes,
                                              activation_fn=None,
                                              scope='Logits')
                end_points['Logits'] = logits
                end_points['Predictions'] = tf.nn.softmax(
                    logits, name='Predictions')
    return logits, end_points


inception_resnet_v2.default_image_size = 299


def inception_resnet_v2_arg_scope(
        weight_decay=0.00004,
        batch_norm_decay=0.9997,
        batch_norm_epsilon=0.001,
        activation_fn=tf.nn.relu,
        batch_norm_updates_collections=tf.GraphKeys.UPDATE_OPS,
        batch_norm_scale=False):
    """The arg_scope Inception-ResNet v2 was trained with.

    Unlike inception_utils.inception_arg_scope, biases (those of the
    residual projections and of the logits) are L2-regularized too.

    Args:
      weight_decay: L2 strength for weights and biases.
      batch_norm_decay: decay of the batch norm moving averages.
      batch_norm_epsilon: added to the variance to avoid division by zero.
      activation_fn: activation of the convolutions.
      batch_norm_updates_collections: collection for the moving-average
        update ops.
      batch_norm_scale: whether batch norm learns a `gamma` (the published
        checkpoint has none).

    Returns:
      An arg_scope for inception_resnet_v2.
    """
    with slim.arg_scope([slim.conv2d, slim.fully_connected],
                        weights_regularizer=slim.l2_regularizer(weight_decay),
                        biases_regularizer=slim.l2_regularizer(weight_decay)):
        batch_norm_params = {
            'decay': batch_norm_decay,
            'epsilon': batch_norm_epsilon,
            'updates_collections': batch_norm_updates_collections,
            'fused': None,  # The fused kernel wherever it applies.
            'scale': batch_norm_scale,
        }
        with slim.arg_scope([slim.conv2d], activation_fn=activation_fn,
                            normalizer_fn=slim.batch_norm,
                            normalizer_params=batch_norm_params) as scope:
            return scope
