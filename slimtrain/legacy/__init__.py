"""Run TF-Slim-era (TensorFlow 1.x) programs unchanged on TensorFlow 2.21.

    python -m slimtrain.legacy train_image_classifier.py --flags...
    python -m slimtrain.legacy slim_walkthrough.ipynb
    python -m slimtrain.legacy --explain my_script.py   # and list rewrites

The program runs as `__main__` with its own arguments, and sees what code
of 2017-2020 expected: TensorFlow 1's API and graph mode under `import
tensorflow as tf`; `tensorflow.contrib` where its pieces have a home today
(slim is tf_slim, `training.HParams` is `slimtrain.legacy.hparams.HParams`,
...); NumPy's removed aliases (`np.int`); `tf.layers` without tf_keras.
Its own modules (the script, its folder, what it imports from beside it)
are rewritten in memory with one mapping table
(`slimtrain.legacy.mapping`); installed libraries and the files on disk
are left alone. What has no home ends the program with one line naming the
file, the line, the API and what replaces it. docs/LEGACY.md lists what is
mapped and what is not; `python -m slimtrain.upgrade SRC DST` writes the
same rewrites to disk, to move for good.

Other ways in:

- IPython / Jupyter: `%load_ext slimtrain.legacy` rewrites the cells that
  follow.
- Any other embedding: `slimtrain.legacy.run_code(source, namespace)` runs
  legacy source in a namespace (a dict, kept between calls), and
  `slimtrain.legacy.enable()` alone sets up the process so that the
  program's modules are rewritten as they are imported.

May import: slimtrain.compat, slimtrain.startup, slimtrain.errors; and, by
name in its mapping table, slimtrain.compute (tf.contrib.quantize's home).
"""

import builtins


def enable(explain=False):
    """Sets the process up for legacy programs (`environment.enable`)."""
    from slimtrain.legacy import environment

    return environment.enable(explain)


def run_code(source, namespace=None, filename="<legacy>"):
    """Runs legacy source, rewritten, in `namespace`; the one-call form.

    Args:
      source: Python source written for TensorFlow 1.x / TF-Slim.
      namespace: the dict to run it in (it keeps its names between calls,
        as a notebook does); a new one named `__main__` if None.
      filename: the name that tracebacks and `--explain` lines use.

    Returns:
      The namespace.
    """
    if namespace is None:
        namespace = {"__name__": "__main__", "__builtins__": builtins}
    code = enable().compile_source(source, filename, namespace)
    exec(code, namespace)  # pylint: disable=exec-used
    return namespace


def load_ipython_extension(ipython):
    """`%load_ext slimtrain.legacy`: rewrites the cells that follow."""
    from slimtrain.legacy import ipython_extension

    ipython_extension.load(ipython)


def unload_ipython_extension(ipython):
    """`%unload_ext slimtrain.legacy`: later cells run as written (the
    process stays in TensorFlow 1 mode)."""
    from slimtrain.legacy import ipython_extension

    ipython_extension.unload(ipython)
