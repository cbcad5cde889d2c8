r"""Converts raw data into the TFRecord layout that `get_dataset` reads.

  python -m slimtrain.convert --input_format=mnist_idx \
      --input_dir=/data/mnist_raw --output_dir=/data/mnist
  python -m slimtrain.convert --input_format=cifar10_bin \
      --input_dir=/data/cifar-10-batches-bin --output_dir=/data/cifar10
  python -m slimtrain.convert --input_format=image_folder \
      --input_dir=/data/flower_photos --output_dir=/data/flowers

The output is then `--dataset_name=mnist|cifar10|flowers --dataset_dir=...`
for training and evaluation. See `slimtrain.data.datasets.converters`.

The flags are registered only when this module runs as a program (or when a
caller passes its own FlagValues to `define_flags`), so importing it never
clashes with another command's flags of the same name.

May import: anything in slimtrain (a program's edge).
"""

import sys

from absl import app, flags

from slimtrain.data.datasets import converters
from slimtrain.errors import ConfigError

_CONVERTERS = {
    "mnist_idx": (converters.convert_mnist_idx, "mnist"),
    "cifar10_bin": (converters.convert_cifar10_bin, "cifar10"),
    "image_folder": (converters.convert_image_folder, "flowers"),
}


def define_flags(flag_values):
    """Registers the converter's flags on `flag_values`."""
    flags.DEFINE_enum(
        "input_format", None, sorted(_CONVERTERS),
        "What input_dir holds: MNIST IDX files, CIFAR-10 binary batches, or "
        "one sub-folder of images per class.", flag_values=flag_values)
    flags.DEFINE_string("input_dir", None, "Folder holding the raw data.",
                        flag_values=flag_values)
    flags.DEFINE_string(
        "output_dir", None, "Folder to write the TFRecords, labels.txt and "
        "split_sizes.txt into (created if missing).", flag_values=flag_values)
    flags.DEFINE_string(
        "dataset_name", None, "File-name prefix of the records; defaults to "
        "mnist, cifar10 or flowers according to input_format.",
        flag_values=flag_values)
    flags.DEFINE_float(
        "validation_fraction", 0.1, "image_folder only: share of the images "
        "in the validation split.", flag_values=flag_values)
    flags.DEFINE_integer("num_shards", 5, "image_folder only: files per split.",
                         flag_values=flag_values)
    flags.DEFINE_integer("seed", 0, "image_folder only: seed of the split.",
                         flag_values=flag_values)
    flags.mark_flags_as_required(["input_format", "input_dir", "output_dir"],
                                 flag_values=flag_values)


def run(flag_values):
    """Converts as the parsed `flag_values` say; returns the exit status.

    Bad input (a ConfigError: a missing, wrong, cut-short or unreadable
    input file, an output_dir that already holds a data set) is printed to
    stderr as one line and gives the bad-input status, 2; nothing is left
    in output_dir.
    """
    convert, default_name = _CONVERTERS[flag_values.input_format]
    options = {}
    if flag_values.input_format == "image_folder":
        options = {"validation_fraction": flag_values.validation_fraction,
                   "num_shards": flag_values.num_shards,
                   "seed": flag_values.seed}
    try:
        sizes = convert(flag_values.input_dir, flag_values.output_dir,
                        dataset_name=flag_values.dataset_name or default_name,
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
