"""ResNet v2: residual networks with pre-activation units.

The "full pre-activation" variant, with batch_norm and ReLU before each
convolution, of
[2] Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun
    Identity Mappings in Deep Residual Networks. arXiv:1603.05027
on the networks of
[1] Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun
    Deep Residual Learning for Image Recognition. arXiv:1512.03385
As in research/slim, each block downsamples in its last unit. `resnet_v1`
holds the original variant.

The residual unit (`bottleneck`) is tf_slim.nets.resnet_v2's own. The
networks are defined here because tf_slim's lack `spatial_squeeze` (their
logits keep 1x1 spatial dimensions) and the pre-logits output for
`num_classes` 0. Scope names equal those of the published checkpoints (e.g.
'resnet_v2_50/block1/unit_1/bottleneck_v2/preact/beta',
'resnet_v2_50/postnorm/gamma').

ResNet-101 for ImageNet classification (inputs [batch, 224, 224, 3]):

  with slim.arg_scope(resnet_v2.resnet_arg_scope()):
    net, end_points = resnet_v2.resnet_v2_101(inputs, 1001,
                                              is_training=False)

ResNet-101 for semantic segmentation into 21 classes (inputs [batch, 513,
513, 3]):

  with slim.arg_scope(resnet_v2.resnet_arg_scope()):
    net, end_points = resnet_v2.resnet_v2_101(inputs, 21, is_training=False,
                                              global_pool=False,
                                              output_stride=16)
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim
from tf_slim.nets.resnet_v2 import bottleneck

from nets import resnet_utils

resnet_arg_scope = resnet_utils.resnet_arg_scope


def resnet_v2(inputs,
              blocks,
              num_classes=None,
              is_training=True,
              global_pool=True,
              output_stride=None,
              include_root_block=True,
              spatial_squeeze=True,
              reuse=None,
              scope=None):
    """Builds a ResNet v2 from its blocks.

    `resnet_v2_50` and the other constructors below choose the blocks. See
    `resnet_v1.resnet_v1` on input sizes and `output_stride`.

    Because pre-activation units end without normalisation, the root
    convolution has neither batch_norm nor activation (the first unit
    applies them) and the last block is followed by batch_norm and ReLU
    ('postnorm'), as in the appendix of [2].

    Args:
      inputs: a `Tensor` of size [batch, height_in, width_in, channels].
      blocks: a list of `resnet_utils.Block`s, one per ResNet block.
      num_classes: number of classes. If 0 or None, the logits layer is
        omitted and the features before it are returned.
      is_training: whether batch_norm is in training mode.
      global_pool: if True, average-pool the last block's output to 1x1
        (for classification); False for dense prediction.
      output_stride: None for the nominal stride, or the wanted ratio of
        input to output resolution (a multiple of 4 with the root block).
      include_root_block: whether to build the 7x7 convolution and max pool
        before the first block. Without it, `inputs` should be the output of
        a convolution without activation.
      spatial_squeeze: if True, logits have shape [B, C], else [B, 1, 1, C].
        Only possible when the logits are 1x1.
      reuse: whether the network and its variables should be reused; to
        reuse, `scope` must be given.
      scope: optional variable_scope.

    Returns:
      net: a rank-4 `Tensor` [batch, height_out, width_out, channels_out]
        (rank 2 for squeezed logits): the post-normalised last block output,
        pooled if `global_pool`, when `num_classes` is 0 or None, else the
        logits.
      end_points: a dict from network components to their activations.

    Raises:
      ValueError: if `output_stride` cannot be reached.
    """
    with tf.variable_scope(scope, 'resnet_v2', [inputs], reuse=reuse) as sc:
        end_points_collection = sc.original_name_scope + '_end_points'
        with slim.arg_scope([slim.conv2d, bottleneck,
                             resnet_utils.stack_blocks_dense],
                            outputs_collections=end_points_collection):
            with slim.arg_scope([slim.batch_norm], is_training=is_training):
                net = inputs
                if include_root_block:
                    if output_stride is not None:
                        if output_stride % 4 != 0:
                            raise ValueError(
                                'The output_stride needs to be a multiple '
                                'of 4.')
                        output_stride /= 4
                    with slim.arg_scope([slim.conv2d], activation_fn=None,
                                        normalizer_fn=None):
                        net = resnet_utils.conv2d_same(net, 64, 7, stride=2,
                                                       scope='conv1')
                    net = slim.max_pool2d(net, [3, 3], stride=2,
                                          scope='pool1')
                net = resnet_utils.stack_blocks_dense(net, blocks,
                                                      output_stride)
                net = slim.batch_norm(net, activation_fn=tf.nn.relu,
                                      scope='postnorm')
                end_points = slim.utils.convert_collection_to_dict(
                    end_points_collection)

                if global_pool:
                    net = tf.reduce_mean(net, [1, 2], name='pool5',
                                         keepdims=True)
                    end_points['global_pool'] = net
                if num_classes:
                    net = slim.conv2d(net, num_classes, [1, 1],
                                      activation_fn=None, normalizer_fn=None,
                                      scope='logits')
                    end_points[sc.name + '/logits'] = net
                    if spatial_squeeze:
                        net = tf.squeeze(net, [1, 2], name='SpatialSqueeze')
                        end_points[sc.name + '/spatial_squeeze'] = net
                    end_points['predictions'] = slim.softmax(
                        net, scope='predictions')
                return net, end_points


resnet_v2.default_image_size = 224


def resnet_v2_block(scope, base_depth, num_units, stride):
    """Returns a `Block` of `num_units` v2 bottleneck units.

    Args:
      scope: the block's scope name.
      base_depth: the bottleneck depth; units output 4 * base_depth channels.
      num_units: the number of units.
      stride: the block's stride, applied by its last unit.

    Returns:
      A `resnet_utils.Block`.
    """
    return resnet_utils.Block(scope, bottleneck, [{
        'depth': base_depth * 4,
        'depth_bottleneck': base_depth,
        'stride': 1
    }] * (num_units - 1) + [{
        'depth': base_depth * 4,
        'depth_bottleneck': base_depth,
        'stride': stride
    }])


def _blocks(units_per_block):
    """The four blocks of a standard-depth ResNet v2."""
    return [
        resnet_v2_block('block1', 64, units_per_block[0], stride=2),
        resnet_v2_block('block2', 128, units_per_block[1], stride=2),
        resnet_v2_block('block3', 256, units_per_block[2], stride=2),
        resnet_v2_block('block4', 512, units_per_block[3], stride=1),
    ]


def resnet_v2_50(inputs,
                 num_classes=None,
                 is_training=True,
                 global_pool=True,
                 output_stride=None,
                 spatial_squeeze=True,
                 reuse=None,
                 scope='resnet_v2_50'):
    """ResNet-50 of [1], v2 units. Arguments and results as in `resnet_v2`."""
    return resnet_v2(inputs, _blocks((3, 4, 6, 3)), num_classes,
                     is_training=is_training, global_pool=global_pool,
                     output_stride=output_stride, include_root_block=True,
                     spatial_squeeze=spatial_squeeze, reuse=reuse,
                     scope=scope)


def resnet_v2_101(inputs,
                  num_classes=None,
                  is_training=True,
                  global_pool=True,
                  output_stride=None,
                  spatial_squeeze=True,
                  reuse=None,
                  scope='resnet_v2_101'):
    """ResNet-101 of [1], v2 units. Arguments as in `resnet_v2_50`."""
    return resnet_v2(inputs, _blocks((3, 4, 23, 3)), num_classes,
                     is_training=is_training, global_pool=global_pool,
                     output_stride=output_stride, include_root_block=True,
                     spatial_squeeze=spatial_squeeze, reuse=reuse,
                     scope=scope)


def resnet_v2_152(inputs,
                  num_classes=None,
                  is_training=True,
                  global_pool=True,
                  output_stride=None,
                  spatial_squeeze=True,
                  reuse=None,
                  scope='resnet_v2_152'):
    """ResNet-152 of [1], v2 units. Arguments as in `resnet_v2_50`."""
    return resnet_v2(inputs, _blocks((3, 8, 36, 3)), num_classes,
                     is_training=is_training, global_pool=global_pool,
                     output_stride=output_stride, include_root_block=True,
                     spatial_squeeze=spatial_squeeze, reuse=reuse,
                     scope=scope)


def resnet_v2_200(inputs,
                  num_classes=None,
                  is_training=True,
                  global_pool=True,
                  output_stride=None,
                  spatial_squeeze=True,
                  reuse=None,
                  scope='resnet_v2_200'):
    """ResNet-200 of [2]. Arguments as in `resnet_v2_50`."""
    return resnet_v2(inputs, _blocks((3, 24, 36, 3)), num_classes,
                     is_training=is_training, global_pool=global_pool,
                     output_stride=output_stride, include_root_block=True,
                     spatial_squeeze=spatial_squeeze, reuse=reuse,
                     scope=scope)


resnet_v2_50.default_image_size = resnet_v2.default_image_size
resnet_v2_101.default_image_size = resnet_v2.default_image_size
resnet_v2_152.default_image_size = resnet_v2.default_image_size
resnet_v2_200.default_image_size = resnet_v2.default_image_size
