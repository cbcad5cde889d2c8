"""Reads the TFRecord layout of research/slim's download_and_convert scripts.

Each record is a serialized tf.train.Example (see `dataset_utils`); the image
is PNG or JPEG bytes, or for fixed-size data sets possibly raw uint8 pixels
(`image/format` = "raw"), which TF-Slim's decoder also accepts.
"""

import tensorflow as tf

from slimtrain.data.datasets.file_reading import interleave_files


def read_records(files, num_parallel_reads=1, shuffle_files=False, seed=None):
    """Returns a tf.data.Dataset of serialized tf.train.Example strings."""
    return interleave_files(files, tf.data.TFRecordDataset, num_parallel_reads,
                            shuffle_files, seed)


def parse_encoded(serialized):
    """Returns (encoded image bytes, label int64) of a serialized Example,
    leaving the image undecoded."""
    parsed = tf.io.parse_single_example(serialized, {
        "image/encoded": tf.io.FixedLenFeature((), tf.string),
        "image/class/label": tf.io.FixedLenFeature((), tf.int64)})
    return parsed["image/encoded"], parsed["image/class/label"]


def make_decoder(image_shape, default_format):
    """Returns fn(serialized Example) -> (image uint8 [H, W, C], label int64).

    Args:
      image_shape: (height, width, channels); height and width may be None
        for data sets whose images vary in size (then "raw" is not allowed).
      default_format: the `image/format` assumed when a record has none.
    """
    height, width, channels = image_shape
    features = {
        "image/encoded": tf.io.FixedLenFeature((), tf.string),
        "image/format": tf.io.FixedLenFeature(
            (), tf.string, default_value=default_format),
        "image/class/label": tf.io.FixedLenFeature((), tf.int64),
    }

    def decode_encoded(encoded):
        return tf.io.decode_image(encoded, channels=channels,
                                  expand_animations=False)

    def decode(serialized):
        parsed = tf.io.parse_single_example(serialized, features)
        encoded = parsed["image/encoded"]
        if height is None or width is None:
            image = decode_encoded(encoded)
        else:
            image = tf.cond(
                tf.equal(parsed["image/format"], "raw"),
                lambda: tf.reshape(tf.io.decode_raw(encoded, tf.uint8),
                                   image_shape),
                lambda: decode_encoded(encoded))
        image = tf.ensure_shape(image, image_shape)
        return image, parsed["image/class/label"]

    return decode
