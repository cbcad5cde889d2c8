"""Building blocks shared by the ResNet v1 and v2 networks.

Residual networks were introduced in
[1] Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun
    Deep Residual Learning for Image Recognition. arXiv:1512.03385
and refined with pre-activation units in
[2] Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun
    Identity Mappings in Deep Residual Networks. arXiv:1603.05027

A network is a list of `Block`s, each a list of units of one kind; this
module stacks them (`stack_blocks_dense`), optionally with atrous convolution
to keep a denser output, and gives the arg_scope ResNets are trained with.

`Block`, `subsample` and `conv2d_same` are tf_slim.nets.resnet_utils' own.
`stack_blocks_dense` and `resnet_arg_scope` are defined here because
research/slim added `store_non_strided_activations` to the former and
`activation_fn`, `use_batch_norm` and `batch_norm_updates_collections` to
the latter, which tf_slim's versions lack.
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim
from tf_slim.nets.resnet_utils import Block, conv2d_same, subsample

__all__ = ['Block', 'conv2d_same', 'resnet_arg_scope', 'stack_blocks_dense',
           'subsample']


@slim.add_arg_scope
def stack_blocks_dense(net, blocks, output_stride=None,
                       store_non_strided_activations=False,
                       outputs_collections=None):
    """Stacks ResNet `Block`s and controls the density of the output.

    Each unit gets the scope 'block_name/unit_<i>' (from 1), so variables are
    named e.g. 'block1/unit_1/bottleneck_v1/conv1/weights'.

    `output_stride` is the ratio of input to output resolution. Most ResNets
    halve the resolution in three of their four blocks, a stride of 8 (32
    with the root block's 4). A smaller `output_stride`, useful for dense
    prediction, is obtained by turning the later strides into atrous
    (dilated) convolution, which keeps the receptive fields.

    Args:
      net: a `Tensor` of size [batch, height, width, channels].
      blocks: a list of `Block`s, the network's blocks in order.
      output_stride: None for the nominal stride, or the wanted ratio of
        input to output resolution, which must be a product of the unit
        strides up to some unit (e.g. for unit strides 1, 2, 1, 3, 4, 1 the
        valid values are 1, 2, 6, 24, or None for 24).
      store_non_strided_activations: if True, the last unit of each block
        runs at stride 1 and the block output is subsampled afterwards, so
        the end points (the block outputs in `outputs_collections`) keep the
        higher resolution. This costs 4x the computation and memory of that
        unit.
      outputs_collections: collection that receives each block's output.

    Returns:
      net: the output `Tensor`, at stride `output_stride`.

    Raises:
      ValueError: if `output_stride` cannot be reached.
    """
    # The stride of the activations so far, and the atrous rate to apply once
    # `output_stride` has been reached.
    current_stride = 1
    rate = 1

    for block in blocks:
        with tf.variable_scope(block.scope, 'block', [net]) as sc:
            block_stride = 1
            for i, unit in enumerate(block.args):
                if store_non_strided_activations and i == len(block.args) - 1:
                    # Move the last unit's stride to after the block.
                    block_stride = unit.get('stride', 1)
                    unit = dict(unit, stride=1)

                with tf.variable_scope('unit_%d' % (i + 1), values=[net]):
                    if (output_stride is not None and
                            current_stride == output_stride):
                        # Target reached: stride 1, grow the atrous rate.
                        net = block.unit_fn(net, rate=rate,
                                            **dict(unit, stride=1))
                        rate *= unit.get('stride', 1)
                    else:
                        net = block.unit_fn(net, rate=1, **unit)
                        current_stride *= unit.get('stride', 1)
                        if (output_stride is not None and
                                current_stride > output_stride):
                            raise ValueError(
                                'The target output_stride cannot be reached.')

            # Collect the block's output before subsampling it.
            net = slim.utils.collect_named_outputs(outputs_collections,
                                                   sc.name, net)

            if output_stride is not None and current_stride == output_stride:
                rate *= block_stride
            else:
                net = subsample(net, block_stride)
                current_stride *= block_stride
                if (output_stride is not None and
                        current_stride > output_stride):
                    raise ValueError(
                        'The target output_stride cannot be reached.')

    if output_stride is not None and current_stride != output_stride:
        raise ValueError('The target output_stride cannot be reached.')
    return net


def resnet_arg_scope(weight_decay=0.0001,
                     batch_norm_decay=0.997,
                     batch_norm_epsilon=1e-5,
                     batch_norm_scale=True,
                     activation_fn=tf.nn.relu,
                     use_batch_norm=True,
                     batch_norm_updates_collections=tf.GraphKeys.UPDATE_OPS):
    """Returns the arg_scope the ResNets are trained with.

    The batch_norm defaults suit the reference models of
    https://github.com/KaimingHe/deep-residual-networks, from which the
    published checkpoints were converted; training from scratch may need
    other values.

    `max_pool2d` gets 'SAME' padding, which makes `pool1` align features
    with the input (as fb.resnet.torch does; the paper's code uses 'VALID').

    Args:
      weight_decay: the L2 coefficient for conv weights.
      batch_norm_decay: decay of the batch_norm moving averages.
      batch_norm_epsilon: small float added to the variance in batch_norm.
      batch_norm_scale: if True, batch_norm learns a `gamma` scale.
      activation_fn: activation of the convolutions.
      use_batch_norm: whether convolutions are followed by batch_norm.
      batch_norm_updates_collections: collection for the batch_norm
        moving-average update ops.

    Returns:
      An `arg_scope` for the ResNets.
    """
    batch_norm_params = {
        'decay': batch_norm_decay,
        'epsilon': batch_norm_epsilon,
        'scale': batch_norm_scale,
        'updates_collections': batch_norm_updates_collections,
        'fused': None,  # The fused kernel wherever it applies.
    }
    with slim.arg_scope(
            [slim.conv2d],
            weights_regularizer=slim.l2_regularizer(weight_decay),
            weights_initializer=slim.variance_scaling_initializer(),
            activation_fn=activation_fn,
            normalizer_fn=slim.batch_norm if use_batch_norm else None,
            normalizer_params=batch_norm_params):
        with slim.arg_scope([slim.batch_norm], **batch_norm_params):
            with slim.arg_scope([slim.max_pool2d], padding='SAME') as arg_sc:
                return arg_sc
