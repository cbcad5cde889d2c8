"""What exact resume costs: checkpoint bytes and the time to re-enter the input.

    python bench/resume_seek.py [--repeats 3] [--workdir DIR] [--json F]

A resumed run enters its training input stream at the position saved in the
checkpoint (slimtrain.data.input_pipeline): it starts at the saved epoch and
reads, without decoding, the records of that epoch that come before the
position. This measures, per data shape, the first batch's `session.run`
(which fills the shuffle buffer, skips, decodes and preprocesses a batch)
when entering at 0 and at the last record of the epoch; the difference is
the seek, shown per record and extrapolated to the worst case (one whole
epoch of the full-size data set). The shuffle buffer is kept small (256
records) so that the skipped records come from the files, not from a buffer
filled anyway; the cost per record does not depend on it. The checkpoint
cost is the two int64 variables of `input_position/`, the same for every
data set.

Shapes: MNIST-sized IDX (60,000 28x28 images), CIFAR-10-sized binary
batches (50,000), and ImageNet-shaped TFRecords (JPEG noise, quality 90,
sides 280-520 px, about 110 KB per record; a few thousand records, in
research/slim's layout), read with the training input of lenet, cifarnet
and inception_v3 (batch 32, the default reader and thread counts).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

IMAGENET_TRAIN_RECORDS = 1281167
IMAGENET_SHAPED_RECORDS = 2000

# (case, data set, network, full-size epoch in records)
CASES = (
    ("MNIST-sized IDX", "mnist_idx", "lenet", 60000),
    ("CIFAR-10-sized binary", "cifar10_bin", "cifarnet", 50000),
    ("ImageNet-shaped TFRecord JPEG", "flowers", "inception_v3",
     IMAGENET_TRAIN_RECORDS),
)


def write_imagenet_shaped(folder, count):
    """`count` JPEG-noise records in research/slim's flowers layout."""
    import numpy as np
    import tensorflow as tf

    from slimtrain.data.datasets import dataset_utils

    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    path = os.path.join(folder, "flowers_train_00000-of-00001.tfrecord")
    with tf.io.TFRecordWriter(path) as writer:
        for _ in range(count):
            height, width = rng.integers(280, 521, 2)
            pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            encoded = tf.io.encode_jpeg(pixels, quality=90).numpy()
            example = dataset_utils.image_to_tfexample(
                encoded, b"jpg", int(height), int(width),
                int(rng.integers(0, 5)))
            writer.write(example.SerializeToString())
    dataset_utils.write_label_file(
        dict(enumerate(["a", "b", "c", "d", "e"])), folder)
    dataset_utils.write_split_sizes({"train": count, "validation": 0},
                                    folder)


SHUFFLE_BUFFER = 256


def first_batch_secs(dataset_name, dataset_dir, network, position):
    """Seconds of the first batch's session.run, and the split's size."""
    import tensorflow.compat.v1 as tf

    from nets import nets_factory
    from slimtrain.data.datasets import dataset_factory
    from slimtrain.data.input_pipeline import training_stream
    from slimtrain.data.preprocessing import preprocessing_factory

    split = dataset_factory.get_dataset(dataset_name, "train", dataset_dir)
    preprocessing = preprocessing_factory.get_preprocessing(
        network, is_training=True)
    size = nets_factory.get_network_fn(network, 10).default_image_size
    with tf.Graph().as_default():
        batches = training_stream(
            split, preprocessing, batch_size=32,
            image_size=size, seed=1, start_position=position,
            shuffle_buffer_size=SHUFFLE_BUFFER)
        images, _ = tf.data.make_one_shot_iterator(batches).get_next()
        with tf.Session() as sess:
            started = time.time()
            sess.run(images)
            return time.time() - started, split.num_samples


def main():
    parser = benchlib.argument_parser(__doc__.split("\n")[0], 3)
    args = parser.parse_args()
    with benchlib.Workdir(args.workdir) as workdir:
        dirs = benchlib.prepare_data(workdir.path)
        dirs["flowers"] = os.path.join(workdir.path, "data", "imagenet_shaped")
        if not os.path.exists(dirs["flowers"]):
            write_imagenet_shaped(dirs["flowers"], IMAGENET_SHAPED_RECORDS)
        rows, results = [], []
        for case, dataset_name, network, full_epoch in CASES:
            at_start, at_end = [], []
            for _ in range(args.repeats):
                secs, records = first_batch_secs(dataset_name,
                                                 dirs[dataset_name], network, 0)
                at_start.append(secs)
                skipped = records - 1
                at_end.append(first_batch_secs(dataset_name,
                                               dirs[dataset_name], network,
                                               skipped)[0])
            seek = max(benchlib.median(at_end) - benchlib.median(at_start), 0)
            per_record = seek / skipped
            results.append({"case": case, "records_skipped": skipped,
                            "first_batch_secs_at_0": at_start,
                            "first_batch_secs_at_end_of_epoch": at_end,
                            "seek_us_per_record": per_record * 1e6,
                            "worst_case_secs": per_record * full_epoch})
            rows.append([case, "%d" % skipped,
                         "%.2f" % benchlib.median(at_start),
                         "%.2f" % benchlib.median(at_end),
                         "%.1f" % (per_record * 1e6),
                         "%.0f" % (per_record * full_epoch)])
        table = benchlib.markdown_table(
            ["data", "records skipped", "first batch at 0 (s)",
             "first batch at the epoch's end (s)", "seek per record (us)",
             "worst case, one full epoch (s)"], rows)
        print(table)
        print("Checkpoint cost: 2 int64 scalars (input_position/seed, "
              "input_position/examples) for every data set.")
        benchlib.finish(args, "resume_seek", results, table)


if __name__ == "__main__":
    main()
