"""CifarNet preprocessing: pad, random crop, flip, brightness and contrast.

Training pads by 4 pixels, takes a random crop, flips left-right at random,
jitters brightness (max delta 63 on 0-255 values) and contrast (0.2-1.8);
evaluation crops or pads centrally. Both end with per-image standardization
(zero mean, unit variance), as research/slim's do. The channel count of the
input is kept unless `use_grayscale` asks for one channel.
"""

import tensorflow as tf

from slimtrain.data.preprocessing.channels import num_channels, to_grayscale
from slimtrain.data.preprocessing.random_seeds import SeedStream

_PADDING = 4


def preprocess_for_train(image, output_height, output_width, padding=_PADDING,
                         use_grayscale=False, seed=None):
    """Returns a randomly distorted, standardized float32 image.

    Args:
      image: an [H, W, C] image with values 0-255.
      output_height, output_width: the size of the random crop.
      padding: zero pixels added on each side before cropping.
      use_grayscale: convert an RGB image to one channel first.
      seed: optional [2] int seed making every random choice repeatable.
    """
    seeds = SeedStream(seed)
    image = tf.cast(image, tf.float32)
    if use_grayscale:
        image = to_grayscale(image)
    if padding > 0:
        image = tf.pad(image, [[padding, padding], [padding, padding], [0, 0]])
    image = tf.image.stateless_random_crop(
        image, [output_height, output_width, num_channels(image)],
        seed=seeds.next())
    image = tf.image.stateless_random_flip_left_right(image, seed=seeds.next())
    image = tf.image.stateless_random_brightness(image, max_delta=63,
                                                 seed=seeds.next())
    image = tf.image.stateless_random_contrast(image, lower=0.2, upper=1.8,
                                               seed=seeds.next())
    return tf.image.per_image_standardization(image)


def preprocess_for_eval(image, output_height, output_width,
                        use_grayscale=False):
    """Returns the centrally cropped or padded, standardized float32 image."""
    image = tf.cast(image, tf.float32)
    if use_grayscale:
        image = to_grayscale(image)
    image = tf.image.resize_with_crop_or_pad(image, output_height, output_width)
    return tf.image.per_image_standardization(image)


def preprocess_image(image, output_height, output_width, is_training=False,
                     padding=_PADDING, use_grayscale=False, seed=None):
    """Preprocesses for training or evaluation; see the two functions above.

    `padding` and `seed` matter only in training, where the image is padded
    and the random choices are made.
    """
    if is_training:
        return preprocess_for_train(image, output_height, output_width,
                                    padding=padding,
                                    use_grayscale=use_grayscale, seed=seed)
    return preprocess_for_eval(image, output_height, output_width,
                               use_grayscale=use_grayscale)
