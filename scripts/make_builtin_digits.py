"""Converts scikit-learn's copy of the UCI digits into slimtrain's built-in data.

Run once, by hand; its output is committed under
slimtrain/data/datasets/digits_data/ so that neither slimtrain nor its tests need
scikit-learn:

    pip install scikit-learn
    python scripts/make_builtin_digits.py

The 1,797 8x8 images (values 0-16) become MNIST-like 28x28 uint8 images: each
is scaled to 0-255, enlarged to 20x20 with antialiased bilinear resampling and
centred in a 28x28 black frame, as MNIST centres its digits in a 20x20 box.
A stratified split (seed 0) keeps 360 images, 36 of each digit, for test.
The IDX files are gzipped with mtime 0 and no file name, so running the
script again writes byte-identical files.
"""

import gzip
import os
import struct

import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

OUTPUT_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "slimtrain", "data", "datasets",
    "digits_data")
NUM_TEST = 360
SEED = 0
DIGIT_SIZE = 20
IMAGE_SIZE = 28
CLASS_NAMES = ("zero", "one", "two", "three", "four", "five", "six",
               "seven", "eight", "nine")


def to_mnist_images(images):
    """Maps [N, 8, 8] values 0-16 to [N, 28, 28] uint8 values 0-255."""
    scaled = tf.constant(images[..., np.newaxis] * (255.0 / 16.0), tf.float32)
    enlarged = tf.image.resize(scaled, [DIGIT_SIZE, DIGIT_SIZE],
                               method="bilinear", antialias=True)
    margin = (IMAGE_SIZE - DIGIT_SIZE) // 2
    framed = tf.pad(enlarged, [[0, 0], [margin, margin], [margin, margin],
                               [0, 0]])
    pixels = np.rint(np.clip(framed.numpy()[..., 0], 0.0, 255.0))
    return pixels.astype(np.uint8)


def write_gzipped(path, data):
    """Gzips `data` into `path` with no name or time stamp in the header."""
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                           compresslevel=9) as handle:
            handle.write(data)


def idx_images(images):
    count, rows, columns = images.shape
    return struct.pack(">4I", 2051, count, rows, columns) + images.tobytes()


def idx_labels(labels):
    return struct.pack(">2I", 2049, len(labels)) + labels.astype(
        np.uint8).tobytes()


def main():
    digits = load_digits()
    images = to_mnist_images(digits.images)
    labels = digits.target
    train_images, test_images, train_labels, test_labels = train_test_split(
        images, labels, test_size=NUM_TEST, stratify=labels,
        random_state=SEED)
    for prefix, split_images, split_labels in (
            ("train", train_images, train_labels),
            ("t10k", test_images, test_labels)):
        write_gzipped(os.path.join(OUTPUT_DIR, prefix + "-images-idx3-ubyte.gz"),
                      idx_images(split_images))
        write_gzipped(os.path.join(OUTPUT_DIR, prefix + "-labels-idx1-ubyte.gz"),
                      idx_labels(split_labels))
        print("%s: %d images, per digit %s" % (
            prefix, len(split_labels),
            np.bincount(split_labels, minlength=10).tolist()))
    with open(os.path.join(OUTPUT_DIR, "labels.txt"), "w") as handle:
        handle.writelines("%d:%s\n" % pair for pair in enumerate(CLASS_NAMES))


if __name__ == "__main__":
    main()
