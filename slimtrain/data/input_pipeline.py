"""Builds the batched tf.data input of training and evaluation.

Training:   epoch by epoch: files (shuffled, `num_readers` at once) ->
            shuffle the encoded records -> [skip to the start position] ->
            decode + preprocess in parallel -> batch (full batches only)
            -> prefetch.
Evaluation: files in order -> decode + preprocess in parallel -> batch
            (the last batch may be partial) -> prefetch; no shuffle, no
            repeat, so every example is seen exactly once per pass.
            Data sets with a `decode_batch` (the fixed-size raw formats):
            files in order -> batch the records -> decode and preprocess
            each batch in one call (`tf.vectorized_map`), in parallel ->
            prefetch.

Shuffling happens before decoding, on the small encoded records, so a large
buffer costs little memory. In training, a data set of encoded images of
varying size (JPEG, PNG: `DatasetSplit.parse_encoded`) hands the encoded bytes
to a preprocessing that decodes them itself (`accepts_encoded_images`, e.g.
Inception's, which decodes only the random crop's window of a JPEG, with the
same pixels as decoding the whole image and cropping it).

Decoding and preprocessing one example of the fixed-size raw formats costs
tens of microseconds, mostly tf.data's call of the map function, so their
evaluation input, which a fast network drains at thousands of examples per
second, is decoded and preprocessed a batch per call.

The training stream is a function of its seed alone, and can be entered at
any position: epoch e's order comes from (seed, e), and the example at
position p gets its random distortions from a per-example seed derived from
(seed, p), however many threads run. A run resumed at position p (the
examples trained so far) therefore sees exactly the examples, in the same
order and with the same distortions, that an uninterrupted run sees from p
on. Entering at p costs reading, not decoding, the p mod num_samples records
of epoch p // num_samples that come before it.

`training_stream` builds the first, `evaluation_pass` the second. The
caller makes the iterator, e.g. in a TF1-style graph with
`tf.compat.v1.data.make_one_shot_iterator(dataset)` or
`make_initializable_iterator`. No queue runners are involved.
"""

import random

import tensorflow as tf

from slimtrain.data.datasets.split import parallel_options
from slimtrain.errors import ConfigError

# The shuffle buffer holds encoded records; this many is a good mix at a
# modest memory cost (about 1 GB for ImageNet-sized JPEGs).
MAX_SHUFFLE_BUFFER = 10000

# Epoch e of a stream with seed s shuffles with the seed s * stride + e.
_EPOCH_SEED_STRIDE = 1000003


def stream_seed(seed=None):
    """The seed of a training stream: `seed` (--seed), or, without one, a
    new random seed (a run started without --seed gets its own order)."""
    if seed is None:
        return random.SystemRandom().randrange(2**31)
    return seed


def training_stream(dataset, preprocessing_fn, *, batch_size,
                    image_size=None, num_readers=4,
                    num_preprocessing_threads=4, shuffle_buffer_size=None,
                    labels_offset=0, seed=None, num_epochs=None,
                    start_position=0):
    """Returns the training input: a tf.data.Dataset of full batches.

    Epoch by epoch: files (shuffled, `num_readers` at once) -> shuffle the
    encoded records -> skip to `start_position` -> decode and preprocess in
    parallel (with per-example seeds) -> batch -> prefetch (module doc).

    Args:
      dataset: a `DatasetSplit` from `dataset_factory.get_dataset`.
      preprocessing_fn: fn(image, height, width, seed=...) -> float image,
        e.g. from `preprocessing_factory.get_preprocessing(name,
        is_training=True)`; it must accept and use the `seed` keyword (a
        [2] int tensor) for its random choices. If it has a true attribute
        `accepts_encoded_images` and the data set a `parse_encoded`, it is
        handed the encoded image bytes instead.
      batch_size: examples per batch.
      image_size: output size, an int (square) or (height, width); defaults
        to the data set's own size when all its images share one.
      num_readers: files read at the same time.
      num_preprocessing_threads: examples decoded and preprocessed at once.
      shuffle_buffer_size: records in the shuffle buffer; defaults to
        min(dataset.num_samples, MAX_SHUFFLE_BUFFER).
      labels_offset: subtracted from every label (e.g. 1 to drop ImageNet's
        background class for a 1000-way network).
      seed: the stream's seed (`stream_seed`); None: a new random stream.
      num_epochs: passes over the data; None repeats forever.
      start_position: the number of examples of the stream to skip, e.g.
        those a resumed run has already trained on.

    Returns:
      A dataset of (images float32 [batch, height, width, channels], labels
      int64 [batch]), with a static batch dimension.

    Raises:
      ConfigError: for a non-positive size or count, or no image_size for a
        data set whose images differ in size.
    """
    height, width = _output_size(image_size, dataset)
    _check_counts(batch_size, num_readers, num_preprocessing_threads)
    buffer_size = shuffle_buffer_size or min(dataset.num_samples,
                                             MAX_SHUFFLE_BUFFER)
    if buffer_size < 1:
        raise ConfigError("shuffle_buffer_size is %d: it must be at "
                          "least 1." % buffer_size)
    seed = stream_seed(seed)
    start_epoch, offset = divmod(start_position, dataset.num_samples)

    def epoch_records(epoch):
        epoch_seed = seed * _EPOCH_SEED_STRIDE + epoch
        return dataset.read_records(
            num_parallel_reads=num_readers, shuffle_files=True,
            seed=epoch_seed).shuffle(buffer_size, seed=epoch_seed,
                                     reshuffle_each_iteration=False)

    last_epoch = tf.int64.max if num_epochs is None else num_epochs
    records = tf.data.Dataset.range(start_epoch, last_epoch).flat_map(
        epoch_records).skip(offset)
    # The example at stream position p draws its distortions from
    # (seed, p), so they do not depend on threads or on where the
    # stream was entered.
    base_seed = tf.constant([seed, 0], tf.int64)
    element_seeds = tf.data.Dataset.range(start_position, tf.int64.max).map(
        lambda position: tf.random.experimental.stateless_fold_in(
            base_seed, position))
    decode = dataset.decode
    if (dataset.parse_encoded is not None and
            getattr(preprocessing_fn, "accepts_encoded_images", False)):
        decode = dataset.parse_encoded

    def prepare(record, element_seed):
        image, label = decode(record)
        image = preprocessing_fn(image, height, width, seed=element_seed)
        return image, label - labels_offset

    examples = tf.data.Dataset.zip((records, element_seeds)).map(
        prepare, **parallel_options(num_preprocessing_threads))
    return examples.batch(batch_size, drop_remainder=True).prefetch(
        tf.data.AUTOTUNE)


def evaluation_pass(dataset, preprocessing_fn, *, batch_size,
                    image_size=None, num_readers=4,
                    num_preprocessing_threads=4, labels_offset=0):
    """Returns one evaluation pass: every example once, in file order.

    Files in order -> decode and preprocess in parallel -> batch (the last
    batch may be partial) -> prefetch; no shuffle, no repeat. Data sets
    with a `decode_batch` (the fixed-size raw formats) are decoded and
    preprocessed a batch per call (`tf.vectorized_map`).

    Args:
      dataset, batch_size, image_size, num_readers,
        num_preprocessing_threads, labels_offset: as `training_stream`.
      preprocessing_fn: fn(image, height, width) -> float image, e.g. from
        `preprocessing_factory.get_preprocessing(name, is_training=False)`.

    Returns:
      A dataset of (images float32 [batch, height, width, channels], labels
      int64 [batch]).

    Raises:
      ConfigError: as `training_stream`.
    """
    height, width = _output_size(image_size, dataset)
    _check_counts(batch_size, num_readers, num_preprocessing_threads)
    records = dataset.read_records(num_parallel_reads=num_readers,
                                   shuffle_files=False, seed=None)
    parallel = parallel_options(num_preprocessing_threads)

    def preprocess(image):
        return preprocessing_fn(image, height, width)

    if dataset.decode_batch is not None:
        def prepare_batch(batch_records):
            images, labels = dataset.decode_batch(batch_records)
            try:
                images = tf.vectorized_map(preprocess, images,
                                           fallback_to_while_loop=False)
            except ValueError:  # an op without a vectorized form: one by one
                images = tf.map_fn(preprocess, images,
                                   fn_output_signature=tf.float32)
            return images, labels - labels_offset

        batches = records.batch(batch_size).map(prepare_batch, **parallel)
    else:
        def prepare(record):
            image, label = dataset.decode(record)
            return preprocess(image), label - labels_offset

        batches = records.map(prepare, **parallel).batch(batch_size)
    return batches.prefetch(tf.data.AUTOTUNE)


def _check_counts(batch_size, num_readers, num_preprocessing_threads):
    for argument, value in (("batch_size", batch_size),
                            ("num_readers", num_readers),
                            ("num_preprocessing_threads",
                             num_preprocessing_threads)):
        if value < 1:
            raise ConfigError("%s is %d: it must be at least 1."
                              % (argument, value))


def _output_size(image_size, dataset):
    """Returns (height, width) from image_size or the data set's shape."""
    if image_size is None:
        height, width, _ = dataset.image_shape
        if height is None or width is None:
            raise ConfigError(
                "Dataset %r has images of varying size: pass image_size "
                "(e.g. the network's default image size)." % dataset.name)
    elif isinstance(image_size, int):
        height = width = image_size
    else:
        height, width = image_size
    if height < 1 or width < 1:
        raise ConfigError("image_size %r is not positive: use e.g. 224 or "
                          "(224, 224)." % (image_size,))
    return height, width
