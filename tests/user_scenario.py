"""A user's own scenario, outside slimtrain: trained through train.py.

tests/test_scenarios.py runs `train.py --scenario=tests.user_scenario:
AlternatingScenario`. It is built to catch what a harness could get wrong
with a scenario: two updates with their own optimizers, on a schedule, one
of which does not read the batch (its steps must still take one, or resume
would drift), and an evaluation of its own.
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim

from slimtrain.scenarios import Scenario, TrainStep, Update


class AlternatingScenario(Scenario):
    """A tiny classifier: two steps of fitting, then one of shrinking."""

    preprocessing_name = "lenet"
    image_size = 28
    metric_names = ("Accuracy",)
    best_metric = "Accuracy"

    def __init__(self, shrink_rate=0.1):
        self.shrink_rate = shrink_rate

    def build_train(self, images, labels, run):
        logits = _network(images, run.num_classes)
        fit_loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
        shrink_loss = 1e-3 * tf.add_n(
            [tf.nn.l2_loss(var) for var in slim.get_model_variables("Tiny")])
        return TrainStep(
            updates=[Update("fit", fit_loss),
                     Update("shrink", shrink_loss, optimizer=(
                         tf.train.GradientDescentOptimizer(self.shrink_rate)))],
            schedule=[["fit"], ["fit"], ["shrink"]],
            losses={"fit": fit_loss, "shrink": shrink_loss})

    def build_eval(self, images, labels, run):
        logits = _network(images, run.num_classes)
        return {"Accuracy": slim.metrics.streaming_accuracy(
            tf.argmax(logits, 1), labels)}


def _network(images, num_classes):
    with tf.variable_scope("Tiny"):
        net = slim.conv2d(images, 4, [5, 5], stride=2, scope="conv")
        return slim.fully_connected(slim.flatten(net), num_classes,
                                    activation_fn=None, scope="logits")


NOT_A_SCENARIO = object()
