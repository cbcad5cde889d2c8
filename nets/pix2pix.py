"""pix2pix's U-Net generator and PatchGAN discriminator (Isola et al. 2017,
https://arxiv.org/abs/1611.07004).

The generator encodes with strided 4x4 convs, one per `Block`, and decodes
with upsampling convs, each decoder step concatenated with the matching
encoder output (U-Net skips) and followed by dropout where the block says
so. The discriminator classifies overlapping patches. Scope names are
those of research/slim's nets/pix2pix.py.
"""

import collections
import functools

import tensorflow.compat.v1 as tf
import tf_slim as slim


def pix2pix_arg_scope():
    """The arg_scope of pix2pix's networks: convs and transposed convs with
    instance norm and normal(0, 0.02) weights."""
    instance_norm_params = {'center': True, 'scale': True, 'epsilon': 0.00001}
    with slim.arg_scope(
            [slim.conv2d, slim.conv2d_transpose],
            normalizer_fn=slim.instance_norm,
            normalizer_params=instance_norm_params,
            weights_initializer=tf.random_normal_initializer(0, 0.02)) as sc:
        return sc


def upsample(net, num_outputs, kernel_size, method='nn_upsample_conv'):
    """Upsamples net by kernel_size ([height factor, width factor]).

    Args:
      net: a tensor [batch, height, width, channels].
      num_outputs: output channels.
      kernel_size: [height factor, width factor].
      method: 'nn_upsample_conv' (nearest-neighbour resize, then a 4x4
        conv) or 'conv2d_transpose' (a 4x4 transposed conv).

    Returns:
      The upsampled tensor, without activation.

    Raises:
      ValueError: on an unknown method.
    """
    shape = tf.shape(net)
    if method == 'nn_upsample_conv':
        net = tf.image.resize(
            net, [kernel_size[0] * shape[1], kernel_size[1] * shape[2]],
            method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
        return slim.conv2d(net, num_outputs, [4, 4], activation_fn=None)
    if method == 'conv2d_transpose':
        return slim.conv2d_transpose(net, num_outputs, [4, 4],
                                     stride=kernel_size, activation_fn=None)
    raise ValueError('Unknown method: [%s]' % method)


class Block(collections.namedtuple('Block',
                                   ['num_filters', 'decoder_keep_prob'])):
    """One encoder step and its decoder step.

    num_filters: channels of the encoder conv and of the decoder conv.
    decoder_keep_prob: keep probability of the dropout after the decoder
      step; 0 means no dropout.
    """


def _default_generator_blocks():
    """The blocks of the paper's 256x256 U-Net generator."""
    return [Block(64, 0.5), Block(128, 0.5), Block(256, 0.5),
            Block(512, 0), Block(512, 0), Block(512, 0), Block(512, 0)]


def pix2pix_generator(net, num_outputs, blocks=None,
                      upsample_method='nn_upsample_conv', is_training=False):
    """The pix2pix U-Net generator.

    Args:
      net: [batch, height, width, channels] images, height = width, divisible
        by 2 ** len(blocks).
      num_outputs: channels of the output.
      blocks: the Blocks, outermost first; _default_generator_blocks() if
        None.
      upsample_method: 'nn_upsample_conv' or 'conv2d_transpose'.
      is_training: unused: the decoder's dropout is always on, as in the
        paper, where it is the generator's source of noise.

    Returns:
      (logits shaped like net with num_outputs channels, end_points with
      'encoder<i>', 'decoder<i>', 'logits' and 'predictions' (tanh)).
    """
    del is_training
    end_points = {}
    blocks = blocks or _default_generator_blocks()
    output_shape = net.get_shape().as_list()
    output_shape[3] = num_outputs
    upsample_fn = functools.partial(upsample, method=upsample_method)

    encoder_activations = []
    with tf.variable_scope('encoder'), \
            slim.arg_scope([slim.conv2d], kernel_size=[4, 4], stride=2,
                           activation_fn=tf.nn.leaky_relu):
        for block_id, block in enumerate(blocks):
            if block_id == 0:  # no normalization on the input layer
                net = slim.conv2d(net, block.num_filters, normalizer_fn=None)
            elif block_id < len(blocks) - 1:
                net = slim.conv2d(net, block.num_filters)
            else:  # the bottleneck: neither normalization nor activation
                net = slim.conv2d(net, block.num_filters, activation_fn=None,
                                  normalizer_fn=None)
            encoder_activations.append(net)
            end_points['encoder%d' % block_id] = net

    with tf.variable_scope('decoder'), \
            slim.arg_scope([slim.dropout], is_training=True):
        for block_id, block in enumerate(reversed(blocks)):
            if block_id > 0:
                net = tf.concat([net, encoder_activations[-block_id - 1]],
                                axis=3)
            net = upsample_fn(tf.nn.relu(net), block.num_filters, [2, 2])
            if block.decoder_keep_prob > 0:
                net = slim.dropout(net, keep_prob=block.decoder_keep_prob)
            end_points['decoder%d' % block_id] = net

    with tf.variable_scope('output'):
        logits = slim.conv2d(net, num_outputs, [4, 4], activation_fn=None,
                             normalizer_fn=None)
        logits = tf.reshape(logits, output_shape)
        end_points['logits'] = logits
        end_points['predictions'] = tf.tanh(logits)
    return logits, end_points


def pix2pix_discriminator(net, num_filters, padding=2, pad_mode='REFLECT',
                          activation_fn=tf.nn.leaky_relu, is_training=False):
    """The pix2pix PatchGAN discriminator.

    Args:
      net: [batch, height, width, channels] images.
      num_filters: channels of each conv layer; its length is the number of
        layers ('conv0' ...), the last two with stride 1, followed by a
        1-channel conv ('conv<len>').
      padding: reflection padding before each conv (0 for none).
      pad_mode: tf.pad mode: 'CONSTANT', 'REFLECT' or 'SYMMETRIC'.
      activation_fn: activation of the conv layers.
      is_training: unused.

    Returns:
      (logits [batch, N, N, 1], one per patch, and end_points with
      'conv<i>', 'logits' and 'predictions' (sigmoid)).
    """
    del is_training
    end_points = {}
    num_layers = len(num_filters)

    def padded(net, scope):
        if not padding:
            return net
        with tf.variable_scope(scope):
            spatial_pad = tf.constant(
                [[0, 0], [padding, padding], [padding, padding], [0, 0]],
                dtype=tf.int32)
            return tf.pad(net, spatial_pad, mode=pad_mode)

    with slim.arg_scope([slim.conv2d], kernel_size=[4, 4], stride=2,
                        padding='valid', activation_fn=activation_fn):
        net = slim.conv2d(padded(net, 'conv0'), num_filters[0],
                          normalizer_fn=None, scope='conv0')
        end_points['conv0'] = net
        for i in range(1, num_layers - 1):
            scope = 'conv%d' % i
            net = slim.conv2d(padded(net, scope), num_filters[i], scope=scope)
            end_points[scope] = net
        scope = 'conv%d' % (num_layers - 1)
        net = slim.conv2d(padded(net, scope), num_filters[-1], stride=1,
                          scope=scope)
        end_points[scope] = net
        scope = 'conv%d' % num_layers
        logits = slim.conv2d(padded(net, scope), 1, stride=1,
                             activation_fn=None, normalizer_fn=None,
                             scope=scope)
        end_points['logits'] = logits
        end_points['predictions'] = tf.sigmoid(logits)
    return logits, end_points
