"""Reads MNIST's IDX files (gzipped or not) with FixedLengthRecordDataset.

An IDX file is a big-endian header followed by raw uint8 values: images start
with magic 2051 and (count, rows, columns), labels with magic 2049 and
(count). Only the headers and the files' lengths are looked at here in
Python, to learn the counts and to reject wrong, mismatched or cut-short
files before anything reads the records; the records are read by tf.data.
"""

import gzip
import os
import struct
import zlib

import tensorflow as tf

from slimtrain.errors import ConfigError

_IMAGES_MAGIC = 2051
_LABELS_MAGIC = 2049
_IMAGES_HEADER_BYTES = 16
_LABELS_HEADER_BYTES = 8
# The file-name prefix of each split, as the MNIST distribution names them.
SPLIT_PREFIXES = {"train": "train", "test": "t10k"}


def find_files(dataset_dir, split_name):
    """Returns (images path, labels path) of a split, each .gz or plain.

    Raises ConfigError naming the expected file when one is missing.
    """
    prefix = SPLIT_PREFIXES[split_name]
    return tuple(_find_one(dataset_dir, "%s-%s" % (prefix, kind))
                 for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"))


def _find_one(dataset_dir, basename):
    for name in (basename + ".gz", basename):
        path = os.path.join(dataset_dir, name)
        if tf.io.gfile.exists(path):
            return path
    raise ConfigError(
        "No %s(.gz) in %s: put the four MNIST IDX files (train-images-idx3-"
        "ubyte.gz, ...) there or point dataset_dir at them."
        % (basename, dataset_dir))


def read_shape(images_path, labels_path):
    """Returns (count, rows, columns) after checking the two files.

    Both headers must agree on the count, and each file must hold exactly
    the records its header counts (see `_check_length`).

    Raises:
      ConfigError: naming the file that is wrong, cut short or damaged.
    """
    count, rows, columns = _read_header(images_path, _IMAGES_MAGIC, 3)
    (label_count,) = _read_header(labels_path, _LABELS_MAGIC, 1)
    if label_count != count:
        raise ConfigError(
            "%s holds %d images but %s holds %d labels: use files of the same "
            "split." % (images_path, count, labels_path, label_count))
    _check_length(images_path, _IMAGES_HEADER_BYTES, count, rows * columns,
                  "images of %dx%d" % (rows, columns))
    _check_length(labels_path, _LABELS_HEADER_BYTES, count, 1, "labels")
    return count, rows, columns


def _check_length(path, header_bytes, count, record_bytes, what):
    """Raises ConfigError unless `path` holds exactly the header and `count`
    records of `record_bytes` each (uncompressed, for a .gz file).

    A plain file's length is its size. A gzip file's is its trailer's
    (the uncompressed size modulo 2**32, read without decompressing); only
    when that disagrees is the file decompressed, to tell a cut-short or
    damaged gzip stream from a whole one of the wrong length.
    """
    expected = header_bytes + count * record_bytes
    if path.endswith(".gz"):
        length = _gzip_length(path, expected)
        kind = " uncompressed"
    else:
        length = tf.io.gfile.stat(path).length
        kind = ""
    if length != expected:
        raise ConfigError(
            "%s holds %d%s bytes but its header counts %d %s (%d bytes): the "
            "file is %s; replace it with an intact copy."
            % (path, length, kind, count, what, expected,
               "cut short" if length < expected else "damaged"))


def _gzip_length(path, expected):
    """The uncompressed length of the gzip file `path`: `expected` when its
    trailer says so, else counted by decompressing it."""
    with tf.io.gfile.GFile(path, "rb") as raw:
        size = raw.size()
        if size >= 4:
            raw.seek(size - 4)
            (trailer,) = struct.unpack("<I", raw.read(4))
            if trailer == expected % 2**32:
                return expected
        raw.seek(0)
        try:
            with gzip.GzipFile(fileobj=raw) as stream:
                return sum(len(chunk) for chunk in
                           iter(lambda: stream.read(1 << 20), b""))
        except (OSError, EOFError, zlib.error) as error:
            raise ConfigError(
                "%s is not a whole gzip file (%s): it is cut short or "
                "damaged; replace it with an intact copy."
                % (path, error)) from error


def _read_header(path, magic, num_dims):
    header_bytes = 4 * (1 + num_dims)
    with tf.io.gfile.GFile(path, "rb") as raw:
        handle = gzip.GzipFile(fileobj=raw) if path.endswith(".gz") else raw
        try:
            header = handle.read(header_bytes)
        except (OSError, EOFError) as error:
            raise ConfigError("Cannot read %s (%s): replace it with an intact "
                              "copy." % (path, error)) from error
    if len(header) < header_bytes or struct.unpack(">I", header[:4])[0] != magic:
        raise ConfigError(
            "%s is not an IDX file with magic number %d: check that it is the "
            "right MNIST file and not truncated." % (path, magic))
    return struct.unpack(">%dI" % num_dims, header[4:])


def read_records(images_path, labels_path, rows, columns):
    """Returns a tf.data.Dataset of {"image": bytes, "label": bytes} records."""
    def fixed_length(path, record_bytes, header_bytes):
        return tf.data.FixedLengthRecordDataset(
            path, record_bytes=record_bytes, header_bytes=header_bytes,
            compression_type="GZIP" if path.endswith(".gz") else "")

    images = fixed_length(images_path, rows * columns, _IMAGES_HEADER_BYTES)
    labels = fixed_length(labels_path, 1, _LABELS_HEADER_BYTES)
    return tf.data.Dataset.zip({"image": images, "label": labels})


def make_batch_decoder(rows, columns):
    """Returns fn(records) -> (images uint8 [N, rows, columns, 1], labels
    int64 [N]) for a batch of records, as `make_decoder`'s fn for one."""
    def decode_batch(records):
        images = tf.reshape(tf.io.decode_raw(records["image"], tf.uint8),
                            [-1, rows, columns, 1])
        labels = tf.cast(tf.io.decode_raw(records["label"], tf.uint8)[:, 0],
                         tf.int64)
        return images, labels

    return decode_batch


def make_decoder(rows, columns):
    """Returns fn(record) -> (image uint8 [rows, columns, 1], label int64)."""
    def decode(record):
        image = tf.reshape(tf.io.decode_raw(record["image"], tf.uint8),
                           [rows, columns, 1])
        label = tf.cast(tf.io.decode_raw(record["label"], tf.uint8)[0],
                        tf.int64)
        return image, label

    return decode
