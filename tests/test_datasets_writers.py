"""Writes small data files in each raw and TFRecord layout, for the tests.

Written independently of slimtrain's own writers (feature keys and byte
layouts spelled out here), so that reading them back checks slimtrain against
the formats themselves. This module holds no tests.
"""

import gzip
import os
import struct

import numpy as np
import tensorflow as tf


def random_images(count, height, width, channels, seed=0):
    """Returns [count, height, width, channels] random uint8 images."""
    return np.random.RandomState(seed).randint(
        0, 256, (count, height, width, channels)).astype(np.uint8)


def write_idx(folder, prefix, images, labels, gzipped=True):
    """Writes MNIST IDX image and label files, e.g. prefix "train"/"t10k"."""
    count, rows, columns = images.shape[:3]
    files = {
        "%s-images-idx3-ubyte" % prefix:
            struct.pack(">4I", 2051, count, rows, columns) + images.tobytes(),
        "%s-labels-idx1-ubyte" % prefix:
            struct.pack(">2I", 2049, len(labels)) +
            np.asarray(labels, np.uint8).tobytes(),
    }
    os.makedirs(folder, exist_ok=True)
    for name, data in files.items():
        if gzipped:
            with gzip.open(os.path.join(folder, name + ".gz"), "wb") as handle:
                handle.write(data)
        else:
            with open(os.path.join(folder, name), "wb") as handle:
                handle.write(data)


def write_cifar_bin(path, images, labels):
    """Writes CIFAR-10 binary records: label byte, then R, G, B planes."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        for image, label in zip(images, labels):
            handle.write(bytes([int(label)]))
            handle.write(np.transpose(image, (2, 0, 1)).tobytes())


def encode(image, image_format):
    """Returns PNG, JPEG or raw bytes of one uint8 image."""
    if image_format == "png":
        return tf.io.encode_png(image).numpy()
    if image_format == "jpg":
        return tf.io.encode_jpeg(image).numpy()
    return image.tobytes()


def write_slim_tfrecord(path, images, labels, image_format="png"):
    """Writes images as research/slim's download_and_convert scripts do.

    Returns the encoded image bytes, in order.
    """
    os.makedirs(os.path.dirname(path), exist_ok=True)
    encoded_images = []
    with tf.io.TFRecordWriter(path) as writer:
        for image, label in zip(images, labels):
            encoded = encode(image, image_format)
            encoded_images.append(encoded)
            feature = {
                "image/encoded": tf.train.Feature(
                    bytes_list=tf.train.BytesList(value=[encoded])),
                "image/format": tf.train.Feature(
                    bytes_list=tf.train.BytesList(
                        value=[image_format.encode()])),
                "image/class/label": tf.train.Feature(
                    int64_list=tf.train.Int64List(value=[int(label)])),
                "image/height": tf.train.Feature(
                    int64_list=tf.train.Int64List(value=[image.shape[0]])),
                "image/width": tf.train.Feature(
                    int64_list=tf.train.Int64List(value=[image.shape[1]])),
            }
            writer.write(tf.train.Example(features=tf.train.Features(
                feature=feature)).SerializeToString())
    return encoded_images


def write_labels_txt(folder, names):
    with open(os.path.join(folder, "labels.txt"), "w") as handle:
        handle.writelines("%d:%s\n" % item for item in enumerate(names))


def write_image_folder(folder, images_per_class):
    """Writes {class name: [uint8 images]} as PNG (even) and JPEG (odd).

    Returns {path: (decoded image as a reader sees it, class name)}.
    """
    written = {}
    for class_name, images in images_per_class.items():
        os.makedirs(os.path.join(folder, class_name), exist_ok=True)
        for index, image in enumerate(images):
            image_format = "png" if index % 2 == 0 else "jpg"
            data = encode(image, image_format)
            path = os.path.join(folder, class_name,
                                "img%d.%s" % (index, image_format))
            with open(path, "wb") as handle:
                handle.write(data)
            written[path] = (tf.io.decode_image(data, channels=3).numpy(),
                             class_name)
    return written


def read_all(dataset_split, **kwargs):
    """Returns (images list, labels array) of a DatasetSplit, in order."""
    images, labels = [], []
    for image, label in dataset_split.make_dataset(**kwargs).as_numpy_iterator():
        images.append(image)
        labels.append(label)
    return images, np.array(labels, np.int64)
