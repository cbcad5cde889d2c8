"""Tests of slimtrain.data.input_pipeline on the built-in digits and small files."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from slimtrain.data import input_pipeline
from slimtrain.data.datasets import dataset_factory
from slimtrain.data.preprocessing import preprocessing_factory
from slimtrain.errors import ConfigError
from tests.test_datasets_writers import random_images, read_all, write_cifar_bin


@pytest.fixture(scope="module")
def digits_test():
    return dataset_factory.get_dataset("digits", "test")  # 360 examples


def _lenet(is_training):
    return preprocessing_factory.get_preprocessing("lenet", is_training)


def test_training_batches_have_static_shapes(digits_test):
    dataset = input_pipeline.training_stream(
        digits_test, _lenet(True), batch_size=32,
        image_size=24, labels_offset=1, seed=0)
    assert dataset.element_spec[0].shape == (32, 24, 24, 1)
    assert dataset.element_spec[1].shape == (32,)
    assert dataset.element_spec[1].dtype == tf.int64
    # Repeats forever: more batches than one pass holds.
    labels = np.concatenate([batch[1] for batch in dataset.take(13)])
    assert len(labels) == 13 * 32 > digits_test.num_samples
    assert labels.min() == -1 and labels.max() == 8  # offset by one


def test_training_epochs_give_full_batches_only(digits_test):
    dataset = input_pipeline.training_stream(
        digits_test, _lenet(True), batch_size=50,
        num_epochs=2, seed=0)
    sizes = [len(labels) for _, labels in dataset]
    assert sizes == [50] * (720 // 50)


def test_evaluation_sees_every_example_once_in_order(digits_test):
    dataset = input_pipeline.evaluation_pass(
        digits_test, _lenet(False), batch_size=50,
        num_readers=2, num_preprocessing_threads=3)
    batches = list(dataset.as_numpy_iterator())
    assert [len(labels) for _, labels in batches] == [50] * 7 + [10]
    images = np.concatenate([images for images, _ in batches])
    labels = np.concatenate([labels for _, labels in batches])
    raw_images, raw_labels = read_all(digits_test)
    np.testing.assert_array_equal(labels, raw_labels)
    np.testing.assert_allclose(images, (np.stack(raw_images) - 128.0) / 128.0)


def _sharded_cifar(folder):
    images = random_images(24, 32, 32, 3, seed=2)
    for shard in range(3):
        write_cifar_bin(str(folder / ("data_batch_%d.bin" % (shard + 1))),
                        images[8 * shard:8 * (shard + 1)],
                        [(shard * 8 + i) % 10 for i in range(8)])
    return dataset_factory.get_dataset("cifar10_bin", "train", str(folder))


def test_seed_makes_training_input_repeatable(tmp_path):
    split = _sharded_cifar(tmp_path)
    fn = preprocessing_factory.get_preprocessing("inception_v3", True)

    def first_batches(seed):
        dataset = input_pipeline.training_stream(
            split, fn, batch_size=5, image_size=16,
            num_readers=3, num_preprocessing_threads=3, seed=seed)
        return list(dataset.take(7).as_numpy_iterator())  # past one epoch

    run, rerun, other = first_batches(9), first_batches(9), first_batches(10)
    for (images, labels), (images2, labels2) in zip(run, rerun):
        np.testing.assert_array_equal(images, images2)
        np.testing.assert_array_equal(labels, labels2)
    assert not all(np.array_equal(a[0], b[0]) for a, b in zip(run, other))


@pytest.mark.parametrize("source, preprocessing", [
    ("digits", "lenet"), ("cifar", "cifarnet"), ("cifar", "inception_v3"),
    ("cifar", "vgg_16")])  # vgg: ResizeBilinear has no vectorized form
def test_batch_decoded_evaluation_input_equals_per_example(
        source, preprocessing, digits_test, tmp_path):
    split = digits_test if source == "digits" else _sharded_cifar(tmp_path)
    assert split.decode_batch is not None

    def evaluation_input(split):
        dataset = input_pipeline.evaluation_pass(
            split, preprocessing_factory.get_preprocessing(preprocessing),
            batch_size=7, image_size=24)
        return list(dataset.as_numpy_iterator())

    batched = evaluation_input(split)
    per_example = evaluation_input(
        dataclasses.replace(split, decode_batch=None))
    assert [len(labels) for _, labels in batched] == [
        len(labels) for _, labels in per_example]
    for (images, labels), (images2, labels2) in zip(batched, per_example):
        assert images.shape[1:] == (24, 24, images2.shape[3])
        np.testing.assert_allclose(images, images2, rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(labels, labels2)


def test_graph_mode_one_shot_iterator(digits_test):
    with tf.Graph().as_default():
        dataset = input_pipeline.training_stream(
            digits_test, preprocessing_factory.get_preprocessing(
                "mobilenet_v2", True), batch_size=4,
            image_size=(20, 16))
        images, labels = tf.compat.v1.data.make_one_shot_iterator(
            dataset).get_next()
        assert images.shape == (4, 20, 16, 3)
        with tf.compat.v1.Session() as session:
            image_values, label_values = session.run([images, labels])
    assert image_values.min() >= -1.0 and image_values.max() <= 1.0
    assert label_values.dtype == np.int64


def test_bad_arguments(digits_test):
    def build(dataset=digits_test, **kwargs):
        arguments = dict(batch_size=8)
        arguments.update(kwargs)
        input_pipeline.training_stream(dataset, _lenet(True), **arguments)

    with pytest.raises(ConfigError, match="batch_size is 0"):
        build(batch_size=0)
    with pytest.raises(ConfigError, match="num_readers is 0"):
        build(num_readers=0)
    with pytest.raises(ConfigError, match="image_size"):
        build(image_size=(0, 28))
    with pytest.raises(ConfigError, match="shuffle_buffer_size"):
        build(shuffle_buffer_size=-1)
    varying = dataclasses.replace(digits_test, image_shape=(None, None, 3))
    with pytest.raises(ConfigError, match="pass image_size"):
        build(dataset=varying)
