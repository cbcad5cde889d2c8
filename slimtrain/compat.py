"""Makes the PyPI tf-slim 1.1.0 work on TensorFlow 2.16-2.21 and NumPy 2.

tf-slim 1.1.0 (2020) reaches into TensorFlow internals that have since moved,
and into NumPy behaviour that NumPy 2 removed. This module puts each missing
piece back where tf-slim looks for it, without editing any installed file:

- names that moved inside TensorFlow are re-attached to their old modules
  (only where the old name is really missing, so a TensorFlow that still has
  them is left exactly as it is);
- `slim.batch_norm`'s legacy Keras layer is found in tf_keras when that is
  installed, and otherwise the calls that needed it are routed to tf-slim's
  own batch-norm kernels, which make the same variables and update ops
  (docs/COMPAT.md lists what still differs);
- `assign_from_checkpoint` is replaced by a version that slices partitioned
  variables with a tuple, as NumPy 2 requires;
- the Supervisor's service threads (summaries, steps/sec, timed checkpoints),
  which `slim.learning.train` starts, run inside the session's graph, so they
  work while eager execution, TensorFlow 2's default, is on.

One patch is applied only while the trainer asks for it:
`supervisor_graph_in_binary` has the Supervisor write its graph in binary
instead of as text.

`install()` runs when `slimtrain` (or `nets`) is imported: it applies the
patches (`apply()`) as soon as `tf_slim` is imported, or at once if it
already is, so importing slimtrain does not import TensorFlow itself.
`apply()` is idempotent and safe to call after tf_slim has already been
used: every patch is looked up by tf-slim at call time.

May import: nothing of slimtrain.
"""

import contextlib
import functools
import importlib
import importlib.abc
import importlib.util
import inspect
import sys
import types

_applied = False


def install():
    """Arranges for `apply()` to run once tf_slim is imported (now, if it is).

    A finder first in `sys.meta_path` catches the first import of tf_slim,
    lets Python's own finders locate it, and runs `apply()` right after
    tf_slim's package has executed, before any caller can use it. It then
    removes itself.
    """
    if _applied:
        return
    if "tf_slim" in sys.modules:
        apply()
    elif not any(isinstance(finder, _ApplyAfterTfSlim)
                 for finder in sys.meta_path):
        sys.meta_path.insert(0, _ApplyAfterTfSlim())


class _ApplyAfterTfSlim(importlib.abc.MetaPathFinder):
    """The finder of `install()`: finds tf_slim as Python would, with a
    loader that runs `apply()` after the package has executed."""

    # Set while this finder asks Python's own finders (which includes it).
    _looking = False

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "tf_slim" or self._looking:
            return None
        # The finder stays in place until tf_slim has executed: a lookup
        # that loads nothing (importlib.util.find_spec) must not use it up.
        self._looking = True
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._looking = False
        if spec is not None and spec.loader is not None:
            spec.loader = _ApplyingLoader(spec.loader, self)
        return spec


class _ApplyingLoader(importlib.abc.Loader):
    """Wraps tf_slim's loader: executes the package, removes the finder,
    then runs `apply()`."""

    def __init__(self, loader, finder):
        self._loader = loader
        self._finder = finder

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        apply()

    def __getattr__(self, name):  # the wrapped loader's other methods
        return getattr(self._loader, name)

# (module, name tf-slim uses, module where TensorFlow keeps it now, its name
#  there). Each row names a breakage seen with TensorFlow 2.21.
_MOVED_NAMES = (
    # L1: `ops.Tensor` left framework/ops.py (TF 2.14). Used by
    # layers/utils.py smart_cond (so every fused batch_norm),
    # layers/optimizers.py, learning.py (gradient multipliers), rev_block_lib.
    ("tensorflow.python.framework.ops", "Tensor",
     "tensorflow.python.framework.tensor", "Tensor"),
    # L2: `ops.IndexedSlices` moved to framework/indexed_slices.py. Used by
    # learning.py and training/training.py (clip_gradient_norm,
    # summarize_gradients, multiply_gradients) and layers/optimizers.py.
    ("tensorflow.python.framework.ops", "IndexedSlices",
     "tensorflow.python.framework.indexed_slices", "IndexedSlices"),
    # L3: `array_ops.stack` / `unstack` moved to array_ops_stack.py. Used by
    # metrics/metric_ops.py, data/tfexample_decoder.py and layers/layers.py.
    ("tensorflow.python.ops.array_ops", "stack",
     "tensorflow.python.ops.array_ops_stack", "stack"),
    ("tensorflow.python.ops.array_ops", "unstack",
     "tensorflow.python.ops.array_ops_stack", "unstack"),
    # L4: control_flow_ops was split into one module per construct. Used by
    # data/tfexample_decoder.py (every image decode), metrics, histogram_ops,
    # losses/metric_learning.py and layers/utils.py.
    ("tensorflow.python.ops.control_flow_ops", "cond",
     "tensorflow.python.ops.cond", "cond"),
    ("tensorflow.python.ops.control_flow_ops", "case",
     "tensorflow.python.ops.control_flow_case", "case"),
    ("tensorflow.python.ops.control_flow_ops", "Assert",
     "tensorflow.python.ops.control_flow_assert", "Assert"),
    ("tensorflow.python.ops.control_flow_ops", "while_loop",
     "tensorflow.python.ops.while_loop", "while_loop"),
    # L5: `variable_scope.variable` is gone; `tf.compat.v1.Variable`
    # (VariableV1) takes the same arguments. Used by ops/variables.py
    # local_variable / global_variable (`slim.local_variable`, ...).
    ("tensorflow.python.ops.variable_scope", "variable",
     "tensorflow.python.ops.variable_v1", "VariableV1"),
)

# The names TensorFlow's `tensorflow.python.layers.normalization` forwards to
# the legacy Keras layers module (L6).
_LEGACY_NORMALIZATION_NAMES = (
    "BatchNormalization", "BatchNorm", "batch_normalization", "batch_norm")

# Collection that receives, and then loses, the moving-average updates of a
# batch norm built with `trainable=False` when it is routed around Keras (L6).
_DISCARDED_UPDATES = "slimtrain_discarded_batch_norm_updates"

_KERAS_ADVICE = (
    "slim.batch_norm with renorm or adjustment needs the legacy Keras "
    "BatchNormalization layer, which TensorFlow >= 2.16 provides only through "
    "tf_keras: install it with `pip install tf_keras`.")


def apply():
    """Applies every patch once; later calls do nothing."""
    global _applied
    if _applied:
        return
    _restore_moved_names()
    _provide_legacy_batch_norm()
    _fix_partitioned_checkpoint_assign()
    _run_supervisor_threads_in_graph()
    _accept_nested_eval_ops()
    _restore_documented_names()
    _applied = True


def _restore_moved_names():
    """Fixes L1-L5: re-attaches each moved name where it is missing."""
    for old_module, old_name, new_module, new_name in _MOVED_NAMES:
        module = importlib.import_module(old_module)
        if not hasattr(module, old_name):
            moved_to = importlib.import_module(new_module)
            setattr(module, old_name, getattr(moved_to, new_name))


def _legacy_batch_norm_layer():
    """Returns the legacy Keras BatchNormalization class, or None.

    L6: tf_slim's batch_norm builds `tensorflow.python.layers.normalization.
    BatchNormalization` whenever it cannot use its own fused kernel (rank 4
    with default arguments included). TensorFlow 2.16+ forwards that name to
    `tf_keras.legacy_tf_layers`, a path tf_keras does not have (it keeps the
    layer in `tf_keras.src.legacy_tf_layers`); without tf_keras it is gone.
    With tf_keras, every name that module forwards is pointed at tf_keras.
    """
    from tensorflow.python.layers import normalization
    try:
        return normalization.BatchNormalization
    except ImportError:
        pass
    try:
        keras_layers = importlib.import_module(
            "tf_keras.src.legacy_tf_layers.normalization")
    except ImportError:
        return None
    for name in _LEGACY_NORMALIZATION_NAMES:
        setattr(normalization, name, getattr(keras_layers, name))
    return keras_layers.BatchNormalization


def _provide_legacy_batch_norm():
    """Fixes L6: points batch_norm at tf_keras, or routes it around Keras."""
    if _legacy_batch_norm_layer() is not None:
        return
    from tensorflow.python.framework import ops
    from tf_slim.layers import layers

    public = layers.batch_norm
    # add_arg_scope wraps batch_norm in a closure that merges the arg_scope
    # arguments and then calls the undecorated function held in the cell
    # `func`. Replacing that cell's content keeps the public object (and so
    # every arg_scope keyed on it, and every module that imported it) intact.
    cell = public.__closure__[public.__code__.co_freevars.index("func")]
    undecorated = cell.cell_contents
    if getattr(undecorated, "_slimtrain_reroute", False):
        return
    signature = inspect.signature(undecorated)

    def batch_norm(*args, **kwargs):
        arguments = signature.bind(*args, **kwargs)
        arguments.apply_defaults()
        call = arguments.arguments
        needs_keras_layer = (
            call["updates_collections"] is ops.GraphKeys.UPDATE_OPS and
            call["batch_weights"] is None and
            not call["zero_debias_moving_mean"])
        if needs_keras_layer:
            if call["renorm"] or call["adjustment"] is not None:
                raise ImportError(_KERAS_ADVICE)
            return _build_without_keras(undecorated, call)
        return undecorated(**call)

    batch_norm._slimtrain_reroute = True
    batch_norm.__doc__ = undecorated.__doc__
    # The closure looks up arg_scope arguments under the key of the function
    # in the cell, computed at call time: the replacement must carry the
    # original's key, or every `arg_scope([slim.batch_norm], ...)` (such as
    # `is_training=False` in the nets' scopes) would silently be ignored.
    batch_norm._key_op = public._key_op  # pylint: disable=protected-access
    cell.cell_contents = batch_norm


def _build_without_keras(batch_norm, call):
    """Builds with tf-slim's own kernels what the Keras layer built (L6).

    A collection equal to UPDATE_OPS that is not the default string object
    makes tf_slim take its fused kernel (ranks 2 and 4 when fused) or its
    moments-based kernel (other ranks, fused=False). Both create
    beta/gamma/moving_mean/moving_variance under the same scope and put their
    moving-average updates into UPDATE_OPS, as the Keras layer did. Two
    differences from the Keras layer are evened out here:

    - a non-trainable Keras layer reports no updates (`Layer.updates` skips
      it), so its moving statistics never moved, while in training it still
      normalised with the batch statistics. tf-slim's kernels always create
      the updates: they go to a scratch collection, which is then cleared;
    - the moments-based kernel ignores `param_regularizers`. When the kernel
      added no regularization loss, one is added for each beta and gamma it
      created, as `get_variable` does (colocated, under
      `<variable>/Regularizer/`); a reused layer creates none, and adds none.
    """
    from tensorflow.python.framework import ops

    graph = ops.get_default_graph()
    variables_before = len(graph.get_collection(ops.GraphKeys.GLOBAL_VARIABLES))
    losses_before = len(
        graph.get_collection(ops.GraphKeys.REGULARIZATION_LOSSES))
    if call["trainable"]:
        call["updates_collections"] = [ops.GraphKeys.UPDATE_OPS]
        outputs = batch_norm(**call)
    else:
        call["updates_collections"] = [_DISCARDED_UPDATES]
        try:
            outputs = batch_norm(**call)
        finally:
            graph.clear_collection(_DISCARDED_UPDATES)

    regularizers = {name: regularizer for name, regularizer in
                    (call["param_regularizers"] or {}).items()
                    if name in ("beta", "gamma") and regularizer is not None}
    losses = graph.get_collection(ops.GraphKeys.REGULARIZATION_LOSSES)
    if regularizers and len(losses) == losses_before:
        created = graph.get_collection(
            ops.GraphKeys.GLOBAL_VARIABLES)[variables_before:]
        for variable in created:
            regularizer = regularizers.get(variable.op.name.rsplit("/", 1)[-1])
            if regularizer is None:
                continue
            with ops.colocate_with(variable), ops.name_scope(
                    variable.op.name + "/Regularizer/"):
                loss = regularizer(variable)
            if loss is not None:
                ops.add_to_collection(ops.GraphKeys.REGULARIZATION_LOSSES, loss)
    return outputs


def _fix_partitioned_checkpoint_assign():
    """Fixes L7 by replacing `assign_from_checkpoint` wherever tf_slim exports it.

    tf_slim 1.1.0 slices a checkpoint value for a partitioned variable with a
    list of `slice` objects; NumPy >= 1.23 rejects that (it needs a tuple).
    TensorFlow 2.21 requires NumPy >= 1.26, so the replacement is unconditional.
    """
    import sys

    from tf_slim.ops import variables

    broken = variables.assign_from_checkpoint
    if getattr(broken, "_slimtrain_fixed", False):
        return
    for name, module in list(sys.modules.items()):
        if (name == "tf_slim" or name.startswith("tf_slim.")) and (
                getattr(module, "assign_from_checkpoint", None) is broken):
            module.assign_from_checkpoint = assign_from_checkpoint


def _run_supervisor_threads_in_graph():
    """Fixes L8: makes `slim.learning.train` work with eager execution on.

    `slim.learning.train` runs a `tf.compat.v1.train.Supervisor`, whose
    service threads (summaries, global_step/sec, timed checkpoints) use the
    session from a new thread. The default graph is per thread, so with eager
    execution enabled (TensorFlow 2's default) those threads run eagerly even
    though the session's graph was built inside `tf.Graph().as_default()`:
    `training_util.global_step` calls `.numpy()` on the graph's global step
    and `Saver.save` refuses graph variables, and `learning.train` raises that
    error when it stops the Supervisor. Running each thread inside its
    session's graph gives them the graph mode they had in TensorFlow 1; with
    eager execution disabled nothing changes, as these threads build no ops.
    """
    from tensorflow.python.training import supervisor

    for thread_class in (supervisor.SVSummaryThread,
                         supervisor.SVStepCounterThread,
                         supervisor.SVTimerCheckpointThread):
        if not getattr(thread_class.run, "_slimtrain_in_graph", False):
            thread_class.run = _in_session_graph(thread_class.run)


def _in_session_graph(run):
    """Wraps a Supervisor thread's `run` to execute in its session's graph."""

    @functools.wraps(run)
    def run_in_session_graph(self):
        with self._sess.graph.as_default():  # pylint: disable=protected-access
            run(self)

    run_in_session_graph._slimtrain_in_graph = True
    return run_in_session_graph


@contextlib.contextmanager
def supervisor_graph_in_binary(filename):
    """While in use, a chief Supervisor writes its graph in binary.

    At the start of a run, the Supervisor of `slim.learning.train` writes
    the whole graph into its logdir as graph.pbtxt, formatted as text in
    Python: megabytes and seconds before the first step for a deep network
    such as resnet_v1_152. Here it writes `filename` instead: the same
    GraphDef, shapes included, in binary, taken from the meta graph the
    Supervisor built when it was made (the graph is final by then), which
    needs no formatting. The events file gets the graph and the meta graph
    as before.
    """
    from tensorflow.python.framework import graph_io
    from tensorflow.python.training import supervisor

    original = supervisor.Supervisor._write_graph

    def write_graph(sv):
        # pylint: disable=protected-access
        if sv._logdir:
            graph_io.write_graph(sv._meta_graph_def.graph_def, sv._logdir,
                                 filename, as_text=False)
        if sv._summary_writer and not sv._graph_added_to_summary:
            sv._summary_writer.add_graph(sv._graph)
            sv._summary_writer.add_meta_graph(sv._meta_graph_def)
            sv._graph_added_to_summary = True

    supervisor.Supervisor._write_graph = write_graph
    try:
        yield
    finally:
        supervisor.Supervisor._write_graph = original


# What `eval_op` may hold in TF 1 programs and session.run does not take.
_DICT_VIEWS = (type({}.keys()), type({}.values()), type({}.items()))


def _accept_nested_eval_ops():
    """Fixes L9: `eval_op` / `final_op` as dict views and nestings.

    tf-slim's own docstring passes `eval_op=names_to_updates.values()` to
    `slim.evaluation.evaluate_once`, as TF 1 programs did; TensorFlow 2.21
    puts `eval_op` under `control_dependencies`, which takes neither a dict
    view nor a nested list ("Can not convert a dict_values into a Tensor or
    Operation"), and `session.run` takes no dict view for `final_op`. Both
    functions get their ops with dict views made lists; `eval_op`, whose
    values are never returned, is also flattened.
    """
    from tf_slim import evaluation

    for name in ("evaluate_once", "evaluation_loop"):
        function = getattr(evaluation, name)
        if not getattr(function, "_slimtrain_nested_ops", False):
            setattr(evaluation, name, _with_plain_fetches(function))


def _with_plain_fetches(function):
    """Wraps an evaluation function to normalise its eval_op and final_op."""
    signature = inspect.signature(function)

    @functools.wraps(function)
    def with_plain_fetches(*args, **kwargs):
        call = signature.bind(*args, **kwargs)
        if call.arguments.get("eval_op") is not None:
            call.arguments["eval_op"] = _flat_ops(call.arguments["eval_op"])
        if call.arguments.get("final_op") is not None:
            call.arguments["final_op"] = plain_fetches(
                call.arguments["final_op"])
        return function(*call.args, **call.kwargs)

    with_plain_fetches._slimtrain_nested_ops = True
    return with_plain_fetches


def plain_fetches(ops):
    """`ops` with every dict view (keys, values, items) made a list, at any
    depth of lists, tuples (named ones too) and dicts: what session.run
    fetches. (slimtrain.legacy uses it for session.run itself.)"""
    if isinstance(ops, _DICT_VIEWS + (list,)):
        return [plain_fetches(op) for op in ops]
    if isinstance(ops, dict):
        return {key: plain_fetches(op) for key, op in ops.items()}
    if isinstance(ops, tuple):
        items = [plain_fetches(op) for op in ops]
        return type(ops)(*items) if hasattr(ops, "_fields") else tuple(items)
    return ops


def _flat_ops(ops):
    """`plain_fetches(ops)` as one flat list (dict values in key order)."""
    import tensorflow as tf

    return tf.nest.flatten(plain_fetches(ops))


def _restore_documented_names():
    """Fixes L10: names tf-slim still documents that 1.1.0 no longer has.

    - `slim.evaluation.evaluation(sess, num_evals, ..., eval_op, final_op,
      summary_op, ...)`, the single evaluation pass of TF 1's slim (research/
      slim's walkthrough calls it): in 1.1.0 `slim.evaluation.evaluation` is
      the `tf_slim.training.evaluation` module. That module is made callable
      with the old function; its attributes stay as they are.
    - `slim.losses.sum_of_squares`, the name the README uses for what TF 1.0
      renamed `mean_squared_error` (same arguments and result).
    - `slim.evaluate_once` and `slim.evaluation_loop`, as the
      `slim.evaluation` module docstring calls them.
    """
    import tf_slim
    from tf_slim import evaluation, losses

    module = evaluation.evaluation
    if not isinstance(module, _CallableEvaluationModule):
        module.__class__ = _CallableEvaluationModule
    if not hasattr(losses, "sum_of_squares"):
        losses.sum_of_squares = losses.mean_squared_error
    for name in ("evaluate_once", "evaluation_loop"):
        if not hasattr(tf_slim, name):
            setattr(tf_slim, name, getattr(evaluation, name))


class _CallableEvaluationModule(types.ModuleType):
    """`tf_slim.training.evaluation`, callable as TF 1's
    `slim.evaluation.evaluation` (L10)."""

    def __call__(self, sess, num_evals=1, initial_op=None,
                 initial_op_feed_dict=None, eval_op=None,
                 eval_op_feed_dict=None, final_op=None,
                 final_op_feed_dict=None, summary_op=None,
                 summary_op_feed_dict=None, summary_writer=None,
                 global_step=None):
        """Runs one evaluation pass in `sess` (TF 1's slim.evaluation).

        Runs `initial_op`, then `eval_op` `num_evals` times, then
        `final_op`, whose value it returns (None without one); then, if
        given, `summary_op`, written by `summary_writer` at the global step
        (`global_step`, or the graph's).
        """
        import tensorflow.compat.v1 as tf

        if initial_op is not None:
            sess.run(initial_op, initial_op_feed_dict)
        if eval_op is not None:
            eval_op = _flat_ops(eval_op)
            for _ in range(int(num_evals)):
                sess.run(eval_op, eval_op_feed_dict)
        final_value = None
        if final_op is not None:
            final_value = sess.run(plain_fetches(final_op),
                                   final_op_feed_dict)
        if summary_op is not None:
            if global_step is None:
                global_step = tf.train.get_or_create_global_step()
            step = tf.train.global_step(sess, global_step)
            summary = sess.run(summary_op, summary_op_feed_dict)
            if summary_writer is not None:
                summary_writer.add_summary(summary, step)
                summary_writer.flush()
        return final_value


def assign_from_checkpoint(model_path, var_list, ignore_missing_vars=False):
    """Creates an op and feed dict that assign `var_list` from a checkpoint.

    Same contract as `tf_slim.assign_from_checkpoint` 1.1.0: `var_list` is a
    list of (possibly partitioned) variables, or a dict from checkpoint names
    to a variable or a list of partition variables. Returns
    `(assign_op, feed_dict)`. Missing names raise ValueError unless
    `ignore_missing_vars`, in which case they are logged and skipped.
    """
    import tensorflow.compat.v1 as tf
    from tf_slim.ops.variables import get_variable_full_name

    if isinstance(var_list, (tuple, list)):
        grouped = {}
        for var in var_list:
            grouped.setdefault(get_variable_full_name(var), []).append(var)
    else:
        grouped = {name: list(value) if isinstance(value, (tuple, list))
                   else [value] for name, value in var_list.items()}

    reader = tf.train.NewCheckpointReader(model_path)
    feed_dict = {}
    assign_ops = []
    for ckpt_name, variables_for_name in grouped.items():
        if not reader.has_tensor(ckpt_name):
            message = "Checkpoint is missing variable [%s]" % ckpt_name
            if not ignore_missing_vars:
                raise ValueError(message)
            tf.logging.warning(message)
            continue
        value = reader.get_tensor(ckpt_name)
        for var in variables_for_name:
            placeholder = tf.placeholder(
                dtype=var.dtype.base_dtype, shape=var.get_shape(),
                name="placeholder/" + var.op.name)
            assign_ops.append(var.assign(placeholder))
            slice_info = var._save_slice_info  # pylint: disable=protected-access
            if slice_info:
                part = tuple(slice(start, start + size) for start, size in
                             zip(slice_info.var_offset, slice_info.var_shape))
                feed_dict[placeholder] = value[part].reshape(slice_info.var_shape)
            else:
                if var.get_shape() != value.shape:
                    raise ValueError(
                        "Total size of new array must be unchanged for %s "
                        "lh_shape: [%s], rh_shape: [%s]" %
                        (ckpt_name, value.shape, var.get_shape()))
                feed_dict[placeholder] = value
    return tf.group(*assign_ops), feed_dict


assign_from_checkpoint._slimtrain_fixed = True
