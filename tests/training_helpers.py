"""Small, fast training runs and readers for what they leave behind."""

import dataclasses
import glob
import os
import sys
import threading
import time

import numpy as np
import tensorflow.compat.v1 as tf

from slimtrain.rundir.run_files import read_run_config
from slimtrain.training.config import TrainConfig
from tests.conftest import REPO


def small_config(train_dir, **overrides):
    """A LeNet-on-digits TrainConfig that trains in a few seconds."""
    settings = dict(
        train_dir=str(train_dir), max_number_of_steps=20, batch_size=16,
        log_every_n_steps=10, save_summaries_steps=0,
        save_summaries_secs=600, save_interval_secs=600, num_readers=1,
        num_preprocessing_threads=2, seed=1)
    settings.update(overrides)
    return TrainConfig(**settings)


def scalar_events(logdir):
    """{tag: [(step, value), ...]} from every event file in `logdir`."""
    scalars = {}
    for path in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
        for event in tf.train.summary_iterator(path):
            for value in event.summary.value:
                if value.HasField("simple_value"):
                    scalars.setdefault(value.tag, []).append(
                        (event.step, value.simple_value))
    return scalars


def summary_tags(logdir):
    """Every summary tag (scalars, histograms, ...) in `logdir`'s event files."""
    return {value.tag
            for path in glob.glob(os.path.join(logdir, "events.out.tfevents.*"))
            for event in tf.train.summary_iterator(path)
            for value in event.summary.value}


def checkpoint_steps(train_dir):
    """Global steps of the checkpoints listed in train_dir's 'checkpoint' file."""
    state = tf.train.get_checkpoint_state(str(train_dir))
    if state is None:
        return []
    return sorted(int(path.rsplit("-", 1)[1])
                  for path in state.all_model_checkpoint_paths)


def checkpoint_value(checkpoint, name):
    return tf.train.load_variable(checkpoint, name)


# How long a test waits for a train.py process, or a line of it.
PROCESS_DEADLINE_SECS = 240


# Runs train.py as `python train.py` would, with tf_keras unimportable, as
# after a user's `pip install -e .` (tf_keras is only a test dependency).
_TRAIN_WITHOUT_TF_KERAS = (
    "import runpy, sys; sys.modules['tf_keras'] = None; "
    "sys.argv[0] = %r; runpy.run_path(sys.argv[0], run_name='__main__')"
    % os.path.join(REPO, "train.py"))


def train_command(*flags):
    """The argv of `python train.py FLAGS` without tf_keras."""
    return [sys.executable, "-c", _TRAIN_WITHOUT_TF_KERAS, *flags]


def all_checkpoints(train_dir):
    """Prefixes of every complete checkpoint file set in `train_dir`."""
    return sorted(path[:-len(".index")] for path in
                  glob.glob(os.path.join(str(train_dir), "model.ckpt-*.index")))


def variables_of(checkpoint):
    """{name: value} of every tensor saved in `checkpoint`."""
    reader = tf.train.NewCheckpointReader(checkpoint)
    return {name: reader.get_tensor(name)
            for name in reader.get_variable_to_shape_map()}


def assert_same_variables(first, second):
    """Asserts two checkpoints hold the same tensors, bit for bit."""
    first, second = variables_of(first), variables_of(second)
    assert sorted(first) == sorted(second)
    different = [name for name in first
                 if not np.array_equal(first[name], second[name])]
    assert not different, different


class StderrLines:
    """Collects a process's stderr lines on a thread, to wait for one."""

    def __init__(self, process):
        self.lines = []
        self._thread = threading.Thread(
            target=lambda: self.lines.extend(iter(process.stderr.readline,
                                                  "")), daemon=True)
        self._thread.start()

    def wait_for(self, text, timeout=PROCESS_DEADLINE_SECS):
        deadline = time.time() + timeout
        while not any(text in line for line in self.lines):
            assert time.time() < deadline, "no %r in %s" % (text,
                                                            self.lines[-20:])
            time.sleep(0.05)

    def joined(self):
        self._thread.join(timeout=30)
        return "".join(self.lines)


def signal_after(process, line, signum):
    """Sends `signum` to `process` once its stderr shows `line`; returns
    the whole stderr after the process ended (it is killed if it hangs)."""
    lines = StderrLines(process)
    try:
        lines.wait_for(line)
        process.send_signal(signum)
        process.wait(timeout=PROCESS_DEADLINE_SECS)
    finally:
        process.kill()
    return lines.joined()


def recorded_config(train_dir):
    """The TrainConfig a train dir's train_config.json records, or None."""
    values = read_run_config(str(train_dir))
    if values is None:
        return None
    known = {field.name for field in dataclasses.fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in values.items() if k in known})
