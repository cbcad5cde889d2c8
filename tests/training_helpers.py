"""Small, fast training runs and readers for what they leave behind."""

import glob
import os

import tensorflow.compat.v1 as tf

from slimtrain.training.config import TrainConfig


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
