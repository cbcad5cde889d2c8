"""Inception v4 and Inception-ResNet v2: checkpoint names, shapes, counts.

Expected names and shapes are those of the published TF-Slim checkpoints
(1001 classes, auxiliary logits, batch norm without gamma). The parameter
counts were cross-checked against independent implementations:
tf_keras.applications.InceptionResNetV2 (1000 classes, no auxiliary head)
has exactly the trainable parameters of inception_resnet_v2 without
AuxLogits minus one class (55,814,729 - 1,537); the PyTorch port of
Inception v4 (42,679,816 parameters, 1000 classes, batch norm with gamma)
equals inception_v4 without AuxLogits plus one gamma per beta minus one
class (42,649,769 + 31,584 - 1,537).
"""

import re

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import inception_resnet_v2, inception_v4
from tests.zoo_helpers import (
    build,
    build_once,
    fast_graph_building,  # noqa: F401
    session,
)

pytestmark = pytest.mark.usefixtures('fast_graph_building')


def _conv(scope, shape):
    """A conv layer under inception_arg_scope: weights, and batch norm with
    beta and moving statistics but no gamma."""
    return {scope + '/weights': shape,
            scope + '/BatchNorm/beta': shape[-1:],
            scope + '/BatchNorm/moving_mean': shape[-1:],
            scope + '/BatchNorm/moving_variance': shape[-1:]}


# name: (trainable parameters, all variables, representative shapes,
#        end point shapes at 299x299).
EXPECTED = {
    'inception_v4': (46009106, 46074066, {
        **_conv('InceptionV4/Conv2d_1a_3x3', [3, 3, 3, 32]),
        **_conv('InceptionV4/Mixed_4a/Branch_1/Conv2d_0b_1x7', [1, 7, 64, 64]),
        **_conv('InceptionV4/Mixed_5e/Branch_3/Conv2d_0b_1x1',
                [1, 1, 384, 96]),
        **_conv('InceptionV4/Mixed_6a/Branch_0/Conv2d_1a_3x3',
                [3, 3, 384, 384]),
        **_conv('InceptionV4/Mixed_6h/Branch_2/Conv2d_0e_1x7',
                [1, 7, 224, 256]),
        **_conv('InceptionV4/Mixed_7a/Branch_1/Conv2d_1a_3x3',
                [3, 3, 320, 320]),
        **_conv('InceptionV4/Mixed_7d/Branch_2/Conv2d_0e_3x1',
                [3, 1, 512, 256]),
        **_conv('InceptionV4/AuxLogits/Conv2d_1b_1x1', [1, 1, 1024, 128]),
        **_conv('InceptionV4/AuxLogits/Conv2d_2a', [5, 5, 128, 768]),
        'InceptionV4/AuxLogits/Aux_logits/weights': [768, 1001],
        'InceptionV4/AuxLogits/Aux_logits/biases': [1001],
        'InceptionV4/Logits/Logits/weights': [1536, 1001],
        'InceptionV4/Logits/Logits/biases': [1001],
    }, {
        'Conv2d_1a_3x3': [1, 149, 149, 32], 'Mixed_3a': [1, 73, 73, 160],
        'Mixed_4a': [1, 71, 71, 192], 'Mixed_5a': [1, 35, 35, 384],
        'Mixed_5e': [1, 35, 35, 384], 'Mixed_6a': [1, 17, 17, 1024],
        'Mixed_6h': [1, 17, 17, 1024], 'Mixed_7a': [1, 8, 8, 1536],
        'Mixed_7d': [1, 8, 8, 1536], 'AuxLogits': [1, 1001],
        'global_pool': [1, 1, 1, 1536], 'PreLogitsFlatten': [1, 1536],
        'Logits': [1, 1001], 'Predictions': [1, 1001],
    }),
    'inception_resnet_v2': (59182258, 59244594, {
        **_conv('InceptionResnetV2/Conv2d_1a_3x3', [3, 3, 3, 32]),
        **_conv('InceptionResnetV2/Conv2d_4a_3x3', [3, 3, 80, 192]),
        **_conv('InceptionResnetV2/Mixed_5b/Branch_1/Conv2d_0b_5x5',
                [5, 5, 48, 64]),
        **_conv('InceptionResnetV2/Repeat/block35_10/Branch_2/Conv2d_0c_3x3',
                [3, 3, 48, 64]),
        # The residual projections have biases instead of batch norm.
        'InceptionResnetV2/Repeat/block35_1/Conv2d_1x1/weights':
            [1, 1, 128, 320],
        'InceptionResnetV2/Repeat/block35_1/Conv2d_1x1/biases': [320],
        **_conv('InceptionResnetV2/Mixed_6a/Branch_1/Conv2d_1a_3x3',
                [3, 3, 256, 384]),
        **_conv('InceptionResnetV2/Repeat_1/block17_20/Branch_1/'
                'Conv2d_0c_7x1', [7, 1, 160, 192]),
        'InceptionResnetV2/Repeat_1/block17_20/Conv2d_1x1/weights':
            [1, 1, 384, 1088],
        **_conv('InceptionResnetV2/Mixed_7a/Branch_2/Conv2d_1a_3x3',
                [3, 3, 288, 320]),
        'InceptionResnetV2/Repeat_2/block8_9/Conv2d_1x1/weights':
            [1, 1, 448, 2080],
        'InceptionResnetV2/Block8/Conv2d_1x1/weights': [1, 1, 448, 2080],
        'InceptionResnetV2/Block8/Conv2d_1x1/biases': [2080],
        **_conv('InceptionResnetV2/Conv2d_7b_1x1', [1, 1, 2080, 1536]),
        **_conv('InceptionResnetV2/AuxLogits/Conv2d_2a_5x5',
                [5, 5, 128, 768]),
        'InceptionResnetV2/AuxLogits/Logits/weights': [768, 1001],
        'InceptionResnetV2/Logits/Logits/weights': [1536, 1001],
        'InceptionResnetV2/Logits/Logits/biases': [1001],
    }, {
        'Conv2d_1a_3x3': [1, 149, 149, 32],
        'MaxPool_5a_3x3': [1, 35, 35, 192], 'Mixed_5b': [1, 35, 35, 320],
        'Mixed_6a': [1, 17, 17, 1088], 'PreAuxLogits': [1, 17, 17, 1088],
        'Mixed_7a': [1, 8, 8, 2080], 'Conv2d_7b_1x1': [1, 8, 8, 1536],
        'AuxLogits': [1, 1001], 'global_pool': [1, 1, 1, 1536],
        'Logits': [1, 1001], 'Predictions': [1, 1001],
    }),
}

# Residual blocks of Inception-ResNet v2 per repeat scope: 10 x block35,
# 20 x block17, 9 x block8 plus the final, unscaled Block8.
BLOCKS = {'Repeat/block35': 10, 'Repeat_1/block17': 20, 'Repeat_2/block8': 9}


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_variables_match_published_checkpoint(name):
    trainable, total, some_shapes, end_point_shapes = EXPECTED[name]
    built = build_once(name, 1001)
    shapes = built.shapes
    assert built.trainable_parameters == trainable
    assert built.parameters == total
    for key, shape in end_point_shapes.items():
        assert built.end_points[key].get_shape().as_list() == shape, key
    for var_name, shape in some_shapes.items():
        assert shapes.get(var_name) == shape, var_name
    scope = next(iter(some_shapes)).split('/')[0]
    for var_name in shapes:
        assert var_name.startswith(scope + '/'), var_name
        assert re.search(r'/(weights|biases|BatchNorm/(beta|moving_mean|'
                         r'moving_variance))$', var_name), var_name
    if name == 'inception_resnet_v2':
        for prefix, count in BLOCKS.items():
            blocks = {var_name.split('/')[2] for var_name in shapes
                      if var_name.startswith(scope + '/' + prefix + '_')}
            assert len(blocks) == count, prefix


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_pre_logits_forward_pass(name):
    """num_classes=0: pooled features, no (auxiliary) logits; 75x75 is the
    smallest input the VALID-padded stem and reductions accept."""
    images = np.random.RandomState(0).uniform(
        -1, 1, (2, 75, 75, 3)).astype(np.float32)
    with tf.Graph().as_default():
        inputs, features, end_points = build(name, 0, image_size=75,
                                             batch_size=2)
        assert 'Logits' not in end_points and 'AuxLogits' not in end_points
        assert not [var for var in tf.global_variables()
                    if 'Logits/' in var.op.name]
        with session() as sess:
            sess.run(tf.global_variables_initializer())
            values = sess.run(features, {inputs: images})
    assert values.shape == (2, 1, 1, 1536)
    assert np.all(np.isfinite(values))
    assert np.any(values[0] != values[1])


def test_inception_v4_base_stops_at_final_endpoint():
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [1, 299, 299, 3])
        with slim.arg_scope(inception_v4.inception_v4_arg_scope()):
            net, end_points = inception_v4.inception_v4_base(
                inputs, final_endpoint='Mixed_5b')
        assert list(end_points) == ['Conv2d_1a_3x3', 'Conv2d_2a_3x3',
                                    'Conv2d_2b_3x3', 'Mixed_3a', 'Mixed_4a',
                                    'Mixed_5a', 'Mixed_5b']
        assert net.get_shape().as_list() == [1, 35, 35, 384]


def test_inception_resnet_v2_output_stride_8_and_aligned_maps():
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [1, 299, 299, 3])
        arg_scope = inception_resnet_v2.inception_resnet_v2_arg_scope()
        with slim.arg_scope(arg_scope):
            atrous, _ = inception_resnet_v2.inception_resnet_v2_base(
                inputs, final_endpoint='Mixed_6a', output_stride=8)
            aligned, _ = inception_resnet_v2.inception_resnet_v2_base(
                inputs, final_endpoint='MaxPool_5a_3x3',
                align_feature_maps=True, scope='Aligned')
            with pytest.raises(ValueError, match='output_stride'):
                inception_resnet_v2.inception_resnet_v2_base(
                    inputs, output_stride=32)
        # Mixed_6a keeps stride 1 (35 - 2 with VALID padding, not 17).
        assert atrous.get_shape().as_list() == [1, 33, 33, 1088]
        # SAME padding: 299 / 2 / 2 / 2, rounded up.
        assert aligned.get_shape().as_list() == [1, 38, 38, 192]


def test_inception_resnet_v2_block_projection_has_decayed_biases():
    with tf.Graph().as_default():
        net = tf.placeholder(tf.float32, [1, 35, 35, 320])
        with slim.arg_scope(
                inception_resnet_v2.inception_resnet_v2_arg_scope()):
            out = inception_resnet_v2.block35(net, scale=0.17)
        assert out.get_shape().as_list() == [1, 35, 35, 320]
        biases = [var.op.name for var in tf.global_variables()
                  if var.op.name.endswith('biases')]
        regularized = ' '.join(
            loss.op.name for loss in
            tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))
    assert biases == ['Block35/Conv2d_1x1/biases']
    assert 'Block35/Conv2d_1x1/bias/Regularizer' in regularized
