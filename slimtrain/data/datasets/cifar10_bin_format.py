"""Reads the CIFAR-10 binary batches with FixedLengthRecordDataset.

Each record is 1 label byte followed by 3,072 pixel bytes: the 32x32 red
plane, then green, then blue, each row by row. Training data is
data_batch_1.bin .. data_batch_5.bin, test data test_batch.bin; the archive
unpacks them into a cifar-10-batches-bin folder.
"""

import os

import tensorflow as tf

from slimtrain.data.datasets.file_reading import interleave_files
from slimtrain.errors import ConfigError

IMAGE_SIZE = 32
RECORD_BYTES = 1 + IMAGE_SIZE * IMAGE_SIZE * 3
_SPLIT_PATTERNS = {"train": "data_batch_*.bin", "test": "test_batch.bin"}
_ARCHIVE_FOLDER = "cifar-10-batches-bin"


def find_files(dataset_dir, split_name):
    """Returns the sorted batch files of a split.

    Looks in `dataset_dir` and, failing that, in its cifar-10-batches-bin
    folder. Raises ConfigError when neither has any.
    """
    pattern = _SPLIT_PATTERNS[split_name]
    for folder in (dataset_dir, os.path.join(dataset_dir, _ARCHIVE_FOLDER)):
        files = sorted(tf.io.gfile.glob(os.path.join(folder, pattern)))
        if files:
            return files
    raise ConfigError(
        "No CIFAR-10 binary batches %s in %s or its %s folder: unpack "
        "cifar-10-binary.tar.gz there or point dataset_dir at the .bin files."
        % (pattern, dataset_dir, _ARCHIVE_FOLDER))


def count_records(files):
    """Returns the number of images in `files`, checking each file's size."""
    total = 0
    for path in files:
        size = tf.io.gfile.stat(path).length
        if size == 0 or size % RECORD_BYTES:
            raise ConfigError(
                "%s is %d bytes, not a whole number of %d-byte CIFAR-10 "
                "records: replace it with an intact copy."
                % (path, size, RECORD_BYTES))
        total += size // RECORD_BYTES
    return total


def read_records(files, num_parallel_reads=1, shuffle_files=False, seed=None):
    """Returns a tf.data.Dataset of 3,073-byte record strings."""
    def reader(filename):
        return tf.data.FixedLengthRecordDataset(filename, RECORD_BYTES)

    return interleave_files(files, reader, num_parallel_reads, shuffle_files,
                            seed)


def decode(record):
    """Returns (image uint8 [32, 32, 3], label int64) of one record."""
    values = tf.io.decode_raw(record, tf.uint8)
    label = tf.cast(values[0], tf.int64)
    planes = tf.reshape(values[1:], [3, IMAGE_SIZE, IMAGE_SIZE])
    return tf.transpose(planes, [1, 2, 0]), label


def decode_batch(records):
    """Returns (images uint8 [N, 32, 32, 3], labels int64 [N]) of a batch of
    records, as `decode` does for one."""
    values = tf.io.decode_raw(records, tf.uint8)
    labels = tf.cast(values[:, 0], tf.int64)
    planes = tf.reshape(values[:, 1:], [-1, 3, IMAGE_SIZE, IMAGE_SIZE])
    return tf.transpose(planes, [0, 2, 3, 1]), labels
