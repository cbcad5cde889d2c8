"""slimtrain: a TF-Slim compatible training harness for today's TensorFlow.

Importing this package (or `nets`) makes the PyPI tf-slim 1.1.0 work on
current TensorFlow and NumPy: `slimtrain.compat` patches tf-slim as soon as
it is imported. Nothing else happens on import (TensorFlow itself is not
imported); the programs' own set-up (quiet start-up output, flags) is done
by their entry points (`slimtrain.cli`).

May import: slimtrain.compat.
"""

from slimtrain import compat as _compat

_compat.install()

__version__ = "0.1.0"
