"""Quantization ranges as variables: created, named, updated.

Each quantized tensor has a `min` and a `max` variable (shape [] or, for
per-channel weights, [channels]) under a scope named after the layer's
weight variable, so the names are the same in a training graph (with or
without clones), an evaluation graph and an export graph, and a checkpoint
of one restores into the others:

  <layer scope>/weights_quant/min|max   weights ("depthwise_weights" gives
                                        depthwise_weights_quant, ...)
  <layer scope>/act_quant/min|max       the layer's output or activation
  <layer scope>/conv_quant, add_quant   around a residual sum
  <layer scope>/post_activation_bypass_quant
  <layer scope>/input_quant             a layer input no other range covers
                                        (the image, or after an op such as
                                        LRN that keeps no range)

They are global, non-trainable variables (not model variables, so moving
averages of the model variables leave them alone), saved in every
checkpoint, so a resumed run continues with the ranges it stopped with.

In a training graph the ranges follow the data, as in contrib.quantize:
weights take the last value (the largest magnitude of the current,
batch-norm-folded weights), activations an exponential moving average of
each batch's min and max, zero-debiased (`assign_moving_average`), with
min <= 0 <= max. When several towers (research/slim's clones) quantize the
same layer, the first tower built updates the range from its batch and the
others use that updated value, as the batch-norm statistics follow the
first clone: one update per step, and the same result every run.
"""

import tensorflow.compat.v1 as tf
from tensorflow.python.training import moving_averages

# The smallest half-width a range may have: an all-zero tensor (a dead
# channel) would otherwise give the fake quant a zero scale.
MIN_RANGE = 1e-6

WEIGHTS = "weights"
ACTIVATION = "act"
BEFORE_BYPASS = "conv"
AFTER_BYPASS = "add"
POST_ACTIVATION_BYPASS = "post_activation_bypass"
INPUT = "input"

# What a checkpoint written by a quantization-aware run holds.
WEIGHT_RANGE_SUFFIX = "weights_quant/max"


def range_scope(variable_name, role):
    """The scope of one range of the layer whose weights are `variable_name`.

    Args:
      variable_name: e.g. "MobilenetV1/Conv2d_1_depthwise/depthwise_weights".
      role: WEIGHTS, ACTIVATION, BEFORE_BYPASS, AFTER_BYPASS,
        POST_ACTIVATION_BYPASS or INPUT.

    Returns:
      e.g. "MobilenetV1/Conv2d_1_depthwise/depthwise_act_quant".
    """
    scope, _, base = variable_name.rpartition("/")
    stem = base[:-len("weights")] if base.endswith("weights") else base + "_"
    name = "%s%s_quant" % (stem, role)
    return "%s/%s" % (scope, name) if scope else name


class RangeVariables:
    """The range variables of one rewrite, each created and updated once."""

    def __init__(self, is_training, ema_decay, symmetric, num_bits):
        """Args: as in `QuantizeOptions`; symmetric and num_bits are the
        activations' (weights are always symmetric)."""
        self._is_training = is_training
        self._ema_decay = ema_decay
        self._symmetric = symmetric
        self._num_bits = num_bits
        self._ranges = {}

    @property
    def names(self):
        """The scopes created so far, in order."""
        return list(self._ranges)

    def weight_range(self, scope, weights, per_channel, device):
        """(min, max) for `weights`: +-(largest magnitude), per channel
        (the last axis) or for the whole tensor.

        Args:
          scope: from `range_scope(..., WEIGHTS)`.
          weights: the (folded) weights, their channels on the last axis.
          per_channel: one range per channel.
          device: where the variables live (the weight variable's).
        """
        if scope in self._ranges:
            return self._ranges[scope]
        shape = weights.shape[-1:] if per_channel else []
        minimum, maximum = _range_variables(scope, shape, -6.0, 6.0, device)
        if self._is_training:
            axes = list(range(weights.shape.rank - 1)) if per_channel else None
            with tf.name_scope(scope.rpartition("/")[2]):
                limit = tf.maximum(tf.reduce_max(tf.abs(weights), axes),
                                   MIN_RANGE)
                minimum = minimum.assign(-limit, name="AssignMinLast")
                maximum = maximum.assign(limit, name="AssignMaxLast")
        self._ranges[scope] = minimum, maximum
        return minimum, maximum

    def activation_range(self, scope, tensor, init_min, device):
        """(min, max) for the activation `tensor`, one range for all of it.

        Args:
          scope: from `range_scope`.
          tensor: the activation.
          init_min: the range's initial min (0 after a Relu, else -6; max
            starts at 6); zero-debiasing replaces it at the first update.
          device: where the variables live.
        """
        if scope in self._ranges:
            return self._ranges[scope]
        minimum, maximum = _range_variables(scope, [], init_min, 6.0, device)
        if self._is_training:
            with tf.name_scope(scope.rpartition("/")[2]):
                low, high = self._batch_range(tensor)
                with tf.variable_scope(_root_scope(),
                                       auxiliary_name_scope=False):
                    minimum = moving_averages.assign_moving_average(
                        minimum, low, self._ema_decay, zero_debias=True,
                        name="AssignMinEma")
                    maximum = moving_averages.assign_moving_average(
                        maximum, high, self._ema_decay, zero_debias=True,
                        name="AssignMaxEma")
        self._ranges[scope] = minimum, maximum
        return minimum, maximum

    def _batch_range(self, tensor):
        """This batch's (min, max) of `tensor`, with min <= 0 <= max."""
        low = tf.minimum(tf.reduce_min(tensor), 0.0)
        high = tf.maximum(tf.reduce_max(tensor), 0.0)
        if self._symmetric:
            # Two's complement has one more negative level than positive.
            ratio = ((1 << self._num_bits) - 2) / (1 << self._num_bits)
            low, high = (tf.minimum(low, -high / ratio),
                         tf.maximum(high, -low * ratio))
        return low, tf.maximum(high, low + 2 * MIN_RANGE)


def holds_ranges(checkpoint_path):
    """Whether the checkpoint was written by a quantization-aware run."""
    return any(name.endswith(WEIGHT_RANGE_SUFFIX)
               for name, _ in tf.train.list_variables(checkpoint_path))


def _root_scope():
    """The root variable scope, creating or reusing (clones build under a
    reusing scope, and a rewrite may run inside any scope)."""
    return tf.VariableScope(reuse=tf.AUTO_REUSE, name="")


def _range_variables(scope, shape, init_min, init_max, device):
    """Creates (or finds) the `min` and `max` variables under `scope`."""
    with tf.device(device), tf.variable_scope(
            _root_scope(), auxiliary_name_scope=False), tf.variable_scope(
                scope, auxiliary_name_scope=False):
        return tuple(
            tf.get_variable(name, shape, tf.float32,
                            initializer=tf.constant_initializer(value),
                            trainable=False,
                            collections=[tf.GraphKeys.GLOBAL_VARIABLES])
            for name, value in (("min", init_min), ("max", init_max)))
