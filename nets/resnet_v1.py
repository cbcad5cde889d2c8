"""ResNet v1: residual networks with batch_norm after each convolution.

The original residual networks of
[1] Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun
    Deep Residual Learning for Image Recognition. arXiv:1512.03385
ResNet-200 is the depth used in
[2] Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun
    Identity Mappings in Deep Residual Networks. arXiv:1603.05027
As in research/slim (and unlike [1]), each block downsamples in its last
unit rather than its first; `resnet_v2` holds the pre-activation variant
of [2].

tf_slim.nets.resnet_v1 lacks `spatial_squeeze` (so its logits keep their
1x1 spatial dimensions), `store_non_strided_activations`, `min_base_depth`,
`depth_multiplier`, bounded activations and the pre-logits output for
`num_classes` 0, so the networks are defined here on top of
`nets.resnet_utils`. Scope names equal those of the published checkpoints
(e.g. 'resnet_v1_50/block1/unit_1/bottleneck_v1/conv1/weights').

ResNet-101 for ImageNet classification (inputs [batch, 224, 224, 3]):

  with slim.arg_scope(resnet_v1.resnet_arg_scope()):
    net, end_points = resnet_v1.resnet_v1_101(inputs, 1000,
                                              is_training=False)

ResNet-101 for semantic segmentation into 21 classes (inputs [batch, 513,
513, 3]):

  with slim.arg_scope(resnet_v1.resnet_arg_scope()):
    net, end_points = resnet_v1.resnet_v1_101(inputs, 21, is_training=False,
                                              global_pool=False,
                                              output_stride=16)
"""

import contextlib

import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import resnet_utils

resnet_arg_scope = resnet_utils.resnet_arg_scope


@slim.add_arg_scope
def bottleneck(inputs,
               depth,
               depth_bottleneck,
               stride,
               rate=1,
               outputs_collections=None,
               scope=None,
               use_bounded_activations=False):
    """Bottleneck residual unit with batch_norm after the convolutions.

    The original residual unit of [1] (Fig. 1(a) of [2]) in its bottleneck
    form: 1x1 reduction, 3x3 (strided, possibly atrous) and 1x1 expansion.

    Args:
      inputs: a `Tensor` of size [batch, height, width, channels].
      depth: the number of output channels.
      depth_bottleneck: the number of channels of the bottleneck layers.
      stride: the unit's stride, by which it downsamples its input.
      rate: the atrous rate of the 3x3 convolution.
      outputs_collections: collection that receives the unit's output.
      scope: optional variable_scope.
      use_bounded_activations: if True, clip the residual and use relu6,
        which suits quantised inference better.

    Returns:
      The unit's output `Tensor`.
    """
    with tf.variable_scope(scope, 'bottleneck_v1', [inputs]) as sc:
        depth_in = slim.utils.last_dimension(inputs.get_shape(), min_rank=4)
        if depth == depth_in:
            shortcut = resnet_utils.subsample(inputs, stride, 'shortcut')
        else:
            shortcut = slim.conv2d(
                inputs, depth, [1, 1], stride=stride,
                activation_fn=tf.nn.relu6 if use_bounded_activations else None,
                scope='shortcut')

        residual = slim.conv2d(inputs, depth_bottleneck, [1, 1], stride=1,
                               scope='conv1')
        residual = resnet_utils.conv2d_same(residual, depth_bottleneck, 3,
                                            stride, rate=rate, scope='conv2')
        residual = slim.conv2d(residual, depth, [1, 1], stride=1,
                               activation_fn=None, scope='conv3')

        if use_bounded_activations:
            # Clipping simulates a band-pass activation.
            residual = tf.clip_by_value(residual, -6.0, 6.0)
            output = tf.nn.relu6(shortcut + residual)
        else:
            output = tf.nn.relu(shortcut + residual)

        return slim.utils.collect_named_outputs(outputs_collections,
                                                sc.name, output)


def resnet_v1(inputs,
              blocks,
              num_classes=None,
              is_training=True,
              global_pool=True,
              output_stride=None,
              include_root_block=True,
              spatial_squeeze=True,
              store_non_strided_activations=False,
              reuse=None,
              scope=None):
    """Builds a ResNet v1 from its blocks.

    `resnet_v1_50` and the other constructors below choose the blocks.

    ImageNet training usually uses 224x224 inputs, giving a 7x7 output of
    the last block at the nominal stride of 32. For dense prediction use
    `global_pool=False` and inputs of a multiple of 32 plus 1 (e.g.
    321x321): the output map is then [(height - 1) / output_stride + 1,
    (width - 1) / output_stride + 1] with corners aligned to the input's.
    `output_stride=16` gives denser features at a small extra cost
    (http://arxiv.org/abs/1606.00915).

    Args:
      inputs: a `Tensor` of size [batch, height_in, width_in, channels].
      blocks: a list of `resnet_utils.Block`s, one per ResNet block.
      num_classes: number of classes. If 0 or None, the logits layer is
        omitted and the features before it are returned.
      is_training: whether batch_norm is in training mode. If None, it is
        left to an enclosing `slim.arg_scope` on `slim.batch_norm`.
      global_pool: if True, average-pool the last block's output to 1x1
        (for classification); False for dense prediction.
      output_stride: None for the nominal stride, or the wanted ratio of
        input to output resolution (a multiple of 4 with the root block).
      include_root_block: whether to build the 7x7 convolution and max pool
        before the first block.
      spatial_squeeze: if True, logits have shape [B, C], else [B, 1, 1, C].
        Only possible when the logits are 1x1 (global_pool, or inputs
        smaller than 300x300 or so).
      store_non_strided_activations: if True, the block outputs in the end
        points are taken before each block's final subsampling (see
        `resnet_utils.stack_blocks_dense`).
      reuse: whether the network and its variables should be reused; to
        reuse, `scope` must be given.
      scope: optional variable_scope.

    Returns:
      net: a rank-4 `Tensor` [batch, height_out, width_out, channels_out]
        (rank 2 for squeezed logits): the last block's output, pooled if
        `global_pool`, when `num_classes` is 0 or None, else the logits.
      end_points: a dict from network components to their activations.

    Raises:
      ValueError: if `output_stride` cannot be reached.
    """
    with tf.variable_scope(scope, 'resnet_v1', [inputs], reuse=reuse) as sc:
        end_points_collection = sc.original_name_scope + '_end_points'
        with slim.arg_scope([slim.conv2d, bottleneck,
                             resnet_utils.stack_blocks_dense],
                            outputs_collections=end_points_collection):
            with (slim.arg_scope([slim.batch_norm], is_training=is_training)
                  if is_training is not None else contextlib.nullcontext()):
                net = inputs
                if include_root_block:
                    if output_stride is not None:
                        if output_stride % 4 != 0:
                            raise ValueError(
                                'The output_stride needs to be a multiple '
                                'of 4.')
                        output_stride /= 4
                    net = resnet_utils.conv2d_same(net, 64, 7, stride=2,
                                                   scope='conv1')
                    net = slim.max_pool2d(net, [3, 3], stride=2,
                                          scope='pool1')
                net = resnet_utils.stack_blocks_dense(
                    net, blocks, output_stride, store_non_strided_activations)
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


resnet_v1.default_image_size = 224


def resnet_v1_block(scope, base_depth, num_units, stride):
    """Returns a `Block` of `num_units` v1 bottleneck units.

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


def _blocks(units_per_block, min_base_depth, depth_multiplier):
    """The four blocks of a standard-depth ResNet v1."""
    def depth(d):
        return max(int(d * depth_multiplier), min_base_depth)

    return [
        resnet_v1_block('block1', depth(64), units_per_block[0], stride=2),
        resnet_v1_block('block2', depth(128), units_per_block[1], stride=2),
        resnet_v1_block('block3', depth(256), units_per_block[2], stride=2),
        resnet_v1_block('block4', depth(512), units_per_block[3], stride=1),
    ]


def resnet_v1_50(inputs,
                 num_classes=None,
                 is_training=True,
                 global_pool=True,
                 output_stride=None,
                 spatial_squeeze=True,
                 store_non_strided_activations=False,
                 min_base_depth=8,
                 depth_multiplier=1,
                 reuse=None,
                 scope='resnet_v1_50'):
    """ResNet-50 of [1]. Arguments and results as in `resnet_v1`.

    `depth_multiplier` scales the bottleneck depths, which are kept at least
    `min_base_depth`.
    """
    return resnet_v1(
        inputs, _blocks((3, 4, 6, 3), min_base_depth, depth_multiplier),
        num_classes, is_training, global_pool=global_pool,
        output_stride=output_stride, include_root_block=True,
        spatial_squeeze=spatial_squeeze,
        store_non_strided_activations=store_non_strided_activations,
        reuse=reuse, scope=scope)


def resnet_v1_101(inputs,
                  num_classes=None,
                  is_training=True,
                  global_pool=True,
                  output_stride=None,
                  spatial_squeeze=True,
                  store_non_strided_activations=False,
                  min_base_depth=8,
                  depth_multiplier=1,
                  reuse=None,
                  scope='resnet_v1_101'):
    """ResNet-101 of [1]. Arguments as in `resnet_v1_50`."""
    return resnet_v1(
        inputs, _blocks((3, 4, 23, 3), min_base_depth, depth_multiplier),
        num_classes, is_training, global_pool=global_pool,
        output_stride=output_stride, include_root_block=True,
        spatial_squeeze=spatial_squeeze,
        store_non_strided_activations=store_non_strided_activations,
        reuse=reuse, scope=scope)


# research/slim orders `store_non_strided_activations` before
# `spatial_squeeze` in the two deepest constructors; kept for positional
# callers.
def resnet_v1_152(inputs,
                  num_classes=None,
                  is_training=True,
                  global_pool=True,
                  output_stride=None,
                  store_non_strided_activations=False,
                  spatial_squeeze=True,
                  min_base_depth=8,
                  depth_multiplier=1,
                  reuse=None,
                  scope='resnet_v1_152'):
    """ResNet-152 of [1]. Arguments as in `resnet_v1_50`."""
    return resnet_v1(
        inputs, _blocks((3, 8, 36, 3), min_base_depth, depth_multiplier),
        num_classes, is_training, global_pool=global_pool,
        output_stride=output_stride, include_root_block=True,
        spatial_squeeze=spatial_squeeze,
        store_non_strided_activations=store_non_strided_activations,
        reuse=reuse, scope=scope)


def resnet_v1_200(inputs,
                  num_classes=None,
                  is_training=True,
                  global_pool=True,
                  output_stride=None,
                  store_non_strided_activations=False,
                  spatial_squeeze=True,
                  min_base_depth=8,
                  depth_multiplier=1,
                  reuse=None,
                  scope='resnet_v1_200'):
    """ResNet-200 of [2], with v1 units. Arguments as in `resnet_v1_50`."""
    return resnet_v1(
        inputs, _blocks((3, 24, 36, 3), min_base_depth, depth_multiplier),
        num_classes, is_training, global_pool=global_pool,
        output_stride=output_stride, include_root_block=True,
        spatial_squeeze=spatial_squeeze,
        store_non_strided_activations=store_non_strided_activations,
        reuse=reuse, scope=scope)


resnet_v1_50.default_image_size = resnet_v1.default_image_size
resnet_v1_101.default_image_size = resnet_v1.default_image_size
resnet_v1_152.default_image_size = resnet_v1.default_image_size
resnet_v1_200.default_image_size = resnet_v1.default_image_size
