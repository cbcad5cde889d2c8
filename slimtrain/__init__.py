"""slimtrain: a TF-Slim compatible training harness for today's TensorFlow.

Importing this package (or `nets`) first makes the PyPI tf-slim 1.1.0 work on
current TensorFlow and NumPy; see `slimtrain.compat`.
"""

from slimtrain import compat as _compat

_compat.apply()

__version__ = "0.1.0"
