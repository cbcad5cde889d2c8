"""Reads a list of record files in parallel, in a fixed or seeded order."""

import tensorflow as tf

from slimtrain.data.datasets.split import parallel_options


def interleave_files(files, make_reader, num_parallel_reads=1,
                     shuffle_files=False, seed=None):
    """Returns the records of `files`, reading several files at once.

    Args:
      files: the file paths (a non-empty sequence of str).
      make_reader: fn(filename tensor) returning a tf.data.Dataset of records.
      num_parallel_reads: how many files are open at the same time; records
        are taken from them in turn, one at a time.
      shuffle_files: visit the files in a random order, new for each pass.
      seed: makes the file order repeatable.
    The interleave is deterministic, so a fixed file order gives a fixed
    record order however many files are read at once.
    """
    filenames = tf.data.Dataset.from_tensor_slices(list(files))
    if shuffle_files:
        filenames = filenames.shuffle(len(files), seed=seed,
                                      reshuffle_each_iteration=True)
    cycle_length = max(1, min(num_parallel_reads, len(files)))
    return filenames.interleave(make_reader, cycle_length=cycle_length,
                                block_length=1,
                                **parallel_options(cycle_length))
