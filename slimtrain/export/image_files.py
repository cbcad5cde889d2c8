"""The image files predict.py classifies: read, checked, and fitted to the model.

- `read_images(paths, channels)` reads each file and decodes it once, with
  the very decoding the model's serving graph applies
  (`model.decode_image`), so a file that would fail inside the model's
  batch is found here and costs only its own error line; it also learns
  each image's size.
- `fit_to_model(images, image_size, preprocessing_name, resize)`: LeNet's
  and CifarNet's evaluation preprocessing crops or pads an image to the
  network's input size, keeping its scale (research/slim's behaviour, made
  for images of the data set's own size). An image of another size gets a
  one-line note saying what the preprocessing does to it, or, with
  `resize`, is scaled to the input size first. The other preprocessings
  resize any image themselves and leave it as it is.
"""

import dataclasses

import tensorflow as tf

from slimtrain.data.preprocessing.preprocessing_factory import crops_or_pads
from slimtrain.errors import first_line
from slimtrain.export.model import decode_image


@dataclasses.dataclass(frozen=True)
class ImageFile:
    """An image file that decodes: its path, bytes and size in pixels."""

    path: str
    data: bytes
    height: int
    width: int


def read_images(paths, channels):
    """Reads and decodes each file as the model will.

    Args:
      paths: the files' paths.
      channels: the model's decode channels (1 or 3).

    Returns:
      (images, errors): an `ImageFile` per file that decodes, and
      [(path, one-line reason)] for the others, each in the order given.
    """
    images, errors = [], []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            errors.append((path, "cannot be read (%s)" % (
                error.strerror or error)))
            continue
        try:
            height, width, _ = decode_image(data, channels).shape
        except (tf.errors.InvalidArgumentError, ValueError) as error:
            errors.append((path, "cannot be decoded as an image (%s)"
                           % first_line(error)))
            continue
        images.append(ImageFile(path, data, height, width))
    return images, errors


def fit_to_model(images, image_size, preprocessing_name, resize):
    """Returns (images, notes) for a model of `image_size` input pixels.

    For a preprocessing that crops or pads (`crops_or_pads`), each image
    not of image_size x image_size pixels is scaled to it when `resize` is
    true (`resized`), and otherwise kept as it is with a note: one line
    saying what the preprocessing will do to it and that --resize scales
    it instead. Other preprocessings resize every image themselves: the
    images are returned as they are, without notes.
    """
    if not crops_or_pads(preprocessing_name):
        return list(images), []
    fitted, notes = [], []
    for image in images:
        if (image.height, image.width) == (image_size, image_size):
            fitted.append(image)
        elif resize:
            fitted.append(resized(image, image_size))
        else:
            fitted.append(image)
            notes.append(_size_note(image, image_size, preprocessing_name))
    return fitted, notes


def resized(image, image_size):
    """The `ImageFile` scaled to image_size x image_size pixels, as PNG.

    Bilinear with antialiasing (an average over the pixels each output
    pixel covers when shrinking); the aspect ratio is not kept.
    """
    pixels = tf.io.decode_image(image.data, expand_animations=False)
    scaled = tf.image.resize(pixels, [image_size, image_size],
                             antialias=True)
    scaled = tf.cast(tf.clip_by_value(tf.round(scaled), 0, 255), tf.uint8)
    return ImageFile(image.path, tf.io.encode_png(scaled).numpy(), image_size,
                     image_size)


def _size_note(image, image_size, preprocessing_name):
    if image.height >= image_size and image.width >= image_size:
        change = "crops it to its central"
    elif image.height <= image_size and image.width <= image_size:
        change = "pads it with black to"
    else:
        change = "crops and pads it to"
    return ("note: %s is %dx%d pixels; %s's preprocessing %s %dx%d, keeping "
            "its scale, so the answer may be wrong: pass --resize to scale it "
            "to %dx%d instead." % (image.path, image.width, image.height,
                                   preprocessing_name, change, image_size,
                                   image_size, image_size, image_size))

