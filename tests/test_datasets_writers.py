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


def encode_bmp(image):
    """A 24-bit uncompressed BMP of a uint8 RGB image: rows bottom-up, each
    in blue-green-red order and padded to a multiple of 4 bytes."""
    height, width, _ = image.shape
    padding = b"\0" * ((4 - width * 3 % 4) % 4)
    pixels = b"".join(image[row, :, ::-1].tobytes() + padding
                      for row in range(height - 1, -1, -1))
    file_header = b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54)
    info_header = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0,
                              len(pixels), 2835, 2835, 0, 0)
    return file_header + info_header + pixels


def encode_gif(image):
    """A GIF of a uint8 RGB image whose three channels are equal (gray).

    The palette is the 256 grays, so each pixel's palette index is its
    value. The LZW data holds each pixel as a literal 9-bit code, with a
    clear code every 250 pixels so that the decoder's table never needs a
    wider code.
    """
    height, width, _ = image.shape
    clear, end = 256, 257
    codes = []
    for start in range(0, height * width, 250):
        codes.append(clear)
        codes.extend(int(value) for value in
                     image[..., 0].reshape(-1)[start:start + 250])
    codes.append(end)
    bits = sum(code << (9 * index) for index, code in enumerate(codes))
    data = bits.to_bytes((9 * len(codes) + 7) // 8, "little")
    blocks = b"".join(bytes([len(data[at:at + 255])]) + data[at:at + 255]
                      for at in range(0, len(data), 255))
    palette = bytes(value for gray in range(256) for value in (gray,) * 3)
    return (b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF7, 0, 0) +
            palette + b"," + struct.pack("<HHHHB", 0, 0, width, height, 0) +
            b"\x08" + blocks + b"\x00;")


def write_photo_folder(folder, classes=3, per_class=8, seed=0):
    """Writes digits of the built-in set as a folder of "photos": one
    sub-folder per digit name, RGB, in sizes from 28 to 36 pixels, as JPEG,
    PNG, GIF and BMP in turn.

    Returns {path: (the image as a reader decodes it, class name)}.
    """
    digits = tf.data.Dataset.from_tensor_slices(_digit_images(seed))
    written = {}
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven",
             "eight", "nine"][:classes]
    counts = dict.fromkeys(range(classes), 0)
    for image, label in digits.as_numpy_iterator():
        if label >= classes or counts[label] == per_class:
            continue
        index = counts[label]
        counts[label] += 1
        pad = 2 * (index % 5)
        rgb = np.repeat(np.pad(image, ((pad, pad), (pad, pad), (0, 0))), 3, 2)
        image_format = ("jpg", "png", "gif", "bmp")[index % 4]
        data = (encode_gif(rgb) if image_format == "gif" else
                encode_bmp(rgb) if image_format == "bmp" else
                encode(rgb, image_format))
        path = os.path.join(folder, names[label], "%s_%d.%s" % (
            names[label], index, image_format))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
        written[path] = (tf.io.decode_image(
            data, channels=3, expand_animations=False).numpy(), names[label])
    return written


def _digit_images(seed):
    """(images uint8 [N, 28, 28, 1], labels) of the built-in digits' train
    split, read from its IDX files, shuffled with `seed`."""
    from slimtrain.data.datasets.dataset_factory import DIGITS_DIR

    with gzip.open(os.path.join(DIGITS_DIR, "train-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read()[16:], np.uint8).reshape(-1, 28, 28, 1)
    with gzip.open(os.path.join(DIGITS_DIR, "train-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read()[8:], np.uint8).astype(np.int64)
    order = np.random.RandomState(seed).permutation(len(labels))
    return images[order], labels[order]


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
