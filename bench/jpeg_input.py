"""JPEG input throughput: slimtrain, research/slim's queues, and the limit.

    python bench/jpeg_input.py [--repeats 3] [--num_images 2000]
        [--seconds 6] [--variants a,b] [--json F] [--markdown F]

Writes (seeded, offline) an ImageNet-shaped data set in research/slim's
TFRecord layout, read as `--dataset_name=flowers`: photo-like JPEGs at
quality 90 (a smooth random colour field plus noise, about 4.6 bits per
pixel: about 100 KB a record, as ImageNet's average), each side 280-520 px,
three in four landscape. Then drains, each in a fresh process, the variants
in rotating order, --repeats rounds:

Training input (Inception preprocessing at 224 px, batch 32, 2 readers, 2
preprocessing threads, as `--num_readers=2 --num_preprocessing_threads=2`):
  slimtrain           `training_stream` as train.py builds it (only the
                      crop's window of each JPEG is decoded)
  slimtrain_full      the same with fast_mode=False (four resize methods,
                      hue and contrast too)
  whole_decode        slimtrain's input before the window decoding: each
                      image decoded whole, then cropped
  slim_queues         research/slim's architecture, from tf-slim's public
                      API: DatasetDataProvider (2 readers, parallel_reader)
                      + the same preprocessing + tf.train.batch (2 threads)
                      + a prefetch queue, run by queue runners
  limit               a bare tf.data loop: read, draw the crop from the JPEG
                      header, decode only the window, resize to 224 (no flip
                      or colour changes)
  limit_distort       the limit plus flip, brightness and saturation (fast
                      mode's distortions)
Evaluation input (central 87.5% crop, 224 px, batch 100, 2 threads):
  slimtrain_eval      `evaluation_pass`, repeated
  eval_limit          a bare tf.data loop: read, decode whole, central
                      crop, resize

Two figures per run, after 10 warm-up batches: examples/sec, and the CPU
time of the whole process per example (getrusage: all threads; examples
per CPU second is the per-core rate). Ratios are taken within each round,
then their median.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

TRAINING_VARIANTS = ("slimtrain", "slimtrain_full", "whole_decode",
                     "slim_queues", "limit", "limit_distort")
EVAL_VARIANTS = ("slimtrain_eval", "eval_limit")
VARIANTS = TRAINING_VARIANTS + EVAL_VARIANTS
# (numerator, denominator) of the ratios shown.
PAIRS = (("slimtrain", "slim_queues"), ("slimtrain", "limit"),
         ("slimtrain", "limit_distort"), ("slimtrain", "whole_decode"),
         ("slimtrain_full", "slim_queues"), ("whole_decode", "slim_queues"),
         ("slim_queues", "limit"), ("slimtrain_eval", "eval_limit"))
IMAGE_SIZE = 224
NUM_CLASSES = 5  # the flowers layout's
_DATA_VERSION = "2"  # bump when write_data writes different files


# ---------------------------------------------------------------- data

def write_data(folder, num_images, seed=0):
    """Writes the JPEG data set: train num_images, validation a quarter."""
    import numpy as np
    import tensorflow as tf

    from slimtrain.data.datasets import dataset_utils

    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    sizes = {"train": num_images, "validation": max(1, num_images // 4)}
    shards = 4
    for split, count in sizes.items():
        for shard in range(shards):
            path = os.path.join(folder, "flowers_%s_%05d-of-%05d.tfrecord"
                                % (split, shard, shards))
            with tf.io.TFRecordWriter(path) as writer:
                for _ in range(shard, count, shards):
                    image = benchlib.photo_like_image(rng)
                    encoded = tf.io.encode_jpeg(image, quality=90).numpy()
                    writer.write(dataset_utils.image_to_tfexample(
                        encoded, b"jpg", image.shape[0], image.shape[1],
                        int(rng.integers(NUM_CLASSES))).SerializeToString())
    dataset_utils.write_split_sizes(sizes, folder)
    dataset_utils.write_label_file(
        {i: "class%d" % i for i in range(NUM_CLASSES)}, folder)


# ---------------------------------------------------------------- children

def _training_preprocessing(fast_mode=True, whole_decode=False):
    """slimtrain's Inception training preprocessing (see the variants)."""
    from slimtrain.data.preprocessing import preprocessing_factory

    inception = preprocessing_factory.get_preprocessing("inception_v3", True)

    def preprocessing_fn(image, height, width, **kwargs):
        return inception(image, height, width, fast_mode=fast_mode, **kwargs)

    preprocessing_fn.accepts_encoded_images = (
        inception.accepts_encoded_images and not whole_decode)
    return preprocessing_fn


def _slimtrain_images(variant, dataset_dir, batch_size, readers, threads):
    import tensorflow.compat.v1 as tf

    from slimtrain.data.datasets import dataset_factory
    from slimtrain.data.input_pipeline import evaluation_pass, training_stream
    from slimtrain.data.preprocessing import preprocessing_factory

    training = variant != "slimtrain_eval"
    split = dataset_factory.get_dataset(
        "flowers", "train" if training else "validation", dataset_dir)
    if training:
        preprocessing_fn = _training_preprocessing(
            fast_mode=variant != "slimtrain_full",
            whole_decode=variant == "whole_decode")
    else:
        preprocessing_fn = preprocessing_factory.get_preprocessing(
            "inception_v3", is_training=False)
    build = training_stream if training else evaluation_pass
    batches = build(
        split, preprocessing_fn, image_size=IMAGE_SIZE, batch_size=batch_size,
        num_readers=readers, num_preprocessing_threads=threads)
    if not training:
        batches = batches.repeat()  # passes over the split, back to back
    return tf.data.make_one_shot_iterator(batches).get_next()[0]


def _slim_queue_images(dataset_dir, batch_size, readers, threads):
    """research/slim's train_image_classifier input, rebuilt from tf-slim."""
    import tensorflow.compat.v1 as tf
    import tf_slim as slim

    import slimtrain  # noqa: F401  (applies slimtrain.compat to tf-slim)
    from slimtrain.data.datasets import dataset_factory
    from slimtrain.data.preprocessing import inception_preprocessing

    split = dataset_factory.get_dataset("flowers", "train", dataset_dir)
    decoder = slim.tfexample_decoder.TFExampleDecoder(
        {"image/encoded": tf.FixedLenFeature((), tf.string, ""),
         "image/format": tf.FixedLenFeature((), tf.string, "png"),
         "image/class/label": tf.FixedLenFeature(
             [], tf.int64, tf.zeros([], tf.int64))},
        {"image": slim.tfexample_decoder.Image(),
         "label": slim.tfexample_decoder.Tensor("image/class/label")})
    dataset = slim.dataset.Dataset(
        data_sources=list(split.files), reader=tf.TFRecordReader,
        decoder=decoder, num_samples=split.num_samples,
        items_to_descriptions={}, num_classes=split.num_classes)
    provider = slim.dataset_data_provider.DatasetDataProvider(
        dataset, num_readers=readers, common_queue_capacity=20 * batch_size,
        common_queue_min=10 * batch_size)
    image, label = provider.get(["image", "label"])
    image = inception_preprocessing.preprocess_image(
        image, IMAGE_SIZE, IMAGE_SIZE, is_training=True)
    images, labels = tf.train.batch([image, label], batch_size=batch_size,
                                    num_threads=threads,
                                    capacity=5 * batch_size)
    queue = slim.prefetch_queue.prefetch_queue([images, labels], capacity=2)
    return queue.dequeue()[0]


def _limit_images(variant, dataset_dir, batch_size, readers, threads):
    """The bare tf.data loops: only the work the input cannot skip."""
    import tensorflow as tf

    from slimtrain.data.datasets import dataset_factory

    training = variant != "eval_limit"
    split = dataset_factory.get_dataset(
        "flowers", "train" if training else "validation", dataset_dir)
    whole_box = tf.constant([0.0, 0.0, 1.0, 1.0], tf.float32, [1, 1, 4])

    def parse(serialized):
        return tf.io.parse_single_example(serialized, {
            "image/encoded": tf.io.FixedLenFeature((), tf.string)
        })["image/encoded"]

    def train_example(serialized, seed):
        encoded = parse(serialized)
        begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
            tf.image.extract_jpeg_shape(encoded), whole_box, seed=seed,
            min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33),
            area_range=(0.05, 1.0), max_attempts=100,
            use_image_if_no_bounding_boxes=True)
        image = tf.image.decode_and_crop_jpeg(
            encoded, tf.stack([begin[0], begin[1], size[0], size[1]]),
            channels=3)
        image = tf.image.convert_image_dtype(image, tf.float32)
        image = tf.compat.v1.image.resize_bilinear(image[tf.newaxis],
                                         [IMAGE_SIZE, IMAGE_SIZE])[0]
        if variant == "limit_distort":
            image = tf.image.stateless_random_flip_left_right(image, seed)
            image = tf.image.stateless_random_brightness(image, 32. / 255.,
                                                         seed)
            image = tf.image.stateless_random_saturation(image, 0.5, 1.5,
                                                         seed)
        return image

    def eval_example(serialized):
        image = tf.io.decode_jpeg(parse(serialized), channels=3)
        image = tf.image.convert_image_dtype(image, tf.float32)
        image = tf.image.central_crop(image, 0.875)
        return tf.compat.v1.image.resize_bilinear(image[tf.newaxis],
                                        [IMAGE_SIZE, IMAGE_SIZE])[0]

    records = tf.data.Dataset.from_tensor_slices(list(split.files))
    if training:
        records = records.shuffle(len(split.files)).repeat()
    records = records.interleave(tf.data.TFRecordDataset,
                                 cycle_length=readers,
                                 num_parallel_calls=readers)
    if training:
        seeds = tf.data.Dataset.range(2**62).map(
            lambda p: tf.stack([p, p]))
        examples = tf.data.Dataset.zip((records.shuffle(1000), seeds)).map(
            train_example, num_parallel_calls=threads)
    else:
        examples = records.map(eval_example,
                               num_parallel_calls=threads).repeat()
    batches = examples.batch(batch_size, drop_remainder=True)
    return tf.compat.v1.data.make_one_shot_iterator(
        batches.prefetch(tf.data.AUTOTUNE)).get_next()


def measure_child(args):
    """Drains one variant's input; prints its rate and CPU per example."""
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    variant = args.child
    training = variant in TRAINING_VARIANTS
    batch_size = args.batch_size if training else args.eval_batch_size
    shape = (batch_size, args.readers, args.threads)
    with tf.Graph().as_default():
        if variant == "slim_queues":
            images = _slim_queue_images(args.dataset_dir, *shape)
        elif variant in ("limit", "limit_distort", "eval_limit"):
            images = _limit_images(variant, args.dataset_dir, *shape)
        else:
            images = _slimtrain_images(variant, args.dataset_dir, *shape)
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(),
                      tf.local_variables_initializer()])
            tf.train.start_queue_runners(sess)  # slim_queues only has any
            benchlib.print_result(benchlib.drain(sess, images, args.seconds))
            # Leave with the session open: closing it would cancel the
            # queue runners' pending ops, and their tracebacks would mix
            # with the result line.
            os._exit(0)


# ---------------------------------------------------------------- parent

def table(summary):
    rounds = summary["rounds"]
    rows = []
    for variant, rate in summary["examples_per_sec"].items():
        cpu = summary["cpu_ms_per_example"][variant]
        rows.append([
            variant, "%.0f (%s)" % (rate, benchlib.spread(
                [r[variant] for r in rounds])),
            "%.2f (%s)" % (cpu, benchlib.spread(
                [r["cpu:" + variant] for r in rounds])),
            "%.0f" % (1e3 / cpu)])
    ratio_rows = []
    for name, ratio in summary["ratios"].items():
        cpu_ratio = summary["cpu_ratios"][name]
        ratio_rows.append([
            name, benchlib.ratio_cell(ratio["all"], digits=2),
            benchlib.ratio_cell(cpu_ratio["all"], digits=2)])
    return (benchlib.markdown_table(
        ["input", "examples/sec, median (range)",
         "CPU ms / example, median (range)", "examples per CPU second"],
        rows) + "\n\n" + benchlib.markdown_table(
        ["ratio (median of rounds, range)", "examples/sec",
         "per core (CPU per example, inverted)"], ratio_rows))


def main():
    parser = benchlib.input_argument_parser(
        __doc__, VARIANTS, "training images written (validation: a quarter "
        "as many)")
    args = parser.parse_args()
    if args.write_data:
        write_data(args.write_data, args.num_images)
    elif args.child:
        measure_child(args)
    else:
        benchlib.run_input_benchmark(args, "jpeg_input", __file__, VARIANTS,
                                     PAIRS, table, _DATA_VERSION)


if __name__ == "__main__":
    main()
