"""A run's Saver: relative paths, retention after a resume, clean failures.

`make_saver(...)` returns the `RunSaver` every training run saves its
checkpoints with (`training.hooks.checkpoints` during the run, slim's
final save at its end):

- the state file names checkpoints by paths relative to the train dir, so
  a copied or moved train dir still names its own checkpoints;
- its retention (--max_checkpoints_to_keep) holds after a resume with
  fewer checkpoints to keep;
- a save that fails to write (a full disk, a train dir that became
  read-only) is one line (`write_guard`), and the files of the checkpoint
  it left unfinished are removed: the train dir holds only complete
  checkpoints, and the run resumes from the newest.
"""

import glob
import numbers
import os

import tensorflow.compat.v1 as tf

from slimtrain.rundir.checkpoint_files import (
    remove_interrupted_saves,
    torn_problem,
    write_state,
)
from slimtrain.rundir.write_guard import write_errors


class RunSaver(tf.train.Saver):
    """A Saver whose retention also holds after a resume with a smaller
    --max_checkpoints_to_keep.

    On resume, slim's Supervisor hands the Saver every checkpoint the state
    file lists, and TensorFlow's Saver deletes at most one old checkpoint per
    save: a run resumed with 5 checkpoints and `--max_checkpoints_to_keep=3`
    would keep 4 forever. This Saver deletes the excess, oldest first, right
    after its first new save (so the newest checkpoints are never fewer).

    The excess are always checkpoints of an earlier run, saved before this
    Saver was built, so `keep_checkpoint_every_n_hours` would spare none of
    them: TensorFlow's Saver spares only checkpoints saved that many hours
    after it was built. Those an earlier run spared are not in the state
    file, and stay (except after a resume from an unreadable state file,
    when `prepare_for_resume` lists every complete checkpoint).
    """

    def save(self, sess, save_path, global_step=None, **kwargs):
        if global_step is not None and not isinstance(global_step,
                                                      numbers.Integral):
            global_step = tf.train.global_step(sess, global_step)
        prefix = (save_path if global_step is None else
                  "%s-%d" % (save_path, global_step))
        with write_errors(os.path.dirname(save_path),
                          cleanup=lambda: remove_unfinished(prefix)):
            saved = super().save(sess, save_path, global_step=global_step,
                                 **kwargs)
        keep = self.saver_def.max_to_keep
        excess = self.last_checkpoints[:-keep] if saved and keep > 0 else []
        if excess:
            for old in excess:
                for path in glob.glob(glob.escape(old) + ".*"):
                    os.remove(path)
            kept = self.last_checkpoints[-keep:]
            self.recover_last_checkpoints(kept)
            write_state(os.path.dirname(saved),
                        [os.path.basename(prefix) for prefix in kept])
        return saved


def make_saver(max_to_keep, keep_checkpoint_every_n_hours, var_list):
    """Returns a run's Saver (a `RunSaver`) of `var_list`: the retention
    given (--max_checkpoints_to_keep, --keep_checkpoint_every_n_hours),
    relative paths.

    `save_relative_paths=True` keeps the state file free of absolute paths,
    so a copied or moved train dir still names its own checkpoints.
    """
    return RunSaver(
        max_to_keep=max_to_keep,
        keep_checkpoint_every_n_hours=keep_checkpoint_every_n_hours,
        var_list=var_list, save_relative_paths=True)


def remove_unfinished(prefix):
    """Removes what a failed save of checkpoint `prefix` left: its files,
    unless they make a complete checkpoint, and the temporary files of the
    save (`checkpoint_files.remove_interrupted_saves`)."""
    remove_interrupted_saves(os.path.dirname(prefix), log=False)
    if torn_problem(prefix) is None:
        return  # the data and index were written; the state file was not
    for path in glob.glob(glob.escape(prefix) + ".*"):
        os.remove(path)
