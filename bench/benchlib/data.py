"""The data every benchmark runs on, made locally, never downloaded.

`prepare_data(root)` writes (once per root and data version):
  digits       the built-in digits (1,437 / 360 images, 28x28x1, MNIST IDX)
  mnist_idx    MNIST-sized IDX files (60,000 / 10,000 images): the built-in
               digits, tiled and shifted by a few pixels
  mnist        the same, converted to research/slim's TFRecord layout (PNG)
  cifar10_bin  CIFAR-10-sized binary batches (50,000 / 10,000 images, 32x32x3)
               of synthetic images: random 8x8 colour blocks plus noise, so
               they compress about as well as photographs
  cifar10      the same, converted to the TFRecord layout (PNG)

`photo_like_image(rng)` makes one photo-sized JPEG-able image, for the
benchmarks of encoded-image input (jpeg_input.py, image_folder_input.py).
"""

import gzip
import os
import struct
import time

from .processes import PYTHON, REPO_ROOT, ChildRun

# The data sets each network is benchmarked on by default, as train.py
# flags: MNIST-sized data for LeNet, CIFAR-10-sized data for CifarNet.
MODELS = {
    "lenet": {"dataset_name": "mnist_idx", "eval_dataset_name": "mnist_idx"},
    "cifarnet": {"dataset_name": "cifar10_bin",
                 "eval_dataset_name": "cifar10_bin"},
}


_DATA_VERSION = "1"  # bump when prepare_data writes different files


def training_cases(text):
    """Parses --models: "lenet,cifarnet:cifar10" -> [(key, network, data)].

    Each comma-separated entry is a network, trained on its default data set
    (MODELS), or network:dataset_name. The key names the case in results:
    the network alone for its default data set, else the entry.
    """
    cases = []
    for entry in text.split(","):
        model_name, _, dataset_name = entry.partition(":")
        if model_name not in MODELS:
            raise SystemExit("--models: unknown network %r; use one of %s."
                             % (model_name, ", ".join(MODELS)))
        default = MODELS[model_name]["dataset_name"]
        cases.append((entry if dataset_name not in ("", default)
                      else model_name, model_name, dataset_name or default))
    return cases


def prepare_data(root):
    """Writes (or reuses) every benchmark data set under root; returns dirs.

    Returns {dataset_name: dataset_dir}; "digits" maps to None (built in).
    """
    import numpy as np  # only the parent process makes data

    dirs = {"digits": None}
    for name in ("mnist_idx", "mnist", "cifar10_bin", "cifar10"):
        dirs[name] = os.path.join(root, "data", name)
    marker = os.path.join(root, "data", "READY-" + _DATA_VERSION)
    if os.path.exists(marker):
        return dirs
    started = time.time()
    print("Making benchmark data in %s ..." % os.path.join(root, "data"),
          flush=True)
    rng = np.random.default_rng(0)
    _write_mnist_sized_idx(dirs["mnist_idx"], rng)
    _write_cifar10_sized_bin(dirs["cifar10_bin"], rng)
    # The converter runs in a child, so this process never imports TensorFlow.
    for source, target in (("mnist_idx", "mnist"), ("cifar10_bin", "cifar10")):
        ChildRun([PYTHON, "-m", "slimtrain.convert",
                  "--input_format=" + source, "--input_dir=" + dirs[source],
                  "--output_dir=" + dirs[target]])
    with open(marker, "w") as handle:
        handle.write("made in %.0f s\n" % (time.time() - started))
    print("... done in %.0f s." % (time.time() - started), flush=True)
    return dirs


def _read_idx(path):
    import numpy as np

    with gzip.open(path, "rb") as handle:
        data = handle.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, columns = struct.unpack(">II", data[8:16])
        return np.frombuffer(data[16:], np.uint8).reshape(count, rows, columns)
    return np.frombuffer(data[8:], np.uint8)


def _write_idx(path, array):
    header = (struct.pack(">IIII", 2051, *array.shape) if array.ndim == 3
              else struct.pack(">II", 2049, len(array)))
    with open(path, "wb") as handle:
        handle.write(header + array.astype("uint8").tobytes())


def digits_dir():
    """The built-in digits' folder in this checkout."""
    return os.path.join(REPO_ROOT, "slimtrain", "data", "datasets",
                        "digits_data")


def _write_mnist_sized_idx(folder, rng):
    """MNIST-sized IDX files: the built-in digits tiled and shifted."""
    import numpy as np

    os.makedirs(folder, exist_ok=True)
    for prefix, source, count in (("train", "train", 60000),
                                  ("t10k", "t10k", 10000)):
        images = _read_idx(os.path.join(digits_dir(),
                                        source + "-images-idx3-ubyte.gz"))
        labels = _read_idx(os.path.join(digits_dir(),
                                        source + "-labels-idx1-ubyte.gz"))
        index = rng.integers(0, len(images), count)
        shifts = rng.integers(-3, 4, (count, 2))
        tiled = np.stack([np.roll(images[i], tuple(shift), axis=(0, 1))
                          for i, shift in zip(index, shifts)])
        _write_idx(os.path.join(folder, prefix + "-images-idx3-ubyte"), tiled)
        _write_idx(os.path.join(folder, prefix + "-labels-idx1-ubyte"),
                   labels[index])


def _write_cifar10_sized_bin(folder, rng):
    """CIFAR-10-sized binary batches of synthetic 32x32 colour images."""
    import numpy as np

    os.makedirs(folder, exist_ok=True)
    files = ["data_batch_%d.bin" % i for i in range(1, 6)] + ["test_batch.bin"]
    for filename in files:
        count = 10000
        blocks = rng.integers(0, 256, (count, 3, 8, 8))
        planes = np.repeat(np.repeat(blocks, 4, axis=2), 4, axis=3)
        noise = rng.integers(-12, 13, planes.shape)
        planes = np.clip(planes + noise, 0, 255).astype(np.uint8)
        labels = rng.integers(0, 10, (count, 1)).astype(np.uint8)
        records = np.concatenate([labels, planes.reshape(count, -1)], axis=1)
        with open(os.path.join(folder, filename), "wb") as handle:
            handle.write(records.tobytes())


def dataset_flags(dataset_name, data_dirs):
    """The train.py / eval.py flags naming a benchmark data set."""
    flags = ["--dataset_name=" + dataset_name]
    if data_dirs.get(dataset_name):
        flags.append("--dataset_dir=" + data_dirs[dataset_name])
    return flags


def photo_like_image(rng):
    """A uint8 image, each side 280-520 px, 3 in 4 landscape, that
    compresses about as a photo does: a bicubic-smoothed random colour field
    plus noise (about 4.6 bits per pixel as a JPEG of quality 90, about
    100 KB: ImageNet's average).

    Args:
      rng: a numpy Generator.
    """
    import numpy as np
    import tensorflow as tf

    long_side = int(rng.integers(400, 521))
    short_side = int(max(280, long_side * rng.uniform(0.56, 1.0)))
    height, width = ((short_side, long_side) if rng.uniform() < 0.75
                     else (long_side, short_side))
    coarse = rng.integers(0, 256, (height // 8 + 2, width // 8 + 2, 3))
    image = tf.image.resize(coarse[np.newaxis].astype(np.float32),
                            (height, width), method="bicubic")[0].numpy()
    image += rng.normal(0, 16, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)
