"""Puts fake-quantization ops into the graph, between a tensor and its readers.

`Quantizer` is what the rewrite calls for each weight tensor and each
activation: it takes the range from `RangeVariables`, adds TensorFlow's
`fake_quant_with_min_max_vars` (per channel for convolution weights),
delays it to `quant_delay` when one is set, and rewires the readers.

Weights: symmetric ranges on the narrow integer range (for 8 bits, int8
values in [-127, 127] with zero point 0, which TFLite requires of int8
weights); per output channel for Conv2D and depthwise
weights (a depthwise filter [h, w, in, multiplier] has in * multiplier
output channels, so it is reshaped to [h, w, 1, in * multiplier] and back,
TFLite's own layout), one range for MatMul weights: TFLite's int8 kernels
and its own post-training quantizer do the same. Activations: one range
per tensor, the full range [-128, 127].
"""

import tensorflow.compat.v1 as tf

from slimtrain.compute.quantize import ranges as ranges_lib
from slimtrain.compute.quantize.graph_edit import reroute

FAKE_QUANT_TYPES = ("FakeQuantWithMinMaxVars",
                    "FakeQuantWithMinMaxVarsPerChannel",
                    "FakeQuantWithMinMaxArgs")


class Quantizer:
    """Adds the fake quants of one rewrite and remembers what it quantized."""

    def __init__(self, options, step):
        """Args:
          options: the rewrite's `QuantizeOptions`.
          step: a scalar int64 tensor, the global step the delays compare
            against (None when the rewrite has no delay).
        """
        self._options = options
        self._step = step
        self._ranges = ranges_lib.RangeVariables(
            options.is_training, options.ema_decay, options.symmetric,
            options.activation_bits)
        self._quantized = {}  # original tensor -> its quantized version

    @property
    def range_scopes(self):
        """The range scopes the rewrite created or found, in order."""
        return self._ranges.names

    def is_quantized(self, tensor):
        """Whether `tensor` is the output of a fake quant (or its delay)."""
        return (tensor.op.type in FAKE_QUANT_TYPES or
                tensor in self._quantized.values())

    def quantized_version(self, tensor):
        """The quantized tensor this rewrite made of `tensor`, or None."""
        return self._quantized.get(tensor)

    def weights(self, layer, weights):
        """Returns the fake-quantized `weights` of `layer` (not rewired).

        Args:
          layer: the `Layer`; its type chooses per-channel or per-tensor.
          weights: its weights, possibly folded with a batch norm.
        """
        scope = ranges_lib.range_scope(layer.variable_name,
                                       ranges_lib.WEIGHTS)
        channels_last = weights
        if layer.is_depthwise:  # one channel per (input, multiplier) pair
            shape = weights.shape
            channels_last = tf.reshape(weights, shape[:2].concatenate(
                [1, shape[2] * shape[3]]))
        minimum, maximum = self._ranges.weight_range(
            scope, channels_last, layer.is_per_channel,
            _variable_device(layer.op.graph, layer.variable_name))
        quantized = fake_quantize(channels_last, minimum, maximum,
                                  self._options.weight_bits,
                                  per_channel=layer.is_per_channel,
                                  narrow_range=True)
        if layer.is_depthwise:
            quantized = tf.reshape(quantized, weights.shape)
        return self._delayed(quantized, weights)

    def activation(self, layer, role, tensor, consumers=None):
        """Quantizes `tensor` for `consumers` (default: all); returns it.

        A tensor this rewrite already quantized is not quantized twice: its
        quantized version is given to the consumers named (with None, all
        its readers already have it).

        Args:
          layer: the `Layer` the range is named after.
          role: a role of `ranges.range_scope`.
          tensor: the float tensor.
          consumers: the ops to rewire; None for all of its consumers.
        """
        quantized = self._quantized.get(tensor)
        if quantized is not None:
            if consumers is not None:  # None: all were rewired before
                reroute(tensor, quantized, consumers)
            return quantized
        if consumers is None:
            consumers = tensor.consumers()
        init_min = 0.0 if tensor.op.type in ("Relu", "Relu6") else -6.0
        minimum, maximum = self._ranges.activation_range(
            ranges_lib.range_scope(layer.variable_name, role), tensor,
            init_min, _variable_device(layer.op.graph, layer.variable_name))
        quantized = self._delayed(
            fake_quantize(tensor, minimum, maximum,
                          self._options.activation_bits, per_channel=False,
                          narrow_range=False),
            tensor)
        self._quantized[tensor] = quantized
        reroute(tensor, quantized, consumers)
        return quantized

    def _delayed(self, quantized, original):
        """`quantized` from global step quant_delay on, `original` before."""
        delay = self._options.quant_delay
        if not delay:
            return quantized
        active = tf.greater_equal(self._step, delay, name="activate_quant")
        return tf.where_v2(active, quantized, original, name="delayed_quant")


def fake_quantize(tensor, minimum, maximum, num_bits, per_channel,
                  narrow_range):
    """TensorFlow's fake quant of `tensor` on [minimum, maximum].

    The range is not learned (it follows the data), so no gradient flows
    into it.
    """
    minimum = tf.stop_gradient(minimum)
    maximum = tf.stop_gradient(maximum)
    if per_channel:
        return tf.quantization.fake_quant_with_min_max_vars_per_channel(
            tensor, minimum, maximum, num_bits=num_bits,
            narrow_range=narrow_range)
    return tf.quantization.fake_quant_with_min_max_vars(
        tensor, minimum, maximum, num_bits=num_bits, narrow_range=narrow_range)


def _variable_device(graph, variable_name):
    """The device of the variable op `variable_name` ("" if unplaced)."""
    return graph.get_operation_by_name(variable_name).device
