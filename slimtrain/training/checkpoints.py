"""Checkpoints in and out of a run: fine-tuning, resuming and evaluation.

Fine-tuning restores only model variables (`slim.get_model_variables()`), so
optimizer slot variables and the global step of a foreign checkpoint are
never restored. Every variable is checked against the checkpoint by name and
shape before anything runs: a mismatch is reported by name as a ConfigError
instead of a half-restored model (tensorflow/models#386, #619, #5556).
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim
from absl import logging

from slimtrain.training import checkpoint_files
from slimtrain.settings import split_comma_list
from slimtrain.errors import ConfigError

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
                          % (flag, checkpoint, message))
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


def excluded(name, exclude_scopes):
    return any(name.startswith(scope) for scope in exclude_scopes)


def make_fine_tune_init_fn(checkpoint_path, exclude_scopes=(),
                           ignore_missing_vars=False, candidates=None):
    """Returns `init_fn(session)` restoring model variables from a checkpoint.

    Args:
      checkpoint_path: a checkpoint prefix or a directory holding checkpoints.
      exclude_scopes: variable-name prefixes not to restore (a list, or the
        comma-separated string of --checkpoint_exclude_scopes, or None).
      ignore_missing_vars: skip (with a warning) model variables the
        checkpoint lacks, instead of failing.
      candidates: the variables that may be restored (None: the model
        variables, `slim.get_model_variables()`).

    Raises:
      ConfigError: no readable checkpoint, a variable whose shape differs
        from the checkpoint, (unless ignore_missing_vars) a missing one, or
        no variable left to restore.
    """
    if exclude_scopes is None or isinstance(exclude_scopes, str):
        exclude_scopes = split_comma_list(exclude_scopes)
    checkpoint = resolve_checkpoint(checkpoint_path)
    shapes = read_shapes(checkpoint)
    if candidates is None:
        candidates = slim.get_model_variables()
    considered = len(candidates)
    candidates = [var for var in candidates
                  if not excluded(var.op.name, exclude_scopes)]
    to_restore, missing, mismatched = compare_with_checkpoint(candidates, shapes)
    if mismatched:
        raise ConfigError(
            "%s has other shapes for %d model variable(s): %s: add their "
            "scopes to --checkpoint_exclude_scopes (usually the logits layer)."
            % (checkpoint, len(mismatched), describe_mismatches(mismatched)))
    if missing and not ignore_missing_vars:
        raise ConfigError(
            "%s lacks %d model variable(s): %s: add their scopes to "
            "--checkpoint_exclude_scopes, or pass --ignore_missing_vars."
            % (checkpoint, len(missing), describe_names(missing)))
    if not to_restore:
        raise ConfigError(
            "fine-tuning from %s would restore no variable (%d candidate(s), "
            "%d of them excluded by --checkpoint_exclude_scopes, %d missing "
            "from the checkpoint): narrow the excluded scopes, check that the "
            "checkpoint is of this model, or let the scenario name its "
            "variables in TrainStep.variables_to_restore." % (
                checkpoint, considered, considered - len(candidates),
                len(missing)))
    if missing:
        logging.warning("Not restoring %d variable(s) missing from %s: %s",
                        len(missing), checkpoint, describe_names(missing))
    logging.info("Fine-tuning from %s (%d variables restored, %d excluded).",
                 checkpoint, len(to_restore), considered - len(candidates))
    return slim.assign_from_checkpoint_fn(checkpoint, to_restore)


def check_resumable(checkpoint, variables):
    """Raises ConfigError unless `checkpoint` can restore every variable."""
    _, missing, mismatched = compare_with_checkpoint(
        variables, read_shapes(checkpoint, flag="the train dir's checkpoint"))
    if missing or mismatched:
        raise ConfigError(
            "cannot resume from %s, written by a different model or settings "
            "(it %s): use a fresh --train_dir, or the flags that run used."
            % (checkpoint, describe_misfit(missing, mismatched)))


def eval_variables_to_restore(moving_average_decay=None):
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
