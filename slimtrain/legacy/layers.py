"""`tf.layers` (`tf.compat.v1.layers`) without Keras 3 or tf_keras.

In TensorFlow 2.21, `tf.compat.v1.layers` is a Keras lazy loader: with
Keras 3 every member raises "`dense` is not available with Keras 3",
whether tf_keras is installed or not. The layers still ship in TensorFlow's
frozen copy of the old Keras layers (`tensorflow.python.layers`), which
works in graph mode without tf_keras; this module takes them from there.

Batch normalization is the exception: that copy takes it from tf_keras.
With tf_keras installed, `batch_normalization` and `BatchNormalization` are
tf_keras' legacy layers (as `slimtrain.compat` arranges). Without it,
`batch_normalization` is built with tf-slim's batch-norm kernels, which
make the same variables (`<name>/beta`, `gamma`, `moving_mean`,
`moving_variance`) and put their updates in `UPDATE_OPS`, as the layer did;
`renorm`, `virtual_batch_size`, `adjustment` and constraints still need
tf_keras, and so does the `BatchNormalization` class.
"""

import tensorflow.compat.v1 as tf
import tf_slim
from tensorflow.python.layers import normalization as _normalization
from tensorflow.python.layers.layers import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    Convolution1D,
    Convolution2D,
    Convolution2DTranspose,
    Convolution3D,
    Convolution3DTranspose,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution2D,
    average_pooling1d,
    average_pooling2d,
    average_pooling3d,
    conv1d,
    conv2d,
    conv2d_transpose,
    conv3d,
    conv3d_transpose,
    dense,
    dropout,
    flatten,
    max_pooling1d,
    max_pooling2d,
    max_pooling3d,
    separable_conv1d,
    separable_conv2d,
)

from slimtrain.legacy import unavailable

# What tf.layers offers: the frozen copy's layers, and batch normalization.
__all__ = [
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "BatchNormalization",
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "Convolution1D",
    "Convolution2D",
    "Convolution2DTranspose",
    "Convolution3D",
    "Convolution3DTranspose",
    "Dense",
    "Dropout",
    "Flatten",
    "Layer",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution2D",
    "average_pooling1d",
    "average_pooling2d",
    "average_pooling3d",
    "batch_normalization",
    "conv1d",
    "conv2d",
    "conv2d_transpose",
    "conv3d",
    "conv3d_transpose",
    "dense",
    "dropout",
    "flatten",
    "max_pooling1d",
    "max_pooling2d",
    "max_pooling3d",
    "separable_conv1d",
    "separable_conv2d",
]

_NEEDS_TF_KERAS = "it needs tf_keras here: pip install tf_keras"


def _keras_layers():
    """The legacy normalization layers from tf_keras, or None without it."""
    try:
        return _normalization.BatchNormalization, (
            _normalization.batch_normalization)
    except ImportError:
        return None


def BatchNormalization(*args, **kwargs):  # noqa: N802 (tf.layers' name)
    """`tf.layers.BatchNormalization`: tf_keras' legacy layer."""
    layers = _keras_layers()
    if layers is None:
        raise unavailable.LegacyAPIError(
            "tensorflow.layers.BatchNormalization",
            _NEEDS_TF_KERAS + " (tf.layers.batch_normalization works "
            "without it)")
    return layers[0](*args, **kwargs)


# tf.layers.batch_normalization's default initializers (stateless).
_ZEROS = tf.zeros_initializer()
_ONES = tf.ones_initializer()


def batch_normalization(  # pylint: disable=too-many-arguments
        inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
        beta_initializer=_ZEROS, gamma_initializer=_ONES,
        moving_mean_initializer=_ZEROS, moving_variance_initializer=_ONES,
        beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
        gamma_constraint=None, training=False, trainable=True, name=None,
        reuse=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
        fused=None, virtual_batch_size=None, adjustment=None):
    """`tf.layers.batch_normalization`, with or without tf_keras.

    The arguments are those of TF 1's `tf.layers.batch_normalization`.
    Without tf_keras, `axis` must be the last axis, or axis 1 of a rank-4
    input (NCHW); the other arguments that need the Keras layer (renorm,
    virtual batches, adjustment, constraints) raise LegacyAPIError.
    """
    keras_layers = _keras_layers()
    if keras_layers is not None:
        return keras_layers[1](
            inputs, axis=axis, momentum=momentum, epsilon=epsilon,
            center=center, scale=scale, beta_initializer=beta_initializer,
            gamma_initializer=gamma_initializer,
            moving_mean_initializer=moving_mean_initializer,
            moving_variance_initializer=moving_variance_initializer,
            beta_regularizer=beta_regularizer,
            gamma_regularizer=gamma_regularizer,
            beta_constraint=beta_constraint,
            gamma_constraint=gamma_constraint, training=training,
            trainable=trainable, name=name, reuse=reuse, renorm=renorm,
            renorm_clipping=renorm_clipping, renorm_momentum=renorm_momentum,
            fused=fused, virtual_batch_size=virtual_batch_size,
            adjustment=adjustment)
    if (renorm or virtual_batch_size or adjustment is not None or
            beta_constraint is not None or gamma_constraint is not None):
        raise unavailable.LegacyAPIError(
            "tensorflow.layers.batch_normalization",
            "renorm, virtual_batch_size, adjustment and constraints: "
            + _NEEDS_TF_KERAS)
    inputs = tf.convert_to_tensor(inputs)
    with tf.variable_scope(name, default_name="batch_normalization",
                           reuse=reuse) as layer_scope:
        return tf_slim.batch_norm(
            inputs, decay=momentum, center=center, scale=scale,
            epsilon=epsilon, is_training=training, trainable=trainable,
            reuse=reuse, scope=layer_scope, fused=fused,
            data_format=_data_format(inputs, axis),
            updates_collections=[tf.GraphKeys.UPDATE_OPS],
            param_initializers={
                "beta": beta_initializer, "gamma": gamma_initializer,
                "moving_mean": moving_mean_initializer,
                "moving_variance": moving_variance_initializer},
            param_regularizers={"beta": beta_regularizer,
                                "gamma": gamma_regularizer})


def _data_format(inputs, axis):
    """tf-slim's data_format for the Keras layer's normalized `axis`."""
    rank = inputs.shape.ndims
    if axis in (-1, rank - 1):
        return "NHWC"
    if rank == 4 and axis in (1, -3):
        return "NCHW"
    raise unavailable.LegacyAPIError(
        "tensorflow.layers.batch_normalization",
        "axis=%s of a rank-%s input: %s" % (axis, rank, _NEEDS_TF_KERAS))
