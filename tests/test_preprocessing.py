"""Tests of slimtrain.data.preprocessing: shapes, types and ranges of every
variant, seeded repeatability, and the factory's names."""

import numpy as np
import pytest
import tensorflow as tf

from slimtrain.data.preprocessing import (
    cifarnet_preprocessing,
    inception_preprocessing,
    lenet_preprocessing,
    preprocessing_factory,
    vgg_preprocessing,
)
from slimtrain.errors import ConfigError

_RGB = tf.constant(np.random.RandomState(0).randint(
    0, 256, (37, 45, 3)).astype(np.uint8))
_GRAY = tf.constant(np.random.RandomState(1).randint(
    0, 256, (28, 28, 1)).astype(np.uint8))
# Output range of each preprocessing; per-image standardization is checked
# by its mean and deviation instead.
_RANGES = {"lenet": (-1.0, 127.0 / 128.0), "inception": (-1.0, 1.0),
           "vgg": (-123.68, 255.0 - 103.94)}


@pytest.mark.parametrize("is_training", [True, False])
@pytest.mark.parametrize("name, image, channels", [
    ("lenet", _GRAY, 1), ("lenet", _RGB, 3),
    ("cifarnet", _GRAY, 1), ("cifarnet", _RGB, 3),
    ("inception", _RGB, 3), ("inception", _GRAY, 3),
    ("vgg", _RGB, 3), ("vgg", _GRAY, 3),
])
def test_shape_type_and_range(name, image, channels, is_training):
    fn = preprocessing_factory.get_preprocessing(name, is_training)
    kwargs = {"seed": tf.constant([3, 4])} if is_training else {}
    output = fn(image, 24, 20, **kwargs)
    assert output.shape == (24, 20, channels)
    assert output.dtype == tf.float32
    values = output.numpy()
    if name == "cifarnet":
        assert abs(values.mean()) < 1e-4
        assert abs(values.std() - 1.0) < 1e-2
    else:
        low, high = _RANGES[name]
        assert low - 1e-4 <= values.min() and values.max() <= high + 1e-4
        assert values.max() - values.min() > 0.1 * (high - low)


@pytest.mark.parametrize("name", ["lenet", "cifarnet", "inception", "vgg"])
def test_grayscale_output_has_one_channel(name):
    for is_training in (True, False):
        fn = preprocessing_factory.get_preprocessing(name, is_training,
                                                     use_grayscale=True)
        assert fn(_RGB, 16, 16).shape == (16, 16, 1)


@pytest.mark.parametrize("name", ["cifarnet", "inception", "vgg"])
def test_training_distortions_follow_the_seed(name):
    fn = preprocessing_factory.get_preprocessing(name, is_training=True)

    def run(seed):
        return fn(_RGB, 24, 24, seed=tf.constant(seed)).numpy()

    np.testing.assert_array_equal(run([1, 2]), run([1, 2]))
    assert not np.array_equal(run([1, 2]), run([1, 3]))
    # Without a seed each call draws its own.
    assert not np.array_equal(fn(_RGB, 24, 24).numpy(),
                              fn(_RGB, 24, 24).numpy())


@pytest.mark.parametrize("name", ["lenet", "cifarnet", "inception", "vgg"])
def test_evaluation_is_deterministic(name):
    fn = preprocessing_factory.get_preprocessing(name, is_training=False)
    np.testing.assert_array_equal(fn(_RGB, 24, 24).numpy(),
                                  fn(_RGB, 24, 24).numpy())


def test_lenet_crops_or_pads_centrally_and_scales():
    image = tf.fill([4, 4, 1], tf.constant(255, tf.uint8))
    output = lenet_preprocessing.preprocess_image(image, 6, 6).numpy()[..., 0]
    assert output[0, 0] == -1.0 and output[1, 1] == 127.0 / 128.0


def test_vgg_eval_subtracts_channel_means_from_central_crop():
    image = tf.fill([300, 400, 3], tf.constant(200, tf.uint8))
    output = vgg_preprocessing.preprocess_image(image, 224, 224).numpy()
    np.testing.assert_allclose(output[0, 0], [200 - 123.68, 200 - 116.78,
                                              200 - 103.94], atol=1e-3)


def test_inception_slow_mode_and_options():
    image = inception_preprocessing.preprocess_image(
        _RGB, 16, 16, is_training=True, fast_mode=False,
        bbox=tf.constant([[[0.1, 0.1, 0.9, 0.9]]]), seed=tf.constant([5, 6]))
    assert image.shape == (16, 16, 3)
    uncropped = inception_preprocessing.preprocess_image(
        _RGB, 37, 45, crop_image=False).numpy()
    expected = _RGB.numpy() / 255.0 * 2.0 - 1.0
    np.testing.assert_allclose(uncropped, expected, atol=1e-5)
    with pytest.raises(ValueError, match="color_ordering"):
        inception_preprocessing.distort_color(_RGB, color_ordering=2)


def test_cifarnet_padding_argument():
    image = cifarnet_preprocessing.preprocess_image(
        _GRAY, 36, 36, is_training=True, padding=4, seed=tf.constant([1, 1]))
    assert image.shape == (36, 36, 1)


def test_works_in_tf1_graphs_and_dataset_map():
    with tf.Graph().as_default():
        placeholder = tf.compat.v1.placeholder(tf.uint8, [None, None, 3])
        outputs = [preprocessing_factory.get_preprocessing(name, training)(
            placeholder, 8, 8) for name in ("lenet", "cifarnet", "inception",
                                            "vgg") for training in (True, False)]
        with tf.compat.v1.Session() as session:
            values = session.run(outputs, {placeholder: _RGB.numpy()})
    assert all(value.shape == (8, 8, 3) for value in values)

    fn = preprocessing_factory.get_preprocessing("inception_v3", True)
    dataset = tf.data.Dataset.from_tensors(_RGB).repeat(2).map(
        lambda image: fn(image, 8, 8), num_parallel_calls=2)
    assert [value.shape for value in dataset] == [(8, 8, 3), (8, 8, 3)]


@pytest.mark.parametrize("name, module", [
    ("lenet", lenet_preprocessing), ("cifarnet", cifarnet_preprocessing),
    ("inception_v3", inception_preprocessing),
    ("inception_v4", inception_preprocessing),
    ("inception_resnet_v2", inception_preprocessing),
    ("mobilenet_v1", inception_preprocessing),
    ("mobilenet_v1_050", inception_preprocessing),
    ("mobilenet_v2", inception_preprocessing),
    ("mobilenet_v2_140", inception_preprocessing),
    ("mobilenet_v3_small", inception_preprocessing),
    ("mobilenet_v3_large_minimalistic", inception_preprocessing),
    ("nasnet_mobile", inception_preprocessing),
    ("resnet_v1_50", vgg_preprocessing), ("resnet_v2_152", vgg_preprocessing),
    ("vgg_16", vgg_preprocessing), ("vgg_a", vgg_preprocessing),
])
def test_factory_maps_network_names(name, module):
    assert preprocessing_factory.PREPROCESSING_MODULES[name] is module


def test_unknown_name_lists_valid_names():
    with pytest.raises(ConfigError) as caught:
        preprocessing_factory.get_preprocessing("resnet50")
    message = str(caught.value)
    assert "'resnet50'" in message and "\n" not in message
    assert "inception_v3" in message and "resnet_v1_50" in message
