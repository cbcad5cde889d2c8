"""Full-integer TFLite models (slimtrain.export.int8_tflite) and their bound.

- LeNet trained quantization-aware on the digits, and mobilenet_v1 (batch
  norm) trained and evaluated the way research/slim's mobilenet_v1_train.py
  and _eval.py do with contrib.quantize: each converts to a TFLite model
  whose every tensor is int8 or int32, and which predicts within the
  quantization-aware bound of its fake-quant graph on the held-out split.
- A float LeNet, quantized after training, within the post-training bound.
- CifarNet: only its two local response normalizations stay in float.
- The bound itself, and the conversions' one-line refusals.

Everything runs with tf_keras hidden (one subprocess), as slimtrain runs.
"""

import re

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import cifarnet
from slimtrain.compute import quantize
from slimtrain.compute.quantize import contrib_api
from slimtrain.errors import ConfigError
from slimtrain.export import int8_parity, int8_tflite
from slimtrain.export.int8_runner import Int8TFLiteRunner
from tests import quantize_helpers as helpers
from tests import tf_keras_helpers

without_tf_keras = pytest.mark.skipif(
    not tf_keras_helpers.HIDDEN,
    reason="runs in test_quantize_export_without_tf_keras's subprocess")


@pytest.fixture(scope="module")
def lenet_digits():
    return helpers.digits("train"), helpers.digits("test")


@pytest.fixture(scope="module")
def float_lenet(lenet_digits, tmp_path_factory):
    """A float LeNet trained on the digits (about 0.97 accurate)."""
    (images, labels), _ = lenet_digits
    return helpers.train(helpers.lenet, tmp_path_factory.mktemp("float"),
                         images, labels, steps=80)


def inference_graph(network, image_shape):
    """Builds the image tower export.py converts: (images, logits,
    probabilities), named input, logits, probabilities."""
    images = tf.placeholder(tf.float32, [None] + list(image_shape),
                            name="input")
    logits = tf.identity(network(images, False), name="logits")
    return images, logits, tf.nn.softmax(logits, name="probabilities")


def convert_and_run(tmp_path, convert, session, tower, test_images, top_k=0):
    """Converts with `convert`, checks the tensor types; returns
    (the model's outputs on `test_images`, its non-integer tensors)."""
    model = convert(session, *tower)
    path = str(tmp_path / "model.tflite")
    with open(path, "wb") as handle:
        handle.write(model)
    return (Int8TFLiteRunner(path, top_k=top_k).run(test_images),
            int8_tflite.non_integer_tensors(model))


@without_tf_keras
def test_quantization_aware_lenet_converts_to_int8_within_its_bound(
        tmp_path, lenet_digits, float_lenet):
    (train_images, train_labels), (test_images, test_labels) = lenet_digits
    # Fine-tuning a float model, contrib.quantize's recommended use.
    checkpoint = helpers.train(
        helpers.lenet, tmp_path, train_images, train_labels, steps=40,
        options=quantize.QuantizeOptions(is_training=True, quant_delay=0),
        init_from=float_lenet)
    assert quantize.holds_ranges(checkpoint)
    assert not quantize.holds_ranges(float_lenet)
    with tf.Graph().as_default() as graph:
        tower = inference_graph(helpers.lenet, test_images.shape[1:])
        quantize.rewrite(graph, quantize.QuantizeOptions(is_training=False))
        with tf.Session() as session:
            tf.train.Saver().restore(session, checkpoint)
            reference = session.run(tower[1], {tower[0]: test_images})
            input_quantization = int8_tflite.input_quantization(session,
                                                                tower[0])
            outputs, non_integer = convert_and_run(
                tmp_path, int8_tflite.convert_quantization_aware, session,
                tower, test_images, top_k=5)
    assert non_integer == []
    parity = int8_parity.measure("lenet", reference, outputs["logits"],
                                 test_labels, int8_parity.QUANTIZATION_AWARE)
    assert parity.passed, parity.describe()
    assert parity.int8_accuracy > 0.85, parity.describe()
    # The input is quantized as the fake-quant graph's input was.
    runner = Int8TFLiteRunner(str(tmp_path / "model.tflite"))
    np.testing.assert_allclose(runner.input_quantization, input_quantization,
                               rtol=1e-6)
    np.testing.assert_array_equal(outputs["classes"],
                                  np.argmax(outputs["logits"], 1))
    assert outputs["top_5_classes"].shape == (len(test_labels), 5)
    np.testing.assert_allclose(outputs["probabilities"].sum(1), 1.0,
                               atol=0.05)


def mobilenet_train_py(checkpoint_dir, images, labels, steps):
    """Trains as research/slim's nets/mobilenet_v1_train.py with --quantize:
    network, loss, create_training_graph, total loss, optimizer."""
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        inputs = tf.placeholder(tf.float32, [None] + list(images.shape[1:]))
        targets = tf.placeholder(tf.int64, [None])
        logits = helpers.small_mobilenet(inputs, is_training=True)
        tf.losses.softmax_cross_entropy(tf.one_hot(targets, 10), logits)
        contrib_api.create_training_graph(quant_delay=steps // 3)
        total_loss = tf.losses.get_total_loss(name="total_loss")
        train_op = slim.learning.create_train_op(
            total_loss, tf.train.AdamOptimizer(0.01))
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            order = np.random.RandomState(0)
            for _ in range(steps):
                batch = order.randint(0, len(images), 32)
                session.run(train_op, {inputs: images[batch],
                                       targets: labels[batch]})
            return tf.train.Saver().save(
                session, str(checkpoint_dir) + "/model.ckpt",
                global_step=tf.train.get_global_step())


@without_tf_keras
def test_quantization_aware_mobilenet_with_contrib_functions(tmp_path):
    train_images, train_labels = helpers.digits(
        "train", helpers.MOBILENET_SIZE, channels=3)
    test_images, test_labels = helpers.digits(
        "test", helpers.MOBILENET_SIZE, channels=3)
    checkpoint = mobilenet_train_py(tmp_path, train_images, train_labels,
                                    steps=60)
    with tf.Graph().as_default():
        tower = inference_graph(helpers.small_mobilenet,
                                test_images.shape[1:])
        contrib_api.create_eval_graph()  # as mobilenet_v1_eval.py does
        with tf.Session() as session:
            tf.train.Saver().restore(session, checkpoint)
            reference = session.run(tower[1], {tower[0]: test_images})
            outputs, non_integer = convert_and_run(
                tmp_path, int8_tflite.convert_quantization_aware, session,
                tower, test_images)
    assert non_integer == []
    parity = int8_parity.measure("mobilenet_v1", reference,
                                 outputs["logits"], test_labels,
                                 int8_parity.QUANTIZATION_AWARE)
    assert parity.passed, parity.describe()
    assert parity.reference_accuracy > 0.5, parity.describe()


@without_tf_keras
def test_post_training_int8_of_a_float_lenet_within_its_bound(
        tmp_path, lenet_digits, float_lenet):
    (train_images, _), (test_images, test_labels) = lenet_digits
    with tf.Graph().as_default():
        tower = inference_graph(helpers.lenet, test_images.shape[1:])
        with tf.Session() as session:
            tf.train.Saver().restore(session, float_lenet)
            reference = session.run(tower[1], {tower[0]: test_images})

            def convert(session, *tower):
                return int8_tflite.convert_post_training(
                    session, *tower, lambda: np.split(train_images[:100], 4))

            outputs, non_integer = convert_and_run(
                tmp_path, convert, session, tower, test_images)
    assert non_integer == []
    parity = int8_parity.measure("lenet", reference, outputs["logits"],
                                 test_labels, int8_parity.POST_TRAINING)
    assert parity.passed, parity.describe()
    assert parity.int8_accuracy > 0.85, parity.describe()


def cifarnet_network(images, is_training):
    with slim.arg_scope(cifarnet.cifarnet_arg_scope()):
        return cifarnet.cifarnet(images, is_training=is_training)[0]


def convert_untrained(tmp_path, network, images, quantization_aware):
    """Builds `network` with initial weights and converts it to int8.

    Returns:
      (the rewrite's summary or None, the graph's logits on `images`, the
      int8 model's outputs on them, its non-integer tensors).
    """
    with tf.Graph().as_default() as graph:
        tower = inference_graph(network, images.shape[1:])
        summary = None
        if quantization_aware:
            summary = quantize.rewrite(graph, quantize.QuantizeOptions(
                is_training=False))
            convert = int8_tflite.convert_quantization_aware
        else:
            def convert(session, *tower):
                return int8_tflite.convert_post_training(
                    session, *tower, lambda: [images])
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            reference = session.run(tower[1], {tower[0]: images})
            outputs, non_integer = convert_and_run(tmp_path, convert, session,
                                                   tower, images)
    return summary, reference, outputs, non_integer


def random_images(*shape):
    return np.random.RandomState(0).uniform(-1, 1, shape).astype(np.float32)


@without_tf_keras
@pytest.mark.parametrize("quantization_aware", [False, True])
def test_cifarnet_keeps_only_its_local_response_normalization_in_float(
        tmp_path, quantization_aware):
    _, _, _, non_integer = convert_untrained(
        tmp_path, cifarnet_network, random_images(4, 32, 32, 3),
        quantization_aware)
    # LRN's input (dequantized) and output, for each of the two.
    names = [name for name, dtype in non_integer if dtype == "float32"]
    assert len(non_integer) == len(names) == 4, non_integer
    assert {"CifarNet/norm1", "CifarNet/norm2"} <= set(names)


def residual_network(images, is_training, linear_bottleneck):
    """A residual block: resnet_v1's relu(shortcut + residual), or
    mobilenet_v2's linear bottleneck (an identity activation, no relu
    after the sum)."""
    with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm,
                        normalizer_params={"is_training": is_training}):
        shortcut = slim.conv2d(images, 4, [3, 3], scope="stem")
        residual = slim.conv2d(shortcut, 4, [3, 3], scope="conv1")
        residual = slim.conv2d(
            residual, 4, [1, 1], scope="conv2",
            activation_fn=tf.identity if linear_bottleneck else None)
        net = (tf.add(shortcut, residual) if linear_bottleneck else
               tf.nn.relu(shortcut + residual))
        return slim.fully_connected(slim.flatten(net), 3, activation_fn=None,
                                    scope="fc")


@without_tf_keras
@pytest.mark.parametrize("linear_bottleneck", [False, True])
def test_residual_sums_are_quantized_where_tflite_needs_them(
        tmp_path, linear_bottleneck):
    summary, reference, outputs, non_integer = convert_untrained(
        tmp_path, lambda images, is_training: residual_network(
            images, is_training, linear_bottleneck),
        random_images(4, 8, 8, 3), quantization_aware=True)
    after_sum = "conv2/add_quant" if linear_bottleneck else "conv2/act_quant"
    assert {"conv2/conv_quant", after_sum} <= set(summary.range_scopes)
    assert non_integer == []
    assert np.max(np.abs(outputs["logits"] - reference)) < 0.1


@without_tf_keras
def test_quantization_aware_conversion_refuses_what_it_cannot_convert():
    with tf.Graph().as_default() as graph:
        tower = inference_graph(helpers.lenet, [28, 28, 1])
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            with pytest.raises(ConfigError, match="no fake quant reads the "
                               "input input:0: build the graph with"):
                int8_tflite.convert_quantization_aware(session, *tower)
    with tf.Graph().as_default() as graph:
        tower = inference_graph(helpers.lenet, [28, 28, 1])
        quantize.rewrite(graph, quantize.QuantizeOptions(
            is_training=False, weight_bits=4))
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            with pytest.raises(ConfigError, match="simulates 4/8-bit "
                               "integers, and TFLite's integer models are "
                               "8-bit"):
                int8_tflite.convert_quantization_aware(session, *tower)


def test_the_bound_allows_one_example_and_no_more_than_its_share():
    labels = np.arange(64) % 4
    reference = np.eye(4)[labels]
    flipped = reference.copy()
    flipped[:2] = np.eye(4)[(labels[:2] + 1) % 4]  # two wrong predictions
    one = int8_parity.measure("one", reference, np.concatenate(
        [flipped[:1], reference[1:]]), labels, int8_parity.QUANTIZATION_AWARE)
    assert one.passed and one.disagreements == 1
    two = int8_parity.measure("two", reference, flipped, labels,
                              int8_parity.QUANTIZATION_AWARE)
    assert not two.passed
    assert two.top1_agreement == pytest.approx(62 / 64)
    assert two.int8_accuracy == pytest.approx(62 / 64)
    assert two.reference_accuracy == 1.0
    with pytest.raises(int8_parity.Int8ParityError, match="agrees with its "
                       "quantization-aware reference on 96.9% of 64"):
        int8_parity.require(two)
    # Post-training allows 10% disagreement and a 2-point drop: 3 of 150.
    labels = np.arange(150) % 4
    reference = np.eye(4)[labels]
    flipped = reference.copy()
    flipped[:3] = np.eye(4)[(labels[:3] + 1) % 4]
    assert int8_parity.measure("three", reference, flipped, labels,
                               int8_parity.POST_TRAINING).passed
    flipped[3] = np.eye(4)[(labels[3] + 1) % 4]
    four = int8_parity.measure("four", reference, flipped, labels,
                               int8_parity.POST_TRAINING)
    assert not four.passed and four.to_json()["passed"] is False
    assert "FAILED" in four.describe()


@pytest.mark.skipif(tf_keras_helpers.HIDDEN,
                    reason="this run is already the one without tf_keras")
def test_quantize_export_without_tf_keras():
    status, tail = tf_keras_helpers.run_file_without_tf_keras(__file__)
    # Every test ran there, but this one.
    assert status == 0 and re.search(r" passed, 1 skipped", tail), tail
