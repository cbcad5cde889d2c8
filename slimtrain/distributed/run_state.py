"""Whether the run a cluster's evaluator waits for has started, or finished.

The evaluator reads the shared train dir: the chief's train_config.json
says the run has started, its TRAINING_FINISHED marker that it has
finished (`rundir.run_files`).
"""

import os

from slimtrain.rundir import run_files
from slimtrain.rundir.layout import CONFIG_FILENAME


def run_started(config):
    """Whether the train dir shows the run `config` describes has started."""
    if not os.path.exists(os.path.join(config.train_dir, CONFIG_FILENAME)):
        return False
    return (run_files.finished_step(config.train_dir) is None or
            training_finished(config))


def training_finished(config):
    """Whether the train dir's marker says this run reached its last step.

    A marker of a run with fewer --max_number_of_steps is an earlier run's.
    """
    finished = run_files.finished_step(config.train_dir)
    return (finished is not None and bool(config.max_number_of_steps) and
            finished >= config.max_number_of_steps)
