"""Converts images between one (grayscale) and three (RGB) channels.

Data sets such as MNIST hold one-channel images while the Inception and VGG
preprocessing (and their networks) work on RGB; these helpers let every
preprocessing function take either. The channel count must be static.
"""

import tensorflow as tf


def num_channels(image):
    """Returns the static channel count of an [H, W, C] image."""
    channels = image.shape[-1]
    if channels is None:
        raise ValueError("the image's channel count must be known when the "
                         "graph is built; decode it with a fixed `channels`.")
    return channels


def to_rgb(image):
    """Returns the image with three channels (a gray image is repeated)."""
    return tf.image.grayscale_to_rgb(image) if num_channels(image) == 1 else image


def to_grayscale(image):
    """Returns the image with one channel (RGB is mixed by luminance)."""
    return tf.image.rgb_to_grayscale(image) if num_channels(image) == 3 else image
