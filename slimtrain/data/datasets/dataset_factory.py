"""Looks data sets up by name: TF-Slim's five, plus digits and raw formats.

TFRecord data sets, in the layout research/slim's download_and_convert
scripts (and `python -m slimtrain.convert`) write:
  mnist            mnist_%s.tfrecord      train 60,000 / test 10,000, 28x28x1
  cifar10          cifar10_%s.tfrecord    train 50,000 / test 10,000, 32x32x3
  flowers          flowers_%s_*.tfrecord  train 3,320 / validation 350, RGB
  imagenet         %s-*                   train 1,281,167 / validation 50,000
  visualwakewords  %s.record-*            train 82,783 / val 40,504, RGB,
                                          2 classes (COCO 2014: background,
                                          person)
Their split sizes and class counts are the library's, except that a
split_sizes.txt (written by slimtrain.convert) gives the true sizes and a
labels.txt sets the class count to its largest id + 1, so data converted
from any image folder describes itself correctly. labels.txt also gives
`labels_to_names`; without it that is None (nothing is ever downloaded).

Raw formats, counted from the files themselves:
  digits       the built-in 8x8 UCI digits upscaled to 28x28 (train 1,437 /
               test 360), stored as MNIST IDX; dataset_dir is optional.
  mnist_idx    the four MNIST IDX files, gzipped or not (train / test).
  cifar10_bin  CIFAR-10 binary batches, data_batch_*.bin / test_batch.bin.
  image_folder a folder of JPEG, PNG, GIF or BMP photos, one sub-folder per
               class (train / validation: a seeded share of the images,
               `validation_fraction` and `split_seed`), read as they are
               (`image_folder`).
"""

import collections
import functools
import os

import tensorflow as tf

from slimtrain.data.datasets import (
    HELD_OUT_SPLITS,
    cifar10_bin_format,
    dataset_utils,
    idx_format,
    image_folder,
    tfrecord_format,
)
from slimtrain.data.datasets.split import DatasetSplit
from slimtrain.errors import ConfigError

DIGITS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "digits_data")

MNIST_CLASS_NAMES = ("zero", "one", "two", "three", "four", "five", "six",
                "seven", "eight", "nine")
CIFAR10_CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog",
                  "frog", "horse", "ship", "truck")

_TFRecordSpec = collections.namedtuple(
    "_TFRecordSpec",
    ["file_pattern", "splits_to_sizes", "num_classes", "image_shape",
     "default_format", "converter_hint"])

_TFRECORD_SPECS = {
    "mnist": _TFRecordSpec(
        "mnist_%s.tfrecord", {"train": 60000, "test": 10000}, 10,
        (28, 28, 1), b"raw", "--input_format=mnist_idx --dataset_name=mnist"),
    "cifar10": _TFRecordSpec(
        "cifar10_%s.tfrecord", {"train": 50000, "test": 10000}, 10,
        (32, 32, 3), b"png",
        "--input_format=cifar10_bin --dataset_name=cifar10"),
    "flowers": _TFRecordSpec(
        "flowers_%s_*.tfrecord", {"train": 3320, "validation": 350}, 5,
        (None, None, 3), b"png",
        "--input_format=image_folder --dataset_name=flowers"),
    "imagenet": _TFRecordSpec(
        "%s-*", {"train": 1281167, "validation": 50000}, 1001,
        (None, None, 3), b"jpeg", None),
    # research/slim's datasets/visualwakewords.py: the 2014 splits' sizes.
    "visualwakewords": _TFRecordSpec(
        "%s.record-*", {"train": 82783, "val": 40504}, 2,
        (None, None, 3), b"jpeg", "--input_format=coco"),
}

_RAW_SPLITS = {"digits": ("train", "test"), "mnist_idx": ("train", "test"),
               "cifar10_bin": ("train", "test"),
               "image_folder": image_folder.SPLITS}

DATASET_NAMES = tuple(sorted(set(_TFRECORD_SPECS) | set(_RAW_SPLITS)))

# The fixed-size raw formats hold ten classes (digits, MNIST, CIFAR-10).
RAW_NUM_CLASSES = 10


def get_dataset(name, split_name, dataset_dir=None, file_pattern=None,
                validation_fraction=image_folder.DEFAULT_VALIDATION_FRACTION,
                split_seed=image_folder.DEFAULT_SPLIT_SEED):
    """Returns the `DatasetSplit` describing one split of a data set.

    Args:
      name: one of DATASET_NAMES.
      split_name: "train", "test" or "validation", as the data set has them.
      dataset_dir: the folder holding the files; optional for "digits"
        (defaults to the copy shipped with slimtrain).
      file_pattern: TFRecord data sets only: a glob relative to dataset_dir
        with one "%s" for the split name, replacing the library's pattern.
      validation_fraction, split_seed: image_folder only: the share of the
        images held out as "validation", and the seed choosing them.

    Raises:
      ConfigError: for an unknown name or split, a missing or empty
        dataset_dir, a file_pattern the data set cannot use, or no files.
    """
    if name not in DATASET_NAMES:
        raise ConfigError("Unknown dataset %r; valid names: %s."
                          % (name, ", ".join(DATASET_NAMES)))
    splits = (_TFRECORD_SPECS[name].splits_to_sizes if name in _TFRECORD_SPECS
              else _RAW_SPLITS[name])
    if split_name not in splits:
        raise ConfigError("Unknown split %r for dataset %r; valid splits: %s."
                          % (split_name, name, ", ".join(sorted(splits))))
    if name == "digits" and not dataset_dir:
        dataset_dir = DIGITS_DIR
    _check_dataset_dir(name, dataset_dir)
    if name in _TFRECORD_SPECS:
        return _tfrecord_split(name, split_name, dataset_dir, file_pattern)
    if file_pattern:
        raise ConfigError(
            "file_pattern applies only to the TFRecord datasets (%s), not to "
            "%r: leave it unset." % (", ".join(sorted(_TFRECORD_SPECS)), name))
    if name == "cifar10_bin":
        return _cifar10_bin_split(split_name, dataset_dir)
    if name == "image_folder":
        return _image_folder_split(split_name, dataset_dir,
                                   validation_fraction, split_seed)
    return _idx_split(name, split_name, dataset_dir)


def open_split(name, split_name=None, dataset_dir=None, **options):
    """Returns the `DatasetSplit` to evaluate (or export, or serve) on.

    Without a `split_name`, the first of HELD_OUT_SPLITS that the data set
    has and that can be opened. `options` are `get_dataset`'s
    validation_fraction and split_seed.

    Raises:
      ConfigError: an unknown data set, or a split that is missing.
    """
    if name not in DATASET_NAMES:
        raise ConfigError("--dataset_name=%s is not known: use one of %s."
                          % (name, ", ".join(DATASET_NAMES)))
    if split_name:
        return get_dataset(name, split_name, dataset_dir, **options)
    failures = []
    for held_out in HELD_OUT_SPLITS:
        try:
            return get_dataset(name, held_out, dataset_dir, **options)
        except ConfigError as error:
            failures.append("%s: %s" % (held_out, str(error).rstrip(".")))
    raise ConfigError("no held-out split of %s could be opened (%s): pass "
                      "--dataset_split_name." % (name, "; ".join(failures)))


def default_num_classes(name):
    """The class count of data set `name` as the library defines it.

    Needs no files: for research/slim's architecture-only export, which
    sizes the logits from the data set's name alone. A labels.txt in the
    data set's folder can raise the count (see `get_dataset`).

    Raises:
      ConfigError: for an unknown name, or image_folder (its classes are
        its sub-folders).
    """
    if name not in DATASET_NAMES:
        raise ConfigError("Unknown dataset %r; valid names: %s."
                          % (name, ", ".join(DATASET_NAMES)))
    if name == "image_folder":
        raise ConfigError("image_folder's classes are the sub-folders of its "
                          "folder: pass --dataset_dir.")
    if name in _TFRECORD_SPECS:
        return _TFRECORD_SPECS[name].num_classes
    return RAW_NUM_CLASSES


def _check_dataset_dir(name, dataset_dir):
    if not dataset_dir:
        hint = (" (make TFRecords with `python -m slimtrain.convert`)"
                if name in _TFRECORD_SPECS else "")
        raise ConfigError(
            "Dataset %r needs dataset_dir: set it to the folder holding the "
            "data%s." % (name, hint))
    if not tf.io.gfile.isdir(dataset_dir):
        raise ConfigError("dataset_dir %s does not exist or is not a folder: "
                          "fix the path." % dataset_dir)
    if not tf.io.gfile.listdir(dataset_dir):
        raise ConfigError("dataset_dir %s is empty: put the %r data there "
                          "first." % (dataset_dir, name))


def _tfrecord_split(name, split_name, dataset_dir, file_pattern):
    spec = _TFRECORD_SPECS[name]
    pattern = file_pattern or spec.file_pattern
    if "%s" not in pattern:
        raise ConfigError("file_pattern %r has no '%%s' for the split name: "
                          "write it like %r." % (pattern, spec.file_pattern))
    glob = os.path.join(dataset_dir, pattern % split_name)
    files = sorted(tf.io.gfile.glob(glob))
    if not files:
        hint = ("python -m slimtrain.convert %s" % spec.converter_hint
                if spec.converter_hint else
                "research/slim's build_imagenet_data.py")
        raise ConfigError("No files match %s for dataset %r split %r: make "
                          "them with `%s`, or point dataset_dir at the folder "
                          "that holds them." % (glob, name, split_name, hint))
    labels_to_names = None
    num_classes = spec.num_classes
    if dataset_utils.has_labels(dataset_dir):
        labels_to_names = dataset_utils.read_label_file(dataset_dir)
        if labels_to_names:
            num_classes = max(labels_to_names) + 1
    num_samples = dataset_utils.read_split_sizes(dataset_dir).get(
        split_name, spec.splits_to_sizes[split_name])
    return DatasetSplit(
        name=name, split_name=split_name, num_samples=num_samples,
        num_classes=num_classes, labels_to_names=labels_to_names,
        image_shape=spec.image_shape,
        read_records=functools.partial(tfrecord_format.read_records, files),
        decode=tfrecord_format.make_decoder(spec.image_shape,
                                            spec.default_format),
        files=tuple(files),
        read_file=lambda path: tfrecord_format.read_records([path]),
        # Images of varying size are always encoded (never "raw").
        parse_encoded=(tfrecord_format.parse_encoded
                       if spec.image_shape[0] is None else None))


def _idx_split(name, split_name, dataset_dir):
    images_path, labels_path = idx_format.find_files(dataset_dir, split_name)
    count, rows, columns = idx_format.read_shape(images_path, labels_path)
    if dataset_utils.has_labels(dataset_dir):
        labels_to_names = dataset_utils.read_label_file(dataset_dir)
    else:
        labels_to_names = dict(enumerate(MNIST_CLASS_NAMES))

    def read_records(num_parallel_reads=1, shuffle_files=False, seed=None):
        del num_parallel_reads, shuffle_files, seed  # one file pair per split
        return idx_format.read_records(images_path, labels_path, rows, columns)

    return DatasetSplit(
        name=name, split_name=split_name, num_samples=count,
        num_classes=RAW_NUM_CLASSES,
        labels_to_names=labels_to_names, image_shape=(rows, columns, 1),
        read_records=read_records,
        decode=idx_format.make_decoder(rows, columns),
        decode_batch=idx_format.make_batch_decoder(rows, columns),
        files=(images_path, labels_path))


def _cifar10_bin_split(split_name, dataset_dir):
    files = cifar10_bin_format.find_files(dataset_dir, split_name)
    size = cifar10_bin_format.IMAGE_SIZE
    return DatasetSplit(
        name="cifar10_bin", split_name=split_name,
        num_samples=cifar10_bin_format.count_records(files),
        num_classes=RAW_NUM_CLASSES,
        labels_to_names=dict(enumerate(CIFAR10_CLASS_NAMES)),
        image_shape=(size, size, 3),
        read_records=functools.partial(cifar10_bin_format.read_records, files),
        decode=cifar10_bin_format.decode,
        decode_batch=cifar10_bin_format.decode_batch,
        files=tuple(files),
        read_file=lambda path: cifar10_bin_format.read_records([path]))


def _image_folder_split(split_name, dataset_dir, validation_fraction, seed):
    class_names, splits = image_folder.split_folder(
        dataset_dir, validation_fraction, seed)
    paths = splits[split_name]
    labels = [image_folder.class_of(path, class_names) for path in paths]
    return DatasetSplit(
        name="image_folder", split_name=split_name, num_samples=len(paths),
        num_classes=len(class_names),
        labels_to_names=dict(enumerate(class_names)),
        image_shape=(None, None, image_folder.CHANNELS),
        read_records=functools.partial(image_folder.read_records, paths,
                                       labels),
        decode=image_folder.decode, files=tuple(paths),
        files_are_records=True, parse_encoded=image_folder.parse_encoded)
