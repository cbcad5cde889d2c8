"""Importing this module puts the process in TensorFlow 1 mode for tf-slim.

It applies slimtrain's tf-slim fixes (`slimtrain.compat`) and calls
`tf.compat.v1.disable_v2_behavior()`: graph mode, reference variables, the
v1 `TensorShape` (dimensions with `.value`) and v1 control flow, as TF 1.x
programs assumed; and `session.run` takes dict views as it took Python 2's
lists (`sess.run(names_to_updates.values())`, as tf-slim's README writes).
The runner does this before a legacy program starts; `python -m
slimtrain.upgrade` adds `import slimtrain.legacy.tf1_mode` at the top of
each upgraded file that uses TensorFlow, so the upgraded program runs the
same way on its own. Importing it again does nothing more.
"""

import functools

import tensorflow.compat.v1 as _tf
from tensorflow.python.client import session as _session

from slimtrain import compat  # importing slimtrain arranges its fixes

_tf.disable_v2_behavior()


def _run_taking_dict_views(run):
    """`session.run` that takes dict views as fetches, at any depth.

    Python 2's `d.values()` was a list, so TF 1 code (tf-slim's README
    among it: `sess.run(names_to_updates.values())`) passed it to
    `session.run`; Python 3's dict views are refused ("has invalid type
    dict_values"). They become lists; everything else is passed as it is.
    """
    if getattr(run, "_slimtrain_dict_views", False):
        return run

    @functools.wraps(run)
    def run_taking_dict_views(self, fetches, *args, **kwargs):
        return run(self, compat.plain_fetches(fetches), *args, **kwargs)

    run_taking_dict_views._slimtrain_dict_views = True
    return run_taking_dict_views


_session.BaseSession.run = _run_taking_dict_views(_session.BaseSession.run)
