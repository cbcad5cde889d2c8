"""The one mapping table: where each TF-Slim-era name lives today.

Both the runner (`python -m slimtrain.legacy`, which rewrites a program's
source in memory and serves `tensorflow.contrib` as modules) and the
upgrader (`python -m slimtrain.upgrade`, which writes the same rewrites to
disk) read this table and nothing else, so they cannot drift apart.

Keys are legacy dotted names as a TF 1.x program spelled them, with
`tensorflow.compat.v1.` read as `tensorflow.` (the TF 1 namespace),
`numpy.` for NumPy, and the Python 2 (or old Python 3) module for the
standard library. A name is looked up by its longest key: a row for
`tensorflow.contrib.slim` also covers `tensorflow.contrib.slim.arg_scope`
(as `tf_slim.arg_scope`), unless a longer key says otherwise. Three kinds of
row:

- `Moved(target)`: the name lives at `target`, a dotted path (module or
  object) whose every step is an attribute of the one before, as the
  rewritten code will reach it. `builtins.X` is written as plain `X`.
- `Namespace(home, search)`: a `tensorflow.contrib` module whose members
  moved to several places. `home` is a slimtrain module that stands in for
  it (`import tensorflow.contrib.framework as cf` keeps working); each
  member is looked up in the `search` modules, in order, unless a longer
  row names it. A member found nowhere gets `advice`.
- `Removed(advice)`: there is no home; `advice` says why and what
  replaces it, to follow "<api> is not available: ".

TF 1 names with no row are looked up in `tensorflow.compat.v1` itself
(`slimtrain.legacy.names`); NumPy names with no row are left alone.
"""

import collections

Moved = collections.namedtuple("Moved", ["target"])
Namespace = collections.namedtuple("Namespace", ["home", "search", "advice"])
Removed = collections.namedtuple("Removed", ["advice"])

_SEE_DOCS = "; see docs/LEGACY.md"

# Where tensorflow.contrib.quantize lives now: slimtrain's quantization-aware
# training, with contrib's four functions (docs/QUANTIZATION.md).
QUANTIZE_HOME = "slimtrain.compute.quantize.contrib_api"


def _contrib_namespace(name, search, instead):
    """A `tensorflow.contrib.<name>` row whose stand-in is
    `slimtrain.legacy.contrib.<name>`."""
    return Namespace(
        "slimtrain.legacy.contrib." + name, search,
        "it has no counterpart in %s%s" % (instead, _SEE_DOCS))


TABLE = {
    # --- tensorflow.contrib -------------------------------------------
    "tensorflow.contrib": Namespace(
        "slimtrain.legacy.contrib", (),
        "tf.contrib was removed with TensorFlow 2 and slimtrain maps no "
        "replacement for this part of it" + _SEE_DOCS),
    "tensorflow.contrib.slim": Moved("tf_slim"),
    "tensorflow.contrib.slim.python.slim": Moved("tf_slim"),
    # TF 1's slim.nets is tf_slim.nets, module for module (and it cannot
    # clash with a program's own `nets/` folder as slimtrain's `nets` can).
    "tensorflow.contrib.slim.nets": Moved("tf_slim.nets"),
    "tensorflow.contrib.slim.python.slim.nets": Moved("tf_slim.nets"),
    "tensorflow.contrib.framework": _contrib_namespace(
        "framework", ("tf_slim", "tensorflow.compat.v1",
                      "tensorflow.compat.v1.train"),
        "tf_slim or tf.compat.v1"),
    "tensorflow.contrib.framework.python.ops": _contrib_namespace(
        "framework", ("tf_slim",), "tf_slim"),
    "tensorflow.contrib.framework.python.ops.arg_scope": Moved(
        "tf_slim.arg_scope_lib"),
    "tensorflow.contrib.framework.python.ops.variables": Moved(
        "slimtrain.legacy.contrib.framework"),
    "tensorflow.contrib.layers": _contrib_namespace(
        "layers", ("tf_slim",), "tf_slim"),
    "tensorflow.contrib.layers.python.layers": _contrib_namespace(
        "layers", ("tf_slim",), "tf_slim"),
    "tensorflow.contrib.layers.feature_column": Moved(
        "tensorflow.compat.v1.feature_column"),
    "tensorflow.contrib.training": _contrib_namespace(
        "training", ("tf_slim.training", "tf_slim.train_eval"),
        "tf_slim.training or tf_slim.evaluation"),
    "tensorflow.contrib.training.HParams": Moved(
        "slimtrain.legacy.hparams.HParams"),
    "tensorflow.contrib.training.python.training.hparam": Moved(
        "slimtrain.legacy.hparams"),
    "tensorflow.contrib.training.python.training.training": Moved(
        "tf_slim.training"),
    "tensorflow.contrib.training.python.training.evaluation": Moved(
        "tf_slim.train_eval"),
    "tensorflow.contrib.metrics": _contrib_namespace(
        "metrics", ("tf_slim.metrics", "tensorflow.compat.v1.metrics"),
        "tf_slim.metrics or tf.compat.v1.metrics"),
    "tensorflow.contrib.metrics.confusion_matrix": Moved(
        "tensorflow.compat.v1.math.confusion_matrix"),
    "tensorflow.contrib.metrics.python.ops.metric_ops": Moved(
        "tf_slim.metrics.metric_ops"),
    "tensorflow.contrib.metrics.python.ops.set_ops": Moved(
        "tensorflow.compat.v1.sets"),
    "tensorflow.contrib.losses": Moved("tf_slim.losses"),
    "tensorflow.contrib.losses.python.losses": Moved("tf_slim.losses"),
    "tensorflow.contrib.losses.python.metric_learning": Moved(
        "tf_slim.losses.metric_learning"),
    "tensorflow.contrib.quantize": Moved(QUANTIZE_HOME),
    "tensorflow.contrib.data": _contrib_namespace(
        "data", ("tensorflow.compat.v1.data",
                 "tensorflow.compat.v1.data.experimental"),
        "tf.data or tf.data.experimental"),
    "tensorflow.contrib.rnn": _contrib_namespace(
        "rnn", ("slimtrain.legacy.rnn_cell", "tensorflow.compat.v1.nn"),
        "tf.compat.v1.nn or tf.compat.v1.nn.rnn_cell"),
    "tensorflow.contrib.util": _contrib_namespace(
        "util", ("tensorflow.compat.v1",), "tf.compat.v1"),
    "tensorflow.contrib.util.constant_value": Moved(
        "tensorflow.compat.v1.get_static_value"),
    "tensorflow.contrib.lookup": _contrib_namespace(
        "lookup", ("tensorflow.compat.v1.lookup",), "tf.compat.v1.lookup"),
    "tensorflow.contrib.lookup.HashTable": Moved(
        "tensorflow.compat.v1.lookup.StaticHashTable"),
    "tensorflow.contrib.signal": Moved("tensorflow.compat.v1.signal"),
    "tensorflow.contrib.linalg": Moved("tensorflow.compat.v1.linalg"),
    "tensorflow.contrib.lite": Moved("tensorflow.compat.v1.lite"),
    "tensorflow.contrib.autograph": Moved("tensorflow.compat.v1.autograph"),
    "tensorflow.contrib.distributions": Moved(
        "tensorflow.compat.v1.distributions"),
    "tensorflow.contrib.learn": Removed(
        "removed with TensorFlow 2; train with "
        "tf_slim.learning.train (or slimtrain's train.py), read data with "
        "tf.data" + _SEE_DOCS),
    "tensorflow.contrib.estimator": Removed(
        "removed in TensorFlow 2.16; train with "
        "tf_slim.learning.train (or slimtrain's train.py)" + _SEE_DOCS),
    "tensorflow.contrib.tpu": Removed(
        "removed with TensorFlow 2; TPUEstimator has no "
        "graph-mode replacement" + _SEE_DOCS),
    "tensorflow.contrib.opt": Removed(
        "removed with TensorFlow 2; use a "
        "tf.compat.v1.train optimizer" + _SEE_DOCS),
    "tensorflow.contrib.image": Removed(
        "removed with TensorFlow 2; use tf.image, or "
        "tf.raw_ops.ImageProjectiveTransformV3 for rotate/transform"
        + _SEE_DOCS),
    "tensorflow.contrib.summary": Removed(
        "removed with TensorFlow 2; use the "
        "tf.compat.v1.summary ops and FileWriter" + _SEE_DOCS),
    "tensorflow.contrib.keras": Removed(
        "removed with TensorFlow 2; TensorFlow 2.21's "
        "Keras is Keras 3, which has no graph-mode API" + _SEE_DOCS),
    "tensorflow.contrib.seq2seq": Removed(
        "removed with TensorFlow 2, and its successor "
        "(TensorFlow Addons) is retired" + _SEE_DOCS),
    "tensorflow.contrib.crf": Removed(
        "removed with TensorFlow 2, and its successor "
        "(TensorFlow Addons) is retired" + _SEE_DOCS),
    "tensorflow.contrib.stateless": Removed(
        "removed with TensorFlow 2; use tf.random.stateless_uniform "
        "and tf.random.stateless_normal" + _SEE_DOCS),
    # --- TF 1 names under `import tensorflow as tf` ---------------------
    # tf.compat.v1.layers and tf.compat.v1.nn.rnn_cell are Keras 3 lazy
    # loaders in TensorFlow 2.21: every member raises "`X` is not available
    # with Keras 3", with tf_keras installed or not.
    "tensorflow.layers": Moved("slimtrain.legacy.layers"),
    "tensorflow.nn.rnn_cell": Moved("slimtrain.legacy.rnn_cell"),
    "tensorflow.estimator": Removed(
        "removed in TensorFlow 2.16; train with "
        "tf_slim.learning.train (or slimtrain's train.py)" + _SEE_DOCS),
    "tensorflow.examples": Removed(
        "the MNIST tutorial reader was removed; "
        "convert MNIST with `python -m slimtrain.convert "
        "--input_format=mnist_idx` and read it with tf.data" + _SEE_DOCS),
    # TensorFlow internals that TF 1 programs imported and that moved.
    # `variables.Variable` was TF 1's variable class (with `collections=`);
    # it is TensorFlow 2's now, which ignores `collections`.
    "tensorflow.python.ops.variables.Variable": Moved(
        "tensorflow.compat.v1.Variable"),
    "tensorflow.python.framework.graph_util.convert_variables_to_constants":
        Moved("tensorflow.compat.v1.graph_util.convert_variables_to_constants"),
    "tensorflow.python.pywrap_tensorflow.NewCheckpointReader": Moved(
        "tensorflow.compat.v1.train.NewCheckpointReader"),
    # TF 0.x names that TF 1.0 renamed; TF 1 programs of 2017 still used
    # some of them.
    "tensorflow.scalar_summary": Moved("tensorflow.compat.v1.summary.scalar"),
    "tensorflow.image_summary": Moved("tensorflow.compat.v1.summary.image"),
    "tensorflow.histogram_summary": Moved(
        "tensorflow.compat.v1.summary.histogram"),
    "tensorflow.audio_summary": Moved("tensorflow.compat.v1.summary.audio"),
    "tensorflow.merge_summary": Moved("tensorflow.compat.v1.summary.merge"),
    "tensorflow.merge_all_summaries": Moved(
        "tensorflow.compat.v1.summary.merge_all"),
    "tensorflow.train.SummaryWriter": Moved(
        "tensorflow.compat.v1.summary.FileWriter"),
    "tensorflow.mul": Moved("tensorflow.compat.v1.multiply"),
    "tensorflow.sub": Moved("tensorflow.compat.v1.subtract"),
    "tensorflow.neg": Moved("tensorflow.compat.v1.negative"),
    "tensorflow.pack": Moved("tensorflow.compat.v1.stack"),
    "tensorflow.unpack": Moved("tensorflow.compat.v1.unstack"),
    "tensorflow.select": Moved("tensorflow.compat.v1.where"),
    "tensorflow.batch_matmul": Moved("tensorflow.compat.v1.matmul"),
    # --- NumPy 2's removed aliases ----------------------------------------
    "numpy.int": Moved("builtins.int"),
    "numpy.float": Moved("builtins.float"),
    "numpy.object": Moved("builtins.object"),
    "numpy.str": Moved("builtins.str"),
    "numpy.unicode": Moved("builtins.str"),
    "numpy.complex": Moved("builtins.complex"),
    "numpy.float_": Moved("numpy.float64"),
    "numpy.complex_": Moved("numpy.complex128"),
    "numpy.cfloat": Moved("numpy.complex128"),
    "numpy.singlecomplex": Moved("numpy.complex64"),
    "numpy.longfloat": Moved("numpy.longdouble"),
    "numpy.clongfloat": Moved("numpy.clongdouble"),
    "numpy.longcomplex": Moved("numpy.clongdouble"),
    "numpy.int0": Moved("numpy.intp"),
    "numpy.uint0": Moved("numpy.uintp"),
    "numpy.bool8": Moved("numpy.bool_"),
    "numpy.object0": Moved("numpy.object_"),
    "numpy.str0": Moved("numpy.str_"),
    "numpy.unicode_": Moved("numpy.str_"),
    "numpy.bytes0": Moved("numpy.bytes_"),
    "numpy.string_": Moved("numpy.bytes_"),
    "numpy.void0": Moved("numpy.void"),
    "numpy.Inf": Moved("numpy.inf"),
    "numpy.Infinity": Moved("numpy.inf"),
    "numpy.infty": Moved("numpy.inf"),
    "numpy.PINF": Moved("numpy.inf"),
    "numpy.NaN": Moved("numpy.nan"),
    "numpy.product": Moved("numpy.prod"),
    "numpy.cumproduct": Moved("numpy.cumprod"),
    "numpy.sometrue": Moved("numpy.any"),
    "numpy.alltrue": Moved("numpy.all"),
    "numpy.round_": Moved("numpy.round"),
    "numpy.trapz": Moved("numpy.trapezoid"),
    "numpy.mat": Moved("numpy.asmatrix"),
    "numpy.asscalar": Removed(
        "removed in NumPy 1.23; use x.item()"),
    "numpy.in1d": Removed(
        "removed in NumPy 2.4; use np.isin(a, b).ravel()"),
    "numpy.NINF": Removed("removed in NumPy 2.0; use -np.inf"),
    "numpy.msort": Removed(
        "removed in NumPy 2.0; use np.sort(a, axis=0)"),
}

# Python 2 and old Python 3 names that TF 1 programs of 2017-2020 still
# used, and that the Python this runs on no longer has.
TABLE.update({
    "cPickle": Moved("pickle"),
    "cStringIO": Moved("io"),
    "StringIO": Moved("io"),
    "Queue": Moved("queue"),
    "ConfigParser": Moved("configparser"),
    "urllib2": Moved("urllib.request"),
    "__builtin__": Moved("builtins"),
    "copy_reg": Moved("copyreg"),
    "httplib": Moved("http.client"),
    "HTMLParser": Moved("html.parser"),
    "itertools.izip": Moved("builtins.zip"),
    "itertools.imap": Moved("builtins.map"),
    "itertools.ifilter": Moved("builtins.filter"),
    "itertools.izip_longest": Moved("itertools.zip_longest"),
    "string.letters": Moved("string.ascii_letters"),
    "string.lowercase": Moved("string.ascii_lowercase"),
    "string.uppercase": Moved("string.ascii_uppercase"),
    "os.getcwdu": Moved("os.getcwd"),
    "time.clock": Moved("time.perf_counter"),  # removed in Python 3.8
    "fractions.gcd": Moved("math.gcd"),  # removed in Python 3.9
    "inspect.getargspec": Removed(
        "removed in Python 3.11; use inspect.getfullargspec (whose first "
        "four fields are args, varargs, varkw, defaults)"),
})
# collections' abstract classes left for collections.abc in Python 3.10.
TABLE.update({
    "collections." + name: Moved("collections.abc." + name)
    for name in ("Callable", "Container", "Hashable", "ItemsView", "Iterable",
                 "Iterator", "KeysView", "Mapping", "MappingView",
                 "MutableMapping", "MutableSequence", "MutableSet",
                 "Sequence", "Set", "Sized", "ValuesView")})

# The first names of the table's keys: the modules whose names the
# rewriter follows in a program.
ROOTS = frozenset(key.split(".")[0] for key in TABLE)

# Methods renamed on every object that has them: NumPy 2 removed
# `ndarray.tostring()` (`tobytes()` is the same bytes; Pillow and `array`
# spell it the same), and Python 3 dicts have `items()` where Python 2 had
# `iteritems()`. Rewritten only as calls with no arguments.
METHODS = {
    "tostring": "tobytes",
    "iteritems": "items",
    "itervalues": "values",
    "iterkeys": "keys",
}

# Python 2 builtins, rewritten where the file itself never binds the name.
BUILTINS = {
    "xrange": "range",
    "unicode": "str",
    "basestring": "str",
}
