"""Finds the layers the rewrite quantizes, as contrib.quantize matched them.

A layer is a Conv2D, DepthwiseConv2dNative or MatMul whose weights are read
from a variable (resource or reference), followed by what slim's conv2d,
separable_conv2d and fully_connected build after it:

    conv | depthwise | matmul
      [batch norm]       FusedBatchNorm(V2|V3), NHWC; for a MatMul, the
                         Reshape to [N, 1, 1, C] and back that slim's
                         rank-2 fused batch norm adds
      [bias add]         BiasAdd, or an Add of a rank-0/1 tensor
      [bypass]           an Add/AddV2 of another tensor (a residual)
      [activation]       Relu or Relu6
      [post-activation bypass]  an Add after the activation that no Relu
                                follows

Each bracketed op is matched only when the tensor before it has that op as
its one consumer (Identity ops in between, such as slim's
`activation_fn=tf.identity` or a named output, are passed over), so the
ops a layer is cut from are exactly those of one slim layer (and a residual
sum). A layer whose batch norm's output has no consumer is the original a
training rewrite folded, and is not matched again.
"""

import dataclasses
import re
from typing import Optional

import tensorflow.compat.v1 as tf

from slimtrain.compute.quantize.graph_edit import sole_consumer

LAYER_TYPES = ("Conv2D", "DepthwiseConv2dNative", "MatMul")
BATCH_NORM_TYPES = ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")
RELU_TYPES = ("Relu", "Relu6")
ADD_TYPES = ("Add", "AddV2")

_CLONE_PREFIX = re.compile(r"^clone_\d+/")


@dataclasses.dataclass(frozen=True)
class Layer:
    """One matched layer; the ops after `op` are None when absent.

    Attributes:
      op: the Conv2D, DepthwiseConv2dNative or MatMul.
      variable_name: the weight variable's name, e.g. "LeNet/conv1/weights";
        every range variable of the layer is named after it.
      batch_norm: the FusedBatchNorm op folded into the layer.
      output: the tensor the layer's consumers read before the bypass and
        activation: the batch norm's output (after slim's Reshape back to
        rank 2 for a MatMul), the bias add's, or the layer op's. It is
        quantized where no activation follows, so that an Identity after
        it (a named output) reads the quantized value.
      bypass, activation, post_activation_bypass: as in the module doc.
    """

    op: tf.Operation
    variable_name: str
    batch_norm: Optional[tf.Operation]
    output: tf.Tensor
    bypass: Optional[tf.Operation]
    activation: Optional[tf.Operation]
    post_activation_bypass: Optional[tf.Operation]

    @property
    def weights(self):
        """The tensor of weights the layer op reads (its input 1)."""
        return self.op.inputs[1]

    @property
    def scope(self):
        """The variable scope of the weights, e.g. "LeNet/conv1"."""
        return self.variable_name.rpartition("/")[0]

    @property
    def is_depthwise(self):
        return self.op.type == "DepthwiseConv2dNative"

    @property
    def is_per_channel(self):
        """Convolution weights are quantized per output channel."""
        return self.op.type != "MatMul"


def strip_clone_prefix(name):
    """`name` without research/slim's `clone_<i>/` name scope."""
    return _CLONE_PREFIX.sub("", name)


def find_layers(graph, scope=None):
    """Returns the `Layer`s of `graph`, in the order their ops were built.

    Args:
      graph: the tf.Graph to search.
      scope: if given, only layers whose op name (with any `clone_<i>/`
        prefix removed) starts with it.
    """
    layers = []
    for op in graph.get_operations():
        if op.type not in LAYER_TYPES:
            continue
        if scope and not (op.name.startswith(scope) or
                          strip_clone_prefix(op.name).startswith(scope)):
            continue
        variable_name = weight_variable_name(op.inputs[1])
        if variable_name is None:
            continue
        layer = _match_chain(op, variable_name)
        if layer is not None:
            layers.append(layer)
    return layers


def weight_variable_name(tensor):
    """The name of the variable `tensor` reads, or None for anything else."""
    op = tensor.op
    if op.type == "ReadVariableOp" and op.inputs[0].op.type == "VarHandleOp":
        return op.inputs[0].op.name
    if op.type == "Identity" and op.inputs[0].op.type in ("VariableV2",
                                                          "Variable"):
        return op.inputs[0].op.name
    return None


def _match_chain(op, variable_name):
    """Follows `op`'s sole consumers; returns its Layer, or None if folded."""
    output = op.outputs[0]
    batch_norm = _batch_norm_after(op)
    if batch_norm is not None:
        output = batch_norm.outputs[0]
        if op.type == "MatMul":
            output = sole_consumer(output).outputs[0]
        if not output.consumers():
            return None  # the original of a layer folded in training mode
    else:
        bias_add = sole_consumer(output)
        if bias_add is not None and _is_bias_add(bias_add, output):
            output = bias_add.outputs[0]
    tail = _after_identities(output)
    bypass = _sole_consumer_of_type(tail, ADD_TYPES)
    if bypass is not None:
        tail = _after_identities(bypass.outputs[0])
    activation = _sole_consumer_of_type(tail, RELU_TYPES)
    post_activation_bypass = None
    if activation is not None:
        candidate = _sole_consumer_of_type(
            _after_identities(activation.outputs[0]), ADD_TYPES)
        if candidate is not None and _sole_consumer_of_type(
                _after_identities(candidate.outputs[0]), RELU_TYPES) is None:
            post_activation_bypass = candidate
    return Layer(op=op, variable_name=variable_name, batch_norm=batch_norm,
                 output=output, bypass=bypass, activation=activation,
                 post_activation_bypass=post_activation_bypass)


def _after_identities(tensor):
    """`tensor` past any chain of Identity ops that alone read it."""
    identity = _sole_consumer_of_type(tensor, ("Identity",))
    while identity is not None:
        tensor = identity.outputs[0]
        identity = _sole_consumer_of_type(tensor, ("Identity",))
    return tensor


def _sole_consumer_of_type(tensor, types):
    consumer = sole_consumer(tensor)
    return consumer if consumer is not None and consumer.type in types else None


def _batch_norm_after(op):
    """The FusedBatchNorm `op`'s output goes into directly, or None.

    For a MatMul the batch norm is the one slim's fused kernel builds for
    rank-2 inputs: Reshape to [N, 1, 1, C], batch norm, Reshape back.
    """
    consumer = sole_consumer(op.outputs[0])
    if consumer is None:
        return None
    if op.type == "MatMul":
        if consumer.type != "Reshape":
            return None
        batch_norm = sole_consumer(consumer.outputs[0])
        if batch_norm is None or batch_norm.type not in BATCH_NORM_TYPES:
            return None
        back = sole_consumer(batch_norm.outputs[0])
        reshaped_back = back is not None and back.type == "Reshape"
        return batch_norm if reshaped_back else None
    return consumer if consumer.type in BATCH_NORM_TYPES else None


def _is_bias_add(op, tensor):
    """Whether `op` adds a bias (a vector or scalar) to `tensor`."""
    if op.type == "BiasAdd":
        return op.inputs[0] is tensor
    if op.type not in ADD_TYPES:
        return False
    other = op.inputs[1] if op.inputs[0] is tensor else op.inputs[0]
    return other.shape.rank is not None and other.shape.rank <= 1
