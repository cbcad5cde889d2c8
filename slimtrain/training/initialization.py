"""How a run's variables start: resumed from its own checkpoint or fine-tuned.

Fine-tuning restores only model variables (`slim.get_model_variables()`), so
optimizer slot variables and the global step of a foreign checkpoint are
never restored. Every variable is checked against the checkpoint by name and
shape before anything runs (`rundir.checkpoint_reading`): a mismatch is
reported by name as a ConfigError instead of a half-restored model.
"""

import tf_slim as slim
from absl import logging

from slimtrain.errors import ConfigError
from slimtrain.rundir.checkpoint_reading import (compare_with_checkpoint,
                                                 describe_mismatches,
                                                 describe_misfit,
                                                 describe_names, excluded,
                                                 read_shapes,
                                                 resolve_checkpoint)
from slimtrain.settings import split_comma_list


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
