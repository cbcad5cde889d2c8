"""The train dir's bookkeeping files (WORKSPACE.md describes the whole layout).

Checkpoints and event files are written by TensorFlow and slim; this module
owns the files slimtrain adds: the resolved configuration, so a run can be
reproduced and evaluated with the same settings, and the marker that tells
a continuous evaluation that training has finished.
"""

import json
import os
import time

from slimtrain.training.config import write_config

FINISHED_MARKER = "TRAINING_FINISHED"


def start_run(config):
    """Creates the train dir, records the config and clears an old marker."""
    os.makedirs(config.train_dir, exist_ok=True)
    write_config(config, config.train_dir)
    marker = os.path.join(config.train_dir, FINISHED_MARKER)
    if os.path.exists(marker):
        os.remove(marker)


def mark_finished(train_dir, global_step):
    """Leaves the marker saying training reached its last step."""
    marker = os.path.join(train_dir, FINISHED_MARKER)
    with open(marker + ".tmp", "w") as handle:
        json.dump({"global_step": int(global_step),
                   "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}, handle)
        handle.write("\n")
    os.replace(marker + ".tmp", marker)


def finished_step(train_dir):
    """The global step training finished at, or None while it has not."""
    marker = os.path.join(train_dir, FINISHED_MARKER)
    try:
        with open(marker) as handle:
            return json.load(handle)["global_step"]
    except (OSError, ValueError, KeyError):
        return None
