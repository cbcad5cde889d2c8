"""The TF-Slim image-classification network zoo, importable as `nets`.

Module layout, function names and arguments follow tensorflow/models
research/slim, so code written against it (`from nets import nets_factory`)
runs unchanged. Importing `nets` applies slimtrain's tf-slim compatibility
layer and nothing else.
"""

import slimtrain  # noqa: F401  (applies slimtrain.compat before tf_slim loads)
