r"""Converts raw data into the TFRecord layout that `get_dataset` reads.

  python -m slimtrain.convert --input_format=mnist_idx \
      --input_dir=/data/mnist_raw --output_dir=/data/mnist
  python -m slimtrain.convert --input_format=cifar10_bin \
      --input_dir=/data/cifar-10-batches-bin --output_dir=/data/cifar10
  python -m slimtrain.convert --input_format=image_folder \
      --input_dir=/data/flower_photos --output_dir=/data/flowers
  python -m slimtrain.convert --input_format=coco \
      --input_dir=/data/coco --output_dir=/data/visualwakewords

The output is then `--dataset_name=mnist|cifar10|flowers|visualwakewords
--dataset_dir=...` for training and evaluation. A COCO-style folder holds
annotations/instances_<name>.json and the images of each in <name>/, one
<name> starting with "train" and one with "val" (COCO's own layout, e.g.
instances_train2014.json and train2014/). See
`slimtrain.data.datasets.converters` and `visualwakewords`.

The flags are registered only when this module runs as a program (or when a
caller passes its own FlagValues to `define_flags`), so importing it never
clashes with another command's flags of the same name.

May import: anything in slimtrain (a program's edge).
"""

import sys

from absl import app, flags

from slimtrain import startup
from slimtrain.errors import ConfigError

# input_format -> (converter, default dataset_name; None: the records'
# names are fixed, research/slim's visualwakewords layout).
# --input_format: (its function in `converters`, the default dataset_name).
_CONVERTERS = {
    "mnist_idx": ("convert_mnist_idx", "mnist"),
    "cifar10_bin": ("convert_cifar10_bin", "cifar10"),
    "image_folder": ("convert_image_folder", "flowers"),
    "coco": ("convert_coco", None),
}


def define_flags(flag_values):
    """Registers the converter's flags on `flag_values`."""
    flags.DEFINE_enum(
        "input_format", None, sorted(_CONVERTERS),
        "What input_dir holds: MNIST IDX files, CIFAR-10 binary batches, "
        "one sub-folder of images per class, or COCO images and instances "
        "files (made into Visual Wake Words).", flag_values=flag_values)
    flags.DEFINE_string("input_dir", None, "Folder holding the raw data.",
                        flag_values=flag_values)
    flags.DEFINE_string(
        "output_dir", None, "Folder to write the TFRecords, labels.txt and "
        "split_sizes.txt into (created if missing).", flag_values=flag_values)
    flags.DEFINE_string(
        "dataset_name", None, "File-name prefix of the records; defaults to "
        "mnist, cifar10 or flowers according to input_format (coco's are "
        "train.record-* and val.record-*).", flag_values=flag_values)
    flags.DEFINE_float(
        "validation_fraction", 0.1, "image_folder only: share of the images "
        "in the validation split.", flag_values=flag_values)
    flags.DEFINE_integer("num_shards", 5, "image_folder and coco: files per "
                         "split.", flag_values=flag_values)
    flags.DEFINE_integer("seed", 0, "image_folder only: seed of the split.",
                         flag_values=flag_values)
    flags.DEFINE_string(
        "foreground_class_of_interest", "person", "coco only: the COCO "
        "category whose presence labels an image 1 (research/slim's flag).",
        flag_values=flag_values)
    flags.DEFINE_float(
        "small_object_area_threshold", 0.005, "coco only: objects covering "
        "this fraction of the image or less do not count (research/slim's "
        "flag).", flag_values=flag_values)
    flags.mark_flags_as_required(["input_format", "input_dir", "output_dir"],
                                 flag_values=flag_values)


def run(flag_values):
    """Converts as the parsed `flag_values` say; returns the exit status.

    Bad input (a ConfigError: a missing, wrong, cut-short or unreadable
    input file, an output_dir that already holds a data set) is printed to
    stderr as one line and gives the bad-input status, 2; nothing is left
    in output_dir.
    """
    with startup.quiet_tensorflow_import():  # converters imports TensorFlow
        from slimtrain.data.datasets import converters
    function_name, default_name = _CONVERTERS[flag_values.input_format]
    convert = getattr(converters, function_name)
    options = {}
    if default_name is not None:
        options["dataset_name"] = flag_values.dataset_name or default_name
    if flag_values.input_format == "image_folder":
        options.update(validation_fraction=flag_values.validation_fraction,
                       num_shards=flag_values.num_shards,
                       seed=flag_values.seed)
    elif flag_values.input_format == "coco":
        options.update(
            foreground_class=flag_values.foreground_class_of_interest,
            small_object_area_threshold=(
                flag_values.small_object_area_threshold),
            num_shards=flag_values.num_shards)
    try:
        if default_name is None and flag_values.dataset_name:
            raise ConfigError(
                "--dataset_name does not apply to --input_format=%s, whose "
                "records are named train.record-* and val.record-* as "
                "research/slim names them: leave it out." %
                flag_values.input_format)
        sizes = convert(flag_values.input_dir, flag_values.output_dir,
                        **options)
    except ConfigError as error:
        print("slimtrain.convert: error: %s" % error, file=sys.stderr)
        return error.exit_status
    print("Wrote %s to %s." % (", ".join(
        "%s: %d examples" % item for item in sorted(sizes.items())),
        flag_values.output_dir))
    return 0


def main(argv):
    if len(argv) > 1:
        raise app.UsageError("Unexpected arguments: %s" % " ".join(argv[1:]))
    return run(flags.FLAGS)


if __name__ == "__main__":
    define_flags(flags.FLAGS)
    app.run(main)
