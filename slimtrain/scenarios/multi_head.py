"""Built-in scenario `multi_head`: one trunk, several heads, an optimizer each.

    python train.py --scenario=multi_head
    python eval.py --checkpoint_dir=train_logs    # Accuracy/<head>

The zoo's LeNet without its logits layer is the trunk (scope 'LeNet'); three
heads on top of its features each predict their own target from the same
image:
  digit   the class itself (num_classes-way);
  odd     whether the class is odd;
  ge5     whether the class is in the upper half (on the digits: >= 5).

Each head has its own loss and its own optimizer, which trains only that
head; the trunk has an optimizer of its own that trains it on the sum of
the heads' losses, so the trunk follows every head's gradient. All four
updates run at every step. This is the shape of a Chainer custom Updater or
of a model with auxiliary tasks.

The optimizers are the run's (--optimizer, --learning_rate); the heads'
and trunk's weights decay as --weight_decay says.
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import lenet
from slimtrain.scenarios.api import Scenario, TrainStep, Update

TRUNK_SCOPE = "LeNet"
HEADS_SCOPE = "Heads"
HEADS = ("digit", "odd", "ge5")


class MultiHeadScenario(Scenario):
    """A LeNet trunk with a head per target, each with its own optimizer."""

    name = "multi_head"
    preprocessing_name = "lenet"
    image_size = 28
    metric_names = tuple("Accuracy/" + head for head in HEADS)
    best_metric = "Accuracy/digit"
    main_loss_name = "cross-entropy"

    def build_train(self, images, labels, run):
        logits = _heads(images, run, is_training=True)
        losses = {}
        updates = []
        for head, head_logits in logits.items():
            scope = "%s/%s" % (HEADS_SCOPE, head)
            losses[head] = tf.losses.sparse_softmax_cross_entropy(
                _targets(head, labels, run.num_classes), head_logits,
                scope="%s_loss" % head)
            updates.append(Update(
                head, losses[head] + tf.losses.get_regularization_loss(scope),
                variables=tf.trainable_variables(scope)))
        updates.append(Update(
            "trunk", tf.add_n(list(losses.values())) +
            tf.losses.get_regularization_loss(TRUNK_SCOPE),
            variables=tf.trainable_variables(TRUNK_SCOPE)))
        return TrainStep(updates=updates, losses=losses)

    def build_eval(self, images, labels, run):
        logits = _heads(images, run, is_training=False)
        return {"Accuracy/" + head: slim.metrics.streaming_accuracy(
                    tf.argmax(head_logits, 1),
                    _targets(head, labels, run.num_classes))
                for head, head_logits in logits.items()}


def _heads(images, run, is_training):
    """{head name: logits} on the LeNet trunk's features."""
    weight_decay = run.config.weight_decay if is_training else 0.0
    with slim.arg_scope(lenet.lenet_arg_scope(weight_decay)):
        features, _ = lenet.lenet(images, num_classes=0,
                                  is_training=is_training, scope=TRUNK_SCOPE)
        with tf.variable_scope(HEADS_SCOPE):
            return {head: slim.fully_connected(
                        features, _classes(head, run.num_classes),
                        activation_fn=None, scope=head)
                    for head in HEADS}


def _classes(head, num_classes):
    return num_classes if head == "digit" else 2


def _targets(head, labels, num_classes):
    """The labels of `head`, from the class labels."""
    if head == "digit":
        return labels
    if head == "odd":
        return labels % 2
    return tf.cast(labels >= num_classes // 2, labels.dtype)
