"""The quantization rewrite of a whole graph: fold, then fake-quantize.

`rewrite(graph, options)` changes a built graph in place, as
`tf.contrib.quantize` did, so it runs after the network (and in training
its losses) exist and before the optimizer computes gradients. For each
layer `layers.find_layers` matches, in the order the layers were built:

1. its batch norm, if any, is folded into it (`batch_norm_folding`);
2. its (folded) weights are fake-quantized;
3. the tensors TFLite keeps in int8 get a fake quant (`fake_quant`): the
   activation (or the output when there is none), both sides of a
   residual sum, the sum after an activation;
4. once every layer is done, each layer input that no range covers yet
   gets one (`input_quant`): the network's input, or the output of an op
   such as LRN or a mean. Walking back from a layer, ops that TFLite runs
   on int8 with their input's range (pooling, reshapes, padding, dropout,
   and a concat of quantized tensors) are passed through.
"""

import contextlib
import dataclasses
import re
from typing import Tuple

import tensorflow.compat.v1 as tf
from absl import logging

from slimtrain.compute.quantize import batch_norm_folding, ranges
from slimtrain.compute.quantize import layers as layers_lib
from slimtrain.compute.quantize.fake_quant import Quantizer
from slimtrain.compute.quantize.graph_edit import reroute

# Ops whose int8 output keeps its input's range in TFLite (one data input).
RANGE_KEEPING_TYPES = ("Identity", "Reshape", "Squeeze", "ExpandDims",
                       "MaxPool", "AvgPool", "Pad", "PadV2",
                       "SpaceToBatchND", "BatchToSpaceND")

_TRAINING_OP = re.compile(r"^(Resource)?(Sparse)?Apply")


@dataclasses.dataclass(frozen=True)
class RewriteSummary:
    """What a rewrite changed.

    Attributes:
      layers: the weight variables of the quantized layers (one entry per
        tower: clones repeat a name).
      folded_batch_norms: the names of the FusedBatchNorm ops folded.
      skipped: (weight variable, reason) of layers left in float.
      range_scopes: the scopes of the range variables, in order.
    """

    layers: Tuple[str, ...]
    folded_batch_norms: Tuple[str, ...]
    skipped: Tuple[Tuple[str, str], ...]
    range_scopes: Tuple[str, ...]

    def describe(self):
        """One line for a log."""
        line = ("quantization: %d layers (%d batch norms folded), %d ranges"
                % (len(self.layers), len(self.folded_batch_norms),
                   len(self.range_scopes)))
        if self.skipped:
            line += "; left in float: %s" % ", ".join(
                "%s (%s)" % item for item in self.skipped)
        return line


def rewrite(graph, options):
    """Rewrites `graph` in place for simulated quantization.

    Args:
      graph: the tf.Graph; its variables are created in it.
      options: a `QuantizeOptions`.

    Returns:
      A `RewriteSummary`.

    Raises:
      ValueError: the graph already applies gradients (the rewrite must come
        before the optimizer, or the gradients would be those of the float
        graph).
    """
    training_ops = sorted({op.type for op in graph.get_operations()
                           if _TRAINING_OP.match(op.type)})
    if training_ops:
        raise ValueError(
            "the graph already has training ops (%s): rewrite it for "
            "quantization before the optimizer computes gradients."
            % ", ".join(training_ops))
    with graph.as_default():
        step = _global_step(options)
        frozen = None
        if options.is_training and options.freeze_bn_delay is not None:
            frozen = tf.greater_equal(step, options.freeze_bn_delay,
                                      name="freeze_batch_norms")
        quantizer = Quantizer(options, step)
        done, folded, skipped = [], [], []
        for layer in layers_lib.find_layers(graph, options.scope):
            with _beside(layer.op):
                try:
                    layer_ops = _quantize_layer(layer, quantizer, frozen)
                except batch_norm_folding.CannotFoldError as reason:
                    logging.warning("Quantization leaves %s in float: cannot "
                                    "fold its batch norm %s: %s.",
                                    layer.variable_name,
                                    layer.batch_norm.name, reason)
                    skipped.append((layer.variable_name, str(reason)))
                    continue
            done.append((layer, layer_ops))
            if layer.batch_norm is not None:
                folded.append(layer.batch_norm.name)
        for layer, layer_ops in done:
            with _beside(layer.op):
                _quantize_input(layer, layer_ops, quantizer)
    return RewriteSummary(
        layers=tuple(layer.variable_name for layer, _ in done),
        folded_batch_norms=tuple(folded), skipped=tuple(skipped),
        range_scopes=tuple(quantizer.range_scopes))


@contextlib.contextmanager
def _beside(op):
    """Builds in `op`'s name scope and on its device (a clone's)."""
    scope = op.name.rpartition("/")[0]
    with op.graph.name_scope(scope + "/" if scope else ""), \
            tf.device(op.device):
        yield


def _global_step(options):
    """The global step the delays compare with, or None without delays."""
    needed = options.quant_delay or (
        options.is_training and options.freeze_bn_delay is not None)
    if not needed:
        return None
    global_step = tf.train.get_or_create_global_step()
    with tf.name_scope(None):
        return tf.identity(global_step, name="quantize_global_step")


def _quantize_layer(layer, quantizer, frozen):
    """Folds and fake-quantizes one layer; returns the ops computing it."""
    if layer.batch_norm is not None:
        output, layer_ops = batch_norm_folding.fold(
            layer, lambda weights: quantizer.weights(layer, weights), frozen)
    else:
        reroute(layer.weights, quantizer.weights(layer, layer.weights),
                [layer.op])
        output, layer_ops = layer.output, (layer.op,)
    if layer.bypass is not None:
        quantizer.activation(layer, ranges.BEFORE_BYPASS, output)
        if layer.activation is None:
            quantizer.activation(layer, ranges.AFTER_BYPASS,
                                 layer.bypass.outputs[0])
    if layer.activation is not None:
        quantizer.activation(layer, ranges.ACTIVATION,
                             layer.activation.outputs[0])
    elif layer.bypass is None:
        quantizer.activation(layer, ranges.ACTIVATION, output)
    if layer.post_activation_bypass is not None:
        quantizer.activation(layer, ranges.POST_ACTIVATION_BYPASS,
                             layer.post_activation_bypass.outputs[0])
    return layer_ops


def _quantize_input(layer, layer_ops, quantizer):
    """Gives the layer's input a range if nothing before it has one."""
    readers = [op for op in layer.op.inputs[0].consumers() if op in layer_ops]
    source = _unquantized_source(layer.op.inputs[0], readers, quantizer)
    if source is not None:
        tensor, readers = source
        quantizer.activation(layer, ranges.INPUT, tensor, readers)


def _unquantized_source(tensor, readers, quantizer):
    """Walks back from a layer input through range-keeping ops.

    Returns:
      (the tensor to quantize, the ops on the path that read it), or None
      when a fake quant already gives the input its range.
    """
    while not quantizer.is_quantized(tensor):
        if quantizer.quantized_version(tensor) is not None:
            return tensor, readers
        op = tensor.op
        dropout_scaling = _dropout_scaling(op)
        if op.type in RANGE_KEEPING_TYPES:
            readers, tensor = [op], op.inputs[0]
        elif dropout_scaling is not None:
            readers, tensor = [dropout_scaling], dropout_scaling.inputs[0]
        elif op.type == "ConcatV2" and all(
                _unquantized_source(part, [op], quantizer) is None
                for part in op.inputs[:-1]):
            return None
        else:
            return tensor, readers
    return None


def _dropout_scaling(op):
    """The Mul scaling dropout's input if `op` ends a dropout, else None.

    `tf.nn.dropout` ends in SelectV2(keep, x * (1 / keep_prob), 0). In an
    inference graph dropout is an Identity, so the range before it is the
    one the inference graph has.
    """
    if op.type != "SelectV2":
        return None
    scaling, zero = op.inputs[1].op, op.inputs[2].op
    if scaling.type != "Mul" or zero.type != "Const":
        return None
    return scaling if zero.outputs[0].shape.rank == 0 else None
