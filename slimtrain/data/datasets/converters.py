"""Writes data sets into research/slim's TFRecord layout.

  MNIST IDX files        -> mnist_train.tfrecord, mnist_test.tfrecord
  CIFAR-10 binary files  -> cifar10_train.tfrecord, cifar10_test.tfrecord
  a folder of images,    -> flowers_train_00000-of-00005.tfrecord, ...,
  one sub-folder a class    flowers_validation_00000-of-00005.tfrecord, ...
  a COCO-style folder    -> train.record-00000-of-00005, ...,
                            val.record-00000-of-00005, ... (Visual Wake Words)
each with labels.txt and split_sizes.txt, so that `dataset_factory` reads the
result as "mnist", "cifar10", "flowers" (the prefix follows dataset_name) or
"visualwakewords". MNIST and CIFAR-10 images are stored as PNG; folder and
COCO images keep their own JPEG, PNG, GIF or BMP bytes.

Bad input is a ConfigError naming the file and the fix, and is looked for
before anything is written: MNIST IDX headers and lengths (a cut-short or
damaged gzip file), CIFAR-10 batch sizes, and an image folder's listing. An
image folder is listed and split as training on it lists and splits it
(`image_folder.split_folder`): a file that cannot be opened or is not a
JPEG, PNG, GIF or BMP image, or a class sub-folder without images, refuses
it as a whole, naming them: a data set that silently lost some of its
images would train and evaluate on other data than its owner thinks. A
record or image that turns out not to decode while the records are written
fails the conversion the same way.

Everything is written into a hidden staging folder inside output_dir and
moved into place only once all of it succeeded, so a failed conversion
leaves no partial files behind. Paths must be on the local file system, and
the conversion runs eagerly (TensorFlow 2's default mode).
"""

import contextlib
import math
import os
import re
import shutil
import tempfile

import tensorflow as tf

from slimtrain.data import record_check
from slimtrain.data.datasets import (
    dataset_factory,
    dataset_utils,
    image_folder,
    visualwakewords,
)
from slimtrain.errors import ConfigError

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def convert_mnist_idx(input_dir, output_dir, dataset_name="mnist"):
    """Converts the four MNIST IDX files in input_dir; returns split sizes."""
    return _convert_fixed_splits("mnist_idx", input_dir, output_dir,
                                 dataset_name, (28, 28, 1))


def convert_cifar10_bin(input_dir, output_dir, dataset_name="cifar10"):
    """Converts CIFAR-10 binary batches in input_dir; returns split sizes."""
    return _convert_fixed_splits("cifar10_bin", input_dir, output_dir,
                                 dataset_name, (32, 32, 3))


def convert_image_folder(
        input_dir, output_dir, dataset_name="flowers",
        validation_fraction=image_folder.DEFAULT_VALIDATION_FRACTION,
        num_shards=5, seed=image_folder.DEFAULT_SPLIT_SEED):
    """Converts a folder with one sub-folder of images per class.

    The splits are `image_folder.split_folder`'s (class ids follow the
    sorted sub-folder names; the images are shuffled with `seed` and the
    first round(validation_fraction * count) of them form the "validation"
    split, the rest "train"), the same that `--dataset_name=image_folder`
    trains and evaluates on with that fraction and seed. Each split is
    written as `num_shards` files. Returns {split name: example count}.
    """
    _check_name(dataset_name)
    if num_shards < 1:
        raise ConfigError("num_shards is %d: use 1 or more." % num_shards)
    class_names, splits = image_folder.split_folder(
        input_dir, validation_fraction, seed)
    with _staged_output(output_dir, dataset_name) as staging:
        for split_name, split_files in splits.items():
            per_shard = int(math.ceil(len(split_files) / num_shards))
            for shard in range(num_shards):
                filename = "%s_%s_%05d-of-%05d.tfrecord" % (
                    dataset_name, split_name, shard, num_shards)
                chunk = split_files[shard * per_shard:(shard + 1) * per_shard]
                _write_records(os.path.join(staging, filename),
                               (_folder_example(path, class_names)
                                for path in chunk))
        sizes = {name: len(split_files) for name, split_files in splits.items()}
        _write_metadata(staging, dict(enumerate(class_names)), sizes)
    return sizes


def convert_coco(input_dir, output_dir,
                 foreground_class=visualwakewords.FOREGROUND_CLASS,
                 small_object_area_threshold=(
                     visualwakewords.SMALL_OBJECT_AREA_THRESHOLD),
                 num_shards=5):
    """Converts a COCO-style folder into Visual Wake Words records.

    input_dir holds annotations/instances_<name>.json and, for each, the
    images it lists in <name>/ (COCO's layout: instances_train2014.json
    and train2014/, instances_val2017.json and val2017/, ...). A <name>
    starting with "train" gives the "train" split, with "val" the "val"
    split; each must be there once. Image i of a split goes into shard
    i % num_shards, as research/slim's script did. Returns {split: count}.
    """
    if num_shards < 1:
        raise ConfigError("num_shards is %d: use 1 or more." % num_shards)
    sources = _coco_sources(input_dir)
    with _staged_output(output_dir, "visualwakewords",
                        ("train.record-", "val.record-")) as staging:
        sizes = {}
        for split_name, (annotations, image_dir) in sources.items():
            images = visualwakewords.read_annotations(
                annotations, foreground_class, small_object_area_threshold)
            for shard in range(num_shards):
                path = os.path.join(staging, "%s.record-%05d-of-%05d" % (
                    split_name, shard, num_shards))
                _write_records(path, (
                    _coco_example(image, image_dir)
                    for image in images[shard::num_shards]))
            sizes[split_name] = len(images)
        _write_metadata(staging, visualwakewords.labels_to_names(
            foreground_class), sizes)
    return sizes


def _coco_sources(input_dir):
    """{"train"|"val": (instances JSON path, its image folder)}."""
    annotations_dir = os.path.join(input_dir, "annotations")
    names = sorted(name[len("instances_"):-len(".json")]
                   for name in (os.listdir(annotations_dir)
                                if os.path.isdir(annotations_dir) else ())
                   if name.startswith("instances_") and
                   name.endswith(".json"))
    sources = {}
    for split_name in ("train", "val"):
        found = [name for name in names if name.startswith(split_name)]
        if len(found) != 1:
            raise ConfigError(
                "%s holds %s for the %r split: give it exactly one "
                "instances_%s*.json (e.g. instances_%s2017.json), and its "
                "images in %s/%s2017/." % (
                    annotations_dir, ", ".join(
                        "instances_%s.json" % name for name in found) or
                    "no instances file", split_name, split_name, split_name,
                    input_dir, split_name))
        image_dir = os.path.join(input_dir, found[0])
        if not os.path.isdir(image_dir):
            raise ConfigError(
                "%s has no image folder %s for instances_%s.json: put the "
                "images it lists there." % (input_dir, found[0], found[0]))
        sources[split_name] = (
            os.path.join(annotations_dir, "instances_%s.json" % found[0]),
            image_dir)
    return sources


def _coco_example(image, image_dir):
    """The Visual Wake Words tf.train.Example of one LabelledImage."""
    data, image_format, shape = _read_image(
        os.path.join(image_dir, image.file_name))
    if tuple(shape[:2]) != (image.height, image.width):
        raise ConfigError(
            "%s is %dx%d pixels, and its annotations say %dx%d: use the "
            "annotations that belong to these images." % (
                os.path.join(image_dir, image.file_name), shape[0], shape[1],
                image.height, image.width))
    return visualwakewords.image_example(image, data, image_format)


def _convert_fixed_splits(source_name, input_dir, output_dir, dataset_name,
                          image_shape):
    """Re-encodes the train and test splits of a raw data set as PNG records.

    `image_shape` is the shape the TFRecord layout's reader expects.
    """
    _check_name(dataset_name)
    sources = {split_name: dataset_factory.get_dataset(source_name, split_name,
                                                       input_dir)
               for split_name in ("train", "test")}
    for source in sources.values():
        if source.image_shape != image_shape:
            raise ConfigError(
                "%s holds %s images but the %s layout needs %s: convert only "
                "data of that size." % (input_dir, source.image_shape,
                                        dataset_name, image_shape))
    with _staged_output(output_dir, dataset_name) as staging:
        sizes = {}
        for split_name, source in sources.items():
            path = os.path.join(staging, "%s_%s.tfrecord" % (dataset_name,
                                                            split_name))
            sizes[split_name] = _write_records(path, _png_examples(source))
        labels_to_names = sources["train"].labels_to_names
        _write_metadata(staging, labels_to_names, sizes)
    return sizes


def _png_examples(source):
    """Yields a PNG tf.train.Example for each example of a DatasetSplit.

    Raises:
      ConfigError: naming the file and record that cannot be read (found
        by `record_check.input_failure`).
    """
    def encode(image, label):
        return tf.io.encode_png(image), label

    height, width, _ = source.image_shape
    encoded = source.make_dataset(num_parallel_calls=2).map(
        encode, num_parallel_calls=2, deterministic=True)
    try:
        for png, label in encoded.as_numpy_iterator():
            yield dataset_utils.image_to_tfexample(png, b"png", height, width,
                                                   label)
    except tf.errors.OpError as error:
        raise record_check.input_failure(error, source) from None


def _folder_example(path, class_names):
    """Returns the tf.train.Example of one image file, checking it decodes."""
    data, image_format, shape = _read_image(path)
    return dataset_utils.image_to_tfexample(
        data, image_format, shape[0], shape[1],
        image_folder.class_of(path, class_names))


def _read_image(path):
    """(bytes, its format as `image_folder.image_format` names it, decoded
    shape) of an image file.

    Raises:
      ConfigError: the file cannot be read, or is not a JPEG, PNG, GIF or
        BMP image that decodes.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise ConfigError("Cannot read image %s (%s): remove or replace it."
                          % (path, error.strerror or error)) from None
    image_format = image_folder.image_format(data)
    try:
        if image_format is None:
            raise ValueError("not JPEG, PNG, GIF or BMP data")
        shape = tf.io.decode_image(data, channels=3,
                                   expand_animations=False).shape
    except (ValueError, tf.errors.InvalidArgumentError) as error:
        raise ConfigError("Cannot decode image %s (%s): remove or replace it."
                          % (path, str(error).splitlines()[0])) from error
    return data, image_format, shape


def _write_records(path, examples):
    """Writes tf.train.Examples to a TFRecord file; returns how many."""
    count = 0
    with tf.io.TFRecordWriter(path) as writer:
        for example in examples:
            writer.write(example.SerializeToString())
            count += 1
    return count


def _write_metadata(folder, labels_to_names, split_sizes):
    dataset_utils.write_label_file(labels_to_names, folder)
    dataset_utils.write_split_sizes(split_sizes, folder)


def _check_name(dataset_name):
    if not _NAME_RE.match(dataset_name or ""):
        raise ConfigError(
            "dataset_name %r is not a plain file-name prefix: use letters, "
            "digits, '_', '-' or '.', e.g. 'flowers'." % dataset_name)


@contextlib.contextmanager
def _staged_output(output_dir, dataset_name, record_names=None):
    """Yields a staging folder whose files move into output_dir on success.

    Refuses an output_dir that already holds this data set's records
    (<dataset_name>_*.tfrecord, or names starting with one of
    `record_names`) or a labels/split-sizes file, so that old shards can
    never mix with new ones. On failure the staging folder, and output_dir
    if this call created it, are removed.
    """
    record_names = record_names or ()
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise ConfigError("output_dir %s is a file, not a folder: choose a "
                          "folder path." % output_dir)
    existing = sorted(
        name for name in (os.listdir(output_dir) if os.path.isdir(output_dir)
                          else ())
        if (name.startswith(dataset_name + "_") and
            name.endswith(".tfrecord")) or name.startswith(record_names) or
        name in (dataset_utils.LABELS_FILENAME,
                 dataset_utils.SPLIT_SIZES_FILENAME))
    if existing:
        raise ConfigError(
            "output_dir %s already holds a converted data set (%s): choose "
            "another folder or delete those files." % (output_dir,
                                                       ", ".join(existing)))
    created = not os.path.isdir(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".convert-", dir=output_dir)
    try:
        yield staging
        names = sorted(os.listdir(staging),
                       key=lambda name: name.endswith(".txt"))
        for name in names:
            os.replace(os.path.join(staging, name),
                       os.path.join(output_dir, name))
        os.rmdir(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            shutil.rmtree(output_dir, ignore_errors=True)
        raise
