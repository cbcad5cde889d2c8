"""Image-folder input throughput: photos read as they are, against the same
photos converted to TFRecords.

    python bench/image_folder_input.py [--repeats 3] [--num_images 2000]
        [--seconds 6] [--variants a,b] [--json F] [--markdown F]

Writes (seeded, offline) a folder of photo-like JPEGs, one sub-folder per
class (`benchlib.photo_like_image`: sides 280-520 px, about 100 KB each),
and converts it with `slimtrain convert --input_format=image_folder` (same
validation fraction and seed, so both hold the same images in each split).
Then drains, each in a fresh process, the variants in rotating order,
--repeats rounds:

Training input (Inception preprocessing at 224 px, batch 32, 2 readers, 2
preprocessing threads; `training_stream` as train.py builds it):
  folder        --dataset_name=image_folder --dataset_dir=<the folder>
  records       --dataset_name=flowers --dataset_dir=<the TFRecords>
Evaluation input (central crop, 224 px, batch 100, 2 threads;
`evaluation_pass`, repeated):
  folder_eval, records_eval   the validation splits, as above

Two figures per run, after 10 warm-up batches: examples/sec, and the CPU
time of the whole process per example. Ratios are taken within each
round, then their median: folder/records is what reading the files
instead of the converted records costs (or gains).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

VARIANTS = ("folder", "records", "folder_eval", "records_eval")
PAIRS = (("folder", "records"), ("folder_eval", "records_eval"))
IMAGE_SIZE = 224
NUM_CLASSES = 5
VALIDATION_FRACTION = 0.2
_DATA_VERSION = "1"  # bump when write_data writes different files


def write_data(root, num_images, seed=0):
    """Writes root/photos (num_images JPEGs in NUM_CLASSES sub-folders) and
    root/records (the same, converted)."""
    import numpy as np
    import tensorflow as tf

    from slimtrain.data.datasets import converters

    rng = np.random.default_rng(seed)
    photos = os.path.join(root, "photos")
    for index in range(num_images):
        folder = os.path.join(photos, "class%d" % (index % NUM_CLASSES))
        os.makedirs(folder, exist_ok=True)
        encoded = tf.io.encode_jpeg(benchlib.photo_like_image(rng),
                                    quality=90).numpy()
        with open(os.path.join(folder, "photo%05d.jpg" % index), "wb") as f:
            f.write(encoded)
    converters.convert_image_folder(
        photos, os.path.join(root, "records"),
        validation_fraction=VALIDATION_FRACTION, seed=0, num_shards=4)


def measure_child(args):
    """Drains one variant's input; prints its rate and CPU per example."""
    import tensorflow.compat.v1 as tf

    from slimtrain.data.datasets import dataset_factory
    from slimtrain.data.input_pipeline import evaluation_pass, training_stream
    from slimtrain.data.preprocessing import preprocessing_factory

    tf.disable_eager_execution()
    training = not args.child.endswith("_eval")
    split_name = "train" if training else "validation"
    if args.child.startswith("folder"):
        split = dataset_factory.get_dataset(
            "image_folder", split_name, os.path.join(args.dataset_dir, "photos"),
            validation_fraction=VALIDATION_FRACTION, split_seed=0)
    else:
        split = dataset_factory.get_dataset(
            "flowers", split_name, os.path.join(args.dataset_dir, "records"))
    preprocessing_fn = preprocessing_factory.get_preprocessing(
        "inception_v3", is_training=training)
    build = training_stream if training else evaluation_pass
    with tf.Graph().as_default():
        batches = build(
            split, preprocessing_fn, image_size=IMAGE_SIZE,
            batch_size=args.batch_size if training else args.eval_batch_size,
            num_readers=args.readers,
            num_preprocessing_threads=args.threads)
        if not training:
            batches = batches.repeat()  # passes over the split, back to back
        images = tf.data.make_one_shot_iterator(batches).get_next()[0]
        with tf.Session() as sess:
            benchlib.print_result(benchlib.drain(sess, images, args.seconds))


def table(summary):
    return benchlib.throughput_tables(
        {"jpeg": summary}, lambda result: "%d JPEGs" % (
            result["settings"]["num_images"]),
        [(variant, variant) for variant in VARIANTS],
        [("%s/%s" % pair, "%s/%s" % pair) for pair in PAIRS])


def main():
    parser = benchlib.input_argument_parser(
        __doc__, VARIANTS, "photos written (%g of them held out)"
        % VALIDATION_FRACTION)
    args = parser.parse_args()
    if args.write_data:
        write_data(args.write_data, args.num_images)
    elif args.child:
        measure_child(args)
    else:
        benchlib.run_input_benchmark(args, "image_folder_input", __file__,
                                     VARIANTS, PAIRS, table, _DATA_VERSION)


if __name__ == "__main__":
    main()
