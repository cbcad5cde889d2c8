"""`DatasetSplit`: what one split of a data set holds and how to read it."""

import dataclasses
from typing import Any, Callable, Mapping, Optional, Tuple

import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class DatasetSplit:
    """One split of a data set, as returned by `dataset_factory.get_dataset`.

    Reading is two steps so that the input pipeline can shuffle the cheap,
    still-encoded records before the costly decode: `read_records` gives the
    records in file order and `decode` turns one record into an example.
    `make_dataset` does both for callers that just want the examples.

    Attributes:
      name: the data set's name, e.g. "mnist".
      split_name: e.g. "train".
      num_samples: the number of examples in the split.
      num_classes: the number of label values (labels run 0..num_classes-1).
      labels_to_names: {label: class name}, or None when no names are known.
      image_shape: (height, width, channels); height and width are None when
        the images differ in size.
      read_records: fn(num_parallel_reads, shuffle_files, seed) returning a
        tf.data.Dataset of records (a string tensor or a dict of them).
      decode: fn(record) returning (image uint8 [H, W, C], label int64 []).
      decode_batch: None, or fn(records) doing what `decode` does for a
        batch of records in one call: (images uint8 [N, H, W, C], labels
        int64 [N]). The fixed-size raw formats (IDX, CIFAR-10 binary) have
        one; the evaluation input uses it to spare a tf.data function call
        per example.
      files: the split's files, for messages about them.
      files_are_records: each of `files` is one record, in the order
        `read_records` gives them unshuffled (a folder of images), so a
        check names the file of a bad record.
      read_file: None, or fn(path) returning the records of one of `files`
        as `read_records` gives them, for formats whose every file holds
        whole records (TFRecord, CIFAR-10 binary); it lets a check name the
        file a bad record is in.
      parse_encoded: None, or fn(record) returning (the image's encoded
        bytes, a string scalar; label int64 []) without decoding them, for
        data sets of encoded RGB images of varying size (flowers, imagenet:
        JPEG, or PNG). Decoding the bytes with `image_shape`'s channel count
        gives `decode`'s image; the training input hands them to a
        preprocessing that decodes only what it keeps (the crop's window of
        a JPEG).
    """

    name: str
    split_name: str
    num_samples: int
    num_classes: int
    labels_to_names: Optional[Mapping[int, str]] = dataclasses.field(
        hash=False)
    image_shape: Tuple[Optional[int], Optional[int], int]
    read_records: Callable[..., tf.data.Dataset] = dataclasses.field(
        repr=False, compare=False)
    decode: Callable[[Any], Tuple[tf.Tensor, tf.Tensor]] = dataclasses.field(
        repr=False, compare=False)
    decode_batch: Optional[Callable[[Any], Tuple[tf.Tensor, tf.Tensor]]] = (
        dataclasses.field(default=None, repr=False, compare=False))
    files: Tuple[str, ...] = dataclasses.field(default=(), repr=False,
                                               compare=False)
    files_are_records: bool = dataclasses.field(default=False, repr=False,
                                                compare=False)
    read_file: Optional[Callable[[str], tf.data.Dataset]] = dataclasses.field(
        default=None, repr=False, compare=False)
    parse_encoded: Optional[Callable[[Any], Tuple[tf.Tensor, tf.Tensor]]] = (
        dataclasses.field(default=None, repr=False, compare=False))

    def make_dataset(self, num_parallel_reads=1, num_parallel_calls=1,
                     shuffle_files=False, seed=None):
        """Returns an unbatched tf.data.Dataset of (image, label) pairs.

        Args:
          num_parallel_reads: how many files are read at once.
          num_parallel_calls: how many records are decoded at once.
          shuffle_files: visit the files in a random order (per epoch).
          seed: makes that file order repeatable.
        Examples come out in a fixed order for a fixed file order.
        """
        records = self.read_records(num_parallel_reads=num_parallel_reads,
                                    shuffle_files=shuffle_files, seed=seed)
        return records.map(self.decode, **parallel_options(num_parallel_calls))


def parallel_options(count):
    """Returns the tf.data map/interleave arguments for `count` threads.

    More than one thread keeps the output order deterministic; one thread
    means the serial form (tf.data warns if `deterministic` comes without
    `num_parallel_calls`).
    """
    if count > 1:
        return {"num_parallel_calls": count, "deterministic": True}
    return {}
