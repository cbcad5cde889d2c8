"""Stands in for `tensorflow.contrib.quantize` until slimtrain has
quantization-aware training.

Importing it always works (research/slim's scripts import it whether or not
they quantize); each function, when called, raises `LegacyAPIError` whose
message says in one line that quantization is not available yet.
"""

from slimtrain.legacy import unavailable

_ADVICE = ("quantization-aware training is not available in slimtrain yet; "
           "run without it (research/slim: leave --quantize_delay and "
           "--quantize at their defaults)")


def _not_yet(name):
    raise unavailable.LegacyAPIError("tensorflow.contrib.quantize." + name,
                                     _ADVICE)


def create_training_graph(input_graph=None, quant_delay=0):
    """Would rewrite `input_graph` for quantization-aware training."""
    del input_graph, quant_delay  # unused
    _not_yet("create_training_graph")


def create_eval_graph(input_graph=None):
    """Would rewrite `input_graph` to evaluate a quantized model."""
    del input_graph  # unused
    _not_yet("create_eval_graph")


def experimental_create_training_graph(input_graph=None, weight_bits=8,
                                       activation_bits=8, quant_delay=0,
                                       freeze_bn_delay=None, scope=None):
    """Would rewrite `input_graph` for quantization-aware training."""
    del (input_graph, weight_bits, activation_bits, quant_delay,
         freeze_bn_delay, scope)  # unused
    _not_yet("experimental_create_training_graph")


def experimental_create_eval_graph(input_graph=None, weight_bits=8,
                                   activation_bits=8, quant_delay=None,
                                   scope=None):
    """Would rewrite `input_graph` to evaluate a quantized model."""
    del input_graph, weight_bits, activation_bits, quant_delay, scope
    _not_yet("experimental_create_eval_graph")
