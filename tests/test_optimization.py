"""Learning-rate schedules, optimizers and losses, evaluated in real sessions."""

import math

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim as slim

from slimtrain.compute.learning_rate import configure_learning_rate, epochs_to_steps
from slimtrain.compute.losses import AUX_LOSS_WEIGHT, add_classification_losses
from slimtrain.compute.optimizers import configure_optimizer
from slimtrain.training.config import OPTIMIZERS, TrainConfig


def _rates(config, num_samples, steps):
    with tf.Graph().as_default():
        global_step = tf.placeholder(tf.int64, [])
        rate = configure_learning_rate(config, num_samples, global_step)
        with tf.Session() as sess:
            return [sess.run(rate, {global_step: step}) for step in steps]


def test_decay_steps_count_every_example_of_the_job():
    config = TrainConfig(batch_size=32, num_epochs_per_decay=2.0)
    assert config.examples_per_job_step == 32
    assert epochs_to_steps(2.0, 3200, config) == 200
    synced = TrainConfig(batch_size=32, sync_replicas=True,
                         replicas_to_aggregate=4, worker_replicas=4)
    assert synced.examples_per_job_step == 128
    assert epochs_to_steps(2.0, 3200, synced) == 50


def test_exponential_decay_is_staircase_per_num_epochs_per_decay():
    config = TrainConfig(learning_rate=0.1, learning_rate_decay_factor=0.5,
                         num_epochs_per_decay=1.0, batch_size=10)
    rates = _rates(config, 100, [0, 9, 10, 25])  # 10 steps per epoch
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.05, 0.025], rtol=1e-6)


def test_fixed_polynomial_and_cosine():
    fixed = TrainConfig(learning_rate=0.3, learning_rate_decay_type="fixed")
    np.testing.assert_allclose(_rates(fixed, 100, [0, 1000]), [0.3, 0.3])
    polynomial = TrainConfig(learning_rate=1.0, end_learning_rate=0.0,
                             learning_rate_decay_type="polynomial",
                             num_epochs_per_decay=1.0, batch_size=10)
    np.testing.assert_allclose(_rates(polynomial, 100, [0, 5, 10, 20]),
                               [1.0, 0.5, 0.0, 0.0], atol=1e-6)
    cosine = TrainConfig(learning_rate=1.0, end_learning_rate=0.1,
                         learning_rate_decay_type="cosine",
                         max_number_of_steps=100)
    np.testing.assert_allclose(
        _rates(cosine, 100, [0, 50, 100]),
        [1.0, 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi / 2)), 0.1], rtol=1e-5)


def test_linear_warmup_then_schedule():
    config = TrainConfig(learning_rate=1.0, learning_rate_decay_type="fixed",
                         warmup_epochs=1.0, batch_size=10)
    np.testing.assert_allclose(_rates(config, 100, [0, 5, 10, 50]),
                               [0.0, 0.5, 1.0, 1.0], atol=1e-6)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_reduces_a_loss(name):
    config = TrainConfig(optimizer=name, opt_epsilon=1e-3)
    with tf.Graph().as_default():
        weight = tf.Variable([3.0, -2.0])
        loss = tf.reduce_sum(tf.square(weight))
        optimizer = configure_optimizer(config, 0.1)
        step = optimizer.minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            before = sess.run(loss)
            for _ in range(20):
                sess.run(step)
            assert sess.run(loss) < before


def test_losses_weight_aux_logits_and_add_regularization():
    with tf.Graph().as_default():
        logits = tf.constant([[2.0, 0.0, 0.0]])
        aux = tf.constant([[0.0, 2.0, 0.0]])
        tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES,
                             tf.constant(0.5))
        total = add_classification_losses(
            logits, {"AuxLogits": aux}, tf.constant([0]), 3,
            label_smoothing=0.0)
        losses = tf.get_collection(tf.GraphKeys.LOSSES)
        assert len(losses) == 2
        with tf.Session() as sess:
            main = -math.log(math.exp(2) / (math.exp(2) + 2))
            aux_loss = -math.log(1 / (math.exp(2) + 2))
            assert sess.run(total) == pytest.approx(
                main + AUX_LOSS_WEIGHT * aux_loss + 0.5, rel=1e-5)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_label_smoothing_moves_the_target(smoothing):
    with tf.Graph().as_default():
        total = add_classification_losses(tf.constant([[5.0, 0.0]]), {},
                                          tf.constant([0]), 2,
                                          label_smoothing=smoothing)
        with tf.Session() as sess:
            value = sess.run(total)
    # slim smooths one-hot targets to (1 - s) + s / 2 and s / 2.
    target = 1 - smoothing + smoothing / 2
    log_p = 5.0 - math.log(math.exp(5.0) + 1.0)
    log_q = 0.0 - math.log(math.exp(5.0) + 1.0)
    assert value == pytest.approx(-(target * log_p + (1 - target) * log_q),
                                  rel=1e-5)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_losses_equal_those_of_the_deprecated_slim_losses(label_smoothing):
    rng = np.random.RandomState(0)
    logits_value = rng.randn(8, 10).astype(np.float32)
    aux_value = rng.randn(8, 10).astype(np.float32)
    labels_value = rng.randint(0, 10, 8)

    def total_and_terms(add_losses):
        with tf.Graph().as_default():
            logits = tf.constant(logits_value)
            labels = tf.constant(labels_value)
            tf.losses.add_loss(tf.constant(0.25),
                               tf.GraphKeys.REGULARIZATION_LOSSES)
            total = add_losses(logits, {"AuxLogits": tf.constant(aux_value)},
                               labels)
            terms = tf.losses.get_losses()
            with tf.Session() as session:
                return (session.run(total), session.run(terms),
                        [term.op.name for term in terms])

    def with_slim_losses(logits, end_points, labels):
        # TF-Slim's train_image_classifier.py, as slimtrain called it before.
        one_hot = slim.one_hot_encoding(labels, 10)
        slim.losses.softmax_cross_entropy(
            end_points["AuxLogits"], one_hot, label_smoothing=label_smoothing,
            weights=0.4, scope="aux_loss")
        slim.losses.softmax_cross_entropy(
            logits, one_hot, label_smoothing=label_smoothing, weights=1.0)
        return slim.losses.get_total_loss()

    def with_slimtrain(logits, end_points, labels):
        return add_classification_losses(logits, end_points, labels, 10,
                                         label_smoothing)

    expected = total_and_terms(with_slim_losses)
    found = total_and_terms(with_slimtrain)
    assert found[0] == pytest.approx(expected[0], rel=1e-6)
    np.testing.assert_allclose(found[1], expected[1], rtol=1e-6)
    assert found[2] == expected[2] == ["aux_loss/value",
                                       "softmax_cross_entropy_loss/value"]
