"""Trains and evaluates a tiny classifier, TF 1.x / TF-Slim style."""

from __future__ import absolute_import, division, print_function

import os

import numpy as np
import tensorflow as tf
import tensorflow.contrib.slim as slim
from tensorflow.contrib import framework as contrib_framework
from tensorflow.contrib import quantize as contrib_quantize

from nets import tiny_net

flags = tf.app.flags
flags.DEFINE_string('train_dir', None, 'Where checkpoints are written.')
flags.DEFINE_integer('steps', 12, 'Training steps.')
flags.DEFINE_string('hparams', '', 'Overrides, as name=value pairs.')
flags.DEFINE_integer('quantize_delay', -1, 'Steps before quantizing; -1 off.')
FLAGS = flags.FLAGS


def make_data(seed, count=64):
  """Images whose label is whether their left half is brighter."""
  rng = np.random.RandomState(seed)
  images = rng.rand(count, 8, 8, 1).astype(np.float32)
  labels = (images[:, :, :4].mean(axis=(1, 2, 3)) >
            images[:, :, 4:].mean(axis=(1, 2, 3))).astype(np.int)
  return images, labels


def train(hparams):
  with tf.Graph().as_default():
    images, labels = make_data(0)
    logits = tiny_net.tiny_net(tf.constant(images), 2, width=hparams.width)
    slim.losses.sparse_softmax_cross_entropy(logits, tf.constant(labels))
    total_loss = slim.losses.get_total_loss()
    tf.summary.scalar('losses/total_loss', total_loss)
    contrib_framework.get_or_create_global_step()
    if FLAGS.quantize_delay >= 0:
      contrib_quantize.create_training_graph(quant_delay=FLAGS.quantize_delay)
    optimizer = tf.train.MomentumOptimizer(hparams.learning_rate, 0.9)
    train_op = slim.learning.create_train_op(total_loss, optimizer)
    final_loss = slim.learning.train(
        train_op, FLAGS.train_dir, number_of_steps=FLAGS.steps,
        save_summaries_secs=3600, log_every_n_steps=4)
  print('final loss %.4f' % final_loss)


def evaluate(hparams):
  checkpoint = tf.train.latest_checkpoint(FLAGS.train_dir)
  images, labels = make_data(1)
  with tf.Graph().as_default():
    logits = tiny_net.tiny_net(tf.constant(images), 2, width=hparams.width,
                               is_training=False)
    predictions = tf.argmax(logits, 1)
    names_to_values, names_to_updates = slim.metrics.aggregate_metric_map({
        'accuracy': tf.contrib.metrics.streaming_accuracy(predictions,
                                                          labels),
        'positives': slim.metrics.streaming_mean(tf.to_float(predictions)),
    })
    tf.train.get_or_create_global_step()
    values = slim.evaluation.evaluate_once(
        '', checkpoint, os.path.join(FLAGS.train_dir, 'eval'), num_evals=3,
        eval_op=names_to_updates.values(),
        final_op=names_to_values.values())
  for name, value in zip(names_to_values.keys(), values):
    print('eval %s %.6f' % (name, value))
  # The same checkpoint again, by hand.
  with tf.Graph().as_default():
    inputs = tf.placeholder(tf.float32, [None, 8, 8, 1])
    logits = tiny_net.tiny_net(inputs, 2, width=hparams.width,
                               is_training=False)
    names_to_values, names_to_updates = slim.metrics.aggregate_metric_map({
        'accuracy': slim.metrics.streaming_accuracy(tf.argmax(logits, 1),
                                                    labels)})
    global_step = tf.train.get_or_create_global_step()
    assert len(tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)) > 0
    saver = tf.train.Saver()
    with tf.Session() as sess:
      saver.restore(sess, checkpoint)
      sess.run(tf.local_variables_initializer())
      sess.run(names_to_updates.values(), feed_dict={inputs: images})
      accuracy, step = sess.run([names_to_values['accuracy'], global_step])
      scores = sess.run(logits, feed_dict={inputs: images})
  print('session accuracy %.6f at step %d' % (accuracy, step))
  print('numpy accuracy %.6f' % np.mean(np.argmax(scores, 1) == labels))


def main(_):
  hparams = tf.contrib.training.HParams(learning_rate=0.1, width=4)
  hparams.parse(FLAGS.hparams)
  print('nets from %s' % os.path.dirname(tiny_net.__file__))
  train(hparams)
  evaluate(hparams)
  tf.logging.set_verbosity(tf.logging.INFO)
  tf.logging.info('done with width %d', hparams.width)


if __name__ == '__main__':
  tf.app.run()
