"""--num_clones: research/slim's model_deploy semantics in one process.

The equivalence test trains one step of a small network without batch norm
or dropout (registered here for the test) two ways on the same examples: 2
CPU clones with batch B, and 1 clone with batch 2B. The seeded input gives
both the same stream of examples, so the first 2B examples are the one big
batch and the two clone batches alike; the update must agree.
"""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import nets_factory
from slimtrain.scenarios.clones import build_clones
from slimtrain.scenarios.registry import load_scenario
from slimtrain.training.graph import build_train_graph
from slimtrain.training.session import session_config
from tests import tf_keras_helpers
from tests.training_helpers import small_config

BATCH = 8


def tiny_mlp(images, num_classes=10, is_training=False, scope="TinyMLP"):
    """Two fully connected layers: nothing that depends on the batch."""
    del is_training  # no dropout, no batch norm
    with tf.variable_scope(scope):
        net = slim.flatten(images)
        net = slim.fully_connected(net, 16, scope="fc1")
        logits = slim.fully_connected(net, num_classes, activation_fn=None,
                                      scope="logits")
    return logits, {"fc1": net, "Logits": logits}


tiny_mlp.default_image_size = 28


def tiny_mlp_arg_scope(weight_decay=0.0):
    regularizer = slim.l2_regularizer(weight_decay)
    with slim.arg_scope([slim.fully_connected],
                        weights_regularizer=regularizer) as scope:
        return scope


@pytest.fixture
def tiny_network(monkeypatch):
    monkeypatch.setitem(nets_factory.networks_map, "tiny_mlp", tiny_mlp)
    monkeypatch.setitem(nets_factory.arg_scopes_map, "tiny_mlp",
                        tiny_mlp_arg_scope)


def one_step(tmp_path, steps=1, **overrides):
    """Weights after `steps` SGD steps from seeded initial values, the
    losses, the graph's op names and the examples the input position
    counts as taken."""
    config = small_config(
        tmp_path, model_name="tiny_mlp", preprocessing_name="lenet",
        optimizer="sgd", learning_rate=0.5, learning_rate_decay_type="fixed",
        weight_decay=0.01, clone_on_cpu=True, num_readers=1,
        num_preprocessing_threads=1, **overrides).validate()
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        model = build_train_graph(config, load_scenario(config.scenario))
        with tf.Session(config=session_config(config)) as sess:
            sess.run([tf.global_variables_initializer(),
                      tf.local_variables_initializer()])  # input position
            losses = [sess.run(model.train_op) for _ in range(steps)]
            weights = {var.op.name: sess.run(var)
                       for var in tf.trainable_variables()}
            ops = {op.name for op in tf.get_default_graph().get_operations()}
            taken = sess.run(model.input_position.variables[1])
    return weights, losses, ops, taken


def test_two_clones_update_like_one_clone_with_twice_the_batch(
        tmp_path, tiny_network):
    cloned, cloned_losses, ops, cloned_taken = one_step(
        tmp_path / "two", num_clones=2, batch_size=BATCH)
    single, single_losses, _, single_taken = one_step(
        tmp_path / "one", num_clones=1, batch_size=2 * BATCH)
    # A resumed run re-enters the input after every clone's batch.
    assert cloned_taken == single_taken == 2 * BATCH
    assert sorted(cloned) == sorted(single)  # the clones share one set
    assert "clone_1/TinyMLP/fc1/MatMul" in ops
    for name in single:
        np.testing.assert_allclose(cloned[name], single[name], rtol=1e-5,
                                   atol=1e-6, err_msg=name)
    # The total (scaled clone losses + regularization once) is the same.
    np.testing.assert_allclose(cloned_losses, single_losses, rtol=1e-5)
    # And the step really moved the weights.
    fresh, _, _, _ = one_step(tmp_path / "none", steps=0, num_clones=1,
                           batch_size=2 * BATCH)
    assert not np.allclose(fresh["TinyMLP/fc1/weights"],
                           single["TinyMLP/fc1/weights"])


def tiny_bn_net(images):
    with tf.variable_scope("TinyBN"):
        net = slim.conv2d(images, 4, [3, 3], normalizer_fn=slim.batch_norm,
                          normalizer_params={"is_training": True})
        logits = slim.fully_connected(slim.flatten(net), 10,
                                      activation_fn=None)
    return logits, {"Logits": logits}


def test_batch_norm_updates_come_from_the_first_clone(tmp_path):
    config = small_config(tmp_path, num_clones=3, clone_on_cpu=True)
    with tf.Graph().as_default():
        batches = [(tf.random.uniform([2, 8, 8, 1]),
                    tf.constant([1, 2], tf.int64)) for _ in range(3)]
        clones = build_clones(config, batches, tiny_bn_net, num_classes=10)
        all_updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        tags = {op.name for op in tf.get_default_graph().get_operations()
                if op.type == "ScalarSummary"}
        variables = [var.op.name for var in tf.global_variables()]
    assert len(all_updates) == 6  # mean and variance, per clone
    assert clones.update_ops and all(
        op.name.startswith("clone_0/") for op in clones.update_ops)
    assert len(clones.update_ops) == 2
    # One set of variables, on the CPU; one loss summary per clone.
    assert not any(name.startswith("clone_") for name in variables)
    assert {"clone_%d/clone_loss" % i for i in range(3)} <= {
        tag.rsplit("_", 1)[0] if tag[-1].isdigit() and "loss_" in tag
        else tag for tag in tags}


@pytest.mark.skipif(tf_keras_helpers.HIDDEN,
                    reason="this run is already the one without tf_keras")
@pytest.mark.parametrize("num_clones", [1, 2])
def test_with_parameter_servers_the_variables_live_on_them(tmp_path,
                                                          num_clones):
    """--num_ps_tasks with --clone_on_cpu: the model's variables (and the
    optimizer's) on /job:ps, the clones' ops on this worker."""
    config = small_config(tmp_path, num_ps_tasks=1, worker_replicas=2, task=1,
                          clone_on_cpu=True, num_clones=num_clones)
    with tf.Graph().as_default():
        build_train_graph(config, load_scenario(config.scenario))
        devices = {variable.op.name: variable.device
                   for variable in tf.global_variables()}
        assert all(device.startswith("/job:ps/") for device in
                   devices.values()), devices
        convolutions = [op.device for op in
                        tf.get_default_graph().get_operations()
                        if op.type == "Conv2D"]
        assert convolutions and all(device.startswith(
            "/job:worker/task:1/") for device in convolutions), convolutions


def test_clones_without_tf_keras():
    status, tail = tf_keras_helpers.run_file_without_tf_keras(__file__)
    assert status == 0 and " passed" in tail, tail
