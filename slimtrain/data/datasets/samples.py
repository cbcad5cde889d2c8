"""Sample images to try a model on: digits of the built-in set, as PNG files.

`slimtrain predict` classifies image files, and a user who has just trained
on the built-in digits has none. `write_digit_samples(folder)` writes the
first image of each class of the digits' held-out test split (so none was
trained on) as `zero.png` ... `nine.png`: 28x28 grayscale PNGs, the size
LeNet reads, under the data set's licence (its SOURCE.txt). `slimtrain
convert --write_samples=DIR` calls it.
"""

import os

import tensorflow as tf

from slimtrain.data.datasets import dataset_factory
from slimtrain.errors import ConfigError

SAMPLES_SPLIT = "test"


def write_digit_samples(folder):
    """Writes one PNG per digit class into `folder` (created if missing).

    Each file is written under a temporary name and renamed into place, so
    an interrupted call leaves no half-written image; files of the same
    names are replaced.

    Returns:
      The paths written, in class order.

    Raises:
      ConfigError: `folder` cannot be created or written.
    """
    split = dataset_factory.get_dataset("digits", SAMPLES_SPLIT)
    first = {}
    for image, label in split.make_dataset().as_numpy_iterator():
        first.setdefault(int(label), image)
        if len(first) == split.num_classes:
            break
    paths = []
    temp_path = None
    try:
        os.makedirs(folder, exist_ok=True)
        for label in sorted(first):
            path = os.path.join(folder, "%s.png" % split.labels_to_names[label])
            temp_path = "%s.tmp-%d" % (path, os.getpid())
            with open(temp_path, "wb") as handle:
                handle.write(tf.io.encode_png(first[label]).numpy())
            os.replace(temp_path, path)
            paths.append(path)
    except OSError as error:  # a full disk: no temporary file is left
        if temp_path is not None and os.path.exists(temp_path):
            os.remove(temp_path)
        raise ConfigError("cannot write the sample images into %s (%s): name "
                          "a folder you can write to." % (
                              folder, error.strerror or error)) from None
    return paths
