"""Train dirs to evaluate, and readers for what an evaluation leaves behind."""

import json
import os
import shutil

import tensorflow.compat.v1 as tf

from slimtrain.rundir import layout
from slimtrain.rundir.layout import RESULTS_FILENAME
from slimtrain.training.trainer import train
from tests.training_helpers import small_config

_finished_runs = {}


def finished_run(tmp_path_factory):
    """A finished 20-step LeNet-on-digits run, checkpointed at steps 5, 10,
    15 and 20; trained once per test session. Evaluate copies (`copy_run`)."""
    if "run" not in _finished_runs:
        train_dir = tmp_path_factory.mktemp("finished_run")
        train(small_config(train_dir, save_interval_steps=5))
        _finished_runs["run"] = str(train_dir)
    return _finished_runs["run"]


def copy_run(source, destination, latest_step=20, finished=True):
    """Copies a train dir up to one of its checkpoints.

    Args:
      latest_step: the newest checkpoint the copy holds: the files of later
        ones are left out, as if not yet written (`set_latest` writes them).
      finished: keep train.py's training-finished marker.
    """
    def later_checkpoints(folder, names):
        del folder
        return [name for name in names if name.startswith("model.ckpt-") and
                int(name.split("-", 1)[1].split(".", 1)[0]) > latest_step]

    shutil.copytree(source, destination, ignore=later_checkpoints)
    if not finished:
        os.remove(os.path.join(destination, layout.FINISHED_MARKER))
    set_latest(destination, latest_step)
    return str(destination)


def set_latest(train_dir, step, source=None):
    """Makes checkpoint `step` the latest, as the trainer's Saver would:
    copies its files from the train dir `source` (when given), then lists
    it in the state file."""
    if source is not None:
        prefix = "model.ckpt-%d." % step
        for name in os.listdir(source):
            if name.startswith(prefix):
                shutil.copy(os.path.join(source, name), train_dir)
    state = tf.train.get_checkpoint_state(train_dir)
    kept = [os.path.join(train_dir, os.path.basename(path))
            for path in state.all_model_checkpoint_paths
            if int(path.rsplit("-", 1)[1]) <= step]
    if os.path.join(train_dir, "model.ckpt-%d" % step) not in kept:
        kept.append(os.path.join(train_dir, "model.ckpt-%d" % step))
    tf.train.update_checkpoint_state(
        train_dir, os.path.join(train_dir, "model.ckpt-%d" % step),
        all_model_checkpoint_paths=kept)


def read_results(eval_dir):
    with open(os.path.join(eval_dir, RESULTS_FILENAME)) as handle:
        return [json.loads(line) for line in handle]
