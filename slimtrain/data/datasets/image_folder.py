"""A folder of photos, one sub-folder per class, read as it is.

    PHOTOS/daisy/5547758_eea9edfd54_n.jpg
    PHOTOS/roses/12240303_80d87f77a3_n.jpg   ...

`--dataset_name=image_folder --dataset_dir=PHOTOS` trains on such a folder
without a conversion step, and `slimtrain convert --input_format=image_folder`
writes the same folder as TFRecords; both list and split it here, so they
agree on every image's class and split:

- `split_folder`: class ids follow the sorted sub-folder names; the JPEG,
  PNG, GIF and BMP files (by extension) are shuffled with a seed and the
  first round(validation_fraction * count) form the "validation" split,
  the rest "train". The split is a function of the listing, the fraction
  and the seed alone, so training, evaluation and export hold out the same
  images, run after run.
- Unreadable files are refused, not skipped: a file that cannot be opened
  (a broken link, no read permission, a folder named like an image) or
  whose first bytes are not a JPEG, PNG, GIF or BMP signature stops the
  listing with one line naming them (the first three, and how many in
  all). Skipping them would silently train and evaluate on other images
  than the folder's owner thinks, and would move images between the
  splits when a file is fixed or breaks between runs. An image whose
  signature is right but whose data is damaged is found when it is
  decoded: before training for the split's first images
  (`record_check.check_first_records`), or during training, which then
  stops with one line naming the file (`record_check.input_failure`).
- `read_records`, `decode`, `parse_encoded`: a record is an image's path
  and its label; decoding reads the file and decodes it to RGB
  (`tf.io.decode_image`, the first frame of a GIF), in the input
  pipeline's parallel map, so files are read as they are needed.
"""

import os
import random

import tensorflow as tf

from slimtrain.errors import ConfigError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".bmp")
# The first bytes of each format, as `tf.io.decode_image` tells them apart,
# and the name research/slim's `image/format` gives it.
SIGNATURES = ((b"\xff\xd8\xff", b"jpg"), (b"\x89PNG\r\n\x1a\n", b"png"),
              (b"GIF87a", b"gif"), (b"GIF89a", b"gif"), (b"BM", b"bmp"))
SPLITS = ("train", "validation")
DEFAULT_VALIDATION_FRACTION = 0.1
DEFAULT_SPLIT_SEED = 0
CHANNELS = 3
# Unreadable files named in the one error line; the rest are counted.
NAMED_FAILURES = 3


def image_format(data):
    """b"jpg", b"png", b"gif" or b"bmp" by the first bytes of `data`, or
    None for anything else."""
    return next((name for signature, name in SIGNATURES
                 if data.startswith(signature)), None)


def split_folder(input_dir, validation_fraction=DEFAULT_VALIDATION_FRACTION,
                 seed=DEFAULT_SPLIT_SEED):
    """Lists a class folder and splits it (module doc).

    Returns:
      (class names, sorted; {"train": [paths], "validation": [paths]}, each
      list in the seeded shuffle's order).

    Raises:
      ConfigError: input_dir is not a folder, holds fewer than two class
        sub-folders, a sub-folder without images, or files that cannot be
        read as images; or the fraction leaves a split empty.
    """
    if not 0.0 < validation_fraction < 1.0:  # also refuses NaN
        raise ConfigError("validation_fraction is %s: use a fraction between "
                          "0 and 1, e.g. 0.1." % validation_fraction)
    class_names, files = _list_folder(input_dir)
    random.Random(seed).shuffle(files)
    num_validation = int(round(validation_fraction * len(files)))
    if not 0 < num_validation < len(files):
        raise ConfigError(
            "validation_fraction %g of %d images leaves a split empty: choose "
            "a fraction that gives both splits at least one image."
            % (validation_fraction, len(files)))
    return class_names, {"validation": files[:num_validation],
                         "train": files[num_validation:]}


def class_of(path, class_names):
    """The label of the image at `path`: its sub-folder's index."""
    return class_names.index(os.path.basename(os.path.dirname(path)))


def read_records(paths, labels, num_parallel_reads=1, shuffle_files=False,
                 seed=None):
    """Returns a tf.data.Dataset of {"path", "label"} records, one per image.

    The files are read by `decode`, in the input pipeline's parallel map,
    so `num_parallel_reads` has nothing to do here. `shuffle_files`
    shuffles the images themselves (each image is a file), with `seed`.
    """
    del num_parallel_reads
    records = tf.data.Dataset.from_tensor_slices(
        {"path": list(paths), "label": tf.constant(labels, tf.int64)})
    if shuffle_files:
        records = records.shuffle(len(paths), seed=seed,
                                  reshuffle_each_iteration=True)
    return records


def parse_encoded(record):
    """Returns (the image file's bytes, label int64) of a record."""
    return tf.io.read_file(record["path"]), record["label"]


def decode(record):
    """Returns (image uint8 [height, width, 3], label int64) of a record."""
    encoded, label = parse_encoded(record)
    image = tf.io.decode_image(encoded, channels=CHANNELS,
                               expand_animations=False)
    image.set_shape([None, None, CHANNELS])
    return image, label


def _list_folder(input_dir):
    """Returns (sorted class names, sorted image paths) of a class folder."""
    if not os.path.isdir(input_dir):
        raise ConfigError("input_dir %s does not exist or is not a folder: "
                          "fix the path." % input_dir)
    class_names = sorted(
        name for name in os.listdir(input_dir)
        if not name.startswith(".") and
        os.path.isdir(os.path.join(input_dir, name)))
    files_by_class = {
        name: [os.path.join(input_dir, name, filename)
               for filename in os.listdir(os.path.join(input_dir, name))
               if filename.lower().endswith(IMAGE_EXTENSIONS) and
               not filename.startswith(".")]
        for name in class_names}
    files = sorted(path for paths in files_by_class.values() for path in paths)
    if len(class_names) < 2 or not files:
        raise ConfigError(
            "%s has %d class sub-folders and %d images (%s): give it one "
            "sub-folder of images per class, at least two classes."
            % (input_dir, len(class_names), len(files),
               "/".join(IMAGE_EXTENSIONS)))
    empty = [name for name, paths in files_by_class.items() if not paths]
    if empty:
        raise ConfigError(
            "the class sub-folder(s) %s of %s hold no %s images: put the "
            "class's images there or remove the sub-folder."
            % (", ".join(empty), input_dir, "/".join(IMAGE_EXTENSIONS)))
    _refuse_unreadable(files)
    return class_names, files


def _refuse_unreadable(paths):
    """Raises ConfigError naming the files of `paths` that cannot be read as
    images (the first NAMED_FAILURES, and how many in all)."""
    failures = []
    for path in paths:
        reason = _read_failure(path)
        if reason:
            failures.append("%s (%s)" % (path, reason))
    if failures:
        more = (" and %d more" % (len(failures) - NAMED_FAILURES)
                if len(failures) > NAMED_FAILURES else "")
        raise ConfigError(
            "%d image file(s) cannot be read: %s%s: remove or replace them, "
            "or fix their links or permissions."
            % (len(failures), "; ".join(failures[:NAMED_FAILURES]), more))


def _read_failure(path):
    """Why `path` cannot be read as an image file, or None."""
    if not os.path.isfile(path):
        return ("a link to a missing file" if os.path.islink(path) else
                "not a regular file")
    try:
        with open(path, "rb") as handle:
            start = handle.read(max(len(signature)
                                    for signature, _ in SIGNATURES))
    except OSError as error:
        return error.strerror or str(error)
    if image_format(start) is None:
        return "not JPEG, PNG, GIF or BMP data"
    return None
