"""How a run's variables start: resumed from its own checkpoint or fine-tuned.

`choose_init_fn` decides, and says in one line, which checkpoint a run
starts from; `make_fine_tune_init_fn` and `check_resumable` do the work.

Fine-tuning restores only model variables (`slim.get_model_variables()`), so
optimizer slot variables and the global step of a foreign checkpoint are
never restored. Every variable is checked against the checkpoint by name and
shape before anything runs (`rundir.checkpoint_reading`): a mismatch is
reported by name as a ConfigError instead of a half-restored model.
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim
from absl import logging

from slimtrain.errors import ConfigError
from slimtrain.rundir.checkpoint_reading import (
    compare_with_checkpoint,
    describe_misfit,
    describe_mismatches,
    describe_names,
    excluded,
    read_shapes,
    resolve_checkpoint,
)
from slimtrain.settings import split_comma_list
from slimtrain.training.scopes import unmatched_scope


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
      ConfigError: an excluded scope that matches no variable of the graph
        (`scopes.unmatched_scope`), no readable checkpoint, a variable whose
        shape differs from the checkpoint, (unless ignore_missing_vars) a
        missing one, or no variable left to restore.
    """
    if exclude_scopes is None or isinstance(exclude_scopes, str):
        exclude_scopes = split_comma_list(exclude_scopes)
    for scope in exclude_scopes:
        if not any(excluded(var.op.name, [scope])
                   for var in tf.global_variables()):
            raise unmatched_scope("--checkpoint_exclude_scopes", scope,
                                  tf.global_variables())
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


def choose_init_fn(config, resume_from, variables_to_restore):
    """Returns slim's init_fn, after saying which checkpoint the run starts from.

    A checkpoint already in the train dir wins over --checkpoint_path: it is
    this run's own progress, and restoring the fine-tuning source over it
    would throw that progress away. TF-Slim made the same choice silently
    (tensorflow/models#975); slimtrain says so.

    Args:
      variables_to_restore: the variables fine-tuning may restore (None: the
        model variables), before --checkpoint_exclude_scopes.
    """
    if resume_from:
        check_resumable(resume_from, tf.global_variables())
        ignored = (" (--checkpoint_path=%s is not used: the train dir's own "
                   "checkpoint wins)" % config.checkpoint_path
                   if config.checkpoint_path else "")
        logging.info("Resuming from %s%s.", resume_from, ignored)
        return None
    if config.checkpoint_path:
        return make_fine_tune_init_fn(
            config.checkpoint_path, config.checkpoint_exclude_scopes,
            config.ignore_missing_vars, candidates=variables_to_restore)
    return None
