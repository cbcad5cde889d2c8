"""Reading a checkpoint: which one a path names, and how it fits a graph.

- `resolve_checkpoint(path)`: the checkpoint a prefix or a directory names
  (a directory's newest complete one, `checkpoint_files.newest_complete`);
- `global_step_of`, `read_shapes`: what a checkpoint holds;
- `compare_with_checkpoint`: which variables of a graph it holds, lacks,
  or holds with other shapes, and `describe_misfit` etc. to say so in one
  line;
- `variables_to_restore(moving_average_decay)`: what an evaluation or an
  export restores (the moving averages when the run kept them).

Everything is checked by name and shape before anything runs, so a
checkpoint that does not fit is one ConfigError naming the variables, not
a half-restored model (tensorflow/models#386, #619, #5556).
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim

from slimtrain.errors import ConfigError
from slimtrain.rundir import checkpoint_files

_NAMES_SHOWN = 5


def resolve_checkpoint(path, flag="--checkpoint_path"):
    """Returns the checkpoint prefix for a file prefix or a directory.

    A directory's checkpoints are found by their files: its newest complete
    one is used, after one warning naming newer ones that are torn
    (`checkpoint_files.newest_complete`). A directory with no `model.ckpt-N`
    checkpoint falls back to the one its state file names, if complete.

    Raises:
      ConfigError: the directory holds no complete checkpoint, or the
        prefix is not a checkpoint or cannot be restored.
    """
    if tf.gfile.IsDirectory(path):
        newest = checkpoint_files.newest_complete(path)
        if newest is None:
            # A checkpoint saved without a step in its name (a model-zoo
            # folder with a state file, a Saver called without global_step)
            # is found by the state file alone.
            named = tf.train.latest_checkpoint(path)
            if named and checkpoint_files.checkpoint_problem(named) is None:
                newest = named
        if newest is None:
            raise ConfigError("%s=%s holds no checkpoint that can be "
                              "restored: point it at a train dir with "
                              "checkpoints or at a checkpoint prefix such as "
                              "model.ckpt-1000." % (flag, path))
        return newest
    if not tf.train.checkpoint_exists(path):
        raise ConfigError("%s=%s is not a checkpoint: give a checkpoint prefix "
                          "(model.ckpt-1000, without .index) or its directory."
                          % (flag, path))
    problem = checkpoint_files.checkpoint_problem(path)
    if problem:
        raise ConfigError("%s=%s cannot be restored (%s): use another "
                          "checkpoint, e.g. its directory, whose newest "
                          "complete one is then used." % (flag, path, problem))
    return path


def global_step_of(checkpoint):
    """The global step `checkpoint` was saved at (0 if it holds none)."""
    reader = tf.train.NewCheckpointReader(checkpoint)
    key = tf.GraphKeys.GLOBAL_STEP
    return int(reader.get_tensor(key)) if reader.has_tensor(key) else 0


def read_shapes(checkpoint, flag="--checkpoint_path"):
    """Maps each variable name in `checkpoint` to its shape (a list)."""
    try:
        reader = tf.train.NewCheckpointReader(checkpoint)
    except (tf.errors.OpError, ValueError) as error:
        message = str(error).strip().splitlines()[0]
        raise ConfigError("%s=%s is unreadable (%s): use an intact checkpoint."
                          % (flag, checkpoint, message)) from None
    return reader.get_variable_to_shape_map()


def compare_with_checkpoint(variables, shapes):
    """Splits `variables` by how `shapes` (from `read_shapes`) matches them.

    Args:
      variables: a list of variables, looked up by their own names, or a
        dict from checkpoint names to variables (e.g. moving-average shadows).
      shapes: {checkpoint name: shape}, from `read_shapes`.

    Returns:
      (matching, missing, mismatched): matching variables; names the
      checkpoint lacks; (name, checkpoint shape, model shape) triples.
    """
    if not isinstance(variables, dict):
        variables = {var.op.name: var for var in variables}
    matching, missing, mismatched = [], [], []
    for name, var in variables.items():
        if name not in shapes:
            missing.append(name)
        elif list(shapes[name]) != var.get_shape().as_list():
            mismatched.append((name, list(shapes[name]),
                               var.get_shape().as_list()))
        else:
            matching.append(var)
    return matching, missing, mismatched


def variables_to_restore(moving_average_decay=None):
    """The var_list evaluation restores: EMA shadows when a decay is given.

    With a decay, each model variable is loaded from its
    ExponentialMovingAverage shadow (as `eval_image_classifier.py` does) and
    the remaining variables by their own names.
    """
    if not moving_average_decay:
        return slim.get_variables_to_restore()
    global_step = tf.train.get_or_create_global_step()
    averages = tf.train.ExponentialMovingAverage(
        moving_average_decay, global_step)
    var_map = averages.variables_to_restore(slim.get_model_variables())
    var_map[global_step.op.name] = global_step
    return var_map


def excluded(name, exclude_scopes):
    """Whether variable `name` lies under one of `exclude_scopes` (name
    prefixes, as --checkpoint_exclude_scopes gives them)."""
    return any(name.startswith(scope) for scope in exclude_scopes)


def describe_names(names):
    """'a, b, c, d, e and 3 more': a one-line list of variable names."""
    shown = ", ".join(names[:_NAMES_SHOWN])
    more = len(names) - _NAMES_SHOWN
    return shown + (" and %d more" % more if more > 0 else "")


def describe_mismatches(mismatched):
    """One line naming each (name, checkpoint shape, model shape)."""
    return describe_names(["%s (checkpoint %s, model %s)" % item
                            for item in mismatched])


def describe_misfit(missing, mismatched):
    """'lacks a, b; it has other shapes for c (...)': what a checkpoint
    lacks and holds with other shapes (from `compare_with_checkpoint`),
    after "it"."""
    problems = []
    if missing:
        problems.append("lacks %s" % describe_names(sorted(missing)))
    if mismatched:
        problems.append("has other shapes for %s" %
                        describe_mismatches(sorted(mismatched)))
    return "; it ".join(problems)
