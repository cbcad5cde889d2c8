"""`tf.contrib.quantize`'s four functions, on slimtrain's rewrite.

The signatures are TensorFlow 1.15's, so research/slim's scripts (which call
`contrib_quantize.create_training_graph(quant_delay=...)` after building
the losses, and `create_eval_graph()` after building the network) run
unchanged once `tensorflow.contrib.quantize` maps here. Like contrib's,
each rewrites the graph in place and returns None; the variables it adds
go into GLOBAL_VARIABLES.

Differences from contrib (docs/QUANTIZATION.md has the full list):
- `quant_delay` and `freeze_bn_delay` count the global step, not a
  separate step counter the rewrite adds;
- weights are always quantized symmetrically, per output channel for
  convolutions, as TFLite's int8 kernels require (contrib's default was
  asymmetric and per tensor, for the uint8 models of its time);
- `symmetric` applies to the activation ranges.
"""

import tensorflow.compat.v1 as tf
from absl import logging

from slimtrain.compute.quantize.options import QuantizeOptions
from slimtrain.compute.quantize.rewrite import rewrite


def create_training_graph(input_graph=None, quant_delay=0):
    """Rewrites a training graph in place for quantization-aware training.

    Call it after the network and its losses are built, before the
    optimizer. Batch norms are folded with batch statistics and never
    frozen (`experimental_create_training_graph` takes freeze_bn_delay).

    Args:
      input_graph: the tf.Graph to rewrite; None for the default graph.
      quant_delay: the global step from which weights and activations are
        quantized; 0 quantizes from the start (for fine-tuning a trained
        float model; from scratch, give the steps the float model needs to
        converge).

    Raises:
      ValueError: the graph already has training ops.
    """
    _rewrite(input_graph, is_training=True, quant_delay=quant_delay)


def create_eval_graph(input_graph=None):
    """Rewrites an evaluation or inference graph in place.

    Call it after building the network (is_training=False); restore a
    checkpoint of a quantization-aware run into the result.

    Args:
      input_graph: the tf.Graph to rewrite; None for the default graph.
    """
    _rewrite(input_graph, is_training=False)


def experimental_create_training_graph(input_graph=None,
                                       weight_bits=8,
                                       activation_bits=8,
                                       symmetric=False,
                                       quant_delay=0,
                                       freeze_bn_delay=None,
                                       scope=None):
    """`create_training_graph` with every option.

    Args:
      input_graph: the tf.Graph to rewrite; None for the default graph.
      weight_bits, activation_bits: the simulated widths (TFLite: 8).
      symmetric: symmetric activation ranges.
      quant_delay: the global step from which quantization is active.
      freeze_bn_delay: the global step from which batch norms use, and stop
        updating, their moving statistics; None: never. Give a step after
        quant_delay, when training has nearly converged.
      scope: only layers whose op names start with it are rewritten
        (a `clone_<i>/` prefix is ignored).

    Raises:
      ValueError: the graph already has training ops, or a bad argument.
    """
    _rewrite(input_graph, is_training=True, weight_bits=weight_bits,
             activation_bits=activation_bits, symmetric=symmetric,
             quant_delay=quant_delay, freeze_bn_delay=freeze_bn_delay,
             scope=scope)


def experimental_create_eval_graph(input_graph=None,
                                   weight_bits=8,
                                   activation_bits=8,
                                   symmetric=False,
                                   quant_delay=None,
                                   scope=None):
    """`create_eval_graph` with every option.

    Args:
      input_graph: the tf.Graph to rewrite; None for the default graph.
      weight_bits, activation_bits, symmetric, scope: as for training; use
        the values the model was trained with.
      quant_delay: quantize only from this global step on; None: always.
    """
    _rewrite(input_graph, is_training=False, weight_bits=weight_bits,
             activation_bits=activation_bits, symmetric=symmetric,
             quant_delay=quant_delay, scope=scope)


def _rewrite(input_graph, **options):
    graph = input_graph if input_graph is not None else tf.get_default_graph()
    summary = rewrite(graph, QuantizeOptions(**options))
    logging.info("%s", summary.describe())
