"""Code shared by the Inception networks: their arg_scope and pooling size
(the pooling size helper serves MobileNet v1 too).

Usage of the arg scope:
  with slim.arg_scope(inception_utils.inception_arg_scope()):
    logits, end_points = inception.inception_v3(images, num_classes,
                                                is_training=is_training)
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim


def inception_arg_scope(weight_decay=0.00004,
                        use_batch_norm=True,
                        batch_norm_decay=0.9997,
                        batch_norm_epsilon=0.001,
                        activation_fn=tf.nn.relu,
                        batch_norm_updates_collections=tf.GraphKeys.UPDATE_OPS,
                        batch_norm_scale=False):
    """Returns the arg_scope the Inception networks are trained with.

    Convolutions get variance-scaling initialisation, `activation_fn` and
    (by default) batch normalisation without a `gamma`, matching the
    published checkpoints; conv and fully connected weights get L2 decay.

    Args:
      weight_decay: the L2 coefficient for conv and fully connected weights.
      use_batch_norm: whether each convolution is followed by batch_norm.
      batch_norm_decay: decay of the batch_norm moving averages.
      batch_norm_epsilon: small float added to the variance in batch_norm.
      activation_fn: activation of the convolutions.
      batch_norm_updates_collections: collection for the batch_norm
        moving-average update ops.
      batch_norm_scale: if True, batch_norm also learns a `gamma` scale.

    Returns:
      An `arg_scope` for the Inception networks.
    """
    batch_norm_params = {
        'decay': batch_norm_decay,
        'epsilon': batch_norm_epsilon,
        'updates_collections': batch_norm_updates_collections,
        'fused': None,  # The fused kernel wherever it applies.
        'scale': batch_norm_scale,
    }
    if use_batch_norm:
        normalizer_fn = slim.batch_norm
        normalizer_params = batch_norm_params
    else:
        normalizer_fn = None
        normalizer_params = {}
    with slim.arg_scope([slim.conv2d, slim.fully_connected],
                        weights_regularizer=slim.l2_regularizer(weight_decay)):
        with slim.arg_scope(
                [slim.conv2d],
                weights_initializer=slim.variance_scaling_initializer(),
                activation_fn=activation_fn,
                normalizer_fn=normalizer_fn,
                normalizer_params=normalizer_params) as sc:
            return sc


def reduced_kernel_size_for_small_input(input_tensor, kernel_size):
    """Returns `kernel_size`, shrunk to fit an input of known smaller size.

    The final average pools of Inception v2/v3 and MobileNet v1 have a
    fixed window sized for the default input; smaller inputs would make it
    larger than the feature map. If the spatial size is unknown when the
    graph is built, the input is assumed to be large enough and
    `kernel_size` is returned as is.

    Args:
      input_tensor: a `Tensor` of size [batch_size, height, width, channels].
      kernel_size: the wanted kernel size, [kernel_height, kernel_width].

    Returns:
      The kernel size as a list of two ints.
    """
    shape = input_tensor.get_shape().as_list()
    if shape[1] is None or shape[2] is None:
        return list(kernel_size)
    return [min(shape[1], kernel_size[0]), min(shape[2], kernel_size[1])]
