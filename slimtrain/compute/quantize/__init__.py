"""Quantization-aware training: contrib.quantize's graph rewrite, rebuilt.

`rewrite(graph, QuantizeOptions(...))` changes a built graph in place so
that it computes what an int8 model will: batch norms folded into the
layers before them, weights and activations fake-quantized with ranges
kept in variables. Build the network (and, for training, its losses),
rewrite, then add the optimizer:

  logits, _ = network_fn(images)
  ...losses...
  quantize.rewrite(tf.get_default_graph(), quantize.QuantizeOptions(
      is_training=True, quant_delay=2000, freeze_bn_delay=10000))
  train_op = slim.learning.create_train_op(total_loss, optimizer)

and for evaluation or export `QuantizeOptions(is_training=False)` after
building the network. `contrib_api` offers the same as
`tf.contrib.quantize`'s create_training_graph / create_eval_graph /
experimental_* functions, for code written against contrib.

Modules, each with one job:
- `options`: `QuantizeOptions`.
- `layers`: finds the conv / depthwise / fully connected layers and what
  follows them (batch norm, bias, residual sum, activation).
- `batch_norm_folding`: folds a batch norm into its layer.
- `ranges`: the range variables, their names and updates.
- `fake_quant`: inserts the fake-quant ops.
- `graph_edit`: rewires op inputs in place.
- `rewrite`: the whole-graph rewrite and its `RewriteSummary`.
- `contrib_api`: tf.contrib.quantize's functions.

docs/QUANTIZATION.md says what is quantized where and why.
"""

from slimtrain.compute.quantize.options import QuantizeOptions
from slimtrain.compute.quantize.ranges import holds_ranges
from slimtrain.compute.quantize.rewrite import RewriteSummary, rewrite

__all__ = ["QuantizeOptions", "RewriteSummary", "holds_ranges", "rewrite"]
