"""Tests of slimtrain.data.datasets: every layout read back, and every bad input."""

import gzip
import os

import numpy as np
import pytest
import tensorflow as tf

from slimtrain.data.datasets import dataset_factory
from slimtrain.errors import ConfigError
from tests.test_datasets_writers import (
    random_images,
    read_all,
    write_cifar_bin,
    write_idx,
    write_labels_txt,
    write_slim_tfrecord,
)


@pytest.mark.parametrize("split_name, count", [("train", 1437),
                                               ("test", 360)])
def test_builtin_digits_counts_shape_and_labels(split_name, count):
    split = dataset_factory.get_dataset("digits", split_name)
    assert (split.num_samples, split.num_classes) == (count, 10)
    assert split.image_shape == (28, 28, 1)
    assert split.labels_to_names[0] == "zero"
    assert split.labels_to_names[9] == "nine"
    images, labels = read_all(split, num_parallel_calls=2)
    assert len(images) == count
    assert images[0].shape == (28, 28, 1) and images[0].dtype == np.uint8
    assert sorted(set(labels)) == list(range(10))
    stacked = np.stack(images)
    # MNIST-like: a black 4-pixel frame around a 20x20 digit using 0..255.
    assert stacked[:, :4].max() == 0 and stacked[:, -4:].max() == 0
    assert stacked.max() == 255


def test_digits_splits_are_stratified():
    _, test_labels = read_all(dataset_factory.get_dataset("digits", "test"))
    assert set(np.bincount(test_labels)) <= {35, 36, 37}


@pytest.mark.parametrize("gzipped", [True, False])
def test_mnist_idx_reads_back_what_was_written(tmp_path, gzipped):
    train_images = random_images(7, 28, 28, 1, seed=1)[..., 0]
    test_images = random_images(3, 28, 28, 1, seed=2)[..., 0]
    write_idx(tmp_path, "train", train_images, [3, 1, 4, 1, 5, 9, 2], gzipped)
    write_idx(tmp_path, "t10k", test_images, [6, 5, 3], gzipped)

    train = dataset_factory.get_dataset("mnist_idx", "train", str(tmp_path))
    assert (train.num_samples, train.num_classes) == (7, 10)
    assert train.labels_to_names[6] == "six"
    images, labels = read_all(train)
    np.testing.assert_array_equal(np.stack(images)[..., 0], train_images)
    np.testing.assert_array_equal(labels, [3, 1, 4, 1, 5, 9, 2])
    images, labels = read_all(
        dataset_factory.get_dataset("mnist_idx", "test", str(tmp_path)))
    np.testing.assert_array_equal(np.stack(images)[..., 0], test_images)
    np.testing.assert_array_equal(labels, [6, 5, 3])


@pytest.mark.parametrize("in_archive_folder", [False, True])
def test_cifar10_bin_reads_back_what_was_written(tmp_path, in_archive_folder):
    folder = tmp_path / "cifar-10-batches-bin" if in_archive_folder else tmp_path
    images = random_images(5, 32, 32, 3, seed=3)
    write_cifar_bin(str(folder / "data_batch_1.bin"), images[:3], [0, 1, 2])
    write_cifar_bin(str(folder / "data_batch_2.bin"), images[3:], [8, 9])
    write_cifar_bin(str(folder / "test_batch.bin"), images[:1], [7])

    train = dataset_factory.get_dataset("cifar10_bin", "train", str(tmp_path))
    assert (train.num_samples, train.num_classes) == (5, 10)
    assert train.labels_to_names[9] == "truck"
    read_images, labels = read_all(train)  # one file at a time: file order
    np.testing.assert_array_equal(np.stack(read_images), images)
    np.testing.assert_array_equal(labels, [0, 1, 2, 8, 9])
    test = dataset_factory.get_dataset("cifar10_bin", "test", str(tmp_path))
    assert test.num_samples == 1
    read_images, labels = read_all(test)
    np.testing.assert_array_equal(read_images[0], images[0])


def test_cifar10_bin_parallel_reads_interleave_files(tmp_path):
    images = random_images(4, 32, 32, 3, seed=4)
    write_cifar_bin(str(tmp_path / "data_batch_1.bin"), images[:2], [1, 2])
    write_cifar_bin(str(tmp_path / "data_batch_2.bin"), images[2:], [3, 4])
    train = dataset_factory.get_dataset("cifar10_bin", "train", str(tmp_path))
    _, labels = read_all(train, num_parallel_reads=2, num_parallel_calls=2)
    np.testing.assert_array_equal(labels, [1, 3, 2, 4])


@pytest.mark.parametrize("image_format", ["png", "raw"])
def test_mnist_tfrecord_reads_back_what_was_written(tmp_path, image_format):
    images = random_images(4, 28, 28, 1, seed=5)
    write_slim_tfrecord(str(tmp_path / "mnist_test.tfrecord"), images,
                        [9, 8, 7, 6], image_format)
    split = dataset_factory.get_dataset("mnist", "test", str(tmp_path))
    # No split_sizes.txt or labels.txt: the library's size and class count.
    assert (split.num_samples, split.num_classes) == (10000, 10)
    assert split.labels_to_names is None
    read_images, labels = read_all(split)
    np.testing.assert_array_equal(np.stack(read_images), images)
    np.testing.assert_array_equal(labels, [9, 8, 7, 6])


def test_cifar10_tfrecord_with_labels_and_split_sizes(tmp_path):
    images = random_images(3, 32, 32, 3, seed=6)
    write_slim_tfrecord(str(tmp_path / "cifar10_train.tfrecord"), images,
                        [0, 5, 9])
    write_labels_txt(str(tmp_path), ["c%d" % i for i in range(10)])
    (tmp_path / "split_sizes.txt").write_text("train:3\ntest:0\n")
    split = dataset_factory.get_dataset("cifar10", "train", str(tmp_path))
    assert (split.num_samples, split.num_classes) == (3, 10)
    assert split.labels_to_names[5] == "c5"
    read_images, labels = read_all(split)
    np.testing.assert_array_equal(np.stack(read_images), images)
    np.testing.assert_array_equal(labels, [0, 5, 9])


def test_flowers_shards_of_varying_size_and_labels_txt(tmp_path):
    small = random_images(2, 20, 30, 3, seed=7)
    large = random_images(2, 41, 17, 3, seed=8)
    encoded = []
    for shard, (images, fmt) in enumerate([(small, "png"), (large, "jpg")]):
        encoded += write_slim_tfrecord(
            str(tmp_path / ("flowers_train_%05d-of-00002.tfrecord" % shard)),
            images, [shard, shard + 1], fmt)
    write_labels_txt(str(tmp_path), ["daisy", "roses", "tulips"])

    split = dataset_factory.get_dataset("flowers", "train", str(tmp_path))
    assert split.image_shape == (None, None, 3)
    assert split.num_samples == 3320  # the library's size, no split_sizes.txt
    assert split.num_classes == 3  # labels.txt's largest id + 1
    assert split.labels_to_names == {0: "daisy", 1: "roses", 2: "tulips"}
    read_images, labels = read_all(split)
    np.testing.assert_array_equal(labels, [0, 1, 1, 2])
    for image, data in zip(read_images, encoded):
        np.testing.assert_array_equal(image, tf.io.decode_image(data).numpy())
    assert read_images[0].shape == (20, 30, 3)
    assert read_images[3].shape == (41, 17, 3)


def test_imagenet_layout_and_custom_file_pattern(tmp_path):
    images = random_images(2, 16, 16, 3, seed=9)
    write_slim_tfrecord(str(tmp_path / "validation-00000-of-00001"), images,
                        [1, 1000], "jpg")
    split = dataset_factory.get_dataset("imagenet", "validation", str(tmp_path))
    assert (split.num_samples, split.num_classes) == (50000, 1001)
    assert split.labels_to_names is None  # nothing is downloaded
    _, labels = read_all(split)
    np.testing.assert_array_equal(labels, [1, 1000])

    write_slim_tfrecord(str(tmp_path / "mine-test.rec"), images[:1, :, :, :1],
                        [4])
    custom = dataset_factory.get_dataset("mnist", "test", str(tmp_path),
                                         file_pattern="mine-%s.rec")
    with pytest.raises(tf.errors.InvalidArgumentError):
        read_all(custom)  # 16x16 is not MNIST's 28x28: shape is checked


def test_shuffled_file_order_is_seeded(tmp_path):
    for shard in range(4):
        write_slim_tfrecord(
            str(tmp_path / ("flowers_validation_%05d-of-00004.tfrecord"
                            % shard)),
            random_images(1, 8, 8, 3, seed=shard), [shard])
    split = dataset_factory.get_dataset("flowers", "validation", str(tmp_path))

    def order(seed):
        return list(read_all(split, shuffle_files=True, seed=seed,
                             num_parallel_reads=2)[1])

    assert order(11) == order(11)
    assert sorted(order(11)) == [0, 1, 2, 3]
    assert len({tuple(order(seed)) for seed in range(6)}) > 1


def _one_line_error(call, *fragments):
    with pytest.raises(ConfigError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    return message


def test_unknown_dataset_lists_valid_names():
    _one_line_error(lambda: dataset_factory.get_dataset("mnsit", "train"),
                    "mnsit", "cifar10, cifar10_bin, digits, flowers, "
                    "image_folder, imagenet, mnist, mnist_idx")


def test_unknown_split_lists_valid_splits(tmp_path):
    _one_line_error(lambda: dataset_factory.get_dataset("flowers", "test",
                                                        str(tmp_path)),
                    "'test'", "train, validation")


def test_missing_empty_and_unset_dataset_dir(tmp_path):
    _one_line_error(lambda: dataset_factory.get_dataset("mnist", "train"),
                    "needs dataset_dir", "slimtrain.convert")
    _one_line_error(lambda: dataset_factory.get_dataset(
        "mnist", "train", str(tmp_path / "nope")), "does not exist")
    _one_line_error(lambda: dataset_factory.get_dataset(
        "mnist", "train", str(tmp_path)), "is empty")


def test_no_matching_files_names_pattern_and_converter(tmp_path):
    (tmp_path / "unrelated.txt").write_text("x")
    _one_line_error(lambda: dataset_factory.get_dataset(
        "cifar10", "test", str(tmp_path)), "cifar10_test.tfrecord",
        "--input_format=cifar10_bin")
    _one_line_error(lambda: dataset_factory.get_dataset(
        "cifar10", "test", str(tmp_path), file_pattern="cifar.tfrecord"),
        "no '%s'")
    _one_line_error(lambda: dataset_factory.get_dataset(
        "digits", "test", file_pattern="x_%s"), "only to the TFRecord")


def test_bad_raw_files(tmp_path):
    _one_line_error(lambda: dataset_factory.get_dataset(
        "mnist_idx", "test", str(tmp_path / "nope")), "does not exist")
    images = random_images(2, 28, 28, 1)[..., 0]
    write_idx(tmp_path, "t10k", images, [1, 2, 3])  # one label too many
    _one_line_error(lambda: dataset_factory.get_dataset(
        "mnist_idx", "train", str(tmp_path)), "train-images-idx3-ubyte")
    _one_line_error(lambda: dataset_factory.get_dataset(
        "mnist_idx", "test", str(tmp_path)), "2 images", "3 labels")
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as handle:
        handle.write(b"\x00\x00\x08\x03" + b"\x00" * 12)  # an images header
    _one_line_error(lambda: dataset_factory.get_dataset(
        "mnist_idx", "test", str(tmp_path)), "magic number 2049")

    cifar = tmp_path / "cifar"
    cifar.mkdir()
    (cifar / "test_batch.bin").write_bytes(b"\x00" * 3074)
    _one_line_error(lambda: dataset_factory.get_dataset(
        "cifar10_bin", "test", str(cifar)), "3074 bytes")
    _one_line_error(lambda: dataset_factory.get_dataset(
        "cifar10_bin", "train", str(cifar)), "data_batch_*.bin")


def test_bad_labels_txt_names_file_and_line(tmp_path):
    write_slim_tfrecord(str(tmp_path / "mnist_test.tfrecord"),
                        random_images(1, 28, 28, 1), [0])
    (tmp_path / "labels.txt").write_text("0:zero\none\n")
    _one_line_error(lambda: dataset_factory.get_dataset(
        "mnist", "test", str(tmp_path)),
        os.path.join(str(tmp_path), "labels.txt"), "line 2")
