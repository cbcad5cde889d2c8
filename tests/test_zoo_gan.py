"""DCGAN, CycleGAN and pix2pix: counts, names, shapes, checkpoint round trips.

These networks are not in nets_factory (they are not classifiers); users
import nets.dcgan, nets.cyclegan and nets.pix2pix directly. Their trainable
parameter counts are worked out by hand from the papers' layer tables
(convolutions without biases where a normalizer follows; batch norm with an
offset only, instance norm with offset and scale).
"""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import cyclegan, dcgan, pix2pix
from slimtrain.rundir import checkpoint_reading
from slimtrain.training import initialization
from tests.zoo_helpers import DOC, parameter_count, session, variable_shapes


def _conv(kernel, depth_in, depth_out, normalizer_parameters=0):
    """Weights plus biases, or the normalizer's per-channel parameters."""
    return (kernel * kernel * depth_in * depth_out +
            (normalizer_parameters * depth_out if normalizer_parameters
             else depth_out))


# DCGAN on 32x32x3 (depth 64): the discriminator's five strided 4x4 convs
# double the depth from 64 (batch norm, offset only, from the second on),
# then a 1x1 conv to one logit; the generator mirrors it from a 1x1 map
# (512, 256, 128 channels with batch norm, 64 with biases) to 32x32.
DCGAN_DISCRIMINATOR = (_conv(4, 3, 64) + _conv(4, 64, 128, 1) +
                       _conv(4, 128, 256, 1) + _conv(4, 256, 512, 1) +
                       _conv(4, 512, 1024, 1) + _conv(1, 1024, 1))
DCGAN_GENERATOR = (_conv(4, 64, 512, 1) + _conv(4, 512, 256, 1) +
                   _conv(4, 256, 128, 1) + _conv(4, 128, 64) +
                   _conv(1, 64, 3))
# CycleGAN's 6-block ResNet generator (instance norm on every conv but the
# last; the two transposed convs have biases).
CYCLEGAN_GENERATOR = (_conv(7, 3, 64, 2) + _conv(3, 64, 128, 2) +
                      _conv(3, 128, 256, 2) + 12 * _conv(3, 256, 256, 2) +
                      _conv(3, 256, 128) + _conv(3, 128, 64) +
                      _conv(7, 64, 3))
# pix2pix's U-Net on 256x256x3 under pix2pix_arg_scope: encoder
# 64-128-256-512-512-512-512 (the first and last convs without instance
# norm), decoder 512-512-512-512-256-128-64 on the concatenated skips
# (inputs 512, 1024 three times, 768, 384, 192), 4x4 output conv.
PIX2PIX_GENERATOR = (
    _conv(4, 3, 64) + _conv(4, 64, 128, 2) + _conv(4, 128, 256, 2) +
    _conv(4, 256, 512, 2) + 2 * _conv(4, 512, 512, 2) + _conv(4, 512, 512) +
    _conv(4, 512, 512, 2) + 3 * _conv(4, 1024, 512, 2) +
    _conv(4, 768, 256, 2) + _conv(4, 384, 128, 2) + _conv(4, 192, 64, 2) +
    _conv(4, 64, 3))
PIX2PIX_DISCRIMINATOR = (_conv(4, 3, 64) + _conv(4, 64, 128, 2) +
                         _conv(4, 128, 256, 2) + _conv(4, 256, 512, 2) +
                         _conv(4, 512, 1))


def dcgan_discriminator(num_outputs=3):
    return dcgan.discriminator(
        tf.placeholder(tf.float32, [2, 32, 32, num_outputs]))


def dcgan_generator(num_outputs=3):
    return dcgan.generator(tf.placeholder(tf.float32, [2, 64]),
                           final_size=32, num_outputs=num_outputs)


def cyclegan_generator(num_outputs=3):
    return cyclegan.cyclegan_generator_resnet(
        tf.placeholder(tf.float32, [2, 32, 32, num_outputs]))


def pix2pix_generator(num_outputs=3):
    with slim.arg_scope(pix2pix.pix2pix_arg_scope()):
        return pix2pix.pix2pix_generator(
            tf.placeholder(tf.float32, [1, 256, 256, 3]), num_outputs)


def pix2pix_discriminator(num_outputs=3):
    with slim.arg_scope(pix2pix.pix2pix_arg_scope()):
        return pix2pix.pix2pix_discriminator(
            tf.placeholder(tf.float32, [1, 256, 256, num_outputs]),
            [64, 128, 256, 512])


def test_documented_generative_networks():
    """docs/NETWORKS.md's generative table: counts and exclude scopes."""
    lines = DOC.read_text().splitlines()
    start = lines.index(next(line for line in lines
                             if line.startswith('| Generative network |')))
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith('|'):
            break
        cells = [cell.strip() for cell in line.strip('|').split('|')]
        rows[cells[0].split('`')[1]] = (int(cells[3].replace(',', '')),
                                        cells[4].strip('`'))
    assert rows == {
        'dcgan.generator': (DCGAN_GENERATOR, 'Generator/logits'),
        'dcgan.discriminator': (DCGAN_DISCRIMINATOR, 'Discriminator/conv1'),
        'cyclegan.cyclegan_generator_resnet': (CYCLEGAN_GENERATOR,
                                               'input,output'),
        'pix2pix.pix2pix_generator': (PIX2PIX_GENERATOR, 'output'),
        'pix2pix.pix2pix_discriminator': (PIX2PIX_DISCRIMINATOR, 'conv0'),
    }


# builder: (trainable parameters, output shape, {variable: shape}, the
# scope whose variables depend on num_outputs, as documented).
EXPECTED = {
    dcgan_discriminator: (DCGAN_DISCRIMINATOR, [2, 1], {
        'Discriminator/conv1/weights': [4, 4, 3, 64],
        'Discriminator/conv1/biases': [64],
        'Discriminator/conv2/BatchNorm/beta': [128],
        'Discriminator/conv5/weights': [4, 4, 512, 1024],
        'Discriminator/Conv/weights': [1, 1, 1024, 1],
    }, 'Discriminator/conv1'),
    dcgan_generator: (DCGAN_GENERATOR, [2, 32, 32, 3], {
        'Generator/deconv1/weights': [4, 4, 512, 64],
        'Generator/deconv1/BatchNorm/beta': [512],
        'Generator/deconv4/biases': [64],
        'Generator/logits/weights': [1, 1, 64, 3],
    }, 'Generator/logits'),
    cyclegan_generator: (CYCLEGAN_GENERATOR, [2, 32, 32, 3], {
        'input/Conv/weights': [7, 7, 3, 64],
        'input/Conv/InstanceNorm/gamma': [64],
        'encoder/Conv_1/weights': [3, 3, 128, 256],
        'residual_blocks/block_5/Conv_1/weights': [3, 3, 256, 256],
        'decoder/decoder1/upconv/Conv2d_transpose/weights':
            [3, 3, 128, 256],
        'output/Conv/weights': [7, 7, 64, 3],
    }, 'input,output'),
    pix2pix_generator: (PIX2PIX_GENERATOR, [1, 256, 256, 3], {
        'encoder/Conv/weights': [4, 4, 3, 64],
        'encoder/Conv/biases': [64],
        'encoder/Conv_6/biases': [512],
        'decoder/Conv_1/weights': [4, 4, 1024, 512],
        'decoder/Conv_6/InstanceNorm/beta': [64],
        'output/Conv/weights': [4, 4, 64, 3],
    }, 'output'),
    pix2pix_discriminator: (PIX2PIX_DISCRIMINATOR, [1, 35, 35, 1], {
        'conv0/weights': [4, 4, 3, 64],
        'conv3/weights': [4, 4, 256, 512],
        'conv4/weights': [4, 4, 512, 1],
    }, 'conv0'),
}


@pytest.mark.parametrize('builder', list(EXPECTED),
                         ids=lambda builder: builder.__name__)
def test_counts_shapes_and_names(builder):
    trainable, output_shape, shapes, _ = EXPECTED[builder]
    with tf.Graph().as_default():
        output, end_points = builder()
        assert parameter_count(tf.trainable_variables()) == trainable
        assert output.get_shape().as_list() == output_shape
        built = variable_shapes()
    for name, shape in shapes.items():
        assert built.get(name) == shape, name
    assert end_points


@pytest.mark.parametrize('builder', list(EXPECTED),
                         ids=lambda builder: builder.__name__)
def test_fine_tune_round_trip(builder, tmp_path):
    """A checkpoint restores into the network built for one channel, all
    but the layers that depend on the channels (excluded)."""
    exclude = EXPECTED[builder][3]
    checkpoint = str(tmp_path / 'model.ckpt')
    with tf.Graph().as_default():
        builder()
        with session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver().save(sess, checkpoint, write_meta_graph=False)
    with tf.Graph().as_default():
        builder(num_outputs=1)
        init_fn = initialization.make_fine_tune_init_fn(checkpoint,
                                                     exclude_scopes=exclude)
        restored = [var for var in slim.get_model_variables()
                    if not checkpoint_reading.excluded(var.op.name,
                                                exclude.split(','))]
        with session() as sess:
            init_fn(sess)
            values = sess.run(restored)
    reader = tf.train.NewCheckpointReader(checkpoint)
    assert restored
    for var, value in zip(restored, values):
        np.testing.assert_array_equal(value, reader.get_tensor(var.op.name))


def test_generators_run():
    """DCGAN's generator maps noise to images; CycleGAN's output lies in
    (-1, 1) (tanh) and has the input's shape."""
    with tf.Graph().as_default():
        noise = tf.placeholder(tf.float32, [2, 16])
        images, _ = dcgan.generator(noise, depth=8, final_size=16,
                                    is_training=False)
        translated, _ = cyclegan.cyclegan_generator_resnet(
            tf.placeholder_with_default(
                np.zeros([1, 8, 12, 3], np.float32) + 0.5,
                [None, None, None, 3]),
            num_resnet_blocks=1, num_filters=4)
        with session() as sess:
            sess.run(tf.global_variables_initializer())
            fake, out = sess.run(
                [images, translated],
                {noise: np.random.RandomState(0).normal(size=(2, 16))})
    assert fake.shape == (2, 16, 16, 3) and np.all(np.isfinite(fake))
    assert out.shape == (1, 8, 12, 3) and np.all(np.abs(out) < 1)


def test_bad_inputs_are_refused():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match='power of 2'):
            dcgan.discriminator(tf.placeholder(tf.float32, [1, 24, 24, 3]))
        with pytest.raises(ValueError, match='power of 2'):
            dcgan.generator(tf.placeholder(tf.float32, [1, 8]),
                            final_size=24)
        with pytest.raises(ValueError, match='multiple of 4'):
            cyclegan.cyclegan_generator_resnet(
                tf.placeholder(tf.float32, [1, 30, 32, 3]))
        with pytest.raises(ValueError, match='Unknown method'):
            pix2pix.upsample(tf.placeholder(tf.float32, [1, 4, 4, 2]), 2,
                             [2, 2], method='cubic')
