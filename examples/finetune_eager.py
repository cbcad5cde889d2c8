"""Fine-tunes a train.py LeNet checkpoint in TensorFlow 2 code, then evaluates it.

The network comes from `nets.eager`: a `tf.Module` with the checkpoint's
variables. Its 10-way logits layer (`LeNet/fc4`) is replaced by a new one
for another task on the built-in digits, telling even digits from odd ones,
and the whole network is trained with `tf.GradientTape` and a Keras 3
optimizer inside a `tf.function`; no graph, Session or tf_keras is used.

    python train.py --train_dir=train_logs          # the checkpoint
    python examples/finetune_eager.py --checkpoint_path=train_logs

It prints the accuracy on the 360 test digits and exits with status 1 if it
is below --min_accuracy.
"""

import sys

import keras
import tensorflow as tf
from absl import app, flags

from nets import eager
from slimtrain.data import input_pipeline
from slimtrain.data.datasets import dataset_factory
from slimtrain.data.preprocessing import preprocessing_factory
from slimtrain.errors import ConfigError

flags.DEFINE_string('checkpoint_path', 'train_logs',
                    'A LeNet checkpoint written by train.py, or its train_dir.')
flags.DEFINE_integer('steps', 300, 'Training steps.')
flags.DEFINE_integer('batch_size', 32, 'Images per training step.')
flags.DEFINE_float('learning_rate', 1e-3, 'Adam learning rate.')
flags.DEFINE_float('min_accuracy', 0.0,
                   'Exit with status 1 if test accuracy ends below this.')
flags.DEFINE_integer('seed', 1, 'Seed of the input order and new weights.')
FLAGS = flags.FLAGS

NUM_CLASSES = 2  # even, odd
NEW_LAYER = 'LeNet/fc4'


def even_or_odd(split_name, is_training, batch_size, seed):
    """Digits batches labelled 0 (even) or 1 (odd)."""
    split = dataset_factory.get_dataset('digits', split_name)
    preprocessing = preprocessing_factory.get_preprocessing(
        'lenet', is_training=is_training)
    if is_training:
        batches = input_pipeline.training_stream(
            split, preprocessing, batch_size=batch_size, num_readers=1,
            num_preprocessing_threads=2, seed=seed)
    else:
        batches = input_pipeline.evaluation_pass(
            split, preprocessing, batch_size=batch_size, num_readers=1,
            num_preprocessing_threads=2)
    return batches.map(lambda images, labels: (images, labels % 2))


def fine_tune(network, batches, steps, learning_rate):
    """Trains every variable of `network`; returns the last loss."""
    optimizer = keras.optimizers.Adam(learning_rate)

    @tf.function
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            logits, _ = network(images, is_training=True)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=labels, logits=logits))
            loss += tf.add_n(network.regularization_losses() + [0.0])
        variables = network.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables),
                                      variables))
        return loss

    loss = None
    for images, labels in batches.take(steps):
        loss = train_step(images, labels)
    return float(loss)


def accuracy(network, batches):
    """The fraction of `batches` the network classifies right."""
    correct = total = 0
    for images, labels in batches:
        logits, _ = network(images)
        predictions = tf.argmax(logits, axis=1, output_type=labels.dtype)
        correct += int(tf.reduce_sum(tf.cast(predictions == labels,
                                             tf.int32)))
        total += int(labels.shape[0])
    return correct / total


def main(argv):
    del argv
    tf.random.set_seed(FLAGS.seed)
    network = eager.network('lenet', NUM_CLASSES, weight_decay=0.0)
    try:
        loaded = network.load_checkpoint(FLAGS.checkpoint_path,
                                         exclude_scopes=[NEW_LAYER])
    except ConfigError as error:
        print('finetune_eager.py: %s' % error, file=sys.stderr)
        return 2
    print('Loaded %d variables from %s; %s starts anew.'
          % (len(loaded), FLAGS.checkpoint_path, NEW_LAYER))
    loss = fine_tune(
        network, even_or_odd('train', True, FLAGS.batch_size, FLAGS.seed),
        FLAGS.steps, FLAGS.learning_rate)
    result = accuracy(network, even_or_odd('test', False, 120, None))
    print('After %d steps: loss %.3f, even/odd accuracy on the test digits '
          '%.3f' % (FLAGS.steps, loss, result))
    return 0 if result >= FLAGS.min_accuracy else 1


if __name__ == '__main__':
    app.run(main)
