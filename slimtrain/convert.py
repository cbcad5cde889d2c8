r"""Converts raw data into the TFRecord layout that `get_dataset` reads.

  slimtrain convert --input_format=mnist_idx \
      --input_dir=/data/mnist_raw --output_dir=/data/mnist
  slimtrain convert --input_format=cifar10_bin \
      --input_dir=/data/cifar-10-batches-bin --output_dir=/data/cifar10
  slimtrain convert --input_format=image_folder \
      --input_dir=/data/flower_photos --output_dir=/data/flowers
  slimtrain convert --input_format=coco \
      --input_dir=/data/coco --output_dir=/data/visualwakewords

(or `python -m slimtrain.convert ...`). The output is then
`--dataset_name=mnist|cifar10|flowers|visualwakewords --dataset_dir=...`
for training and evaluation. A COCO-style folder holds
annotations/instances_<name>.json and the images of each in <name>/, one
<name> starting with "train" and one with "val" (COCO's own layout, e.g.
instances_train2014.json and train2014/). See
`slimtrain.data.datasets.converters` and `visualwakewords`.

  slimtrain convert --write_samples=samples

writes one PNG image per class of the built-in digits' test split into
samples/, images to try `slimtrain predict` on
(`slimtrain.data.datasets.samples`).

TensorFlow is imported only once the flags are parsed, so `--help` (which
exits 0 and lists this program's flags, `help_text`) is quick, and without
its start-up lines unless -v 1 is given.

The flags are registered only when this module runs as a program (or when a
caller passes its own FlagValues to `define_flags`), so importing it never
clashes with another command's flags of the same name.

May import: anything in slimtrain (a program's edge).
"""

import os
import sys

from absl import app, flags

from slimtrain import cli, startup
from slimtrain.errors import ConfigError
from slimtrain.rundir.write_guard import write_errors

# input_format -> (its function in `converters`, the default dataset_name;
# None: the records' names are fixed, research/slim's visualwakewords layout).
_CONVERTERS = {
    "mnist_idx": ("convert_mnist_idx", "mnist"),
    "cifar10_bin": ("convert_cifar10_bin", "cifar10"),
    "image_folder": ("convert_image_folder", "flowers"),
    "coco": ("convert_coco", None),
}
_REQUIRED = ("input_format", "input_dir", "output_dir")
USAGE = """\
usage: slimtrain convert --input_format=FORMAT --input_dir=DIR --output_dir=DIR
       slimtrain convert --write_samples=DIR
(or python -m slimtrain.convert). Converts raw data into research/slim's
TFRecord layout, or writes sample images of the built-in digits."""


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
    # 0.1 and 0 below are image_folder's DEFAULT_VALIDATION_FRACTION and
    # DEFAULT_SPLIT_SEED, repeated: importing it would import TensorFlow,
    # and --help does without (tests/test_convert.py checks they agree).
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
    flags.DEFINE_string(
        "write_samples", None, "Instead of converting: a folder to write one "
        "PNG image per class of the built-in digits' test split into "
        "(zero.png ... nine.png), to try `slimtrain predict` on.",
        flag_values=flag_values)


def run(flag_values):
    """Converts as the parsed `flag_values` say; returns the exit status.

    Bad input (a ConfigError: a missing, wrong, cut-short or unreadable
    input file, an output_dir that already holds a data set) is printed to
    stderr as one line and gives the bad-input status, 2; nothing is left
    in output_dir. So is a missing flag: --input_format, --input_dir and
    --output_dir, or --write_samples alone.
    """
    try:
        if flag_values.write_samples is not None:
            return _write_samples(flag_values)
        return _convert(flag_values)
    except ConfigError as error:
        print("slimtrain.convert: error: %s" % error, file=sys.stderr)
        return error.exit_status


def _convert(flag_values):
    """Converts input_dir as input_format says; returns the exit status."""
    missing = [name for name in _REQUIRED if flag_values[name].value is None]
    if missing:
        raise ConfigError(
            "%s not given: converting needs --input_format, --input_dir and "
            "--output_dir (or --write_samples=DIR alone)."
            % ", ".join("--" + name for name in missing))
    with startup.quiet_tensorflow_import():
        from slimtrain.data.datasets import converters

    function_name, default_name = _CONVERTERS[flag_values.input_format]
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
    if default_name is None and flag_values.dataset_name:
        raise ConfigError(
            "--dataset_name does not apply to --input_format=%s, whose "
            "records are named train.record-* and val.record-* as "
            "research/slim names them: leave it out." %
            flag_values.input_format)
    with write_errors(flag_values.output_dir):  # a full disk: one line
        sizes = getattr(converters, function_name)(
            flag_values.input_dir, flag_values.output_dir, **options)
    print("Wrote %s to %s." % (", ".join(
        "%s: %d examples" % item for item in sorted(sizes.items())),
        flag_values.output_dir))
    return 0


def _write_samples(flag_values):
    """Writes the sample images; returns the exit status."""
    given = [name for name in _REQUIRED if flag_values[name].value is not None]
    if given:
        raise ConfigError(
            "--write_samples writes sample images instead of converting: "
            "leave out %s, or convert in a second command."
            % ", ".join("--" + name for name in given))
    with startup.quiet_tensorflow_import():
        from slimtrain.data.datasets import samples

    paths = samples.write_digit_samples(flag_values.write_samples)
    print("Wrote %d sample images of the built-in digits to %s: %s." % (
        len(paths), flag_values.write_samples,
        ", ".join(os.path.basename(path) for path in paths)))
    return 0


def help_text(flag_values):
    """USAGE, then this program's flags with their help and defaults
    (absl's text of them, without its heading: the module's file name)."""
    flag_lines = flag_values.main_module_help().strip().splitlines()[1:]
    return "%s\n\nflags:\n%s" % (USAGE, "\n".join(flag_lines))


def main(argv):
    if len(argv) > 1:
        raise app.UsageError("Unexpected arguments: %s" % " ".join(argv[1:]))
    return run(flags.FLAGS)


if __name__ == "__main__":
    define_flags(flags.FLAGS)
    if any(arg in cli.HELP_ARGUMENTS for arg in sys.argv[1:]):
        print(help_text(flags.FLAGS))
        sys.exit(0)
    app.run(main, flags_parser=cli.parse_flags)  # a bad flag: one line
