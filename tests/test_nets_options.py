"""The networks' options beyond their defaults, mostly at small input sizes."""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import (
    alexnet,
    inception,
    inception_utils,
    overfeat,
    resnet_utils,
    resnet_v1,
    resnet_v2,
    vgg,
)


def _variables():
    return {v.op.name: v.shape.as_list() for v in tf.global_variables()}


@pytest.mark.parametrize('network, arg_scope, size', [
    (alexnet.alexnet_v2, alexnet.alexnet_v2_arg_scope, 300),
    (overfeat.overfeat, overfeat.overfeat_arg_scope, 263),
    (vgg.vgg_a, vgg.vgg_arg_scope, 256),
])
def test_global_pool_classifies_larger_inputs(network, arg_scope, size):
    with tf.Graph().as_default():
        with slim.arg_scope(arg_scope()):
            logits, end_points = network(
                tf.placeholder(tf.float32, [2, size, size, 3]), 10,
                global_pool=True)
        assert logits.shape.as_list() == [2, 10]
        assert end_points['global_pool'].shape.as_list() == [2, 1, 1, 4096]


def test_vgg_fully_convolutional_and_reuse():
    with tf.Graph().as_default(), slim.arg_scope(vgg.vgg_arg_scope()):
        images = tf.placeholder(tf.float32, [1, 224, 224, 3])
        logits, _ = vgg.vgg_a(images, 10, spatial_squeeze=False,
                              fc_conv_padding='SAME')
        assert logits.shape.as_list() == [1, 7, 7, 10]
        num_variables = len(tf.global_variables())
        vgg.vgg_a(images, 10, reuse=True)
        assert len(tf.global_variables()) == num_variables


def test_inception_v1_global_pool_and_root_block():
    with tf.Graph().as_default():
        with slim.arg_scope(inception.inception_v1_arg_scope()):
            logits, end_points = inception.inception_v1(
                tf.placeholder(tf.float32, [2, 320, 320, 3]), 10,
                global_pool=True)
        assert logits.shape.as_list() == [2, 10]
        assert 'global_pool' in end_points
        assert 'AvgPool_0a_7x7' not in end_points

    with tf.Graph().as_default():
        net, end_points = inception.inception_v1_base(
            tf.placeholder(tf.float32, [1, 28, 28, 192]),
            final_endpoint='Mixed_4b', include_root_block=False)
        assert net.shape.as_list() == [1, 14, 14, 512]
        assert 'Conv2d_1a_7x7' not in end_points
        first = tf.global_variables()[0].op.name
        assert first == 'InceptionV1/Mixed_3b/Branch_0/Conv2d_0a_1x1/weights'


def test_inception_v1_final_endpoint():
    with tf.Graph().as_default():
        images = tf.placeholder(tf.float32, [1, 224, 224, 3])
        net, end_points = inception.inception_v1_base(
            images, final_endpoint='Mixed_3c')
        assert net.shape.as_list() == [1, 28, 28, 480]
        assert 'MaxPool_4a_3x3' not in end_points
        with pytest.raises(ValueError):
            inception.inception_v1_base(images, final_endpoint='Mixed_9z',
                                        scope='Other')


def test_inception_v2_depth_multiplier():
    with tf.Graph().as_default():
        images = tf.placeholder(tf.float32, [2, 224, 224, 3])
        net, _ = inception.inception_v2_base(
            images, final_endpoint='Mixed_3b', depth_multiplier=0.5)
        assert net.shape.as_list() == [2, 28, 28, 128]
        assert _variables()['InceptionV2/Conv2d_2c_3x3/weights'] == [
            3, 3, 32, 96]
        with pytest.raises(ValueError):
            inception.inception_v2(images, depth_multiplier=0)


def test_inception_v2_plain_first_conv_and_nchw():
    with tf.Graph().as_default():
        images = tf.placeholder(tf.float32, [1, 3, 224, 224])
        with pytest.raises(ValueError):
            inception.inception_v2_base(images, data_format='NCHW')
        net, _ = inception.inception_v2_base(
            images, final_endpoint='Mixed_3b', use_separable_conv=False,
            data_format='NCHW')
        assert net.shape.as_list() == [1, 256, 28, 28]
        assert _variables()['InceptionV2/Conv2d_1a_7x7/weights'] == [
            7, 7, 3, 64]


def test_inception_v3_small_input_without_aux_logits():
    with tf.Graph().as_default():
        with slim.arg_scope(inception.inception_v3_arg_scope()):
            logits, end_points = inception.inception_v3(
                tf.placeholder(tf.float32, [2, 150, 150, 3]), 10,
                create_aux_logits=False)
        assert logits.shape.as_list() == [2, 10]
        assert end_points['AvgPool_1a'].shape.as_list() == [2, 1, 1, 2048]
        assert 'AuxLogits' not in end_points
        assert not [n for n in _variables() if 'AuxLogits' in n]


def test_reduced_kernel_size_for_small_input():
    reduce = inception_utils.reduced_kernel_size_for_small_input
    with tf.Graph().as_default():
        assert reduce(tf.placeholder(tf.float32, [1, 3, 9, 8]), [8, 8]) == [
            3, 8]
        unknown = tf.placeholder(tf.float32, [1, None, None, 8])
        assert reduce(unknown, [8, 8]) == [8, 8]


def test_resnet_v1_output_stride():
    with tf.Graph().as_default():
        with slim.arg_scope(resnet_v1.resnet_arg_scope()):
            net, _ = resnet_v1.resnet_v1_50(
                tf.placeholder(tf.float32, [1, 65, 65, 3]),
                global_pool=False, output_stride=16)
        assert net.shape.as_list() == [1, 5, 5, 2048]
        with pytest.raises(ValueError):
            resnet_v1.resnet_v1_50(tf.placeholder(tf.float32, [1, 65, 65, 3]),
                                   output_stride=6, scope='other')


def test_thin_resnet_v1_non_strided_activations_forward_pass():
    """A thin ResNet-50 runs on 64x64 inputs in the mode of an outer scope."""
    images = np.random.RandomState(0).rand(1, 64, 64, 3).astype(np.float32)
    with tf.Graph().as_default():
        with slim.arg_scope(resnet_v1.resnet_arg_scope()):
            with slim.arg_scope([slim.batch_norm], is_training=False):
                net, end_points = resnet_v1.resnet_v1_50(
                    tf.constant(images), is_training=None, global_pool=False,
                    store_non_strided_activations=True,
                    depth_multiplier=0.25)
        block1 = end_points['resnet_v1_50/block1']
        assert _variables()[
            'resnet_v1_50/block1/unit_1/bottleneck_v1/conv1/weights'] == [
                1, 1, 64, 16]
        # is_training=None defers to the outer arg_scope: inference mode.
        assert not tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            net_1, block1 = sess.run([net, block1])
            net_2 = sess.run(net)
    assert net_1.shape == (1, 2, 2, 512)
    # Block outputs are stored before each block's final subsampling.
    assert block1.shape == (1, 16, 16, 64)
    assert np.all(np.isfinite(net_1))
    np.testing.assert_array_equal(net_1, net_2)


def test_resnet_v2_unsqueezed_logits():
    with tf.Graph().as_default():
        with slim.arg_scope(resnet_v2.resnet_arg_scope()):
            logits, end_points = resnet_v2.resnet_v2_50(
                tf.placeholder(tf.float32, [1, 96, 96, 3]), 10,
                spatial_squeeze=False)
        assert logits.shape.as_list() == [1, 1, 1, 10]
        assert 'resnet_v2_50/logits' in end_points
        assert 'resnet_v2_50/spatial_squeeze' not in end_points
        assert tf.get_collection(tf.GraphKeys.UPDATE_OPS)


def test_bounded_activations():
    with tf.Graph().as_default():
        output = resnet_v1.bottleneck(
            tf.placeholder(tf.float32, [1, 8, 8, 4]), depth=8,
            depth_bottleneck=2, stride=1, use_bounded_activations=True)
        assert output.op.type == 'Relu6'
        ops = tf.get_default_graph().get_operations()
        assert any('clip_by_value' in op.name for op in ops)


def _tiny_blocks():
    """Four small v1 blocks with a nominal stride of 8."""
    return [resnet_v1.resnet_v1_block('block1', 1, 2, stride=2),
            resnet_v1.resnet_v1_block('block2', 2, 2, stride=2),
            resnet_v1.resnet_v1_block('block3', 4, 2, stride=2),
            resnet_v1.resnet_v1_block('block4', 8, 2, stride=1)]


@pytest.mark.parametrize('store_non_strided_activations', [False, True])
def test_atrous_stacking_matches_subsampled_nominal_output(
        store_non_strided_activations):
    """A denser output_stride computes the same features, just more of them.

    With inputs of a multiple of 8 plus 1 pixels, subsampling the atrous
    output by nominal_stride / output_stride gives the nominal output.
    """
    inputs = np.random.RandomState(0).randn(2, 33, 33, 8).astype(np.float32)
    with tf.Graph().as_default():
        with slim.arg_scope([slim.conv2d], normalizer_fn=None,
                            weights_initializer=tf.random_normal_initializer(
                                stddev=0.5, seed=3),
                            biases_initializer=tf.random_normal_initializer(
                                stddev=0.1, seed=4)):
            with tf.variable_scope('net') as scope:
                nominal = resnet_utils.stack_blocks_dense(
                    tf.constant(inputs), _tiny_blocks(), None,
                    store_non_strided_activations)
                scope.reuse_variables()
                dense = {}
                for output_stride in (1, 2, 4):
                    dense[output_stride] = resnet_utils.subsample(
                        resnet_utils.stack_blocks_dense(
                            tf.constant(inputs), _tiny_blocks(),
                            output_stride, store_non_strided_activations),
                        8 // output_stride)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            nominal, dense = sess.run([nominal, dense])
    assert nominal.shape == (2, 5, 5, 32)
    for output_stride, value in dense.items():
        np.testing.assert_allclose(value, nominal, rtol=1e-4, atol=1e-4,
                                   err_msg='output_stride %d' % output_stride)


def test_unreachable_output_stride():
    with tf.Graph().as_default():
        with pytest.raises(ValueError):
            resnet_utils.stack_blocks_dense(
                tf.placeholder(tf.float32, [1, 33, 33, 8]), _tiny_blocks(),
                output_stride=3)
