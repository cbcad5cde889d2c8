"""The JPEG training input: only the crop's window is decoded, nothing else
changes.

Inception's training preprocessing takes a JPEG's bytes, draws the crop from
its header and decodes only that window. These tests hold it to the path it
replaces, decoding the whole image and then cropping: the same crops (same
parameters, same per-example seeds) and the same pixels, bit for bit, for
JPEGs of every chroma layout and for non-JPEG bytes in a JPEG data set.
"""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from slimtrain.data import input_pipeline
from slimtrain.data.datasets import dataset_factory
from slimtrain.data.preprocessing import inception_preprocessing, preprocessing_factory
from slimtrain.data.preprocessing.window_decoding import decode_window
from tests.test_datasets_writers import write_slim_tfrecord

_WHOLE_IMAGE = tf.constant([0.0, 0.0, 1.0, 1.0], tf.float32, [1, 1, 4])


def _photo_like(height, width, seed):
    """A smooth random colour field plus noise: compresses like a photo."""
    rng = np.random.RandomState(seed)
    coarse = rng.randint(0, 256, (height // 8 + 2, width // 8 + 2, 3))
    image = tf.image.resize(coarse[np.newaxis].astype(np.float32),
                            (height, width), method="bicubic")[0].numpy()
    image += rng.normal(0, 10, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def _encodings(seed):
    """(name, bytes) of one image in the layouts real JPEG data sets hold."""
    image = _photo_like(57 + seed % 5, 83 - seed % 7, seed)
    return [
        ("jpeg 4:2:0", tf.io.encode_jpeg(image, quality=90).numpy()),
        ("jpeg 4:4:4", tf.io.encode_jpeg(image, quality=90,
                                         chroma_downsampling=False).numpy()),
        ("jpeg progressive", tf.io.encode_jpeg(image, quality=90,
                                               progressive=True).numpy()),
        ("jpeg grayscale", tf.io.encode_jpeg(image[..., :1]).numpy()),
        ("png", tf.io.encode_png(image).numpy()),
    ]


def test_a_decoded_window_equals_the_whole_image_decoded_then_sliced():
    for seed in range(4):
        for name, encoded in _encodings(seed):
            whole = tf.io.decode_image(encoded, channels=3,
                                       expand_animations=False)
            for crop_seed in range(12):
                begin, size, _ = inception_preprocessing.sample_crop_window(
                    tf.shape(whole), _WHOLE_IMAGE, seed=[seed, crop_seed])
                window = decode_window(
                    encoded, lambda shape, begin=begin, size=size: (begin, size))
                np.testing.assert_array_equal(
                    window, tf.slice(whole, begin, size),
                    err_msg="%s, window %s + %s" % (name, begin, size))


@pytest.mark.parametrize("fast_mode", [True, False])
@pytest.mark.parametrize("random_crop", [True, False])
def test_inception_training_gives_the_same_pixels_from_bytes(fast_mode,
                                                             random_crop):
    for seed in range(3):
        for name, encoded in _encodings(seed):
            decoded = tf.io.decode_image(encoded, channels=3,
                                         expand_animations=False)
            for example_seed in range(4):
                outputs = [inception_preprocessing.preprocess_for_train(
                    image, 24, 32, fast_mode=fast_mode,
                    random_crop=random_crop,
                    seed=tf.constant([example_seed, seed], tf.int64))
                    for image in (tf.constant(encoded), decoded)]
                np.testing.assert_array_equal(*outputs, err_msg=name)


def test_the_crop_is_drawn_from_the_jpeg_header_with_inceptions_parameters():
    """The boxes cover 5-100% of the image with aspect ratios 0.75-1.33."""
    encoded = tf.io.encode_jpeg(_photo_like(300, 400, 0)).numpy()
    shape = tf.image.extract_jpeg_shape(encoded)
    areas, ratios = [], []
    for seed in range(200):
        _, size, _ = inception_preprocessing.sample_crop_window(
            shape, _WHOLE_IMAGE, seed=[seed, 0])
        height, width = int(size[0]), int(size[1])
        areas.append(height * width / (300 * 400))
        ratios.append(width / height)
    assert 0.05 <= min(areas) < 0.15 and max(areas) > 0.9
    # sample_distorted_bounding_box rounds the height, so the ratio can pass
    # the range's ends by a pixel's worth.
    assert 0.74 < min(ratios) < 0.8 and 1.25 < max(ratios) < 1.35


def test_factory_offers_bytes_to_inception_training_only():
    def accepts(name, is_training):
        return preprocessing_factory.get_preprocessing(
            name, is_training).accepts_encoded_images

    assert accepts("inception_v3", True) and accepts("mobilenet_v2", True)
    assert not accepts("inception_v3", False)
    assert not accepts("vgg_16", True) and not accepts("lenet", True)


@pytest.fixture(scope="module")
def jpeg_flowers(tmp_path_factory):
    """A flowers-layout split of JPEGs of varying size, one a PNG in a
    record that says "jpeg" (real ImageNet holds such records)."""
    folder = tmp_path_factory.mktemp("flowers")
    for shard in range(2):
        images = [_photo_like(40 + 9 * i, 70 - 5 * i, 10 * shard + i)
                  for i in range(6)]
        path = str(folder / ("flowers_train_%05d-of-00002.tfrecord" % shard))
        write_slim_tfrecord(path, images, [i % 3 for i in range(6)],
                            image_format="jpg")
    png = _photo_like(50, 60, 99)
    path = str(folder / "flowers_train_00002-of-00002.tfrecord")
    with tf.io.TFRecordWriter(path) as writer:
        writer.write(tf.train.Example(features=tf.train.Features(feature={
            "image/encoded": tf.train.Feature(bytes_list=tf.train.BytesList(
                value=[tf.io.encode_png(png).numpy()])),
            "image/format": tf.train.Feature(bytes_list=tf.train.BytesList(
                value=[b"jpeg"])),
            "image/class/label": tf.train.Feature(
                int64_list=tf.train.Int64List(value=[4]))})).SerializeToString())
    split = dataset_factory.get_dataset("flowers", "train", str(folder))
    return dataclasses.replace(split, num_samples=13)


def _batches(split, preprocessing_fn, seed, count=7, start_position=0):
    dataset = input_pipeline.training_stream(
        split, preprocessing_fn, batch_size=4,
        image_size=20, num_readers=2, num_preprocessing_threads=2,
        seed=seed, start_position=start_position)
    return list(dataset.take(count).as_numpy_iterator())  # two epochs


def test_jpeg_training_input_is_the_decode_then_crop_input(jpeg_flowers):
    assert jpeg_flowers.parse_encoded is not None
    inception = preprocessing_factory.get_preprocessing("inception_v3", True)

    handed = []

    def from_bytes(image, height, width, **kwargs):
        handed.append(image.dtype)
        return inception(image, height, width, **kwargs)

    from_bytes.accepts_encoded_images = True

    def decoded_only(image, height, width, **kwargs):
        handed.append(image.dtype)
        return inception(image, height, width, **kwargs)

    window_input = _batches(jpeg_flowers, from_bytes, seed=5)
    assert handed == [tf.string]
    whole_input = _batches(jpeg_flowers, decoded_only, seed=5)
    assert handed == [tf.string, tf.uint8]
    rerun = _batches(jpeg_flowers, inception, seed=5)
    other = _batches(jpeg_flowers, inception, seed=6)
    for (images, labels), (images2, labels2), (images3, labels3) in zip(
            window_input, whole_input, rerun):
        np.testing.assert_array_equal(images, images2)
        np.testing.assert_array_equal(images, images3)
        np.testing.assert_array_equal(labels, labels2)
        np.testing.assert_array_equal(labels, labels3)
    assert 4 in np.concatenate([labels for _, labels in window_input])  # PNG
    assert not all(np.array_equal(a[0], b[0])
                   for a, b in zip(window_input, other))

    # Entered at a position (exact resume), it continues the same stream.
    resumed = _batches(jpeg_flowers, inception, seed=5, count=3,
                       start_position=4 * 4)
    for (images, labels), (images2, labels2) in zip(resumed, window_input[4:]):
        np.testing.assert_array_equal(images, images2)
        np.testing.assert_array_equal(labels, labels2)
