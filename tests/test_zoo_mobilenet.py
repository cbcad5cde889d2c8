"""MobileNet v1, v2 and v3: checkpoint names and shapes, counts, behaviour.

Expected shapes and counts are those of the published TF-Slim checkpoints
(1001 classes). The parameter counts were cross-checked against independent
implementations: tf_keras.applications' MobileNet, MobileNetV2 and
MobileNetV3 (same layers, 1000 classes in a Dense/1x1 head: exactly
`depth + 1` fewer parameters), and research/slim's own per-layer table for
MobileNet v1 (3,185,088 body weights at 1.0, 1,800,144 at 0.75). MobileNet
EdgeTPU's counts are worked out below from its published block table.
"""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import mobilenet_v1
from nets.mobilenet import mobilenet_v2, mobilenet_v3
from tests.zoo_helpers import (
    build,
    build_once,
    fast_graph_building,  # noqa: F401
    session,
    variable_shapes,
)

pytestmark = pytest.mark.usefixtures('fast_graph_building')

LEAVES = ('weights', 'biases', 'depthwise_weights', 'BatchNorm/beta',
          'BatchNorm/gamma', 'BatchNorm/moving_mean',
          'BatchNorm/moving_variance')


def _bn(prefix, depth):
    """The four batch-norm variables (with gamma) of the layer `prefix`."""
    return {'%s/BatchNorm/%s' % (prefix, leaf): [depth]
            for leaf in ('beta', 'gamma', 'moving_mean', 'moving_variance')}


def _v1(depth):
    """Representative MobilenetV1 shapes at a depth multiplier."""
    def d(channels):
        return max(int(channels * depth), 8)

    return {
        'MobilenetV1/Conv2d_0/weights': [3, 3, 3, d(32)],
        **_bn('MobilenetV1/Conv2d_0', d(32)),
        'MobilenetV1/Conv2d_1_depthwise/depthwise_weights': [3, 3, d(32), 1],
        **_bn('MobilenetV1/Conv2d_1_depthwise', d(32)),
        'MobilenetV1/Conv2d_1_pointwise/weights': [1, 1, d(32), d(64)],
        'MobilenetV1/Conv2d_7_pointwise/weights': [1, 1, d(512), d(512)],
        'MobilenetV1/Conv2d_13_depthwise/depthwise_weights':
            [3, 3, d(1024), 1],
        'MobilenetV1/Conv2d_13_pointwise/weights': [1, 1, d(1024), d(1024)],
        **_bn('MobilenetV1/Conv2d_13_pointwise', d(1024)),
        'MobilenetV1/Logits/Conv2d_1c_1x1/weights': [1, 1, d(1024), 1001],
        'MobilenetV1/Logits/Conv2d_1c_1x1/biases': [1001],
    }


def _v2(first, block16_in, block16_out, last):
    """Representative MobilenetV2 shapes: first conv depth, last block's
    expansion and output depths, last conv depth."""
    return {
        'MobilenetV2/Conv/weights': [3, 3, 3, first],
        **_bn('MobilenetV2/Conv', first),
        # The first block has no expansion (factor 1).
        'MobilenetV2/expanded_conv/depthwise/depthwise_weights':
            [3, 3, first, 1],
        **_bn('MobilenetV2/expanded_conv/depthwise', first),
        'MobilenetV2/expanded_conv_16/expand/weights':
            [1, 1, block16_in // 6, block16_in],
        'MobilenetV2/expanded_conv_16/depthwise/depthwise_weights':
            [3, 3, block16_in, 1],
        'MobilenetV2/expanded_conv_16/project/weights':
            [1, 1, block16_in, block16_out],
        **_bn('MobilenetV2/expanded_conv_16/project', block16_out),
        'MobilenetV2/Conv_1/weights': [1, 1, block16_out, last],
        **_bn('MobilenetV2/Conv_1', last),
        'MobilenetV2/Logits/Conv2d_1c_1x1/weights': [1, 1, last, 1001],
        'MobilenetV2/Logits/Conv2d_1c_1x1/biases': [1001],
    }


def _v3(last_block_in, last_block_out, conv1, conv2, block3_kernel,
        block3_expansion):
    """Representative MobilenetV3 shapes."""
    return {
        'MobilenetV3/Conv/weights': [3, 3, 3, 16],
        **_bn('MobilenetV3/Conv', 16),
        'MobilenetV3/expanded_conv_3/depthwise/depthwise_weights':
            [block3_kernel, block3_kernel, block3_expansion, 1],
        'MobilenetV3/%s/project/weights' % last_block_in[0]:
            [1, 1, last_block_in[1], last_block_out],
        'MobilenetV3/Conv_1/weights': [1, 1, last_block_out, conv1],
        **_bn('MobilenetV3/Conv_1', conv1),
        # The 1x1 conv after pooling has biases instead of batch norm.
        'MobilenetV3/Conv_2/weights': [1, 1, conv1, conv2],
        'MobilenetV3/Conv_2/biases': [conv2],
        'MobilenetV3/Logits/Conv2d_1c_1x1/weights': [1, 1, conv2, 1001],
        'MobilenetV3/Logits/Conv2d_1c_1x1/biases': [1001],
    }

# (kind, kernel, expansion factor, output depth at 1.0) of each block of
# MobileNet EdgeTPU (Gupta and Tan 2019, the published architecture):
# 'fused' blocks expand with a full kxk conv and have no depthwise conv.
EDGETPU_BLOCKS = (
    [('fused', 3, 1, 16), ('fused', 3, 8, 32)] + [('fused', 3, 4, 32)] * 3
    + [('fused', 3, 8, 48)] + [('fused', 3, 4, 48)] * 3
    + [('depthwise', 3, 8, 96)] + [('depthwise', 3, 4, 96)] * 3
    + [('depthwise', 3, 8, 96)] + [('depthwise', 3, 4, 96)] * 3
    + [('depthwise', 5, 8, 160)] + [('depthwise', 5, 4, 160)] * 3
    + [('depthwise', 3, 8, 192)])


def _edgetpu_parameters(depths, stem):
    """(trainable, all) parameter counts of MobileNet EdgeTPU, 1001 classes.

    depths: each block's output depth; stem: the first conv's depth. Every
    expansion (input depth x factor) is a multiple of 8 at 1.0 and 0.75, so
    no rounding is involved. Batch norm has 2 trainable variables per
    channel and 2 moving averages.
    """
    trainable = moving = 0

    def conv(weights, depth):
        nonlocal trainable, moving
        trainable += weights + 2 * depth
        moving += 2 * depth

    conv(3 * 3 * 3 * stem, stem)
    depth_in = stem
    for (kind, kernel, factor, _), depth_out in zip(EDGETPU_BLOCKS, depths):
        inner = depth_in * factor
        if kind == 'fused':
            if inner > depth_in:  # a factor of 1 builds no expansion conv
                conv(kernel * kernel * depth_in * inner, inner)
        else:
            conv(depth_in * inner, inner)
            conv(kernel * kernel * inner, inner)
        conv(inner * depth_out, depth_out)
        depth_in = depth_out
    conv(depth_in * 1280, 1280)
    trainable += 1280 * 1001 + 1001
    return trainable, trainable + moving


def _edgetpu(stem, depths, last_expansion):
    """Counts and representative shapes of MobileNet EdgeTPU."""
    first_expansion = depths[0] * 8
    return (*_edgetpu_parameters(depths, stem), {
        'MobilenetEdgeTPU/Conv/weights': [3, 3, 3, stem],
        **_bn('MobilenetEdgeTPU/Conv', stem),
        # The first block (factor 1) is only a projection.
        'MobilenetEdgeTPU/expanded_conv/project/weights':
            [1, 1, stem, depths[0]],
        'MobilenetEdgeTPU/expanded_conv_1/expand/weights':
            [3, 3, depths[0], first_expansion],
        **_bn('MobilenetEdgeTPU/expanded_conv_1/expand', first_expansion),
        'MobilenetEdgeTPU/expanded_conv_21/depthwise/depthwise_weights':
            [3, 3, last_expansion, 1],
        'MobilenetEdgeTPU/expanded_conv_21/project/weights':
            [1, 1, last_expansion, depths[-1]],
        'MobilenetEdgeTPU/Conv_1/weights': [1, 1, depths[-1], 1280],
        **_bn('MobilenetEdgeTPU/Conv_1', 1280),
        'MobilenetEdgeTPU/Logits/Conv2d_1c_1x1/weights': [1, 1, 1280, 1001],
        'MobilenetEdgeTPU/Logits/Conv2d_1c_1x1/biases': [1001],
    })


# name: (trainable parameters, all variables, representative shapes).
EXPECTED = {
    'mobilenet_v1': (4233001, 4254889, _v1(1.0)),
    'mobilenet_v1_075': (2586329, 2602745, _v1(0.75)),
    'mobilenet_v1_050': (1332105, 1343049, _v1(0.5)),
    'mobilenet_v1_025': (470329, 475801, _v1(0.25)),
    'mobilenet_v2': (3506153, 3540265, _v2(32, 960, 320, 1280)),
    'mobilenet_v2_140': (6110569, 6158505, _v2(48, 1344, 448, 1792)),
    # Below 1.0 the last conv keeps its 1280 channels.
    'mobilenet_v2_035': (1678409, 1692489, _v2(16, 336, 112, 1280)),
    'mobilenet_v3_large': (5484313, 5508713, {
        **_v3(('expanded_conv_14', 960), 160, 960, 1280, 5, 72),
        'MobilenetV3/expanded_conv_3/squeeze_excite/Conv/weights':
            [1, 1, 72, 24],
        'MobilenetV3/expanded_conv_3/squeeze_excite/Conv/biases': [24],
        'MobilenetV3/expanded_conv_3/squeeze_excite/Conv_1/weights':
            [1, 1, 24, 72],
        'MobilenetV3/expanded_conv_3/squeeze_excite/Conv_1/biases': [72],
    }),
    'mobilenet_v3_small': (2543881, 2555993, {
        **_v3(('expanded_conv_10', 576), 96, 576, 1024, 5, 96),
        'MobilenetV3/expanded_conv/squeeze_excite/Conv/weights':
            [1, 1, 16, 8],
        'MobilenetV3/expanded_conv/squeeze_excite/Conv_1/weights':
            [1, 1, 8, 16],
    }),
    'mobilenet_v3_large_minimalistic': (
        3925569, 3949969,
        _v3(('expanded_conv_14', 960), 160, 960, 1280, 3, 72)),
    'mobilenet_v3_small_minimalistic': (
        2045761, 2057873,
        _v3(('expanded_conv_10', 576), 96, 576, 1024, 3, 96)),
    'mobilenet_edgetpu': _edgetpu(
        32, [depth for _, _, _, depth in EDGETPU_BLOCKS], 160 * 8),
    # 0.75 of each depth, rounded to a multiple of 8 (12 -> 16, 36 -> 40);
    # the last conv keeps its 1280 channels.
    'mobilenet_edgetpu_075': _edgetpu(
        24, [16] + [24] * 4 + [40] * 4 + [72] * 8 + [120] * 4 + [144],
        120 * 8),
}

# End points at 224x224 of one network per family.
END_POINTS = {
    'mobilenet_v1': {'Conv2d_0': [1, 112, 112, 32],
                     'Conv2d_11_pointwise': [1, 14, 14, 512],
                     'Conv2d_13_pointwise': [1, 7, 7, 1024],
                     'AvgPool_1a': [1, 1, 1, 1024],
                     'Logits': [1, 1001], 'Predictions': [1, 1001]},
    'mobilenet_v2': {'layer_1': [1, 112, 112, 32],
                     'layer_4/expansion_output': [1, 56, 56, 144],
                     'layer_4/depthwise_output': [1, 56, 56, 144],
                     'layer_18/output': [1, 7, 7, 320],
                     'layer_19': [1, 7, 7, 1280],
                     'global_pool': [1, 1, 1, 1280],
                     'Logits': [1, 1001], 'Predictions': [1, 1001]},
    'mobilenet_v3_large': {'layer_1': [1, 112, 112, 16],
                           'layer_16/output': [1, 7, 7, 160],
                           'layer_17': [1, 7, 7, 960],
                           'layer_18': [1, 1, 1, 960],
                           'layer_19': [1, 1, 1, 1280],
                           'Logits': [1, 1001]},
    'mobilenet_edgetpu': {'layer_1': [1, 112, 112, 32],
                          'layer_2': [1, 112, 112, 16],
                          'layer_10': [1, 28, 28, 48],
                          'layer_23': [1, 7, 7, 192],
                          'layer_24': [1, 7, 7, 1280],
                          'global_pool': [1, 1, 1, 1280],
                          'Logits': [1, 1001]},
}


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_variables_match_published_checkpoint(name):
    trainable, total, some_shapes = EXPECTED[name]
    built = build_once(name, 1001)
    assert built.trainable_parameters == trainable
    assert built.parameters == total
    for var_name, shape in some_shapes.items():
        assert built.shapes.get(var_name) == shape, var_name
    scope = next(iter(some_shapes)).split('/')[0]
    for var_name in built.shapes:
        assert var_name.startswith(scope + '/'), var_name
        assert var_name.endswith(LEAVES), var_name
    for key, shape in END_POINTS.get(name, {}).items():
        assert built.end_points[key].get_shape().as_list() == shape, key


def test_minimalistic_mobilenet_v3_has_no_squeeze_excite():
    """(The others' squeeze-excite variables are in EXPECTED above.)"""
    with tf.Graph().as_default():
        build('mobilenet_v3_small_minimalistic', 1001, image_size=32)
        names = list(variable_shapes())
    assert names and not [name for name in names if 'squeeze_excite' in name]


@pytest.mark.parametrize('name, depth', [('mobilenet_v1_025', 256),
                                         ('mobilenet_v2_035', 1280),
                                         ('mobilenet_v3_small', 1024)])
def test_pre_logits_forward_pass(name, depth):
    """num_classes=0 returns the pooled features and makes no logits."""
    images = np.random.RandomState(0).uniform(
        -1, 1, (2, 64, 64, 3)).astype(np.float32)
    with tf.Graph().as_default():
        inputs, features, end_points = build(name, 0, image_size=64,
                                             batch_size=2)
        assert 'Logits' not in end_points
        assert not [var for var in tf.global_variables()
                    if '/Logits/' in var.op.name]
        with session() as sess:
            sess.run(tf.global_variables_initializer())
            first, again = (sess.run(features, {inputs: images})
                            for _ in range(2))
    assert first.shape == (2, 1, 1, depth)
    assert np.all(np.isfinite(first))
    # Inference mode: batch norm uses its moving averages, no dropout.
    np.testing.assert_array_equal(first, again)
    assert np.any(first[0] != first[1])  # the features depend on the image


def test_mobilenet_v1_output_stride_and_explicit_padding():
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [1, 224, 224, 3])
        with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope()):
            atrous, _ = mobilenet_v1.mobilenet_v1_base(
                inputs, depth_multiplier=0.25, output_stride=16)
            padded, _ = mobilenet_v1.mobilenet_v1_base(
                inputs, depth_multiplier=0.25, use_explicit_padding=True,
                scope='Padded')
        assert atrous.get_shape().as_list() == [1, 14, 14, 256]
        assert padded.get_shape().as_list() == [1, 7, 7, 256]


def test_mobilenet_v1_base_stops_at_final_endpoint():
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [1, 224, 224, 3])
        net, end_points = mobilenet_v1.mobilenet_v1_base(
            inputs, final_endpoint='Conv2d_2_depthwise')
        assert list(end_points) == ['Conv2d_0', 'Conv2d_1_depthwise',
                                    'Conv2d_1_pointwise',
                                    'Conv2d_2_depthwise']
        assert net.get_shape().as_list() == [1, 56, 56, 64]
        with pytest.raises(ValueError, match='depth_multiplier'):
            mobilenet_v1.mobilenet_v1_base(inputs, depth_multiplier=0)
        with pytest.raises(ValueError, match='output_stride'):
            mobilenet_v1.mobilenet_v1_base(inputs, output_stride=4)


def test_mobilenet_v2_output_stride_uses_atrous_depthwise():
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [1, 224, 224, 3])
        net, _ = mobilenet_v2.mobilenet_base(inputs, depth_multiplier=0.35,
                                             output_stride=16)
        # Without finegrain_classification_mode the last layer scales too.
        assert net.get_shape().as_list() == [1, 14, 14, 448]
        dilated = sorted(op.name.split('/')[1]
                         for op in tf.get_default_graph().get_operations()
                         if op.type == 'SpaceToBatchND')
    # expanded_conv_13 keeps stride 1 instead of 2; the depthwise convs
    # after it are dilated.
    assert dilated == ['expanded_conv_14', 'expanded_conv_15',
                       'expanded_conv_16']


def test_mobilenet_rejects_multiplier_argument():
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [1, 32, 32, 3])
        for module in (mobilenet_v2, mobilenet_v3):
            with pytest.raises(ValueError, match='depth_multiplier'):
                module.mobilenet(inputs, multiplier=0.5)


def test_training_scope_sets_training_mode_and_decay():
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [2, 32, 32, 3])
        with slim.arg_scope(mobilenet_v3.training_scope(weight_decay=0.1)):
            mobilenet_v3.small_minimalistic(inputs, num_classes=5)
        update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        regularized = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    # Batch norm in training mode updates its moving averages; conv weights
    # (not the depthwise ones) carry the weight decay.
    assert update_ops
    assert regularized
    assert not [loss for loss in regularized if 'depthwise' in loss.name]


@pytest.mark.parametrize('builder', [mobilenet_v3.small, mobilenet_v3.large,
                                     mobilenet_v3.edge_tpu])
def test_mobilenet_v3_runs_on_images_of_unknown_size(builder):
    """Squeeze-excite and pooling work when height and width are unknown
    until run time, and give the same result as a graph of known size."""
    images = np.random.RandomState(1).uniform(
        -1, 1, (1, 64, 64, 3)).astype(np.float32)
    results = []
    for shape in ([None, None, None, 3], [1, 64, 64, 3]):
        with tf.Graph().as_default():
            tf.set_random_seed(3)
            inputs = tf.placeholder(tf.float32, shape)
            logits, _ = builder(inputs, num_classes=7)
            with session() as sess:
                sess.run(tf.global_variables_initializer())
                results.append(sess.run(logits, {inputs: images}))
                if shape[1] is None:
                    bigger = sess.run(logits, {inputs: np.zeros(
                        (2, 96, 80, 3), np.float32)})
                    assert bigger.shape == (2, 7)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('build_body, scope', [
    (lambda inputs: mobilenet_v3.mobilenet(inputs, use_groupnorm=True,
                                           groups=4, base_only=True),
     'MobilenetV3'),
    (lambda inputs: mobilenet_v2.mobilenet_base_group_norm(inputs, groups=4),
     'MobilenetV2')])
def test_group_norm_replaces_batch_norm(build_body, scope):
    with tf.Graph().as_default():
        build_body(tf.placeholder(tf.float32, [1, 64, 64, 3]))
        shapes = variable_shapes()
    assert not [name for name in shapes if 'BatchNorm' in name]
    # The first conv has 16 (v3) or 32 (v2) channels in 4 groups; group
    # norm keeps one beta and one gamma per channel, no moving averages.
    depth = shapes[scope + '/Conv/weights'][3]
    assert shapes[scope + '/Conv/GroupNorm/beta'] == [depth]
    assert shapes[scope + '/Conv/GroupNorm/gamma'] == [depth]
    assert not [name for name in shapes if 'moving' in name]
