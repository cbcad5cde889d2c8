"""Folds a batch norm into the layer before it, as contrib.quantize did.

An int8 model has no batch norm: the converter folds it into the layer's
weights and bias. So that training sees the weights the int8 model will
hold, the rewrite folds it first and quantizes the folded weights.

Inference (the batch norm's `is_training` is False):
    w' = w * gamma / sqrt(moving_variance + eps)
    y  = layer(x, quantize(w')) + beta - moving_mean * gamma / sqrt(...)

Training (`is_training` True), contrib.quantize's corrections, which keep
the weights scaled by the *moving* deviation (smooth from step to step, as
the int8 model's) while the output still follows the batch:
    w' = w * gamma / sigma_moving
    y  = layer(x, quantize(w')) * sigma_moving / sigma_batch
         + beta - batch_mean * gamma / sigma_batch
       = the batch norm of layer(x, w), up to the weights' quantization;
and from the global step `freeze_bn_delay` on ("frozen"):
    y  = layer(x, quantize(w')) + beta - moving_mean * gamma / sigma_moving
which is the inference form, while the moving statistics stop changing.

The batch statistics come from the layer's own output with the original
weights (a second convolution in training, as in contrib). The
moving-average updates that slim's batch norm built read these statistics
instead of the FusedBatchNorm's (the variance with Bessel's correction, as
the kernel gives it); once frozen they read the moving statistics
themselves, so each update leaves its variable unchanged. The
FusedBatchNorm op is then unused and never runs.
"""

import collections

import tensorflow.compat.v1 as tf

from slimtrain.compute.quantize.graph_edit import reroute

# The inputs of the layer ops, by the keyword tf.raw_ops gives them.
_INPUT_NAMES = {"Conv2D": ("input", "filter"),
                "DepthwiseConv2dNative": ("input", "filter"),
                "MatMul": ("a", "b")}


class CannotFoldError(ValueError):
    """The batch norm is not one this module can fold; says why."""


# output: what the layer's consumers read now. layer_ops: the ops that
# compute the layer from its input (the original, and in training the copy
# with the folded weights).
Folded = collections.namedtuple("Folded", ["output", "layer_ops"])


def fold(layer, quantize_weights, frozen=None):
    """Folds `layer.batch_norm` into `layer`; returns `Folded`.

    Every consumer of `layer.output` reads the returned tensor afterwards.

    Args:
      layer: a `Layer` with a batch norm.
      quantize_weights: fn(folded weights) -> the weights the layer uses.
      frozen: a scalar bool tensor, true once batch norms are frozen, or
        None (never); used only for a batch norm in training mode.

    Raises:
      CannotFoldError: the batch norm is NCHW, or in training mode without a
        moving-average update of its statistics in the graph, or computes
        the moving averages inside the kernel.
    """
    batch_norm = layer.batch_norm
    if batch_norm.get_attr("data_format") not in (b"NHWC", "NHWC"):
        raise CannotFoldError("its data format is NCHW")
    if not batch_norm.get_attr("is_training"):
        return _fold_inference(layer, quantize_weights)
    if batch_norm.type == "FusedBatchNormV3" and (
            batch_norm.get_attr("exponential_avg_factor") != 1.0):
        raise CannotFoldError("it updates its moving averages inside the kernel")
    return _fold_training(layer, quantize_weights, frozen)


def _fold_inference(layer, quantize_weights):
    batch_norm = layer.batch_norm
    gamma, beta, mean, variance = batch_norm.inputs[1:5]
    scale = gamma * tf.rsqrt(variance + batch_norm.get_attr("epsilon"))
    weights = layer.weights
    reroute(weights, quantize_weights(_scale_weights(layer, weights, scale)),
            [layer.op])
    output = tf.add(layer.op.outputs[0], beta - mean * scale, name="add_fold")
    reroute(layer.output, output)
    return Folded(output, (layer.op,))


def _fold_training(layer, quantize_weights, frozen):
    batch_norm = layer.batch_norm
    moving_mean = _moving_statistic(batch_norm, 1)
    moving_variance = _moving_statistic(batch_norm, 2)
    statistics_input, gamma, beta = batch_norm.inputs[:3]
    epsilon = batch_norm.get_attr("epsilon")
    batch_mean, batch_variance = tf.nn.moments(statistics_input, [0, 1, 2])
    inverse_batch_deviation = tf.rsqrt(batch_variance + epsilon)
    inverse_moving_deviation = tf.rsqrt(moving_variance + epsilon)
    moving_scale = gamma * inverse_moving_deviation

    folded = quantize_weights(_scale_weights(layer, layer.weights,
                                             moving_scale))
    unscaled = _clone_layer(layer.op, folded)
    correction = inverse_batch_deviation / inverse_moving_deviation
    output = tf.add(
        unscaled * correction,
        beta - batch_mean * gamma * inverse_batch_deviation, name="add_fold")
    if frozen is not None:
        output = tf.where_v2(
            frozen, unscaled + (beta - moving_mean * moving_scale), output,
            name="freeze_batch_norm")
    reroute(layer.output, output)

    count = tf.cast(tf.size(statistics_input) // tf.size(batch_mean),
                    tf.float32)
    unbiased_variance = batch_variance * count / tf.maximum(count - 1.0, 1.0)
    if frozen is not None:
        batch_mean = tf.where_v2(frozen, moving_mean, batch_mean)
        unbiased_variance = tf.where_v2(frozen, moving_variance,
                                        unbiased_variance)
    reroute(batch_norm.outputs[1], batch_mean)
    reroute(batch_norm.outputs[2], unbiased_variance)
    return Folded(output, (layer.op, unscaled.op))


def _moving_statistic(batch_norm, index):
    """The moving mean (index 1) or variance (2) the update reads.

    slim's (and Keras') update computes `moving - batch_statistic` before
    assigning: the `moving` tensor of that Sub is read before the update
    runs, so the fold reads the same value the update starts from.
    """
    statistic = batch_norm.outputs[index]
    for consumer in statistic.consumers():
        if consumer.type == "Sub" and consumer.inputs[1] is statistic:
            return consumer.inputs[0]
    raise CannotFoldError("no moving-average update reads its batch statistics")


def _scale_weights(layer, weights, scale):
    """`weights` with output channel c multiplied by scale[c]."""
    if layer.is_depthwise:  # [h, w, in, multiplier]: channel in*m + k
        scale = tf.reshape(scale, weights.shape[2:])
    elif layer.op.type == "MatMul" and layer.op.get_attr("transpose_b"):
        scale = tf.reshape(scale, [-1, 1])
    return tf.multiply(weights, scale, name="mul_fold")


def _clone_layer(op, weights):
    """A copy of the layer op `op` reading `weights`, same attributes."""
    data_name, weights_name = _INPUT_NAMES[op.type]
    attributes = {name: op.get_attr(name) for name in op.node_def.attr
                  if name != "T"}
    return getattr(tf.raw_ops, op.type)(
        **{data_name: op.inputs[0], weights_name: weights}, **attributes)
