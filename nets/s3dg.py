"""S3D-G, separable 3-D Inception v1 with feature gating, for video.

Xie et al. 2017, "Rethinking Spatiotemporal Feature Learning"
(https://arxiv.org/abs/1712.04851). Inception v1 inflated to 3-D: from
`temporal_conv_startat` on, the 3x3 convolutions become separable [1, 3, 3]
+ [3, 1, 1] pairs, and from `gating_startat` on every branch is gated by a
sigmoid of its own clip-wide average (`self_gating`). Inputs are clips
[batch, frames, height, width, 3]. Scope names are Inception v1's
('InceptionV1/Mixed_3b/Branch_1/...'), as in research/slim's nets/s3dg.py,
so the published checkpoints restore; `s3dg_base` also builds I3D (see
nets.i3d).
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import i3d_utils


def trunc_normal(stddev):
    return tf.truncated_normal_initializer(0.0, stddev)


conv3d_spatiotemporal = i3d_utils.conv3d_spatiotemporal
inception_block_v1_3d = i3d_utils.inception_block_v1_3d
arg_scope = slim.arg_scope

# The layers after the stem, in order: a max pooling (kernel, stride) or a
# mixed block (depths of Branch_0, Branch_1 reduce and 3x3, Branch_2
# reduce and 3x3, Branch_3), Inception v1's table.
_LAYERS = (
    ('MaxPool_3a_3x3', ([1, 3, 3], [1, 2, 2])),
    ('Mixed_3b', (64, 96, 128, 16, 32, 32)),
    ('Mixed_3c', (128, 128, 192, 32, 96, 64)),
    ('MaxPool_4a_3x3', ([3, 3, 3], [2, 2, 2])),
    ('Mixed_4b', (192, 96, 208, 16, 48, 64)),
    ('Mixed_4c', (160, 112, 224, 24, 64, 64)),
    ('Mixed_4d', (128, 128, 256, 24, 64, 64)),
    ('Mixed_4e', (112, 144, 288, 32, 64, 64)),
    ('Mixed_4f', (256, 160, 320, 32, 128, 128)),
    ('MaxPool_5a_2x2', ([2, 2, 2], [2, 2, 2])),
    ('Mixed_5b', (256, 160, 320, 32, 128, 128)),
    ('Mixed_5c', (384, 192, 384, 48, 128, 128)),
)


def s3dg_arg_scope(weight_decay=1e-7, batch_norm_decay=0.999,
                   batch_norm_epsilon=0.001):
    """The arg_scope S3D-G was trained with: ReLU, batch norm (its moving
    averages also in the 'moving_vars' collection), L2 weight decay,
    separable spatio-temporal convolutions.

    Args:
      weight_decay: L2 strength of the weights.
      batch_norm_decay: decay of the batch norm moving averages.
      batch_norm_epsilon: added to the variance in batch norm.

    Returns:
      An arg_scope.
    """
    batch_norm_params = {
        'decay': batch_norm_decay,
        'epsilon': batch_norm_epsilon,
        'fused': False,
        'variables_collections': {
            'beta': None,
            'gamma': None,
            'moving_mean': ['moving_vars'],
            'moving_variance': ['moving_vars'],
        }
    }
    with arg_scope([slim.conv3d, conv3d_spatiotemporal],
                   weights_regularizer=slim.l2_regularizer(weight_decay),
                   activation_fn=tf.nn.relu,
                   normalizer_fn=slim.batch_norm,
                   normalizer_params=batch_norm_params), \
            arg_scope([conv3d_spatiotemporal], separable=True) as scope:
        return scope


def self_gating(input_tensor, scope, data_format='NDHWC'):
    """Gates each channel by a sigmoid of a linear map of the channels'
    averages over the whole clip (S3D-G's feature gating).

    Args:
      input_tensor: a 5-D tensor with known frames, height and width.
      scope: prefix of the scope ('<scope>/self_gating/transformer_W').
      data_format: 'NDHWC' or 'NCDHW'.

    Returns:
      A tensor shaped like input_tensor.
    """
    shape = input_tensor.get_shape().as_list()
    frames = shape[data_format.index('D')]
    height = shape[data_format.index('H')]
    width = shape[data_format.index('W')]
    channel_axis = data_format.index('C')
    # The window is [frames, width, height], as research/slim has it; the
    # checkpoints' clips are square, where the order does not matter.
    average = slim.avg_pool3d(input_tensor, [frames, width, height], stride=1,
                              data_format=data_format,
                              scope=scope + '/self_gating/avg_pool3d')
    weights = slim.conv3d(average, shape[channel_axis], [1, 1, 1],
                          activation_fn=None, normalizer_fn=None,
                          biases_initializer=None, data_format=data_format,
                          weights_initializer=trunc_normal(0.01),
                          scope=scope + '/self_gating/transformer_W')
    multiples = [1, frames, width, height]
    multiples.insert(channel_axis, 1)
    weights = tf.nn.sigmoid(tf.tile(weights, multiples))
    return tf.multiply(weights, input_tensor)


def s3dg_base(inputs, first_temporal_kernel_size=3,
              temporal_conv_startat='Conv2d_2c_3x3',
              gating_startat='Conv2d_2c_3x3', final_endpoint='Mixed_5c',
              min_depth=16, depth_multiplier=1.0, data_format='NDHWC',
              scope='InceptionV1'):
    """The I3D/S3D-G body, up to final_endpoint.

    Args:
      inputs: [batch, frames, height, width, channels] clips.
      first_temporal_kernel_size: temporal size of the first conv: 1, 3, 5
        or 7.
      temporal_conv_startat: first layer ('Conv2d_2c_3x3' or a 'Mixed_*'
        block) whose 3x3 convs have a temporal size of 3; before it they are
        [1, 3, 3]. A name that is not a layer leaves them all [1, 3, 3].
      gating_startat: first layer that gates its outputs (self_gating); a
        name that is not a layer turns gating off.
      final_endpoint: the last end point to build: 'Conv2d_1a_7x7',
        'MaxPool_2a_3x3', 'Conv2d_2b_1x1', 'Conv2d_2c_3x3', 'MaxPool_3a_3x3',
        'Mixed_3b', 'Mixed_3c', 'MaxPool_4a_3x3', 'Mixed_4b' ... 'Mixed_4f',
        'MaxPool_5a_2x2', 'Mixed_5b' or 'Mixed_5c'.
      min_depth: least number of channels of a conv when depth_multiplier
        shrinks them.
      depth_multiplier: scales every conv's channels.
      data_format: 'NDHWC' or 'NCDHW'.
      scope: variable scope.

    Returns:
      (net, end_points).

    Raises:
      ValueError: on an unknown final_endpoint or data_format, a
        depth_multiplier <= 0 or a first_temporal_kernel_size not in
        (1, 3, 5, 7).
    """
    if data_format not in ('NDHWC', 'NCDHW'):
        raise ValueError('data_format must be NDHWC or NCDHW, not %s' %
                         data_format)
    if depth_multiplier <= 0:
        raise ValueError('depth_multiplier is not greater than zero.')
    if first_temporal_kernel_size not in (1, 3, 5, 7):
        raise ValueError(
            'first_temporal_kernel_size can only be 1, 3, 5 or 7.')

    def depth(channels):
        return max(int(channels * depth_multiplier), min_depth)

    def gating_fn(net, scope):
        return self_gating(net, scope, data_format=data_format)

    end_points = {}
    with tf.variable_scope(scope, 'InceptionV1', [inputs]), \
            arg_scope([slim.conv3d], weights_initializer=trunc_normal(0.01)), \
            arg_scope([slim.conv3d, slim.max_pool3d, conv3d_spatiotemporal],
                      stride=1, data_format=data_format, padding='SAME'):
        net = conv3d_spatiotemporal(
            inputs, depth(64), [first_temporal_kernel_size, 7, 7], stride=2,
            separable=False, scope='Conv2d_1a_7x7')
        end_points['Conv2d_1a_7x7'] = net
        if final_endpoint == 'Conv2d_1a_7x7':
            return net, end_points
        net = slim.max_pool3d(net, [1, 3, 3], stride=[1, 2, 2],
                              scope='MaxPool_2a_3x3')
        end_points['MaxPool_2a_3x3'] = net
        if final_endpoint == 'MaxPool_2a_3x3':
            return net, end_points
        net = slim.conv3d(net, depth(64), [1, 1, 1], scope='Conv2d_2b_1x1')
        end_points['Conv2d_2b_1x1'] = net
        if final_endpoint == 'Conv2d_2b_1x1':
            return net, end_points

        # Temporal convs and gating, once started, go on to the end.
        temporal_size = 1
        self_gating_fn = None
        end_point = 'Conv2d_2c_3x3'
        if temporal_conv_startat == end_point:
            temporal_size = 3
        if gating_startat == end_point:
            self_gating_fn = gating_fn
        net = conv3d_spatiotemporal(net, depth(192), [temporal_size, 3, 3],
                                    scope=end_point)
        if self_gating_fn:
            net = self_gating_fn(net, scope=end_point)
        end_points[end_point] = net
        if final_endpoint == end_point:
            return net, end_points

        for end_point, spec in _LAYERS:
            if end_point.startswith('MaxPool'):
                kernel, stride = spec
                net = slim.max_pool3d(net, kernel, stride=stride,
                                      scope=end_point)
            else:
                if temporal_conv_startat == end_point:
                    temporal_size = 3
                if gating_startat == end_point:
                    self_gating_fn = gating_fn
                net = inception_block_v1_3d(
                    net, *[depth(channels) for channels in spec],
                    temporal_kernel_size=temporal_size,
                    self_gating_fn=self_gating_fn, data_format=data_format,
                    scope=end_point)
            end_points[end_point] = net
            if final_endpoint == end_point:
                return net, end_points
    raise ValueError('Unknown final endpoint %s' % final_endpoint)


def video_logits(net, end_points, num_classes, dropout_keep_prob,
                 prediction_fn, spatial_squeeze):
    """The 'Logits' scope of I3D and S3D-G on an NDHWC body output.

    [2, 7, 7] average pooling (smaller on small clips), dropout, a 1x1x1
    conv to the classes, the mean over the remaining frames; adds
    'Logits' and 'Predictions' to end_points.

    Returns:
      The logits, [batch, num_classes] ([batch, 1, 1, num_classes] without
      spatial_squeeze).
    """
    with tf.variable_scope('Logits'):
        kernel_size = i3d_utils.reduced_kernel_size_3d(net, [2, 7, 7])
        net = slim.avg_pool3d(net, kernel_size, stride=1,
                              data_format='NDHWC', scope='AvgPool_0a_7x7')
        net = slim.dropout(net, dropout_keep_prob, scope='Dropout_0b')
        logits = slim.conv3d(net, num_classes, [1, 1, 1], activation_fn=None,
                             normalizer_fn=None, data_format='NDHWC',
                             scope='Conv2d_0c_1x1')
        logits = tf.reduce_mean(logits, axis=1)
        if spatial_squeeze:
            logits = tf.squeeze(logits, [1, 2], name='SpatialSqueeze')
        end_points['Logits'] = logits
        end_points['Predictions'] = prediction_fn(logits, scope='Predictions')
    return logits


def s3dg(inputs, num_classes=1000, first_temporal_kernel_size=3,
         temporal_conv_startat='Conv2d_2c_3x3',
         gating_startat='Conv2d_2c_3x3', final_endpoint='Mixed_5c',
         min_depth=16, depth_multiplier=1.0, dropout_keep_prob=0.8,
         is_training=True, prediction_fn=slim.softmax, spatial_squeeze=True,
         reuse=None, data_format='NDHWC', scope='InceptionV1'):
    """S3D-G: the s3dg_base body and a classifier, on 224x224 clips.

    Args:
      inputs: [batch, frames, height, width, channels] clips.
      num_classes: number of classes.
      first_temporal_kernel_size, temporal_conv_startat, gating_startat,
      final_endpoint, min_depth, depth_multiplier, data_format: see
        s3dg_base.
      dropout_keep_prob: dropout keep probability before the logits.
      is_training: batch norm and dropout mode.
      prediction_fn: maps the logits to end_points['Predictions'].
      spatial_squeeze: return [batch, num_classes] logits instead of
        [batch, 1, 1, num_classes].
      reuse: whether to reuse the variables (requires `scope`).
      scope: variable scope.

    Returns:
      (logits, end_points).
    """
    if data_format not in ('NDHWC', 'NCDHW'):
        raise ValueError('data_format must be NDHWC or NCDHW, not %s' %
                         data_format)
    with tf.variable_scope(scope, 'InceptionV1', [inputs, num_classes],
                           reuse=reuse) as scope, \
            arg_scope([slim.batch_norm, slim.dropout],
                      is_training=is_training):
        net, end_points = s3dg_base(
            inputs, first_temporal_kernel_size=first_temporal_kernel_size,
            temporal_conv_startat=temporal_conv_startat,
            gating_startat=gating_startat, final_endpoint=final_endpoint,
            min_depth=min_depth, depth_multiplier=depth_multiplier,
            data_format=data_format, scope=scope)
        if data_format.startswith('NC'):
            net = tf.transpose(net, perm=[0, 2, 3, 4, 1])
        logits = video_logits(net, end_points, num_classes,
                              dropout_keep_prob, prediction_fn,
                              spatial_squeeze)
    return logits, end_points


s3dg.default_image_size = 224
