"""LeNet preprocessing: crop or pad to size, then scale to [-1, 1).

Training and evaluation are the same, as in research/slim.
"""

import tensorflow as tf

from slimtrain.data.preprocessing.channels import to_grayscale


def preprocess_image(image, output_height, output_width, is_training=False,
                     use_grayscale=False, seed=None):
    """Returns a float32 [output_height, output_width, C] image in [-1, 1).

    Args:
      image: an [H, W, C] image with values 0-255 (any real or integer type).
      output_height, output_width: the output size; the image is centrally
        cropped or zero-padded (before scaling) to it.
      is_training, seed: accepted so that every preprocessing function takes
        the same arguments; LeNet's preprocessing draws nothing at random.
      use_grayscale: convert an RGB image to one channel first.
    """
    del is_training, seed
    image = tf.cast(image, tf.float32)
    if use_grayscale:
        image = to_grayscale(image)
    image = tf.image.resize_with_crop_or_pad(image, output_height, output_width)
    return (image - 128.0) / 128.0
