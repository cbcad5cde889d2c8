"""Where a run starts: its train dir opened, what it resumes, its input.

The trainer's first phase (`trainer.train`):

- `prepare_run(config, lock)`: the chief takes the run `lock` of a train
  dir that exists, removes the leftovers of interrupted saves and repairs
  the checkpoint state file (`checkpoint_files.prepare_for_resume`); other
  workers only look. It returns a `RunStart` (the checkpoint to resume
  from, the input stream's seed and position), or None when that
  checkpoint already reached --max_number_of_steps.
- `start_writing(config, lock, labels_to_names)`: once every check has
  passed, the chief creates (and locks) a new train dir, records the
  config and the data set's class names (labels.txt) and clears an
  earlier run's finished marker. Nothing is written before.
"""

import dataclasses
import os
from typing import Optional

from absl import logging

from slimtrain.data.datasets import dataset_utils
from slimtrain.data.input_pipeline import stream_seed
from slimtrain.rundir import checkpoint_files, run_files
from slimtrain.rundir.checkpoint_reading import global_step_of
from slimtrain.rundir.layout import LABELS_FILENAME
from slimtrain.rundir.write_guard import write_errors
from slimtrain.training.input_position import read_position

# With several workers, worker i reads the stream of seed * this + i.
_WORKER_SEED_STRIDE = 1009


@dataclasses.dataclass(frozen=True)
class RunStart:
    """Where a run starts.

    Attributes:
      resume_from: the checkpoint to resume from, or None to start fresh.
      input_seed: the training stream's seed.
      start_position: the examples of that stream already trained on.
    """

    resume_from: Optional[str]
    input_seed: int
    start_position: int


def prepare_run(config, lock):
    """Opens the train dir; returns a `RunStart`, or None if already trained.

    Raises:
      ConfigError: the train dir is locked by another run, or cannot be
        written.
    """
    resume_from = _open_train_dir(config, lock)
    if resume_from and _already_trained(config, resume_from):
        return None
    seed, position = _input_start(config, resume_from)
    return RunStart(resume_from, seed, position)


def start_writing(config, lock, labels_to_names=None):
    """Creates and locks the train dir if needed, records the config and
    the class names (`labels_to_names`, {label: name}, when the data set
    names its classes: a folder of photos, by its sub-folders) and clears
    an earlier run's finished marker (the chief's, once every check has
    passed)."""
    lock.acquire()
    run_files.write_run_config(config, config.train_dir)
    if labels_to_names:
        with write_errors(config.train_dir):  # a full disk: one line
            dataset_utils.write_label_file(labels_to_names, config.train_dir,
                                           LABELS_FILENAME)
    run_files.clear_finished(config.train_dir)


def _open_train_dir(config, lock):
    """Returns the checkpoint to resume from (None: start fresh)."""
    if not os.path.isdir(config.train_dir):
        return None
    if config.task != 0:
        return checkpoint_files.newest_complete(config.train_dir)
    lock.acquire()
    with write_errors(config.train_dir):
        return checkpoint_files.prepare_for_resume(config.train_dir)


def _already_trained(config, checkpoint):
    """Whether `checkpoint` already reached --max_number_of_steps; says so."""
    step = global_step_of(checkpoint)
    if not config.max_number_of_steps or step < config.max_number_of_steps:
        return False
    logging.info("Already trained to step %d (--max_number_of_steps=%d): "
                 "nothing to do; raise --max_number_of_steps to train "
                 "further.", step, config.max_number_of_steps)
    if config.task == 0 and run_files.finished_step(config.train_dir) is None:
        run_files.mark_finished(config.train_dir, step)
    return True


def _input_start(config, resume_from):
    """Returns (input seed, examples to skip) for this run's input stream.

    A resumed single-worker run continues its checkpoint's stream. A new
    run takes --seed, or a new random seed. With several workers, each
    worker reads its own stream (the seed folded with its task id) from the
    start of a new epoch order: their positions are not saved.
    """
    if config.worker_replicas > 1:
        return (stream_seed(config.seed) * _WORKER_SEED_STRIDE + config.task,
                0)
    saved = read_position(resume_from) if resume_from else None
    if saved is None:
        if resume_from:
            logging.warning(
                "%s holds no input position (an older slimtrain wrote it): "
                "the input starts a new epoch order.", resume_from)
        return stream_seed(config.seed), 0
    seed, examples = saved
    if config.seed is not None and config.seed != seed:
        logging.warning("--seed=%d differs from the seed of %s (%d): the "
                        "input starts a new order.", config.seed, resume_from,
                        seed)
        return config.seed, 0
    if not config.exact_resume:
        return seed, 0
    logging.info("The input resumes at example %d of its stream.", examples)
    return seed, examples
