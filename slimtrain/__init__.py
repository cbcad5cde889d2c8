"""slimtrain: a TF-Slim compatible training harness for today's TensorFlow.

Importing this package (or `nets`) first makes the PyPI tf-slim 1.1.0 work on
current TensorFlow and NumPy; see `slimtrain.compat`. It imports TensorFlow
without its C++ start-up lines unless -v/--verbosity is at least 1 on the
command line (`slimtrain.startup`).
"""

from slimtrain import startup as _startup

with _startup.quiet_tensorflow_import():
    from slimtrain import compat as _compat

    _compat.apply()

__version__ = "0.1.0"
