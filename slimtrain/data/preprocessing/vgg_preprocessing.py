"""VGG preprocessing, also used by the ResNets.

Training resizes the image so that its smaller side is a random length in
[256, 512] (keeping the aspect ratio), takes a random crop of the output size
and flips it left-right at random; evaluation resizes the smaller side to
256 and takes the central crop. Both subtract the ImageNet channel means
(R 123.68, G 116.78, B 103.94) from 0-255 values. These are research/slim's
operations, parameters and random choices, and evaluation gives its pixels:
the resize is TF 1's bilinear one (`tf.compat.v1.image.resize_bilinear`,
align_corners=False: no half-pixel centres) to rint(side * scale). One-
channel input is repeated into RGB first; with `use_grayscale` the output is
one channel, from which the luminance of those means is subtracted (there
research/slim raises an error: it subtracts three means from one channel).
"""

import tensorflow as tf

from slimtrain.data.preprocessing.channels import to_grayscale, to_rgb
from slimtrain.data.preprocessing.random_seeds import SeedStream

_R_MEAN = 123.68
_G_MEAN = 116.78
_B_MEAN = 103.94
# The weights tf.image.rgb_to_grayscale mixes R, G and B with.
_LUMA_WEIGHTS = (0.2989, 0.5870, 0.1140)

_RESIZE_SIDE_MIN = 256
_RESIZE_SIDE_MAX = 512


def _channel_means(use_grayscale):
    means = (_R_MEAN, _G_MEAN, _B_MEAN)
    if use_grayscale:
        return [sum(w * m for w, m in zip(_LUMA_WEIGHTS, means))]
    return list(means)


def _aspect_preserving_resize(image, smallest_side):
    """Resizes (TF 1 bilinear) so the smaller side is `smallest_side`.

    The other side becomes rint(side * scale), computed in float32; the
    result is float32 (0-255 values interpolated, not rounded).
    """
    shape = tf.shape(image)
    height = tf.cast(shape[0], tf.float32)
    width = tf.cast(shape[1], tf.float32)
    scale = tf.cast(smallest_side, tf.float32) / tf.minimum(height, width)
    new_size = tf.cast(tf.math.rint(tf.stack([height, width]) * scale),
                       tf.int32)
    image = tf.cast(image, tf.float32)
    return tf.compat.v1.image.resize_bilinear(
        image[tf.newaxis], new_size, align_corners=False)[0]


def _central_crop(image, crop_height, crop_width):
    shape = tf.shape(image)
    return tf.image.crop_to_bounding_box(
        image, (shape[0] - crop_height) // 2, (shape[1] - crop_width) // 2,
        crop_height, crop_width)


def preprocess_for_train(image, output_height, output_width,
                         resize_side_min=_RESIZE_SIDE_MIN,
                         resize_side_max=_RESIZE_SIDE_MAX,
                         use_grayscale=False, seed=None):
    """Returns a randomly resized, cropped and flipped mean-centred image.

    Args:
      image: an [H, W, C] image with values 0-255, C 1 or 3.
      output_height, output_width: the crop size (at most resize_side_min).
      resize_side_min, resize_side_max: the range of the smaller side's
        length after the aspect-preserving resize.
      use_grayscale: return one channel.
      seed: optional [2] int seed making every random choice repeatable.
    Returns a float32 [output_height, output_width, 3 or 1] image.
    """
    seeds = SeedStream(seed)
    resize_side = seeds.uniform_int(resize_side_min, resize_side_max + 1)
    image = _aspect_preserving_resize(to_rgb(image), resize_side)
    image = tf.image.stateless_random_crop(
        image, [output_height, output_width, 3], seed=seeds.next())
    if use_grayscale:
        image = to_grayscale(image)
    image = tf.image.stateless_random_flip_left_right(image, seed=seeds.next())
    return image - _channel_means(use_grayscale)


def preprocess_for_eval(image, output_height, output_width, resize_side,
                        use_grayscale=False):
    """Returns the central crop of the resized image, mean-centred float32.

    `resize_side` is the smaller side's length after the aspect-preserving
    resize; the other arguments are as in `preprocess_for_train`.
    """
    image = _aspect_preserving_resize(to_rgb(image), resize_side)
    image = _central_crop(image, output_height, output_width)
    if use_grayscale:
        image = to_grayscale(image)
    return image - _channel_means(use_grayscale)


def preprocess_image(image, output_height, output_width, is_training=False,
                     resize_side_min=_RESIZE_SIDE_MIN,
                     resize_side_max=_RESIZE_SIDE_MAX, use_grayscale=False,
                     seed=None):
    """Preprocesses for training or evaluation; see the two functions above.

    In evaluation the smaller side is resized to `resize_side_min` and
    `resize_side_max` and `seed` are not used.
    """
    if is_training:
        return preprocess_for_train(image, output_height, output_width,
                                    resize_side_min, resize_side_max,
                                    use_grayscale, seed)
    return preprocess_for_eval(image, output_height, output_width,
                               resize_side_min, use_grayscale)
