"""Compute: what turns a batch into a loss and a loss into an update.

- `classifier`: a zoo network (`nets.nets_factory`) and its preprocessing,
  resolved by name.
- `losses`: slim's classification losses and their summaries.
- `optimizers`, `learning_rate`: research/slim's optimizers and decay
  schedules, configured from a `TrainConfig`.
- `placement`: where variables and clones go (parameter servers, CPU, GPU).
- `quantize`: quantization-aware training, contrib.quantize's graph rewrite
  (batch-norm folding, fake quantization) and its four functions.

The networks themselves live in the top-level `nets` package. Nothing here
runs a session or writes files.

May import: slimtrain.data, slimtrain.errors, nets.
"""
