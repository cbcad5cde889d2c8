"""Tests of the converter: each input format round-trips; failures leave
nothing behind; the command reports bad input as one line."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from absl import flags

from slimtrain import convert
from slimtrain.data.datasets import converters, dataset_factory, image_folder
from slimtrain.errors import ConfigError
from tests.test_datasets_writers import (
    random_images,
    read_all,
    write_cifar_bin,
    write_idx,
    write_image_folder,
)
from tests.test_train_dir_cli import mount_tmpfs


def test_mnist_idx_round_trip(tmp_path):
    raw = tmp_path / "raw"
    train_images = random_images(5, 28, 28, 1, seed=1)[..., 0]
    test_images = random_images(2, 28, 28, 1, seed=2)[..., 0]
    write_idx(raw, "train", train_images, [0, 1, 2, 3, 4], gzipped=False)
    write_idx(raw, "t10k", test_images, [5, 6])

    out = tmp_path / "out"
    sizes = converters.convert_mnist_idx(str(raw), str(out))
    assert sizes == {"train": 5, "test": 2}
    assert sorted(os.listdir(out)) == ["labels.txt", "mnist_test.tfrecord",
                                       "mnist_train.tfrecord",
                                       "split_sizes.txt"]
    train = dataset_factory.get_dataset("mnist", "train", str(out))
    assert (train.num_samples, train.num_classes) == (5, 10)
    assert train.labels_to_names[6] == "six"
    images, labels = read_all(train)
    np.testing.assert_array_equal(np.stack(images)[..., 0], train_images)
    np.testing.assert_array_equal(labels, [0, 1, 2, 3, 4])
    images, labels = read_all(dataset_factory.get_dataset("mnist", "test",
                                                          str(out)))
    np.testing.assert_array_equal(np.stack(images)[..., 0], test_images)


def test_cifar10_bin_round_trip(tmp_path):
    raw = tmp_path / "cifar-10-batches-bin"
    images = random_images(4, 32, 32, 3, seed=3)
    write_cifar_bin(str(raw / "data_batch_1.bin"), images[:2], [1, 2])
    write_cifar_bin(str(raw / "data_batch_2.bin"), images[2:3], [3])
    write_cifar_bin(str(raw / "test_batch.bin"), images[3:], [9])

    out = tmp_path / "out"
    assert converters.convert_cifar10_bin(str(tmp_path), str(out)) == {
        "train": 3, "test": 1}
    train = dataset_factory.get_dataset("cifar10", "train", str(out))
    assert train.num_samples == 3 and train.labels_to_names[0] == "airplane"
    read_images, labels = read_all(train)
    np.testing.assert_array_equal(np.stack(read_images), images[:3])
    np.testing.assert_array_equal(labels, [1, 2, 3])
    read_images, labels = read_all(
        dataset_factory.get_dataset("cifar10", "test", str(out)))
    np.testing.assert_array_equal(read_images[0], images[3])
    np.testing.assert_array_equal(labels, [9])


def _small_folder(folder, bad_image=False):
    """Writes 3 classes of 4 images each, sizes varying; returns written."""
    written = write_image_folder(str(folder), {
        name: [random_images(1, 10 + index, 12 + 2 * index, 3,
                             seed=10 * c + index)[0] for index in range(4)]
        for c, name in enumerate(["tulips", "daisy", "roses"])})
    (folder / "LICENSE.txt").write_text("not an image")
    if bad_image:
        (folder / "roses" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nxx")
    return written


def test_image_folder_round_trip_with_seeded_split(tmp_path):
    written = _small_folder(tmp_path / "photos")
    out = tmp_path / "out"
    sizes = converters.convert_image_folder(
        str(tmp_path / "photos"), str(out), validation_fraction=0.25,
        num_shards=2, seed=7)
    assert sizes == {"train": 9, "validation": 3}
    assert sorted(os.listdir(out)) == [
        "flowers_train_00000-of-00002.tfrecord",
        "flowers_train_00001-of-00002.tfrecord",
        "flowers_validation_00000-of-00002.tfrecord",
        "flowers_validation_00001-of-00002.tfrecord",
        "labels.txt", "split_sizes.txt"]

    seen = []
    for split_name, count in sizes.items():
        split = dataset_factory.get_dataset("flowers", split_name, str(out))
        assert (split.num_samples, split.num_classes) == (count, 3)
        assert split.labels_to_names == {0: "daisy", 1: "roses", 2: "tulips"}
        images, labels = read_all(split)
        assert len(images) == count
        seen += [(image.tobytes(), image.shape, split.labels_to_names[label])
                 for image, label in zip(images, labels)]
    expected = [(image.tobytes(), image.shape, name)
                for image, name in written.values()]
    assert sorted(seen) == sorted(expected)

    again = tmp_path / "again"
    converters.convert_image_folder(str(tmp_path / "photos"), str(again),
                                    validation_fraction=0.25, num_shards=2,
                                    seed=7)
    for name in os.listdir(out):
        assert (out / name).read_bytes() == (again / name).read_bytes()


def test_failed_conversion_leaves_nothing(tmp_path):
    _small_folder(tmp_path / "photos", bad_image=True)
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match="broken.png"):
        converters.convert_image_folder(str(tmp_path / "photos"), str(out))
    assert not out.exists()

    out.mkdir()
    (out / "keep.me").write_text("x")
    with pytest.raises(ConfigError):
        converters.convert_image_folder(str(tmp_path / "photos"), str(out))
    assert os.listdir(out) == ["keep.me"]


def test_refuses_output_dir_holding_a_data_set(tmp_path):
    images = random_images(1, 28, 28, 1)[..., 0]
    write_idx(tmp_path / "raw", "train", images, [1])
    write_idx(tmp_path / "raw", "t10k", images, [1])
    out = tmp_path / "out"
    converters.convert_mnist_idx(str(tmp_path / "raw"), str(out))
    before = {name: (out / name).read_bytes() for name in os.listdir(out)}
    with pytest.raises(ConfigError, match="already holds"):
        converters.convert_mnist_idx(str(tmp_path / "raw"), str(out))
    assert {name: (out / name).read_bytes()
            for name in os.listdir(out)} == before


def test_bad_converter_input(tmp_path):
    photos = tmp_path / "photos"
    write_image_folder(str(photos), {"only": random_images(2, 8, 8, 3)})
    with pytest.raises(ConfigError, match="1 class sub-folders"):
        converters.convert_image_folder(str(photos), str(tmp_path / "o1"))
    write_image_folder(str(photos), {"other": random_images(1, 8, 8, 3)})
    with pytest.raises(ConfigError, match="leaves a split empty"):
        converters.convert_image_folder(str(photos), str(tmp_path / "o2"),
                                        validation_fraction=0.1)
    for fraction in (0.0, 1.0, float("nan")):
        with pytest.raises(ConfigError, match="use a fraction between 0 and"):
            converters.convert_image_folder(str(photos), str(tmp_path / "o2"),
                                            validation_fraction=fraction)
    with pytest.raises(ConfigError, match="not a plain file-name prefix"):
        converters.convert_image_folder(str(photos), str(tmp_path / "o3"),
                                        dataset_name="../x")
    with pytest.raises(ConfigError, match="does not exist"):
        converters.convert_image_folder(str(tmp_path / "nope"),
                                        str(tmp_path / "o4"))
    small = random_images(1, 8, 8, 1)[..., 0]
    write_idx(tmp_path / "idx", "train", small, [0])
    write_idx(tmp_path / "idx", "t10k", small, [0])
    with pytest.raises(ConfigError, match=r"needs \(28, 28, 1\)"):
        converters.convert_mnist_idx(str(tmp_path / "idx"),
                                     str(tmp_path / "o5"))
    assert not any(path.name.startswith("o") for path in tmp_path.iterdir())


def parsed_flags(*argv):
    flag_values = flags.FlagValues()
    convert.define_flags(flag_values)
    flag_values(["convert"] + list(argv))
    return flag_values


def test_command_converts_and_reports(tmp_path, capsys):
    _small_folder(tmp_path / "photos")
    status = convert.run(parsed_flags(
        "--input_format=image_folder", "--input_dir=%s" % (tmp_path / "photos"),
        "--output_dir=%s" % (tmp_path / "out"), "--dataset_name=petals",
        "--num_shards=1", "--validation_fraction=0.5"))
    assert status == 0
    assert "train: 6 examples, validation: 6 examples" in capsys.readouterr().out
    split = dataset_factory.get_dataset(
        "flowers", "validation", str(tmp_path / "out"),
        file_pattern="petals_%s_*.tfrecord")
    assert split.num_samples == 6


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, capsys):
    """A real full disk: an 8 KiB tmpfs (mounted as root; skipped where
    mounting is not allowed), too small for the converted records."""
    disk = tmp_path / "disk"
    if not mount_tmpfs(disk, "8k"):
        pytest.skip("mounting a tmpfs needs root (mount -t tmpfs) here")
    try:
        _mnist_raw(tmp_path / "raw")
        status = convert.run(parsed_flags(
            "--input_format=mnist_idx", "--input_dir=%s" % (tmp_path / "raw"),
            "--output_dir=%s" % (disk / "mnist")))
        error = capsys.readouterr().err
        assert status == 2
        assert error.startswith("slimtrain.convert: error: no space left on "
                                "the device of %s" % (disk / "mnist"))
        assert error.count("\n") == 1
        assert os.listdir(str(disk)) == []
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def _mnist_raw(folder, gzipped=True):
    """Writes MNIST IDX files of 20 train and 5 test images; returns the
    path of the train images file."""
    images = random_images(20, 28, 28, 1, seed=4)[..., 0]
    write_idx(folder, "train", images, np.arange(20) % 10, gzipped=gzipped)
    write_idx(folder, "t10k", images[:5], np.arange(5), gzipped=gzipped)
    return folder / ("train-images-idx3-ubyte" + (".gz" if gzipped else ""))


def _cut(path, keep):
    """Keeps the first `keep` bytes of the file (a fraction if below 1)."""
    data = path.read_bytes()
    path.write_bytes(data[:int(keep * len(data)) if keep < 1 else keep])


def _flip_byte(path, fraction):
    data = bytearray(path.read_bytes())
    data[int(fraction * len(data))] ^= 0xFF
    path.write_bytes(bytes(data))


def _gzip_cut_short(raw):
    _cut(_mnist_raw(raw), 0.5)


def _idx_payload_short(raw):
    _cut(_mnist_raw(raw, gzipped=False), 16 + 28 * 28 * 12)


def _gzip_damaged(raw):
    """Whole length and trailer, so only reading the records finds it."""
    _flip_byte(_mnist_raw(raw), 0.5)


def _cifar_batch_of_wrong_length(raw):
    images = random_images(3, 32, 32, 3)
    write_cifar_bin(str(raw / "data_batch_1.bin"), images[:2], [1, 2])
    write_cifar_bin(str(raw / "test_batch.bin"), images[2:], [3])
    with open(raw / "data_batch_1.bin", "ab") as handle:
        handle.write(b"xx")


def _folder_with_files_that_cannot_be_opened(raw):
    _small_folder(raw)
    os.symlink(raw / "gone.png", raw / "daisy" / "link.png")
    (raw / "roses" / "folder.jpg").mkdir()
    # Named third in the line; root reads it whatever its permissions say.
    (raw / "tulips" / "img0.png").chmod(0)


def _folder_with_an_empty_class(raw):
    _small_folder(raw)
    (raw / "lilies").mkdir()


def _empty_folder(raw):
    raw.mkdir()


@pytest.mark.parametrize("input_format, make_input, message", [
    ("mnist_idx", _gzip_cut_short, "train-images-idx3-ubyte.gz is not a "
     "whole gzip file (Compressed file ended before the end-of-stream marker "
     "was reached): it is cut short or damaged; replace it with an intact "
     "copy."),
    ("mnist_idx", _idx_payload_short, "train-images-idx3-ubyte holds 9424 "
     "bytes but its header counts 20 images of 28x28 (15696 bytes): the file "
     "is cut short; replace it with an intact copy."),
    ("mnist_idx", _gzip_damaged, "train-images-idx3-ubyte.gz and 1 more: "
     "record 0 cannot be read as mnist_idx data (inflate() failed with error "
     "-3: incorrect data check): "),
    ("cifar10_bin", _cifar_batch_of_wrong_length, "data_batch_1.bin is 6148 "
     "bytes, not a whole number of 3073-byte CIFAR-10 records"),
    ("image_folder", _folder_with_files_that_cannot_be_opened, "image "
     "file(s) cannot be read: %(raw)s/daisy/link.png (a link to a missing "
     "file); %(raw)s/roses/folder.jpg (not a regular file)"),
    ("image_folder", _folder_with_an_empty_class, "the class sub-folder(s) "
     "lilies of %(raw)s hold no .jpg/.jpeg/.png/.gif/.bmp images"),
    ("image_folder", _empty_folder, "%(raw)s has 0 class sub-folders"),
])
def test_bad_input_is_one_line_with_status_2_and_writes_nothing(
        tmp_path, capsys, input_format, make_input, message):
    """Each fault of the input, found before writing or while writing
    into the staging folder: one line, the bad-input status, no output."""
    raw = tmp_path / "raw"
    make_input(raw)
    out = tmp_path / "out"
    status = convert.run(parsed_flags(
        "--input_format=%s" % input_format, "--input_dir=%s" % raw,
        "--output_dir=%s" % out))
    captured = capsys.readouterr()
    assert status == 2, captured.err
    assert captured.err.startswith("slimtrain.convert: error: ")
    assert captured.err.count("\n") == 1
    assert message % {"raw": raw} in captured.err
    assert captured.out == ""
    assert not out.exists()


def test_command_prints_bad_input_as_one_line(tmp_path, capsys):
    (tmp_path / "README").write_text("no IDX files here")
    status = convert.run(parsed_flags(
        "--input_format=mnist_idx", "--input_dir=%s" % tmp_path,
        "--output_dir=%s" % (tmp_path / "out")))
    assert status == 2
    error = capsys.readouterr().err
    assert error.startswith("slimtrain.convert: error: ")
    assert error.count("\n") == 1 and "train-images-idx3-ubyte" in error


def test_module_runs_as_a_program(tmp_path):
    raw = tmp_path / "raw"
    _gzip_cut_short(raw)
    result = subprocess.run(
        [sys.executable, "-m", "slimtrain.convert",
         "--input_format=mnist_idx", "--input_dir=%s" % raw,
         "--output_dir=%s" % (tmp_path / "out")],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert result.returncode == 2
    assert result.stderr.startswith("slimtrain.convert: error: %s/train-"
                                    "images-idx3-ubyte.gz is not a whole "
                                    "gzip file" % raw)
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()
    # A flag absl cannot parse is bad input too: one line, status 2.
    bad_flag = subprocess.run(
        [sys.executable, "-m", "slimtrain.convert", "--num_shards=two"],
        capture_output=True, text=True, timeout=120)
    assert bad_flag.returncode == 2
    assert bad_flag.stderr.startswith("error: ") and (
        "--num_shards" in bad_flag.stderr)
    assert bad_flag.stderr.count("\n") == 1


def test_write_samples_writes_a_png_of_each_held_out_digit(tmp_path, capsys):
    folder = tmp_path / "samples"
    assert convert.run(parsed_flags("--write_samples=%s" % folder)) == 0
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven",
             "eight", "nine"]
    assert sorted(os.listdir(folder)) == sorted(name + ".png" for name in names)
    assert "Wrote 10 sample images" in capsys.readouterr().out
    images, labels = read_all(dataset_factory.get_dataset("digits", "test"))
    for label, name in enumerate(names):
        decoded = tf.io.decode_png((folder / (name + ".png")).read_bytes())
        first = images[list(labels).index(label)]
        np.testing.assert_array_equal(decoded.numpy(), first)
    assert convert.run(parsed_flags("--write_samples=%s" % folder)) == 0
    assert len(os.listdir(folder)) == 10  # replaced, no temporary left


def test_write_samples_is_a_command_of_its_own(tmp_path, capsys):
    status = convert.run(parsed_flags(
        "--write_samples=%s" % tmp_path, "--input_format=mnist_idx"))
    assert status == 2 and os.listdir(tmp_path) == []
    assert capsys.readouterr().err == (
        "slimtrain.convert: error: --write_samples writes sample images "
        "instead of converting: leave out --input_format, or convert in a "
        "second command.\n")
    assert convert.run(parsed_flags("--input_format=mnist_idx")) == 2
    assert "--input_dir, --output_dir not given" in capsys.readouterr().err


def test_split_flags_default_to_image_folders_defaults():
    values = parsed_flags()
    assert values.validation_fraction == (
        image_folder.DEFAULT_VALIDATION_FRACTION)
    assert values.seed == image_folder.DEFAULT_SPLIT_SEED
