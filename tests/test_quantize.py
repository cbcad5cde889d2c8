"""The quantization rewrite (slimtrain.compute.quantize) on real graphs.

- The evaluation rewrite computes the folded, fake-quantized network, which
  a float graph built here from the variables' values recomputes.
- Before quant_delay the training rewrite computes what the float network
  computes (outputs, gradients, batch-norm updates); with frozen batch
  norms, what the inference network computes, and the statistics stay put.
- With two research/slim clones, one set of ranges, each updated once per
  step, all in the checkpoint: a resumed run ends where an uninterrupted
  one does, bit for bit.
- contrib.quantize's functions on graphs built as research/slim's
  train/eval/export scripts build them (clones, moving averages).

Everything runs with tf_keras hidden (one subprocess), as slimtrain runs.
"""

import re

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import nets_factory
from slimtrain.compute import quantize
from slimtrain.compute.quantize import contrib_api
from tests import tf_keras_helpers
from tests.quantize_helpers import tiny_bn_net

without_tf_keras = pytest.mark.skipif(
    not tf_keras_helpers.HIDDEN,
    reason="runs in test_quantize_without_tf_keras's subprocess")

IMAGES = np.random.RandomState(7).uniform(-1, 1, [4, 8, 8, 3]).astype(
    np.float32)
EPSILON = 1e-3  # tiny_bn_net's batch norms'


def fake_quant(values, minimum, maximum, narrow_range=False):
    """TensorFlow's fake quant in NumPy: the range nudged so 0 is a level,
    values clamped and rounded half up; per last axis for array ranges."""
    low = 1 if narrow_range else 0
    minimum = np.asarray(minimum, np.float64)
    maximum = np.asarray(maximum, np.float64)
    scale = (maximum - minimum) / (255 - low)
    zero_point = np.clip(np.floor(low - minimum / scale + 0.5), low, 255)
    nudged_min = (low - zero_point) * scale
    nudged_max = (255 - zero_point) * scale
    clamped = np.clip(values, nudged_min, nudged_max)
    return (np.floor((clamped - nudged_min) / scale + 0.5) * scale +
            nudged_min).astype(np.float32)


def values_by_name(session):
    return {var.op.name: value for var, value in zip(
        tf.global_variables(), session.run(tf.global_variables()))}


def load_values(session, values):
    """Assigns the values of the variables named in `values`."""
    for var in tf.global_variables():
        if var.op.name in values:
            var.load(values[var.op.name], session)


def randomize_batch_norms(session, seed=3):
    """Gives gamma, beta and the moving statistics values far from 1 and 0."""
    rng = np.random.RandomState(seed)
    for var in tf.global_variables():
        name = var.op.name.rsplit("/", 1)[-1]
        shape = var.shape.as_list()
        if name in ("gamma", "moving_variance"):
            var.load(rng.uniform(0.5, 2.0, shape), session)
        elif name in ("beta", "moving_mean"):
            var.load(rng.uniform(-0.5, 0.5, shape), session)


@without_tf_keras
def test_eval_rewrite_computes_the_folded_quantized_network():
    with tf.Graph().as_default() as graph:
        images = tf.placeholder(tf.float32, IMAGES.shape)
        # The rewrite rewires consumers: fetch one built before it.
        logits = tf.identity(tiny_bn_net(images, is_training=False))
        summary = quantize.rewrite(graph,
                                   quantize.QuantizeOptions(is_training=False))
        assert summary.layers == ("Tiny/conv/weights",
                                  "Tiny/depthwise/depthwise_weights",
                                  "Tiny/fc/weights", "Tiny/logits/weights")
        assert len(summary.folded_batch_norms) == 3 and not summary.skipped
        assert "Tiny/conv/input_quant" in summary.range_scopes
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            randomize_batch_norms(session)
            values = values_by_name(session)
            ranges = choose_ranges(values)
            load_values(session, ranges)
            result = session.run(logits, {images: IMAGES})
    values.update(ranges)
    np.testing.assert_allclose(result, reference_logits(values), atol=1e-5)
    # The ranges clip: the last layer's outputs sit on its 255 levels.
    steps = (result - ranges["Tiny/logits/act_quant/min"]) / (
        6.0 / 255)
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-3)


def choose_ranges(values):
    """Ranges narrower than the values, so clamping is exercised too."""
    ranges = {"Tiny/conv/input_quant": (-0.8, 1.0),
              "Tiny/conv/act_quant": (0.0, 3.0),
              "Tiny/depthwise/depthwise_act_quant": (0.0, 4.0),
              "Tiny/fc/act_quant": (0.0, 2.0),
              "Tiny/logits/act_quant": (-2.0, 4.0)}
    chosen = {}
    for scope, (low, high) in ranges.items():
        chosen[scope + "/min"], chosen[scope + "/max"] = (
            np.float32(low), np.float32(high))
    for scope, weights in (("Tiny/conv/weights", "Tiny/conv"),
                           ("Tiny/depthwise/depthwise_weights",
                            "Tiny/depthwise"),
                           ("Tiny/fc/weights", "Tiny/fc"),
                           ("Tiny/logits/weights", "Tiny/logits")):
        folded = folded_weights(values, weights, scope.rsplit("/", 1)[1])
        per_channel = folded.ndim == 4
        limit = 0.9 * (np.abs(folded).reshape(-1, folded.shape[-1]).max(0)
                       if per_channel else np.abs(folded).max())
        chosen[scope + "_quant/min"] = -limit.astype(np.float32)
        chosen[scope + "_quant/max"] = limit.astype(np.float32)
    return chosen


def folded_weights(values, layer, weights_name):
    """The layer's weights times gamma / sqrt(moving variance + eps); for
    the depthwise layer reshaped to [h, w, 1, in * multiplier]."""
    weights = values["%s/%s" % (layer, weights_name)]
    if layer + "/BatchNorm/gamma" not in values:
        return weights
    scale = values[layer + "/BatchNorm/gamma"] / np.sqrt(
        values[layer + "/BatchNorm/moving_variance"] + EPSILON)
    if weights.ndim == 4 and weights_name == "depthwise_weights":
        h, w, channels, multiplier = weights.shape
        return (weights * scale.reshape(channels, multiplier)).reshape(
            h, w, 1, channels * multiplier)
    return weights * scale


def folded_bias(values, layer):
    scale = values[layer + "/BatchNorm/gamma"] / np.sqrt(
        values[layer + "/BatchNorm/moving_variance"] + EPSILON)
    return (values[layer + "/BatchNorm/beta"] -
            values[layer + "/BatchNorm/moving_mean"] * scale)


def reference_logits(values):
    """tiny_bn_net, folded and quantized by hand, in a float graph."""

    def weights(layer, name):
        folded = folded_weights(values, layer, name)
        scope = "%s/%s_quant" % (layer, name)
        return fake_quant(folded, values[scope + "/min"],
                          values[scope + "/max"], narrow_range=True)

    def activation(tensor, scope):
        return tf.quantization.fake_quant_with_min_max_args(
            tensor, float(values[scope + "/min"]),
            float(values[scope + "/max"]))

    with tf.Graph().as_default():
        net = tf.constant(fake_quant(
            IMAGES, values["Tiny/conv/input_quant/min"],
            values["Tiny/conv/input_quant/max"]))
        net = tf.nn.conv2d(net, weights("Tiny/conv", "weights"), 2, "SAME")
        net = activation(tf.nn.relu6(net + folded_bias(values, "Tiny/conv")),
                         "Tiny/conv/act_quant")
        depthwise = weights("Tiny/depthwise", "depthwise_weights").reshape(
            3, 3, 4, 2)
        net = tf.nn.depthwise_conv2d(net, depthwise, [1, 1, 1, 1], "SAME")
        net = activation(
            tf.nn.relu6(net + folded_bias(values, "Tiny/depthwise")),
            "Tiny/depthwise/depthwise_act_quant")
        net = tf.matmul(tf.reshape(net, [len(IMAGES), -1]),
                        weights("Tiny/fc", "weights"))
        net = activation(tf.nn.relu6(net + folded_bias(values, "Tiny/fc")),
                         "Tiny/fc/act_quant")
        net = tf.matmul(net, weights("Tiny/logits", "weights"))
        net = activation(net + values["Tiny/logits/biases"],
                         "Tiny/logits/act_quant")
        with tf.Session() as session:
            return session.run(net)


def training_graph(options=None, network=tiny_bn_net):
    """A training graph of `network` on IMAGES: (graph, logits, gradients,
    update op), rewritten with `options` when given."""
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(1)
        logits = network(tf.constant(IMAGES), is_training=True)
        tf.losses.sparse_softmax_cross_entropy(tf.constant([0, 1, 2, 1]),
                                               logits)
        tf.train.get_or_create_global_step()
        if options is not None:
            quantize.rewrite(graph, options)
        loss = tf.losses.get_total_loss()
        variables = tf.trainable_variables()
        gradients = dict(zip([var.op.name for var in variables],
                             tf.gradients(loss, variables)))
        updates = tf.group(*tf.get_collection(tf.GraphKeys.UPDATE_OPS))
    return graph, logits, gradients, updates


def run_training_graph(built, values):
    """(logits, gradients, moving statistics after the updates) from the
    given variable values."""
    graph, logits, gradients, updates = built
    with graph.as_default(), tf.Session() as session:
        session.run(tf.global_variables_initializer())
        load_values(session, values)
        result = session.run([logits, gradients])
        session.run(updates)
        moving = {name: value for name, value in
                  values_by_name(session).items() if "/moving_" in name}
    return result[0], result[1], moving


@without_tf_keras
def test_training_rewrite_before_quant_delay_is_the_float_network():
    float_graph = training_graph()
    with float_graph[0].as_default(), tf.Session() as session:
        session.run(tf.global_variables_initializer())
        randomize_batch_norms(session)
        values = values_by_name(session)
    expected = run_training_graph(float_graph, values)
    rewritten = run_training_graph(training_graph(quantize.QuantizeOptions(
        is_training=True, quant_delay=10**6)), values)
    np.testing.assert_allclose(rewritten[0], expected[0], rtol=1e-5,
                               atol=1e-5)
    assert sorted(rewritten[1]) == sorted(expected[1])
    for name in expected[1]:
        np.testing.assert_allclose(rewritten[1][name], expected[1][name],
                                   rtol=1e-4, atol=1e-5, err_msg=name)
    # The moving mean and the (Bessel-corrected) moving variance updates.
    assert len(expected[2]) == 6
    for name in expected[2]:
        assert not np.allclose(expected[2][name], values[name]), name
        np.testing.assert_allclose(rewritten[2][name], expected[2][name],
                                   rtol=1e-5, atol=1e-6, err_msg=name)


@without_tf_keras
def test_frozen_batch_norms_use_and_keep_their_moving_statistics():
    built = training_graph(quantize.QuantizeOptions(
        is_training=True, quant_delay=10**6, freeze_bn_delay=0))
    with built[0].as_default(), tf.Session() as session:
        session.run(tf.global_variables_initializer())
        randomize_batch_norms(session)
        values = values_by_name(session)
    logits, _, moving = run_training_graph(built, values)
    for name, value in moving.items():
        np.testing.assert_array_equal(value, values[name], err_msg=name)
    with tf.Graph().as_default():
        inference = tiny_bn_net(tf.constant(IMAGES), is_training=False)
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            load_values(session, values)
            np.testing.assert_allclose(logits, session.run(inference),
                                       rtol=1e-5, atol=1e-5)


def two_clone_training(checkpoint_dir, first_step, last_step, restore=None):
    """Trains tiny_bn_net as 2 research/slim clones from `restore` (or
    fresh) over steps first_step..last_step; returns the checkpoint."""
    with tf.Graph().as_default() as graph:
        tf.set_random_seed(1)
        inputs = tf.placeholder(tf.float32, [2] + list(IMAGES.shape))
        labels = tf.placeholder(tf.int64, [2, len(IMAGES)])
        losses = []
        for index in range(2):
            with tf.name_scope("clone_%d" % index), tf.variable_scope(
                    tf.get_variable_scope(), reuse=True if index else None):
                losses.append(tf.losses.sparse_softmax_cross_entropy(
                    labels[index], tiny_bn_net(inputs[index], True)))
        global_step = tf.train.get_or_create_global_step()
        summary = quantize.rewrite(graph, quantize.QuantizeOptions(
            is_training=True, quant_delay=2, freeze_bn_delay=4))
        assert len(summary.layers) == 8  # 4 layers, twice
        names = [var.op.name for var in tf.global_variables()]
        assert not [name for name in names if "clone" in name]
        assert "Tiny/fc/act_quant/max" in names
        # Each activation range is updated once per step, by clone 0.
        updates = [op.name for op in graph.get_operations()
                   if op.name.endswith("AssignMaxEma")]
        assert len(updates) == 4 + 1  # + the input's
        assert all(name.startswith("clone_0/") for name in updates)
        train_op = slim.learning.create_train_op(
            tf.add_n(losses) / 2, tf.train.MomentumOptimizer(0.1, 0.9),
            update_ops=tf.get_collection(tf.GraphKeys.UPDATE_OPS, "clone_0"))
        saver = tf.train.Saver()
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            if restore:
                saver.restore(session, restore)
            for step in range(first_step, last_step + 1):
                rng = np.random.RandomState(step)
                session.run(train_op, {
                    inputs: rng.uniform(-1, 1, inputs.shape.as_list()),
                    labels: rng.randint(0, 3, labels.shape.as_list())})
            return saver.save(session, str(checkpoint_dir) + "/model.ckpt",
                              global_step=global_step)


@without_tf_keras
def test_ranges_are_checkpointed_and_a_resume_is_exact(tmp_path):
    straight = two_clone_training(tmp_path / "straight", 1, 6)
    half = two_clone_training(tmp_path / "half", 1, 3)
    resumed = two_clone_training(tmp_path / "resumed", 4, 6, restore=half)
    first = dict(tf.train.list_variables(straight))
    assert first == dict(tf.train.list_variables(resumed))
    for name in first:
        np.testing.assert_array_equal(tf.train.load_variable(straight, name),
                                      tf.train.load_variable(resumed, name),
                                      err_msg=name)
    # The resumed part really quantized, and moved the ranges.
    assert tf.train.load_variable(resumed, "global_step") == 6
    assert tf.train.load_variable(half, "Tiny/fc/act_quant/max") != (
        tf.train.load_variable(resumed, "Tiny/fc/act_quant/max"))
    assert tf.train.load_variable(resumed, "Tiny/conv/weights_quant/max"
                                  ).shape == (4,)


@without_tf_keras
def test_contrib_functions_on_research_slim_train_and_eval_graphs(tmp_path):
    """train_image_classifier.py's order: clones, losses, moving averages,
    create_training_graph, optimizer; eval_image_classifier.py's: network,
    create_eval_graph, restore from the moving averages; and
    export_inference_graph.py --quantize's architecture GraphDef."""
    network_fn = nets_factory.get_network_fn("lenet", 10, weight_decay=4e-5,
                                             is_training=True)
    with tf.Graph().as_default() as graph:
        global_step = tf.train.create_global_step()
        images = tf.random.uniform([2, 4, 28, 28, 1], -1, 1, seed=1)
        labels = tf.one_hot(tf.constant([[1, 2, 3, 4]] * 2), 10)
        for index in range(2):
            with tf.name_scope("clone_%d" % index), tf.variable_scope(
                    tf.get_variable_scope(), reuse=True if index else None):
                logits, _ = network_fn(images[index])
                slim.losses.softmax_cross_entropy(logits, labels[index])
        averaged = slim.get_model_variables()
        averages = tf.train.ExponentialMovingAverage(0.99, global_step)
        contrib_api.create_training_graph(quant_delay=1)
        assert any(op.type == "FakeQuantWithMinMaxVars"
                   for op in graph.get_operations())
        optimizer = tf.train.GradientDescentOptimizer(0.01)
        total = tf.add_n(tf.losses.get_losses() +
                         tf.losses.get_regularization_losses())
        train_op = slim.learning.create_train_op(
            total, optimizer, global_step=global_step,
            update_ops=[averages.apply(averaged)])
        with pytest.raises(ValueError, match="before the optimizer"):
            contrib_api.create_training_graph()
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            for _ in range(3):
                session.run(train_op)
            checkpoint = tf.train.Saver().save(
                session, str(tmp_path / "model.ckpt"), global_step=global_step)

    eval_fn = nets_factory.get_network_fn("lenet", 10, is_training=False)
    with tf.Graph().as_default() as graph:
        global_step = tf.train.get_or_create_global_step()
        images = tf.constant(np.random.RandomState(0).uniform(
            -1, 1, [8, 28, 28, 1]).astype(np.float32))
        logits, _ = eval_fn(images)
        contrib_api.create_eval_graph()
        var_map = tf.train.ExponentialMovingAverage(
            0.99, global_step).variables_to_restore(slim.get_model_variables())
        assert "LeNet/conv1/weights/ExponentialMovingAverage" in var_map
        assert var_map["LeNet/conv1/weights_quant/max"].op.name == (
            "LeNet/conv1/weights_quant/max")
        with tf.Session() as session:
            tf.train.Saver(var_map).restore(session, checkpoint)
            assert np.all(np.isfinite(session.run(logits)))

    with tf.Graph().as_default() as graph:
        eval_fn(tf.placeholder(tf.float32, [1, 28, 28, 1], name="input"))
        contrib_api.experimental_create_eval_graph(graph, 8, 8, False,
                                                   scope="LeNet/fc")
        assert any(node.op == "FakeQuantWithMinMaxVars"
                   for node in graph.as_graph_def().node)
        assert {var.op.name.rsplit("/", 2)[0] for var in
                tf.global_variables() if "_quant/" in var.op.name} == {
                    "LeNet/fc3", "LeNet/fc4"}


@without_tf_keras
def test_options_are_checked():
    with pytest.raises(ValueError, match="weight_bits=1"):
        quantize.QuantizeOptions(is_training=True, weight_bits=1)
    with pytest.raises(ValueError, match="quant_delay=-1: give a step"):
        quantize.QuantizeOptions(is_training=True, quant_delay=-1)


@pytest.mark.skipif(tf_keras_helpers.HIDDEN,
                    reason="this run is already the one without tf_keras")
def test_quantize_without_tf_keras():
    status, tail = tf_keras_helpers.run_file_without_tf_keras(__file__)
    # Every test ran there, but this one.
    assert status == 0 and re.search(r" passed, 1 skipped", tail), tail
