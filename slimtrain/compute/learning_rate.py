"""Learning-rate schedules, as `train_image_classifier.py` configures them.

Decay is measured in epochs of the data set, and converted to global steps
from the number of examples one global step consumes across the whole job
(batch size x clones x replicas aggregated per update). So adding clones or
sync replicas does not silently stretch the schedule (tensorflow/models#4065).
"""

import tensorflow.compat.v1 as tf


def epochs_to_steps(epochs, num_samples_per_epoch, config):
    """Global steps that cover `epochs` passes over the data set (at least 1),
    counting every example of the job (`TrainConfig.examples_per_job_step`)."""
    return max(1, int(num_samples_per_epoch * epochs /
                      config.examples_per_job_step))


def configure_learning_rate(config, num_samples_per_epoch, global_step):
    """Returns the learning-rate tensor.

    Args:
      config: a `TrainConfig` (learning_rate* fields, warmup_epochs,
        max_number_of_steps, batch and replica sizes).
      num_samples_per_epoch: examples in the training split.
      global_step: the global step tensor.
    """
    decay_steps = epochs_to_steps(config.num_epochs_per_decay,
                                  num_samples_per_epoch, config)
    warmup_steps = (epochs_to_steps(config.warmup_epochs, num_samples_per_epoch,
                                    config) if config.warmup_epochs else 0)
    step = tf.maximum(tf.cast(global_step, tf.int64) - warmup_steps, 0)
    decay_type = config.learning_rate_decay_type
    if decay_type == "fixed":
        rate = tf.constant(config.learning_rate, tf.float32)
    elif decay_type == "exponential":
        rate = tf.train.exponential_decay(
            config.learning_rate, step, decay_steps,
            config.learning_rate_decay_factor, staircase=True)
    elif decay_type == "polynomial":
        rate = tf.train.polynomial_decay(
            config.learning_rate, step, decay_steps, config.end_learning_rate,
            power=1.0, cycle=False)
    else:  # cosine, validated by TrainConfig.validate
        rate = tf.train.cosine_decay(
            config.learning_rate, step,
            max(1, config.max_number_of_steps - warmup_steps),
            alpha=config.end_learning_rate / config.learning_rate)
    if warmup_steps:
        ramp = tf.minimum(
            1.0, tf.cast(global_step, tf.float32) / float(warmup_steps))
        rate = rate * ramp
    return rate
