"""Importing this module puts the process in TensorFlow 1 mode for tf-slim.

It applies slimtrain's tf-slim fixes (`slimtrain.compat`) and calls
`tf.compat.v1.disable_v2_behavior()`: graph mode, reference variables, the
v1 `TensorShape` (dimensions with `.value`) and v1 control flow, as TF 1.x
programs assumed. The runner does this before a legacy program starts;
`python -m slimtrain.upgrade` adds `import slimtrain.legacy.tf1_mode` at
the top of each upgraded file that uses TensorFlow, so the upgraded program
runs the same way on its own. Importing it again does nothing more.
"""

import slimtrain  # noqa: F401  (applies slimtrain.compat)
import tensorflow.compat.v1 as _tf

_tf.disable_v2_behavior()
