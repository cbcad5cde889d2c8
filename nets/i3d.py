"""I3D, Inception v1 inflated to 3-D, for video (Carreira and Zisserman
2017, https://arxiv.org/abs/1705.07750).

The S3D-G body (nets.s3dg.s3dg_base) with full (not separable) 3-D
convolutions from 'Conv2d_2c_3x3' on, a [7, 7, 7] first conv and no
gating. Inputs are clips [batch, frames, height, width, 3]. Scope names
are Inception v1's, as in research/slim's nets/i3d.py, so an image-trained
Inception v1 checkpoint maps onto it and its own checkpoints restore.
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import i3d_utils, s3dg

conv3d_spatiotemporal = i3d_utils.conv3d_spatiotemporal


def i3d_arg_scope(weight_decay=1e-7, batch_norm_decay=0.999,
                  batch_norm_epsilon=0.001, use_renorm=False,
                  separable_conv3d=False):
    """The arg_scope I3D was trained with: ReLU, batch norm (its moving
    averages also in the 'moving_vars' collection), L2 weight decay.

    Args:
      weight_decay: L2 strength of the weights.
      batch_norm_decay: decay of the batch norm moving averages.
      batch_norm_epsilon: added to the variance in batch norm.
      use_renorm: batch renormalization (needs tf_keras; see
        docs/COMPAT.md).
      separable_conv3d: split the 3-D convs into spatial and temporal ones.

    Returns:
      An arg_scope.
    """
    batch_norm_params = {
        'decay': batch_norm_decay,
        'epsilon': batch_norm_epsilon,
        'fused': False,
        'renorm': use_renorm,
        'variables_collections': {
            'beta': None,
            'gamma': None,
            'moving_mean': ['moving_vars'],
            'moving_variance': ['moving_vars'],
        }
    }
    with slim.arg_scope([slim.conv3d, conv3d_spatiotemporal],
                        weights_regularizer=slim.l2_regularizer(weight_decay),
                        activation_fn=tf.nn.relu,
                        normalizer_fn=slim.batch_norm,
                        normalizer_params=batch_norm_params), \
            slim.arg_scope([conv3d_spatiotemporal],
                           separable=separable_conv3d) as scope:
        return scope


def i3d_base(inputs, final_endpoint='Mixed_5c', scope='InceptionV1'):
    """The I3D body up to final_endpoint (see s3dg.s3dg_base for the end
    points).

    Returns:
      (net, end_points).
    """
    return s3dg.s3dg_base(
        inputs, first_temporal_kernel_size=7,
        temporal_conv_startat='Conv2d_2c_3x3', gating_startat=None,
        final_endpoint=final_endpoint, min_depth=16, depth_multiplier=1.0,
        data_format='NDHWC', scope=scope)


def i3d(inputs, num_classes=1000, dropout_keep_prob=0.8, is_training=True,
        prediction_fn=slim.softmax, spatial_squeeze=True, reuse=None,
        scope='InceptionV1'):
    """I3D: the i3d_base body and a classifier, on 224x224 clips.

    Args:
      inputs: [batch, frames, height, width, channels] clips.
      num_classes: number of classes.
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
    with tf.variable_scope(scope, 'InceptionV1', [inputs, num_classes],
                           reuse=reuse) as scope, \
            slim.arg_scope([slim.batch_norm, slim.dropout],
                           is_training=is_training):
        net, end_points = i3d_base(inputs, scope=scope)
        logits = s3dg.video_logits(net, end_points, num_classes,
                                   dropout_keep_prob, prediction_fn,
                                   spatial_squeeze)
    return logits, end_points


i3d.default_image_size = 224
