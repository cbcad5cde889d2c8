"""Decodes only the window of an encoded image that a crop keeps.

Inception's training crop keeps 5-100% of an image, so decoding the whole of
a JPEG and then slicing decodes pixels that are thrown away at once. A JPEG
holds its shape in its header (`tf.image.extract_jpeg_shape`), so the crop
can be drawn before decoding and `tf.image.decode_and_crop_jpeg` can decode
just that window, as TensorFlow's own ResNet input pipeline does. Other
formats (PNG, GIF, BMP: e.g. the few PNGs among real ImageNet's JPEGs) are
decoded whole and sliced, so the result is the same for every format.
"""

import tensorflow as tf


def decode_window(encoded, choose_window, channels=3):
    """Returns the window of an encoded image that choose_window picks.

    The pixels equal those of the whole image decoded (`tf.io.decode_image`
    with the same `channels`) and then sliced. For a JPEG the window is
    widened by one column on each side before decoding and trimmed after:
    libjpeg's smooth ("fancy") upsampling of the colour planes treats the
    edge of a decoded window as the edge of the image, which changes the
    outermost columns of a window cut from inside it.

    Args:
      encoded: a string scalar, the bytes of a JPEG, PNG, GIF or BMP image.
      choose_window: fn(image shape, int32 [3]: height, width, `channels`)
        -> (begin, size), int32 [3] each as `tf.slice` takes them, e.g. the
        first two outputs of `tf.image.stateless_sample_distorted_bounding_box`.
      channels: the channel count to decode to (1 or 3).

    Returns:
      uint8 [window height, window width, channels].
    """
    def jpeg_window():
        height_width = tf.image.extract_jpeg_shape(encoded)[:2]
        begin, size = choose_window(
            tf.concat([height_width, [channels]], axis=0))
        left = tf.maximum(begin[1] - 1, 0)
        right = tf.minimum(begin[1] + size[1] + 1, height_width[1])
        widened = tf.image.decode_and_crop_jpeg(
            encoded, tf.stack([begin[0], left, size[0], right - left]),
            channels=channels)
        return tf.slice(widened, [0, begin[1] - left, 0],
                        [size[0], size[1], channels])

    def whole_image_window():
        image = tf.io.decode_image(encoded, channels=channels,
                                   expand_animations=False)
        begin, size = choose_window(tf.shape(image))
        return tf.slice(image, begin, size)

    window = tf.cond(tf.io.is_jpeg(encoded), jpeg_window, whole_image_window)
    window.set_shape([None, None, channels])
    return window


def decode_whole(encoded, channels=3):
    """Returns the whole encoded image, uint8 [height, width, channels]."""
    image = tf.io.decode_image(encoded, channels=channels,
                               expand_animations=False)
    image.set_shape([None, None, channels])
    return image
