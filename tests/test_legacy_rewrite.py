"""Tests for slimtrain.legacy's source rewriting and its mapping table.

In-process and fast: `rewrite` on TF 1.x-style snippets (each import
spelling of tensorflow.contrib, TF 1 names, NumPy's removed aliases,
Python 2 methods and builtins, what cannot be mapped), the table checked
entry by entry against the installed TensorFlow and tf-slim, the
`tensorflow.contrib` stand-ins, notebooks' IPython lines, and
`tf.layers.batch_normalization` with tf_keras (the programs in
tests/test_legacy_programs.py run everything again without it).
"""

import ast
import os
import textwrap

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim

import slimtrain  # noqa: F401  (applies slimtrain.compat)
from slimtrain.legacy import (
    mapping,
    names,
    notebook,
    references,
    rewrite,
    stand_ins,
    unavailable,
)
from tests.conftest import REPO


def _rewritten(source, **kwargs):
    return rewrite.rewrite(textwrap.dedent(source), **kwargs)


IMPORTS = {
    "import tensorflow as tf":
        "import tensorflow.compat.v1 as tf",
    "import tensorflow":
        "import tensorflow.compat.v1 as tensorflow",
    "import tensorflow.compat.v1 as tf":
        "import tensorflow.compat.v1 as tf",
    "import os, tensorflow as tf":
        "import os, tensorflow.compat.v1 as tf",
    "import tensorflow.contrib.slim as slim":
        "import tf_slim as slim",
    "from tensorflow.contrib import slim":
        "import tf_slim as slim",
    "from tensorflow.contrib import slim as s, layers":
        "import tf_slim as s; from slimtrain.legacy.contrib import layers",
    "from tensorflow.contrib.framework import arg_scope, add_arg_scope":
        "from tf_slim import arg_scope, add_arg_scope",
    "from tensorflow.contrib.framework.python.ops import arg_scope":
        "from tf_slim import arg_scope_lib as arg_scope",
    "from tensorflow.contrib import framework as contrib_framework":
        "from slimtrain.legacy.contrib import framework as contrib_framework",
    "from tensorflow.contrib.layers import xavier_initializer":
        "from tf_slim import xavier_initializer",
    "from tensorflow.contrib.training import HParams":
        "from slimtrain.legacy.hparams import HParams",
    "from tensorflow.contrib import training as contrib_training":
        "from slimtrain.legacy.contrib import training as contrib_training",
    "from tensorflow.contrib.metrics import streaming_accuracy":
        "from tf_slim.metrics import streaming_accuracy",
    "from tensorflow.contrib import quantize as contrib_quantize":
        "from slimtrain.compute.quantize import contrib_api as "
        "contrib_quantize",
    "from tensorflow.contrib.slim.nets import vgg, resnet_v1":
        "from tf_slim.nets import vgg, resnet_v1",
    "from tensorflow.python.framework import graph_util":
        "from tensorflow.python.framework import graph_util",
    "from tensorflow.contrib.slim.python.slim.learning import train":
        "from tf_slim.learning import train",
    "from tensorflow.contrib.slim import *":
        "from tf_slim import *",
    "from tensorflow import placeholder":
        "from tensorflow.compat.v1 import placeholder",
    "import tf_slim as slim": "import tf_slim as slim",
    "import cPickle": "import pickle as cPickle",
    "import cPickle as pickle": "import pickle",
    "from StringIO import StringIO": "from io import StringIO",
    "from collections import Mapping": "from collections.abc import Mapping",
    "import urllib2": "from urllib import request as urllib2",
    "import os, time": "import os, time",
    "import numpy as np": "import numpy as np",
    "from tensorflow.python.ops import control_flow_ops":
        "from tensorflow.python.ops import control_flow_ops",
}


@pytest.mark.parametrize("original", sorted(IMPORTS))
def test_import_spellings(original):
    result = _rewritten(original + "  # kept\n")
    assert result.text == IMPORTS[original] + "  # kept\n"
    assert not result.unmapped


CHAINS = {
    "x = tf.contrib.slim.conv2d": "x = tf_slim.conv2d",
    "x = tf.contrib.framework.get_variables_to_restore()":
        "x = tf_slim.get_variables_to_restore()",
    "x = tf.contrib.layers.l2_regularizer(0.1)":
        "x = tf_slim.l2_regularizer(0.1)",
    "x = tf.contrib.training.HParams(a=1)":
        "x = slimtrain.legacy.hparams.HParams(a=1)",
    "x = tf.contrib.metrics.confusion_matrix":
        "x = tf.math.confusion_matrix",
    "x = tf.contrib.rnn.LSTMCell(4)":
        "x = slimtrain.legacy.rnn_cell.LSTMCell(4)",
    "x = tf.contrib.data.TFRecordDataset": "x = tf.data.TFRecordDataset",
    "x = tf.layers.dense": "x = slimtrain.legacy.layers.dense",
    "x = tf.compat.v1.layers.dropout": "x = slimtrain.legacy.layers.dropout",
    "x = tf.nn.rnn_cell.GRUCell": "x = slimtrain.legacy.rnn_cell.GRUCell",
    "x = tf.scalar_summary": "x = tf.summary.scalar",
    "x = variables.Variable(0, collections=[])":
        "x = tensorflow.compat.v1.Variable(0, collections=[])",
    "x = tf.placeholder(tf.float32)": "x = tf.placeholder(tf.float32)",
    "x = tf.GraphKeys.UPDATE_OPS": "x = tf.GraphKeys.UPDATE_OPS",
    "x = np.int(3) + np.float_(1)": "x = int(3) + np.float64(1)",
    "x = np.zeros(3, np.float)": "x = np.zeros(3, float)",
    "x = (np.NaN, np.product, np.bool)": "x = (np.nan, np.prod, np.bool)",
    "x = a.tostring()": "x = a.tobytes()",
    "x = a.tostring(order='C')": "x = a.tostring(order='C')",
    "x = d.iteritems()": "x = d.items()",
    "x = xrange(3)": "x = range(3)",
    "np.float = float": "np.float = float",
    "x = time.clock()": "x = time.perf_counter()",
    "x = collections.Iterable": "x = collections.abc.Iterable",
    "x = itertools.izip(a, b)": "x = zip(a, b)",
}


@pytest.mark.parametrize("original", sorted(CHAINS))
def test_chains_rewritten_in_place(original):
    header = ("import numpy as np\nimport tensorflow.compat.v1 as tf\n"
              "from tensorflow.python.ops import variables\n"
              "import collections, itertools, time\n")
    result = _rewritten(header + original + "  # comment\n")
    assert result.text == header + CHAINS[original] + "  # comment\n"
    ast.parse(result.text)


def test_aliases_of_contrib_modules_are_followed():
    result = _rewritten("""\
        import tensorflow as tf
        slim = tf.contrib.slim
        layers = tf.contrib.layers
        net = slim.nets.vgg.vgg_16
        init = layers.xavier_initializer()
        scope = slim.arg_scope
        """)
    assert result.text.splitlines()[1:] == [
        "slim = tf_slim", "layers = slimtrain.legacy.contrib.layers",
        "net = tf_slim.nets.vgg.vgg_16",
        "init = tf_slim.xavier_initializer()", "scope = slim.arg_scope"]
    assert sorted(needed.module for needed in result.imports) == [
        "slimtrain.legacy.contrib.layers", "tf_slim", "tf_slim.nets"]


def test_python2_builtins_only_where_the_file_does_not_bind_them():
    assert _rewritten("unicode = str\nx = unicode(3)\n").text == (
        "unicode = str\nx = unicode(3)\n")
    assert _rewritten("x = unicode(3)\n").text == "x = str(3)\n"


def test_unmapped_names_are_listed_and_left_alone():
    source = textwrap.dedent("""\
        import tensorflow as tf
        from tensorflow.examples.tutorials.mnist import input_data
        e = tf.contrib.learn.Experiment
        s = tf.estimator.Estimator
        x = tf.no_such_name_anywhere
        y = tf.contrib.framework.no_such_member
        """)
    result = rewrite.rewrite(source)
    assert result.text.splitlines()[1:] == source.splitlines()[1:]
    assert [(note.line, note.api) for note in result.unmapped] == [
        (2, "tf.examples"), (3, "tf.contrib.learn"), (4, "tf.estimator"),
        (5, "tf.no_such_name_anywhere"),
        (6, "tf.contrib.framework.no_such_member")]
    assert "tf_slim.learning.train" in result.unmapped[1].advice


def test_multiline_import_keeps_the_lines_of_what_follows():
    source = textwrap.dedent("""\
        def f():
            from tensorflow.contrib.slim.nets import (vgg,
                                                      resnet_v1)
            return tf.placeholder
        """)
    kept = rewrite.rewrite(source)
    assert kept.text.splitlines()[3] == "    return tf.placeholder"
    assert kept.text.count("\n") == source.count("\n")
    ast.parse(kept.text)
    joined = rewrite.rewrite(source, keep_lines=False)
    assert joined.text.splitlines()[1] == (
        "    from tf_slim.nets import vgg, resnet_v1")


def test_with_imports_puts_them_after_docstring_and_future_imports():
    result = _rewritten('''\
        #!/usr/bin/env python
        """Doc."""
        from __future__ import print_function
        import tensorflow as tf
        x = tf.contrib.slim.conv2d
        ''')
    assert result.with_imports().splitlines()[:5] == [
        "#!/usr/bin/env python", '"""Doc."""',
        "from __future__ import print_function", "import tf_slim",
        "import tensorflow.compat.v1 as tf"]


def test_bindings_carry_over_between_cells():
    first = rewrite.rewrite("import tensorflow as tf\n")
    second = rewrite.rewrite("slim = tf.contrib.slim\n",
                             known=first.bindings)
    assert second.text == "slim = tf_slim\n"


def test_python2_source_raises_syntax_error():
    with pytest.raises(SyntaxError):
        rewrite.rewrite("print 'hello'\n")


@pytest.mark.parametrize("key", sorted(
    key for key, row in mapping.TABLE.items()
    if isinstance(row, mapping.Moved)))
def test_every_moved_target_exists_and_is_reachable(key):
    target = mapping.TABLE[key].target
    wanted = names.lookup(target)
    if not target.startswith("builtins."):
        scope = {}
        text, needed = references.expression(target)
        if needed is not None:
            name, value = references.bind(needed)
            scope[name] = value
        assert eval(text, scope) is wanted  # pylint: disable=eval-used
        alias = key.split(".")[-1]
        exec(references.import_statement(target, alias), scope)
        assert scope[alias] is wanted


@pytest.mark.parametrize("key", sorted(
    key for key, row in mapping.TABLE.items()
    if isinstance(row, mapping.Namespace)))
def test_every_namespace_has_its_stand_in_and_search_modules(key):
    row = mapping.TABLE[key]
    home = names.lookup(row.home)
    for module in row.search:
        assert dir(names.lookup(module))
    for member in stand_ins.public_members(key)[:50]:
        if names.target_of(key + "." + member) is not None:
            assert getattr(home, member) is not None


def test_docs_name_every_row_of_the_table():
    with open(os.path.join(REPO, "docs", "LEGACY.md"), encoding="utf-8") as doc:
        text = doc.read()
    for key in mapping.TABLE:
        assert "`%s`" % key in text or "`%s`" % names.spelling(key) in text, key


def test_stand_ins_raise_one_line_errors():
    from slimtrain.legacy.contrib import framework

    assert framework.arg_scope is tf_slim.arg_scope
    assert not hasattr(framework, "no_such_member")
    with pytest.raises(unavailable.LegacyAttributeError) as error:
        _ = framework.no_such_member
    assert str(error.value).startswith(
        "tf.contrib.framework.no_such_member is not available: ")
    with pytest.raises(unavailable.LegacyImportError):
        stand_ins.module_for("tensorflow.contrib.learn")
    assert stand_ins.module_for("tensorflow.contrib.slim") is tf_slim


def test_notebook_lines_round_trip():
    cell = "import x\n%matplotlib inline\nprint('%d'\n      % 3)\n!ls\n"
    python = notebook.python_form(cell)
    assert python.splitlines()[1] == "pass  # %matplotlib inline"
    assert python.splitlines()[3] == "      % 3)"
    ast.parse(python)
    assert notebook.restore_magics(python) == cell.rstrip("\n")
    assert notebook.python_form("%%bash\nls\n") is None
    assert notebook.python_form("%%time\nx = 1\n").splitlines()[1] == "x = 1"


def test_tf_layers_batch_normalization_matches_the_layer():
    """With tf_keras installed it is TF 1's layer; the programs check the
    same calls without it."""
    from slimtrain.legacy import layers

    data = np.random.RandomState(0).rand(4, 3, 3, 2).astype(np.float32)
    with tf.Graph().as_default():
        outputs = layers.batch_normalization(tf.constant(data), training=True,
                                             momentum=0.5)
        names_made = sorted(v.op.name for v in tf.global_variables())
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            values, _ = sess.run([outputs,
                                  tf.get_collection(tf.GraphKeys.UPDATE_OPS)])
    assert names_made == [
        "batch_normalization/beta", "batch_normalization/gamma",
        "batch_normalization/moving_mean",
        "batch_normalization/moving_variance"]
    expected = (data - data.mean((0, 1, 2))) / np.sqrt(
        data.var((0, 1, 2)) + 1e-3)
    np.testing.assert_allclose(values, expected, atol=1e-4)
