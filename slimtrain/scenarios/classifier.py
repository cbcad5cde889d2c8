"""The built-in scenario: one image classifier of the zoo, the TF-Slim way.

What `train_image_classifier.py` and `eval_image_classifier.py` build:
--model_name's network under its arg_scope, fed by its preprocessing; the
softmax cross-entropy of `slim.losses` (an auxiliary head weighted 0.4) plus
the regularization losses, optimized by one optimizer; --num_clones
replicas of the network in one process (`scenarios.clones`). Evaluation
measures accuracy, recall at 5, mean per-class accuracy and loss.

The summaries are TF-Slim's: activation histograms and sparsity per end
point, weight histograms, each loss term and the total.
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim

from slimtrain.compute.classifier import apply_network, resolve_classifier
from slimtrain.compute.losses import add_classification_losses, add_loss_summaries
from slimtrain.scenarios.api import Scenario, TrainStep, Update
from slimtrain.scenarios.clones import build_clones

# The metrics the classifier's evaluation measures, the keys of its
# `EvalResult.metrics` (Recall_5 only for more than 5 classes).
METRIC_NAMES = ("Accuracy", "Recall_5", "Mean_Per_Class_Accuracy", "Loss")


class ClassifierScenario(Scenario):
    """--model_name trained as a classifier of the data set's labels."""

    name = "classifier"
    metric_names = METRIC_NAMES
    best_metric = "Accuracy"
    main_loss_name = "cross-entropy"

    def describe(self, config):
        return config.model_name

    def input_preprocessing(self, run):
        """--model_name's preprocessing, at its default size unless a flag
        sets one; raises ConfigError for an unknown or video network."""
        _, network_fn, preprocessing_fn = self._resolve(run)
        size = (run.config.train_image_size if run.is_training
                else run.config.eval_image_size)
        return preprocessing_fn, size or network_fn.default_image_size

    def build_train_step(self, batches, run):
        """One clone per batch (`scenarios.clones`), or the network alone."""
        num_classes, network_fn, _ = self._resolve(run)
        config = run.config

        def network(images):
            return apply_network(network_fn, images, config.model_name,
                                 "--train_image_size")

        if len(batches) > 1:
            clones = build_clones(config, batches, network, num_classes)
            total_loss, end_points = clones.total_loss, clones.end_points
            update_ops = list(clones.update_ops)
        else:
            images, labels = batches[0]
            logits, end_points = network(images)
            total_loss = add_classification_losses(
                logits, end_points, labels, num_classes,
                config.label_smoothing)
            update_ops = None  # the graph's UPDATE_OPS, as Update's default
        _add_model_summaries(end_points)
        add_loss_summaries(total_loss)
        return TrainStep(updates=[Update("total_loss", total_loss,
                                         update_ops=update_ops)])

    def build_eval(self, images, labels, run):
        """eval_image_classifier.py's metrics, plus the mean per-class
        accuracy and the loss."""
        num_classes, network_fn, _ = self._resolve(run)
        logits, _ = apply_network(network_fn, images, run.config.model_name,
                                  "--eval_image_size")
        predictions = tf.argmax(logits, 1)
        losses = tf.losses.sparse_softmax_cross_entropy(
            labels, logits, loss_collection=None,
            reduction=tf.losses.Reduction.NONE)
        metrics = {
            "Accuracy": slim.metrics.streaming_accuracy(predictions, labels),
            "Mean_Per_Class_Accuracy": tf.metrics.mean_per_class_accuracy(
                labels, predictions, num_classes),
            "Loss": slim.metrics.streaming_mean(losses),
        }
        if num_classes > 5:
            metrics["Recall_5"] = slim.metrics.streaming_recall_at_k(
                logits, labels, 5)
        return metrics

    @staticmethod
    def _resolve(run):
        weight_decay = run.config.weight_decay if run.is_training else 0.0
        return resolve_classifier(run.config, run.dataset,
                                  is_training=run.is_training,
                                  weight_decay=weight_decay)


def _add_model_summaries(end_points):
    """Activation histograms and sparsity per end point, weight histograms.

    Weight histograms are tagged 'variables/<name>': a tag equal to the
    variable's own op name would be made unique as '<name>_1'.
    """
    for name, activation in end_points.items():
        tf.summary.histogram("activations/" + name, activation)
        tf.summary.scalar("sparsity/" + name, tf.nn.zero_fraction(activation))
    for variable in slim.get_model_variables():
        tf.summary.histogram("variables/" + variable.op.name, variable)
