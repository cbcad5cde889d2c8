"""I3D and S3D-G, the video networks: counts, names, shapes, behaviour.

Both are Inception v1 inflated to 3-D and take clips [batch, frames,
height, width, 3]. The parameter counts of docs/NETWORKS.md (400 classes,
Kinetics; tests/test_zoo_roundtrip.py checks them against the built
networks) are worked out here from Inception v1's block table and the
papers' descriptions of the inflated layers (I3D: Carreira and Zisserman
2017; S3D-G: Xie et al. 2017).
"""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import i3d, i3d_utils, s3dg
from tests.zoo_helpers import (
    NETWORKS,
    build_once,
    fast_graph_building,  # noqa: F401
    session,
)

pytestmark = pytest.mark.usefixtures('fast_graph_building')

# Inception v1's mixed blocks (Szegedy et al. 2014, table 1): input depth,
# then #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5 (a 3x3 here, as in
# TF-Slim's Inception v1), pool proj.
INCEPTION_V1_BLOCKS = [
    (192, 64, 96, 128, 16, 32, 32), (256, 128, 128, 192, 32, 96, 64),
    (480, 192, 96, 208, 16, 48, 64), (512, 160, 112, 224, 24, 64, 64),
    (512, 128, 128, 256, 24, 64, 64), (512, 112, 144, 288, 32, 64, 64),
    (528, 256, 160, 320, 32, 128, 128), (832, 256, 160, 320, 32, 128, 128),
    (832, 384, 192, 384, 48, 128, 128)]


def video_parameters(separable_gated, classes):
    """(trainable, all) parameters of I3D (full 3x3x3 convs) or S3D-G
    (a 1x3x3 conv with batch norm, then a 3x1x1 conv with biases, and a
    gating matrix on every branch output). Batch norm has only an offset
    (beta) and two moving averages per channel."""
    trainable = moving = 0

    def conv(weights, channels, batch_norm=True):
        nonlocal trainable, moving
        trainable += weights + channels  # beta, or biases
        if batch_norm:
            moving += 2 * channels

    def conv3x3(depth_in, depth_out):
        if separable_gated:
            conv(9 * depth_in * depth_out, depth_out)
            conv(3 * depth_out * depth_out, depth_out, batch_norm=False)
        else:
            conv(27 * depth_in * depth_out, depth_out)

    def gate(depth):
        nonlocal trainable
        if separable_gated:
            trainable += depth * depth

    conv((3 if separable_gated else 7) * 7 * 7 * 3 * 64, 64)
    conv(64 * 64, 64)
    conv3x3(64, 192)
    gate(192)
    for depth_in, b0, b1a, b1b, b2a, b2b, b3 in INCEPTION_V1_BLOCKS:
        for reduce, out in ((b1a, b1b), (b2a, b2b)):
            conv(depth_in * reduce, reduce)
            conv3x3(reduce, out)
            gate(out)
        for out in (b0, b3):
            conv(depth_in * out, out)
            gate(out)
    trainable += 1024 * classes + classes
    return trainable, trainable + moving


def test_documented_counts_match_the_block_arithmetic():
    assert NETWORKS['i3d'].parameters == video_parameters(False, 400)[0]
    assert NETWORKS['s3dg'].parameters == video_parameters(True, 400)[0]


# End points of a 64-frame 224x224 clip: 1/2 of the frames from the first
# conv on (stride 2), then halved by MaxPool_4a and MaxPool_5a.
END_POINTS = {
    'Conv2d_1a_7x7': [1, 32, 112, 112, 64],
    'Conv2d_2c_3x3': [1, 32, 56, 56, 192],
    'Mixed_3b': [1, 32, 28, 28, 256], 'Mixed_3c': [1, 32, 28, 28, 480],
    'Mixed_4b': [1, 16, 14, 14, 512], 'Mixed_4f': [1, 16, 14, 14, 832],
    'MaxPool_5a_2x2': [1, 8, 7, 7, 832], 'Mixed_5c': [1, 8, 7, 7, 1024],
    'Logits': [1, 400], 'Predictions': [1, 400]}

SHAPES = {
    'i3d': {
        'InceptionV1/Conv2d_1a_7x7/weights': [7, 7, 7, 3, 64],
        'InceptionV1/Conv2d_1a_7x7/BatchNorm/beta': [64],
        'InceptionV1/Conv2d_1a_7x7/BatchNorm/gamma': None,
        'InceptionV1/Conv2d_2c_3x3/weights': [3, 3, 3, 64, 192],
        'InceptionV1/Conv2d_2c_3x3/temporal/weights': None,
        'InceptionV1/Mixed_5c/Branch_1/Conv2d_0b_3x3/weights':
            [3, 3, 3, 192, 384],
        'InceptionV1/Mixed_5c/Branch_3/Conv2d_0b_1x1/weights':
            [1, 1, 1, 832, 128],
        'InceptionV1/Logits/Conv2d_0c_1x1/weights': [1, 1, 1, 1024, 400],
        'InceptionV1/Logits/Conv2d_0c_1x1/biases': [400],
    },
    's3dg': {
        'InceptionV1/Conv2d_1a_7x7/weights': [3, 7, 7, 3, 64],
        'InceptionV1/Conv2d_2c_3x3/weights': [1, 3, 3, 64, 192],
        'InceptionV1/Conv2d_2c_3x3/temporal/weights': [3, 1, 1, 192, 192],
        'InceptionV1/Conv2d_2c_3x3/temporal/biases': [192],
        'InceptionV1/Conv2d_2c_3x3/self_gating/transformer_W/weights':
            [1, 1, 1, 192, 192],
        'InceptionV1/Mixed_5c/Branch_1/Conv2d_0b_3x3/temporal/weights':
            [3, 1, 1, 384, 384],
        'InceptionV1/Mixed_5c/Branch_3/Conv2d_0b_1x1/self_gating/'
        'transformer_W/weights': [1, 1, 1, 128, 128],
        'InceptionV1/Logits/Conv2d_0c_1x1/weights': [1, 1, 1, 1024, 400],
    },
}


@pytest.mark.parametrize('name', ['i3d', 's3dg'])
def test_names_shapes_and_end_points(name):
    built = build_once(name, 400)
    for var_name, shape in SHAPES[name].items():
        assert built.shapes.get(var_name) == shape, var_name
    assert {key: built.end_points[key].get_shape().as_list()
            for key in END_POINTS} == END_POINTS
    assert built.parameters == video_parameters(name == 's3dg', 400)[1]


@pytest.mark.parametrize('network, arg_scope', [
    (i3d.i3d, i3d.i3d_arg_scope), (s3dg.s3dg, s3dg.s3dg_arg_scope)])
def test_forward_pass_on_a_short_small_clip(network, arg_scope):
    """8 frames of 32x32: the final pooling shrinks to what is left."""
    clip = np.random.RandomState(0).uniform(
        -1, 1, (2, 8, 32, 32, 3)).astype(np.float32)
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [2, 8, 32, 32, 3])
        with slim.arg_scope(arg_scope()):
            logits, end_points = network(inputs, num_classes=5,
                                         is_training=False)
        with session() as sess:
            sess.run(tf.global_variables_initializer())
            first, again = (sess.run(logits, {inputs: clip})
                            for _ in range(2))
    assert end_points['Mixed_5c'].get_shape().as_list() == [2, 1, 1, 1, 1024]
    assert first.shape == (2, 5) and np.all(np.isfinite(first))
    np.testing.assert_array_equal(first, again)


def test_separable_temporal_convs_start_as_the_identity():
    """A fresh S3D-G's temporal convs pass the spatial conv's output on."""
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [1, 4, 32, 32, 3])
        with slim.arg_scope(s3dg.s3dg_arg_scope()):
            s3dg.s3dg_base(inputs, final_endpoint='Conv2d_2c_3x3')
        temporal = [var for var in tf.global_variables()
                    if var.op.name.endswith('temporal/weights')]
        with session() as sess:
            sess.run(tf.global_variables_initializer())
            kernel = sess.run(temporal[0])
    expected = np.zeros([3, 1, 1, 192, 192], np.float32)
    expected[1, 0, 0] = np.eye(192)
    np.testing.assert_array_equal(kernel, expected)
    with pytest.raises(ValueError, match='odd'):
        i3d_utils.center_initializer()([2, 1, 1, 4, 4])


def test_s3dg_base_rejects_bad_arguments():
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [1, 4, 32, 32, 3])
        with pytest.raises(ValueError, match='final endpoint'):
            s3dg.s3dg_base(inputs, final_endpoint='Mixed_9z')
        with pytest.raises(ValueError, match='depth_multiplier'):
            s3dg.s3dg_base(inputs, depth_multiplier=0)
        with pytest.raises(ValueError, match='first_temporal_kernel_size'):
            s3dg.s3dg_base(inputs, first_temporal_kernel_size=2)
