"""The small text files and the tf.train.Example layout of TF-Slim data sets.

research/slim's converters write each image as a tf.train.Example with the
keys `image/encoded`, `image/format`, `image/class/label`, `image/height` and
`image/width`, and a `labels.txt` of `id:name` lines beside the records.
slimtrain reads and writes exactly that, so directories are interchangeable
with the ones research/slim makes. `split_sizes.txt` (`split:count` lines) is
slimtrain's own addition: the converter writes it so that a converted data
set of any size reports its true number of examples.
"""

import contextlib
import os

import tensorflow as tf

from slimtrain.errors import ConfigError

LABELS_FILENAME = "labels.txt"
SPLIT_SIZES_FILENAME = "split_sizes.txt"


def image_to_tfexample(image_data, image_format, height, width, class_id):
    """Returns the tf.train.Example research/slim writes for one image.

    Args:
      image_data: the encoded image (bytes).
      image_format: b"png", b"jpg" or b"raw" (bytes or str).
      height, width: the decoded image's size in pixels.
      class_id: the integer label.
    """
    if isinstance(image_format, str):
        image_format = image_format.encode("ascii")

    def int64(value):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))

    def byte_string(value):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))

    return tf.train.Example(features=tf.train.Features(feature={
        "image/encoded": byte_string(image_data),
        "image/format": byte_string(image_format),
        "image/class/label": int64(class_id),
        "image/height": int64(height),
        "image/width": int64(width),
    }))


def has_labels(dataset_dir, filename=LABELS_FILENAME):
    """Returns True when `dataset_dir` holds a labels file."""
    return tf.io.gfile.exists(os.path.join(dataset_dir, filename))


def read_label_file(dataset_dir, filename=LABELS_FILENAME):
    """Reads `id:name` lines into a dict {int id: name}."""
    path = os.path.join(dataset_dir, filename)
    return {int(key): value for key, value in
            _read_colon_file(path, "<id>:<name>", int_keys=True)}


def write_label_file(labels_to_names, dataset_dir, filename=LABELS_FILENAME):
    """Writes a dict {int id: name} as `id:name` lines, sorted by id."""
    _write_colon_file(os.path.join(dataset_dir, filename),
                      sorted(labels_to_names.items()))


def read_split_sizes(dataset_dir):
    """Returns {split name: example count} from split_sizes.txt, or {}."""
    path = os.path.join(dataset_dir, SPLIT_SIZES_FILENAME)
    if not tf.io.gfile.exists(path):
        return {}
    return {key: int(value) for key, value in
            _read_colon_file(path, "<split>:<count>", int_values=True)}


def write_split_sizes(split_sizes, dataset_dir):
    """Writes {split name: example count} as `split:count` lines."""
    _write_colon_file(os.path.join(dataset_dir, SPLIT_SIZES_FILENAME),
                      sorted(split_sizes.items()))


def _read_colon_file(path, form, int_keys=False, int_values=False):
    """Yields (key, value) string pairs from `key:value` lines, blanks skipped.

    A line that does not fit `form` raises ConfigError naming file and line.
    """
    with tf.io.gfile.GFile(path, "r") as handle:
        lines = handle.read().splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        key = key.strip()
        if (not colon or not key or (int_keys and not key.isdigit()) or
                (int_values and not value.strip().isdigit())):
            raise ConfigError("%s line %d is not %s: %r; fix or delete the file."
                              % (path, number, form, line))
        yield key, value.strip() if int_values else value


def _write_colon_file(path, items):
    """Writes `key:value` lines under a temporary name, then renames it to
    `path`: a reader never sees a half-written file, and a failed write
    leaves no temporary file behind."""
    temp_path = "%s.tmp-%d" % (path, os.getpid())
    try:
        with tf.io.gfile.GFile(temp_path, "w") as handle:
            for key, value in items:
                handle.write("%s:%s\n" % (key, value))
        tf.io.gfile.rename(temp_path, path, overwrite=True)
    except (OSError, tf.errors.OpError):  # a full disk: the caller says
        with contextlib.suppress(OSError, tf.errors.OpError):
            tf.io.gfile.remove(temp_path)
        raise
