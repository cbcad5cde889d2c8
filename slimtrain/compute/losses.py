"""The classification loss of `train_image_classifier.py`, the slim way.

Losses go into the `tf.GraphKeys.LOSSES` collection; the total adds the
regularization losses the arg_scopes registered. Nets with auxiliary logits
(Inception) get the auxiliary head weighted 0.4, as in TF-Slim's training
script.

TF-Slim's script calls `slim.losses`, deprecated in favour of `tf.losses`
(`tf.compat.v1.losses`), which computes the same values into the same
collections under the same names (a weighted mean over the examples,
label smoothing towards 1/num_classes); slimtrain calls `tf.losses`.
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim

AUX_LOSS_WEIGHT = 0.4


def add_classification_losses(logits, end_points, labels, num_classes,
                              label_smoothing=0.0):
    """Adds the cross-entropy losses for a classifier; returns the total loss.

    Args:
      logits: [batch, num_classes] logits.
      end_points: the network's end points; 'AuxLogits' adds a second loss.
      labels: [batch] integer class ids in [0, num_classes).
      num_classes: number of classes the logits cover.
      label_smoothing: passed to `tf.losses.softmax_cross_entropy`.

    Returns:
      The total loss: model losses plus regularization. Its op is not named
      'total_loss', so that the summary can have that tag.
    """
    add_cross_entropy_losses(logits, end_points, labels, num_classes,
                             label_smoothing)
    return tf.losses.get_total_loss(name="total_loss_value")


def add_cross_entropy_losses(logits, end_points, labels, num_classes,
                             label_smoothing=0.0):
    """Adds the cross-entropy terms (main and auxiliary head) to the losses.

    The arguments are those of `add_classification_losses`; the terms are
    created under the current name scope, where `tf.losses.get_losses`
    finds them (one clone's losses, in `slimtrain.scenarios.clones`).
    """
    one_hot = slim.one_hot_encoding(labels, num_classes)
    if "AuxLogits" in end_points:
        tf.losses.softmax_cross_entropy(
            one_hot, end_points["AuxLogits"], label_smoothing=label_smoothing,
            weights=AUX_LOSS_WEIGHT, scope="aux_loss")
    tf.losses.softmax_cross_entropy(
        one_hot, logits, label_smoothing=label_smoothing, weights=1.0)


def add_loss_summaries(total_loss):
    """Writes each loss term, the regularization sum and the total to summaries."""
    for loss in tf.losses.get_losses():
        tf.summary.scalar("losses/%s" % loss.op.name, loss)
    regularization = tf.losses.get_regularization_losses()
    if regularization:
        tf.summary.scalar("losses/regularization_loss", tf.add_n(regularization))
    tf.summary.scalar("total_loss", total_loss)
