"""Finds unreadable records of a data set split and names them in one line.

- `check_first_records(split)`: reads and decodes the first records of
  every file of the split (of the split as a whole for formats whose
  records span two files, such as MNIST IDX, or are a file each, such as a
  folder of images, whose listing checked every file's signature already).
  train.py calls it before it writes anything, so a corrupt or wrong file
  is refused up front instead of failing inside the training loop after
  checkpoints are written.
- `input_failure(error, split)`: for a read or decode error raised later by
  the input pipeline (one of INPUT_ERRORS, raised by the iterator), scans
  the split for the first record that fails and returns a ConfigError
  naming the file and the record's index in it (the image file, for a
  folder of images).

Both read in their own graph and session, outside the training graph.
"""

import tensorflow.compat.v1 as tf

from slimtrain.errors import ConfigError, first_line

# Records read and decoded from each file before training starts.
FIRST_RECORDS = 4
# What the input iterator raises for a record it cannot read or decode: a
# damaged record or image, or (a folder of images) a file that went away
# or lost its read permission during the run.
INPUT_ERRORS = (tf.errors.DataLossError, tf.errors.InvalidArgumentError,
                tf.errors.NotFoundError, tf.errors.PermissionDeniedError)


def check_first_records(split, count=FIRST_RECORDS):
    """Raises ConfigError unless the first `count` records of each file of
    `split` (a `DatasetSplit`) read and decode."""
    failure, records_read = _first_failure(split, count)
    if failure is not None:
        raise failure
    if not records_read:
        raise ConfigError(
            "%s/%s holds no records (%s): convert the data again or point "
            "--dataset_dir at the right folder." % (
                split.name, split.split_name, _describe_files(split.files)))


def input_failure(error, split):
    """Returns a one-line ConfigError for an input error raised in training.

    Scans `split` in file order for the first record that cannot be read
    or decoded and names it; when every record reads (the error came from
    elsewhere in the pipeline), the ConfigError gives the error's own first
    line.
    """
    failure, _ = _first_failure(split, count=None)
    if failure is not None:
        return failure
    return ConfigError(
        "reading %s/%s failed (%s): check the files in %s." % (
            split.name, split.split_name, first_line(error),
            _describe_files(split.files)))


def is_input_error(error):
    """Whether an error of a training or evaluation step was raised by the
    input iterator reading or decoding a record (and not, say, by a
    checkpoint restore, which can raise the same error types)."""
    if not isinstance(error, INPUT_ERRORS):
        return False
    op_type = error.op.type if error.op is not None else ""
    return op_type == "IteratorGetNext" or "IteratorGetNext" in error.message


def _first_failure(split, count):
    """(ConfigError for the first bad record or None, records read), over
    the first `count` records (None: all) of each file."""
    with tf.Graph().as_default():
        source = tf.placeholder(tf.string, shape=[])
        if split.read_file is not None:
            records = split.read_file(source)
            sources = list(split.files)
        else:
            records = split.read_records()
            sources = [_describe_files(split.files)]
        if count is not None:
            records = records.take(count)
        examples = records.map(split.decode)
        iterator = tf.data.make_initializable_iterator(examples)
        next_example = iterator.get_next()
        records_read = 0
        with tf.Session() as session:
            for name in sources:
                session.run(iterator.initializer, {source: name})
                index = 0
                while True:
                    try:
                        session.run(next_example)
                    except tf.errors.OutOfRangeError:
                        break
                    except tf.errors.OpError as error:
                        return _bad_record(split, name, index, error), index
                    index += 1
                records_read += index
    return None, records_read


def _bad_record(split, source, index, error):
    """The ConfigError for record `index` of `source` (a file of the split,
    or all of them), which raised the OpError `error`."""
    if split.files_are_records:
        return ConfigError(
            "%s cannot be read as an image of %s (%s): remove or replace "
            "it." % (split.files[index], split.name, first_line(error)))
    return ConfigError(
        "%s: record %d cannot be read as %s data (%s): replace the file with "
        "an intact copy or convert the data again." % (
            source, index, split.name, first_line(error)))


def _describe_files(files):
    if not files:
        return "no files"
    if len(files) == 1:
        return files[0]
    return "%s and %d more" % (files[0], len(files) - 1)
