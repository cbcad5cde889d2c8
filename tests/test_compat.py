"""Tests for slimtrain.compat: tf-slim 1.1.0 on TensorFlow 2.21 and NumPy 2.

Every patched path is exercised the way tf-slim uses it: graphs built with
tf.compat.v1 inside `tf.Graph().as_default()`, run in real Sessions, with
files under tmp_path, and numbers checked against NumPy. Eager execution is
left on (TensorFlow 2's default), as in a slimtrain process.

The module runs with whatever tf_keras the environment has, and
`test_whole_file_without_tf_keras` runs it a second time in a subprocess with
SLIMTRAIN_HIDE_TF_KERAS=1, so one pytest run covers both L6 paths: tf_keras's
legacy BatchNormalization, and the routing to tf-slim's own kernels.
"""

import importlib
import os
import subprocess
import sys
import threading
import types

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim as slim

import slimtrain  # noqa: F401  (applies slimtrain.compat)
from slimtrain import compat
from tests import tf_keras_helpers


def _tf_keras_available():
    try:
        importlib.import_module("tf_keras")
    except ImportError:
        return False
    return True


HAVE_TF_KERAS = _tf_keras_available()
EPSILON = 1e-3
DECAY = 0.75  # far from the 0.999 default, so a wrong decay shows


def _run_update_ops(sess):
    sess.run(tf.get_collection(tf.GraphKeys.UPDATE_OPS))


# --------------------------------------------------------------------------
# L6: slim.batch_norm
# --------------------------------------------------------------------------

# (input shape, batch_norm arguments, whether the kernel tf-slim ends up in
# computes a Bessel-corrected batch variance for the moving-average update,
# as the fused kernels do, rather than the population variance.)
BATCH_NORM_CASES = {
    "rank4_default_fused": ((4, 3, 3, 2), {}, True),
    "rank4_fused_false": ((4, 3, 3, 2), {"fused": False}, False),
    "rank4_nchw": ((4, 2, 3, 3), {"data_format": "NCHW"}, True),
    "rank2": ((6, 3), {}, True),
    "rank2_fused_false": ((6, 3), {"fused": False}, False),
    "rank3": ((4, 3, 2), {}, False),
    # tf_keras fuses rank 5 (FusedBatchNormV3 takes NDHWC); tf-slim's own
    # fused kernel takes only ranks 2 and 4, so without tf_keras rank 5 goes
    # to the moments-based kernel. Documented in docs/COMPAT.md.
    "rank5": ((2, 3, 2, 2, 2), {}, HAVE_TF_KERAS),
}


def _reference_moments(x, data_format):
    channel_axis = 1 if data_format == "NCHW" else x.ndim - 1
    axes = tuple(a for a in range(x.ndim) if a != channel_axis)
    shape = [1] * x.ndim
    shape[channel_axis] = x.shape[channel_axis]
    count = x.size // x.shape[channel_axis]
    mean = x.mean(axis=axes, dtype=np.float64)
    variance = x.var(axis=axes, dtype=np.float64)
    return mean, variance, count, shape


@pytest.mark.parametrize("case", sorted(BATCH_NORM_CASES))
def test_batch_norm_training_then_inference(case):
    shape, kwargs, bessel = BATCH_NORM_CASES[case]
    data_format = kwargs.get("data_format", "NHWC")
    x = np.random.RandomState(0).normal(1.0, 2.0, shape).astype(np.float32)
    gamma, beta = 1.5, 0.25
    with tf.Graph().as_default():
        inputs = tf.constant(x)
        train_out = slim.batch_norm(
            inputs, decay=DECAY, epsilon=EPSILON, scale=True, is_training=True,
            param_initializers={"gamma": tf.constant_initializer(gamma),
                                "beta": tf.constant_initializer(beta)},
            **kwargs)
        assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 2
        infer_out = slim.batch_norm(
            inputs, decay=DECAY, epsilon=EPSILON, scale=True, is_training=False,
            scope="BatchNorm", reuse=True, **kwargs)
        assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 2
        assert sorted(v.op.name for v in tf.global_variables()) == [
            "BatchNorm/beta", "BatchNorm/gamma", "BatchNorm/moving_mean",
            "BatchNorm/moving_variance"]
        assert sorted(v.op.name for v in tf.trainable_variables()) == [
            "BatchNorm/beta", "BatchNorm/gamma"]
        assert len(slim.get_model_variables()) == 4
        moving_mean = slim.get_variables_by_name("moving_mean")[0]
        moving_variance = slim.get_variables_by_name("moving_variance")[0]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            trained = sess.run(train_out)
            _run_update_ops(sess)
            mm, mv = sess.run([moving_mean, moving_variance])
            inferred = sess.run(infer_out)

    mean, variance, count, bshape = _reference_moments(x, data_format)
    expected_train = (gamma * (x - mean.reshape(bshape)) /
                      np.sqrt(variance.reshape(bshape) + EPSILON) + beta)
    np.testing.assert_allclose(trained, expected_train, rtol=1e-4, atol=1e-4)

    update_variance = variance * count / (count - 1) if bessel else variance
    np.testing.assert_allclose(mm, (1 - DECAY) * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        mv, DECAY * 1.0 + (1 - DECAY) * update_variance, rtol=1e-5, atol=1e-6)

    expected_infer = (gamma * (x - mm.reshape(bshape)) /
                      np.sqrt(mv.reshape(bshape) + EPSILON) + beta)
    np.testing.assert_allclose(inferred, expected_infer, rtol=1e-4, atol=1e-4)


def test_batch_norm_takes_arg_scope_arguments():
    """`arg_scope([slim.batch_norm], ...)` arguments reach batch_norm.

    Also through slim.conv2d's normalizer_fn: that is how the nets' arg_scopes
    set is_training.
    """
    x = np.random.RandomState(7).normal(2.0, 3.0, (4, 3, 3, 2)).astype(
        np.float32)
    with tf.Graph().as_default():
        with slim.arg_scope([slim.batch_norm], is_training=False, scale=True,
                            epsilon=EPSILON,
                            param_initializers={
                                "gamma": tf.constant_initializer(2.0)}):
            inferred = slim.conv2d(
                tf.constant(x), 2, [1, 1], activation_fn=None,
                weights_initializer=tf.constant_initializer(
                    np.eye(2).reshape(1, 1, 2, 2)),
                normalizer_fn=slim.batch_norm, scope="conv")
        assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []
        assert slim.get_variables_by_name("gamma")
        with slim.arg_scope([slim.batch_norm], decay=DECAY):
            slim.batch_norm(tf.constant(x), scope="trained")
        moving_mean = slim.get_variables_by_name("trained/moving_mean")[0]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            result = sess.run(inferred)
            _run_update_ops(sess)
            mm = sess.run(moving_mean)
    np.testing.assert_allclose(result, 2.0 * x / np.sqrt(1 + EPSILON),
                               rtol=1e-5)
    np.testing.assert_allclose(mm, (1 - DECAY) * x.mean(axis=(0, 1, 2)),
                               rtol=1e-5)


def test_batch_norm_is_training_tensor_and_update_ops():
    """is_training as a tensor: batch stats and updates only when True."""
    x = np.random.RandomState(1).normal(-2.0, 3.0, (8, 2, 2, 3)).astype(
        np.float32)
    with tf.Graph().as_default():
        is_training = tf.placeholder(tf.bool, [])
        out = slim.batch_norm(tf.constant(x), decay=DECAY, epsilon=EPSILON,
                              is_training=is_training)
        moving_mean = slim.get_variables_by_name("moving_mean")[0]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            inferred = sess.run(out, {is_training: False})
            sess.run(tf.get_collection(tf.GraphKeys.UPDATE_OPS),
                     {is_training: False})
            assert not sess.run(moving_mean).any()
            trained = sess.run(out, {is_training: True})
            sess.run(tf.get_collection(tf.GraphKeys.UPDATE_OPS),
                     {is_training: True})
            mm = sess.run(moving_mean)
    mean, variance, _, _ = _reference_moments(x, "NHWC")
    np.testing.assert_allclose(inferred, x / np.sqrt(1 + EPSILON), rtol=1e-5)
    np.testing.assert_allclose(
        trained, (x - mean) / np.sqrt(variance + EPSILON), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(mm, (1 - DECAY) * mean, rtol=1e-5)


def test_batch_norm_not_trainable_has_no_update_ops():
    """trainable=False: batch statistics in training, no UPDATE_OPS (as Keras)."""
    x = np.random.RandomState(2).normal(3.0, 2.0, (4, 3, 3, 2)).astype(
        np.float32)
    with tf.Graph().as_default():
        out = slim.batch_norm(tf.constant(x), decay=DECAY, epsilon=EPSILON,
                              is_training=True, trainable=False)
        assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []
        assert tf.trainable_variables() == []
        assert tf.get_default_graph().get_all_collection_keys().count(
            compat._DISCARDED_UPDATES) == 0
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            result = sess.run(out)
    mean, variance, _, _ = _reference_moments(x, "NHWC")
    np.testing.assert_allclose(
        result, (x - mean) / np.sqrt(variance + EPSILON), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape,kwargs", [
    ((4, 3, 3, 2), {}), ((4, 3, 3, 2), {"fused": False}), ((4, 3, 2), {})])
def test_batch_norm_param_regularizers(shape, kwargs):
    """Every kernel adds the beta and gamma losses, once (not on reuse)."""
    with tf.Graph().as_default():
        inputs = tf.zeros(shape)
        params = dict(
            scale=True, param_regularizers={
                "beta": lambda t: 2.0 * tf.reduce_sum(t),
                "gamma": lambda t: 3.0 * tf.reduce_sum(t)},
            param_initializers={"beta": tf.constant_initializer(0.5),
                                "gamma": tf.constant_initializer(4.0)})
        slim.batch_norm(inputs, scope="bn", **params, **kwargs)
        slim.batch_norm(inputs, scope="bn", reuse=True, **params, **kwargs)
        losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            values = sorted(sess.run(losses))
    channels = shape[-1]
    assert values == pytest.approx([2.0 * 0.5 * channels, 3.0 * 4.0 * channels])


def test_batch_norm_backend_matches_tf_keras_presence():
    """L6: tf_keras's layer where tf_keras imports, the routing where not."""
    from tensorflow.python.layers import normalization

    public = slim.batch_norm
    cell = public.__closure__[public.__code__.co_freevars.index("func")]
    rerouted = getattr(cell.cell_contents, "_slimtrain_reroute", False)
    if HAVE_TF_KERAS:
        from tf_keras.src.legacy_tf_layers import normalization as keras_bn
        assert not rerouted
        for name in compat._LEGACY_NORMALIZATION_NAMES:
            assert getattr(normalization, name) is getattr(keras_bn, name)
    else:
        assert rerouted
        with pytest.raises(ImportError):
            normalization.BatchNormalization  # noqa: B018


@pytest.mark.parametrize("option", ["renorm", "adjustment"])
def test_batch_norm_renorm_and_adjustment(option):
    """Need the Keras layer: work with tf_keras, a clear ImportError without."""
    x = np.random.RandomState(3).normal(0.0, 1.0, (4, 2, 2, 3)).astype(
        np.float32)
    with tf.Graph().as_default():
        if option == "renorm":
            kwargs = {"renorm": True}
        else:
            kwargs = {"adjustment": lambda shape: (tf.fill([3], 2.0),
                                                   tf.fill([3], 0.5))}
        if not HAVE_TF_KERAS:
            with pytest.raises(ImportError, match="pip install tf_keras"):
                slim.batch_norm(tf.constant(x), **kwargs)
            return
        out = slim.batch_norm(tf.constant(x), epsilon=EPSILON, **kwargs)
        names = sorted(v.op.name for v in tf.global_variables())
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            result = sess.run(out)
    if option == "renorm":
        # Fresh renorm statistics (mean 0, stddev 1) make the correction
        # r = batch stddev, d = batch mean, which undoes the normalisation.
        assert "BatchNorm/renorm_mean" in names
        np.testing.assert_allclose(result, x, rtol=1e-4, atol=1e-4)
    else:
        mean, variance, _, _ = _reference_moments(x, "NHWC")
        normalized = (x - mean) / np.sqrt(variance + EPSILON)
        np.testing.assert_allclose(result, 2.0 * normalized + 0.5,
                                   rtol=1e-4, atol=1e-4)


# --------------------------------------------------------------------------
# L1, L2: slim.learning.create_train_op
# --------------------------------------------------------------------------

def _linear_model():
    """Loss = c.w + sum(d * emb[[0, 2]]): dense and IndexedSlices gradients.

    d/dw = c = (3, 4), norm 5; d/d emb = d on rows 0 and 2, norm 5.
    """
    w = tf.Variable([1.0, 1.0], name="w")
    emb = tf.Variable(np.ones((3, 2), np.float32), name="emb")
    c = tf.constant([3.0, 4.0])
    d = tf.constant([[0.0, 3.0], [4.0, 0.0]])
    loss = tf.reduce_sum(w * c) + tf.reduce_sum(tf.gather(emb, [0, 2]) * d)
    return w, emb, loss


def _one_step(train_op, w, emb):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        loss = sess.run(train_op)
        return loss, sess.run(w), sess.run(emb), sess.run(
            tf.train.get_global_step())


def test_create_train_op_gradient_multipliers():
    with tf.Graph().as_default():
        w, emb, loss = _linear_model()
        train_op = slim.learning.create_train_op(
            loss, tf.train.GradientDescentOptimizer(1.0),
            gradient_multipliers={"w": 0.5, emb: tf.constant(3.0)})
        value, w_val, emb_val, step = _one_step(train_op, w, emb)
    assert value == pytest.approx(7.0 + 7.0)
    assert step == 1
    np.testing.assert_allclose(w_val, [1.0 - 1.5, 1.0 - 2.0])
    np.testing.assert_allclose(emb_val, [[1.0, 1.0 - 9.0], [1.0, 1.0],
                                         [1.0 - 12.0, 1.0]])


def test_create_train_op_clip_gradient_norm():
    with tf.Graph().as_default():
        w, emb, loss = _linear_model()
        train_op = slim.learning.create_train_op(
            loss, tf.train.GradientDescentOptimizer(1.0), clip_gradient_norm=1.0)
        _, w_val, emb_val, _ = _one_step(train_op, w, emb)
    np.testing.assert_allclose(w_val, [1.0 - 0.6, 1.0 - 0.8], rtol=1e-6)
    np.testing.assert_allclose(emb_val, [[1.0, 1.0 - 0.6], [1.0, 1.0],
                                         [1.0 - 0.8, 1.0]], rtol=1e-6)


def test_create_train_op_summarize_gradients():
    with tf.Graph().as_default():
        w, _, loss = _linear_model()
        slim.learning.create_train_op(
            loss, tf.train.GradientDescentOptimizer(1.0),
            gradient_multipliers={w: 2.0}, summarize_gradients=True)
        summary_op = tf.summary.merge_all()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            summary = tf.Summary.FromString(sess.run(summary_op))
    values = {v.tag.rsplit("/", 1)[-1]: v for v in summary.value}
    assert sorted(values) == ["emb_gradient", "emb_gradient_norm",
                              "w_gradient", "w_gradient_norm"]
    # The summaries see the transformed gradients: w's is multiplied by 2.
    assert values["w_gradient_norm"].simple_value == pytest.approx(10.0)
    assert values["emb_gradient_norm"].simple_value == pytest.approx(5.0)
    assert values["emb_gradient"].histo.num == 4  # IndexedSlices values


def test_create_train_op_update_ops():
    x = np.random.RandomState(4).normal(5.0, 1.0, (8, 3)).astype(np.float32)
    with tf.Graph().as_default():
        net = slim.batch_norm(tf.constant(x), decay=DECAY)
        net = slim.fully_connected(net, 1, scope="fc")
        loss = tf.reduce_mean(tf.square(net))
        moving_mean = slim.get_variables_by_name("moving_mean")[0]
        counter = tf.Variable(0, name="counter")
        default_op = slim.learning.create_train_op(
            loss, tf.train.GradientDescentOptimizer(0.1))
        explicit_op = slim.learning.create_train_op(
            loss, tf.train.GradientDescentOptimizer(0.1),
            update_ops=[counter.assign_add(1)])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(explicit_op)
            sess.run(explicit_op)
            assert sess.run(counter) == 2
            assert not sess.run(moving_mean).any()  # UPDATE_OPS not run
            sess.run(default_op)
            assert sess.run(counter) == 2
            np.testing.assert_allclose(sess.run(moving_mean),
                                       (1 - DECAY) * x.mean(axis=0), rtol=1e-5)


# --------------------------------------------------------------------------
# L3, L4: tfexample_decoder through DatasetDataProvider
# --------------------------------------------------------------------------

def _int64_feature(value):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))


def _bytes_feature(value):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def test_dataset_data_provider_decodes_png_and_jpeg(tmp_path):
    height, width = 6, 5
    png_image = np.random.RandomState(5).randint(
        0, 256, (height, width, 3)).astype(np.uint8)
    jpeg_image = np.tile(np.uint8([200, 100, 50]), (height, width, 1))
    png_bytes = tf.io.encode_png(png_image).numpy()
    jpeg_bytes = tf.io.encode_jpeg(jpeg_image, quality=95).numpy()
    jpeg_decoded = tf.io.decode_jpeg(jpeg_bytes).numpy()
    path = str(tmp_path / "images.tfrecord")
    with tf.io.TFRecordWriter(path) as writer:
        for label, encoded, fmt in [(0, png_bytes, b"png"),
                                    (1, jpeg_bytes, b"jpeg")]:
            example = tf.train.Example(features=tf.train.Features(feature={
                "image/encoded": _bytes_feature(encoded),
                "image/format": _bytes_feature(fmt),
                "image/class/label": _int64_feature(label),
                "mask/height": _int64_feature(label + 1),
                "mask/width": _int64_feature(2),
                "mask/values": tf.train.Feature(float_list=tf.train.FloatList(
                    value=np.arange(2 * (label + 1), dtype=np.float32)))}))
            writer.write(example.SerializeToString())

    with tf.Graph().as_default():
        decoder = slim.tfexample_decoder.TFExampleDecoder(
            keys_to_features={
                "image/encoded": tf.FixedLenFeature((), tf.string, ""),
                "image/format": tf.FixedLenFeature((), tf.string, "jpeg"),
                "image/class/label": tf.FixedLenFeature((), tf.int64, -1),
                "mask/height": tf.FixedLenFeature((), tf.int64, 0),
                "mask/width": tf.FixedLenFeature((), tf.int64, 0),
                "mask/values": tf.VarLenFeature(tf.float32)},
            items_to_handlers={
                "image": slim.tfexample_decoder.Image(
                    shape=[height, width, 3], channels=3),
                "label": slim.tfexample_decoder.Tensor("image/class/label"),
                # A shape read from the record: stacks the shape keys.
                "mask": slim.tfexample_decoder.Tensor(
                    "mask/values", shape_keys=["mask/height", "mask/width"])})
        dataset = slim.dataset.Dataset(
            data_sources=[path], reader=tf.TFRecordReader, decoder=decoder,
            num_samples=2, items_to_descriptions={})
        provider = slim.dataset_data_provider.DatasetDataProvider(
            dataset, num_readers=1, shuffle=False, num_epochs=1,
            common_queue_capacity=4, common_queue_min=0)
        image, label, mask = provider.get(["image", "label", "mask"])
        decoded, masks = {}, {}
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(),
                      tf.local_variables_initializer()])
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            try:
                for _ in range(2):
                    image_value, label_value, mask_value = sess.run(
                        [image, label, mask])
                    decoded[int(label_value)] = image_value
                    masks[int(label_value)] = mask_value
                with pytest.raises(tf.errors.OutOfRangeError):
                    sess.run(image)  # num_epochs=1: exactly two records
            finally:
                coord.request_stop()
                coord.join(threads)
    np.testing.assert_array_equal(decoded[0], png_image)
    np.testing.assert_array_equal(decoded[1], jpeg_decoded)
    assert np.abs(decoded[1].astype(int) - jpeg_image).mean() < 4
    np.testing.assert_array_equal(masks[0], [[0.0, 1.0]])
    np.testing.assert_array_equal(masks[1], [[0.0, 1.0], [2.0, 3.0]])


# --------------------------------------------------------------------------
# L8 (+L1, L2): slim.learning.train, and slim.evaluation.evaluate_once
# --------------------------------------------------------------------------

class _RecordingWriter(tf.summary.FileWriter):
    """A FileWriter that tells when the Supervisor's threads have written."""

    def __init__(self, logdir, graph, wanted_tags):
        super().__init__(logdir, graph=graph)
        self._wanted = set(wanted_tags)
        self.all_written = threading.Event()

    def add_summary(self, summary, global_step=None):
        super().add_summary(summary, global_step)
        if isinstance(summary, bytes):
            summary = tf.Summary.FromString(summary)
        self._wanted -= {value.tag for value in summary.value}
        if not self._wanted:
            self.all_written.set()


def _read_events(logdir):
    events = []
    for name in sorted(os.listdir(logdir)):
        if name.startswith("events.out.tfevents"):
            events.extend(tf.train.summary_iterator(os.path.join(logdir, name)))
    return events


def test_learning_train_writes_checkpoint_and_events(tmp_path):
    """Three steps of slim.learning.train, with its Supervisor threads.

    The summary and steps/sec threads run at start-up; the first step waits
    for both, so the test does not depend on thread timing. With eager
    execution on, these threads fail without L8.
    """
    logdir = str(tmp_path / "train")
    rng = np.random.RandomState(6)
    with tf.Graph().as_default() as graph:
        inputs = tf.constant(rng.normal(size=(8, 3)).astype(np.float32))
        targets = tf.constant(rng.normal(size=(8, 1)).astype(np.float32))
        predictions = slim.fully_connected(inputs, 1, activation_fn=None,
                                           scope="fc")
        slim.losses.mean_squared_error(predictions, targets)
        total_loss = slim.losses.get_total_loss()
        tf.summary.scalar("losses/total", total_loss)
        train_op = slim.learning.create_train_op(
            total_loss, tf.train.GradientDescentOptimizer(0.1))
        writer = _RecordingWriter(logdir, graph,
                                  ["losses/total", "global_step/sec"])

        def train_step(sess, op, global_step, kwargs):
            assert writer.all_written.wait(60), "Supervisor threads wrote nothing"
            return slim.learning.train_step(sess, op, global_step, kwargs)

        final_loss = slim.learning.train(
            train_op, logdir, train_step_fn=train_step, number_of_steps=3,
            summary_writer=writer, save_summaries_secs=3600,
            save_interval_secs=3600)

    assert np.isfinite(final_loss)
    checkpoint = tf.train.latest_checkpoint(logdir)
    assert checkpoint.endswith("model.ckpt-3")
    reader = tf.train.NewCheckpointReader(checkpoint)
    assert reader.get_tensor("global_step") == 3
    assert reader.has_tensor("fc/weights") and reader.has_tensor("fc/biases")
    events = _read_events(logdir)
    kinds = {event.WhichOneof("what") for event in events}
    assert {"graph_def", "session_log", "summary"} <= kinds
    tags = {value.tag for event in events for value in event.summary.value}
    assert {"losses/total", "global_step/sec"} <= tags


def _write_checkpoint(path, values):
    """Saves `values` (name -> array) and a global step of 7 to `path`."""
    with tf.Graph().as_default():
        tf.train.get_or_create_global_step()
        for name, value in values.items():
            tf.Variable(value, name=name)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(tf.assign(tf.train.get_global_step(), 7))
            return tf.train.Saver().save(sess, path)


def test_evaluate_once_with_streaming_metrics(tmp_path):
    checkpoint = _write_checkpoint(str(tmp_path / "model.ckpt"),
                                   {"v": np.array([1.0, 2.0, 3.0, 4.0],
                                                  np.float32)})
    logdir = str(tmp_path / "eval")
    with tf.Graph().as_default():
        tf.train.get_or_create_global_step()
        v = tf.Variable(tf.zeros([4]), name="v")
        values, updates = slim.metrics.aggregate_metric_map({
            "mean": slim.metrics.streaming_mean(v),
            "accuracy": slim.metrics.streaming_accuracy(
                tf.cast(v > 2.5, tf.int64), tf.constant([0, 0, 1, 0],
                                                        tf.int64)),
            "count": slim.metrics.count(tf.ones([2])),
            "concat": slim.metrics.streaming_concat(v)})
        for name in ("mean", "accuracy", "count"):
            tf.summary.scalar("eval/" + name, values[name])
        result = slim.evaluation.evaluate_once(
            "", checkpoint, logdir, num_evals=3,
            eval_op=list(updates.values()), final_op=values)
    assert result["mean"] == pytest.approx(2.5)  # restored, not zeros
    assert result["accuracy"] == pytest.approx(0.75)
    assert result["count"] == pytest.approx(6.0)  # three evaluations
    np.testing.assert_array_equal(result["concat"], np.tile([1, 2, 3, 4], 3))
    summaries = {value.tag: (event.step, value.simple_value)
                 for event in _read_events(logdir)
                 for value in event.summary.value}
    assert summaries["eval/mean"] == (7, pytest.approx(2.5))
    assert summaries["eval/count"] == (7, pytest.approx(6.0))


# --------------------------------------------------------------------------
# L7: restoring from checkpoints
# --------------------------------------------------------------------------

def test_assign_from_checkpoint_fn(tmp_path):
    w_value = np.arange(6, dtype=np.float32).reshape(2, 3)
    checkpoint = _write_checkpoint(str(tmp_path / "model.ckpt"),
                                   {"w": w_value, "b": np.float32(4.0)})
    with tf.Graph().as_default():
        w = tf.Variable(tf.zeros([2, 3]), name="w")
        b = tf.Variable(0.0, name="b")
        extra = tf.Variable(-1.0, name="not_in_checkpoint")
        init_fn = slim.assign_from_checkpoint_fn(
            checkpoint, [w, b, extra], ignore_missing_vars=True)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            init_fn(sess)
            np.testing.assert_array_equal(sess.run(w), w_value)
            assert sess.run(b) == 4.0
            assert sess.run(extra) == -1.0


def test_numpy_rejects_a_list_of_slices():
    """Why L7 exists: tf-slim 1.1.0 indexes with a list of slices."""
    with pytest.raises(IndexError):
        np.zeros((4, 3))[[slice(0, 2), slice(0, 3)]]


def _partitioned(name, shape):
    return tf.get_variable(
        name, shape=shape, initializer=tf.zeros_initializer(),
        partitioner=tf.fixed_size_partitioner(2))


def test_assign_from_checkpoint_partitioned_variable(tmp_path):
    value = np.arange(15, dtype=np.float32).reshape(5, 3)
    with tf.Graph().as_default():
        saved = _partitioned("pv", [5, 3])
        with tf.Session() as sess:
            for part in saved:
                offset = part._save_slice_info.var_offset[0]
                sess.run(part.assign(value[offset:offset + part.shape[0]]))
            checkpoint = tf.train.Saver().save(sess, str(tmp_path / "p.ckpt"))
    assert tf.train.NewCheckpointReader(checkpoint).get_tensor("pv").shape == (
        5, 3)

    with tf.Graph().as_default():
        restored = _partitioned("pv", [5, 3])
        plain = tf.Variable(tf.zeros([2]), name="missing")
        parts = list(restored)
        assert len(parts) == 2
        list_op, list_feed = slim.assign_from_checkpoint(
            checkpoint, parts + [plain], ignore_missing_vars=True)
        dict_op, dict_feed = slim.assign_from_checkpoint(
            checkpoint, {"pv": parts})
        with pytest.raises(ValueError, match="missing"):
            slim.assign_from_checkpoint(checkpoint, [plain])
        with tf.Session() as sess:
            for op, feed in [(list_op, list_feed), (dict_op, dict_feed)]:
                sess.run(tf.global_variables_initializer())
                sess.run(op, feed)
                np.testing.assert_array_equal(
                    sess.run(tf.concat(parts, axis=0)), value)
    assert slim.assign_from_checkpoint is compat.assign_from_checkpoint


def test_local_and_global_variable():
    """L5: slim.local_variable / slim.global_variable."""
    with tf.Graph().as_default():
        local = slim.local_variable([1.0, 2.0], name="local")
        global_ = slim.global_variable(3.0, name="global")
        assert tf.local_variables() == [local]
        assert tf.global_variables() == [global_]
        assert tf.trainable_variables() == []
        with tf.Session() as sess:
            sess.run([tf.local_variables_initializer(),
                      tf.global_variables_initializer()])
            np.testing.assert_array_equal(sess.run(local), [1.0, 2.0])
            assert sess.run(global_) == 3.0


# --------------------------------------------------------------------------
# The patching itself
# --------------------------------------------------------------------------

def _patched_state():
    from tensorflow.python.layers import normalization
    from tensorflow.python.training import supervisor

    state = {}
    for old_module, old_name, _, _ in compat._MOVED_NAMES:
        state[(old_module, old_name)] = getattr(
            importlib.import_module(old_module), old_name)
    for name in compat._LEGACY_NORMALIZATION_NAMES:
        state[("normalization", name)] = normalization.__dict__.get(name)
    public = slim.batch_norm
    state["batch_norm"] = public
    state["batch_norm_impl"] = public.__closure__[
        public.__code__.co_freevars.index("func")].cell_contents
    for module_name in ("tf_slim", "tf_slim.ops.variables"):
        state[(module_name, "assign_from_checkpoint")] = (
            sys.modules[module_name].assign_from_checkpoint)
    for cls in (supervisor.SVSummaryThread, supervisor.SVStepCounterThread,
                supervisor.SVTimerCheckpointThread):
        state[cls.__name__] = cls.run
    return state


def test_moved_names_are_restored():
    for old_module, old_name, new_module, new_name in compat._MOVED_NAMES:
        assert getattr(importlib.import_module(old_module), old_name) is getattr(
            importlib.import_module(new_module), new_name)


def test_apply_is_idempotent(monkeypatch):
    before = _patched_state()
    compat.apply()
    monkeypatch.setattr(compat, "_applied", False)  # re-run every patch
    compat.apply()
    compat.apply()
    after = _patched_state()
    assert after.keys() == before.keys()
    changed = [key for key in before if after[key] is not before[key]]
    assert changed == []


def test_present_names_are_left_alone(monkeypatch):
    """A TensorFlow that still has a name keeps its own object."""
    has_it = types.ModuleType("slimtrain_test_has_it")
    has_it.Thing = original = object()
    lacks_it = types.ModuleType("slimtrain_test_lacks_it")
    new_home = types.ModuleType("slimtrain_test_new_home")
    new_home.Moved = moved = object()
    for module in (has_it, lacks_it, new_home):
        monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(compat, "_MOVED_NAMES", (
        (has_it.__name__, "Thing", new_home.__name__, "Moved"),
        (lacks_it.__name__, "Thing", new_home.__name__, "Moved"),
    ))
    compat._restore_moved_names()
    assert has_it.Thing is original
    assert lacks_it.Thing is moved


def test_a_lookup_of_tf_slim_does_not_use_up_the_patches():
    """importlib.util.find_spec("tf_slim") before the first import (IPython,
    a plugin, a check for the package) finds it through install()'s
    finder; the import after it must still apply the patches."""
    program = (
        "import importlib.util, sys, slimtrain.compat as compat\n"
        "compat.install()\n"
        "assert importlib.util.find_spec('tf_slim') is not None\n"
        "assert not compat._applied\n"
        "import tf_slim\n"
        "print(compat._applied)\n")
    result = subprocess.run([sys.executable, "-c", program],
                            capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == "True\n"


# --------------------------------------------------------------------------
# The same file without tf_keras
# --------------------------------------------------------------------------

@pytest.mark.skipif(
    not HAVE_TF_KERAS or tf_keras_helpers.HIDDEN,
    reason="tf_keras is hidden or not installed: this run is already the one "
           "without it (and the guard against recursion)")
def test_whole_file_without_tf_keras():
    status, tail = tf_keras_helpers.run_file_without_tf_keras(__file__)
    assert status == 0, tail
    assert " passed" in tail and "failed" not in tail, tail
