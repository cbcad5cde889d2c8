"""The TF-Slim image-classification network zoo, importable as `nets`.

Module layout, function names and arguments follow tensorflow/models
research/slim, so code written against it (`from nets import nets_factory`)
runs unchanged. Importing `nets` applies slimtrain's tf-slim compatibility
layer and nothing else.

May import: slimtrain (its compatibility layer), slimtrain.rundir and
slimtrain.settings (`nets.eager` loads checkpoints), slimtrain.errors.
"""

import slimtrain  # noqa: F401  (applies slimtrain.compat before tf_slim loads)
