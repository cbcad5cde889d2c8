"""Tests for slimtrain.compat's L9 and L10: slim.evaluation as tf-slim's
docs write it.

L9: `evaluate_once` and `evaluation_loop` take `eval_op` / `final_op` as
dict views and nestings (`eval_op=names_to_updates.values()`). L10:
`slim.evaluation.evaluation(sess, ...)`, `slim.losses.sum_of_squares`,
`slim.evaluate_once`, `slim.evaluation_loop`. Real graphs, a real
checkpoint written by `slim.learning.train`, real sessions; numbers checked
against NumPy. Eager execution stays on, as in a slimtrain process.
"""

import collections

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim as slim

import slimtrain  # noqa: F401  (applies slimtrain.compat)

PREDICTIONS = np.array([0, 1, 2, 2, 1, 0, 1, 1], dtype=np.int64)
LABELS = np.array([0, 1, 1, 2, 1, 2, 1, 0], dtype=np.int64)
ACCURACY = float(np.mean(PREDICTIONS == LABELS))


def _metrics():
    """(names_to_values, names_to_updates) of two streaming metrics over
    the constants above, and a model variable for the checkpoint."""
    slim.model_variable("w", shape=[1], initializer=tf.ones_initializer())
    tf.train.get_or_create_global_step()
    predictions = tf.constant(PREDICTIONS)
    labels = tf.constant(LABELS)
    return slim.metrics.aggregate_metric_map({
        "accuracy": slim.metrics.streaming_accuracy(predictions, labels),
        "count": slim.metrics.streaming_mean(tf.ones([8])),
    })


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A checkpoint of `_metrics`' graph, written by slim.learning.train."""
    train_dir = str(tmp_path_factory.mktemp("train"))
    with tf.Graph().as_default():
        _metrics()
        loss = tf.reduce_sum(tf.square(slim.get_model_variables()[0]))
        train_op = slim.learning.create_train_op(
            loss, tf.train.GradientDescentOptimizer(0.1))
        slim.learning.train(train_op, train_dir, number_of_steps=2,
                            save_summaries_secs=1000)
    return tf.train.latest_checkpoint(train_dir)


Pair = collections.namedtuple("Pair", ["first", "second"])

EVAL_OP_FORMS = {
    "dict_values": lambda updates: updates.values(),
    "dict": lambda updates: dict(updates),
    "nested_tuple": lambda updates: (list(updates.values())[:1],
                                     (list(updates.values())[1:],)),
    "named_tuple": lambda updates: Pair(*updates.values()),
}


@pytest.mark.parametrize("form", sorted(EVAL_OP_FORMS))
def test_evaluate_once_takes_eval_op_as_documented(checkpoint, tmp_path,
                                                   form):
    with tf.Graph().as_default():
        names_to_values, names_to_updates = _metrics()
        values = slim.evaluation.evaluate_once(
            "", checkpoint, str(tmp_path), num_evals=3,
            eval_op=EVAL_OP_FORMS[form](names_to_updates),
            final_op=names_to_values.values())
    result = dict(zip(names_to_values.keys(), values))
    assert result["accuracy"] == pytest.approx(ACCURACY)
    assert result["count"] == pytest.approx(1.0)


def test_final_op_keeps_its_nesting(checkpoint, tmp_path):
    with tf.Graph().as_default():
        names_to_values, names_to_updates = _metrics()
        values = slim.evaluate_once(  # L10: the docstring's top-level name
            "", checkpoint, str(tmp_path), num_evals=2,
            eval_op=names_to_updates.values(),
            final_op={"all": (names_to_values.values(),),
                      "accuracy": names_to_values["accuracy"]})
    assert values["accuracy"] == pytest.approx(ACCURACY)
    assert len(values["all"]) == 1 and len(values["all"][0]) == 2


def test_evaluation_loop_takes_dict_values(checkpoint, tmp_path):
    with tf.Graph().as_default():
        names_to_values, names_to_updates = _metrics()
        values = slim.evaluation_loop(
            "", checkpoint.rsplit("/", 1)[0], str(tmp_path), num_evals=2,
            eval_op=names_to_updates.values(),
            final_op=names_to_values.values(), max_number_of_evaluations=1,
            eval_interval_secs=0)
    assert dict(zip(names_to_values.keys(), values))["accuracy"] == (
        pytest.approx(ACCURACY))


def test_single_evaluation_pass_in_a_session(checkpoint, tmp_path):
    """TF 1's slim.evaluation.evaluation(sess, ...), as research/slim's
    walkthrough calls it, with a summary written at the global step."""
    with tf.Graph().as_default():
        names_to_values, names_to_updates = _metrics()
        tf.summary.scalar("eval_accuracy", names_to_values["accuracy"])
        writer = tf.summary.FileWriter(str(tmp_path))
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, checkpoint)
            sess.run(tf.local_variables_initializer())
            values = slim.evaluation.evaluation(
                sess, num_evals=4, eval_op=names_to_updates.values(),
                final_op=names_to_values.values(),
                summary_op=tf.summary.merge_all(), summary_writer=writer)
            count = sess.run(names_to_values["count"])
    assert dict(zip(names_to_values.keys(), values))["accuracy"] == (
        pytest.approx(ACCURACY))
    assert count == pytest.approx(1.0)
    events = [event for path in tf.gfile.Glob(str(tmp_path / "events.*"))
              for event in tf.train.summary_iterator(path)
              if event.summary.value]
    assert [(event.step, event.summary.value[0].tag) for event in events] == [
        (2, "eval_accuracy")]
    # The module is still the module tf-slim's own functions use.
    assert slim.evaluation.evaluation.evaluate_once is not None


def test_sum_of_squares_is_the_mean_squared_error():
    with tf.Graph().as_default():
        predictions = tf.constant([[1.0, 2.0], [3.0, 5.0]])
        labels = tf.constant([[1.0, 1.0], [1.0, 1.0]])
        loss = slim.losses.sum_of_squares(predictions, labels)
        with tf.Session() as sess:
            value = sess.run(loss)
        assert tf.get_collection(tf.GraphKeys.LOSSES) == [loss]
    assert value == pytest.approx(np.mean([0.0, 1.0, 4.0, 16.0]))
