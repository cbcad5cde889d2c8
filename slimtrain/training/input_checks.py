"""The start line of a training run, and warnings about its input.

`log_start` says in one line what is trained on what, for how long, where.
`warn_about_input` warns about an input that works but wastes the run,
each in one line, before the train dir is touched:
- a batch larger than the data set: every batch repeats examples, so an
  "epoch" of the schedule is not what the flags suggest;
- a network input size far (SIZE_RATIO_WARNED times or more) above the
  data's own image size: each image is upscaled by a large factor, costing
  memory, time and disk (inception_v3
  at 299 px on 28 px digits builds 594 MB checkpoints) for no gain.
"""

from absl import logging

from slimtrain.compute import precision

# Input sizes this many times the data's image size or more are warned
# about.
SIZE_RATIO_WARNED = 4.0


def warn_about_input(config, dataset, image_size, model):
    """Logs the warnings above for a run of `config` on `dataset` (a
    `DatasetSplit`) at `image_size` pixels (square); `model` names what
    is trained (e.g. "lenet", "scenario gan")."""
    if config.batch_size > dataset.num_samples:
        logging.warning(
            "--batch_size=%d is larger than the %d examples of %s/%s: each "
            "batch repeats examples; use a batch size of at most %d.",
            config.batch_size, dataset.num_samples, dataset.name,
            dataset.split_name, dataset.num_samples)
    data_size = dataset.image_shape[0]
    if data_size and image_size:
        ratio = image_size / data_size
        if ratio >= SIZE_RATIO_WARNED:
            logging.warning(
                "%s reads %dx%d images but %s holds %dx%d ones (%.1f times "
                "the size): pass a --train_image_size closer to %d that the "
                "network accepts, or use a network made for images this size.", model,
                image_size, image_size, dataset.name, data_size, data_size,
                ratio, data_size)


def log_start(config, dataset, image_size, model):
    """Logs the run's start line: model, data, steps, batch, precision,
    train dir."""
    steps = ("%d steps" % config.max_number_of_steps
             if config.max_number_of_steps else "until stopped")
    logging.info("Training %s (%dx%d input) on %s/%s (%d examples), %s of "
                 "batch %d in %s, into %s.", model, image_size,
                 image_size, dataset.name, dataset.split_name,
                 dataset.num_samples, steps, config.batch_size,
                 precision.name(config.mixed_precision), config.train_dir)
