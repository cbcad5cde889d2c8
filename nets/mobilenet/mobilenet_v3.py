"""MobileNet v3 (Howard et al. 2019, https://arxiv.org/abs/1905.02244).

Inverted residual blocks with optional squeeze-excite and hard-swish, found
by architecture search; `large` and `small` are the two published sizes, and
the `_minimalistic` variants drop squeeze-excite, hard-swish and 5x5 kernels.
`edge_tpu` (and `edge_tpu_075`, 0.75 of its depth) is the MobileNet EdgeTPU
variant: its early blocks expand with a full 3x3 convolution instead of a
1x1 one followed by a depthwise one, which runs faster on Edge TPUs; its
variables live under 'MobilenetEdgeTPU/'.
The last layers (1x1 conv, pooling to 1x1, 1x1 conv without batch norm) are
part of the body, as in research/slim's nets/mobilenet/mobilenet_v3.py whose
scope names ('MobilenetV3/Conv', 'expanded_conv[_N]', 'Conv_1', 'Conv_2',
'Logits/Conv2d_1c_1x1') the published checkpoints use.
"""

import copy
import functools

import numpy as np
import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets.mobilenet import conv_blocks as ops
from nets.mobilenet import mobilenet as lib

op = lib.op
expand_input = ops.expand_input_by_factor


def _hard_sigmoid(x):
    """relu6(x + 3) / 6, written as the checkpoints were trained."""
    return tf.nn.relu6(x + 3) * 0.16667


# Squeeze-excite as MobileNet v3 uses it: depth / 4 inside, ReLU, then a
# hard-sigmoid gate.
squeeze_excite = functools.partial(ops.squeeze_excite, squeeze_factor=4,
                                   inner_activation_fn=tf.nn.relu,
                                   gating_fn=_hard_sigmoid)


def _se4(expansion_tensor, input_tensor):
    """expansion_transform that gates the depthwise output with SE."""
    del input_tensor
    return squeeze_excite(expansion_tensor)


def hard_swish(x):
    """x * relu6(x + 3) / 6."""
    with tf.name_scope('hard_swish'):
        return x * tf.nn.relu6(x + np.float32(3)) * np.float32(1. / 6.)


def reduce_to_1x1(input_tensor, default_size=7, **kwargs):
    """Average-pools a square map to 1x1 (a default_size window otherwise).

    A map of unknown size is averaged whole, as one of known square size
    would be (research/slim pools it with the default_size window, which
    gives 1x1 only for 224x224 images).
    """
    height, width = input_tensor.shape.as_list()[1:3]
    if height is None or width is None:
        return tf.reduce_mean(input_tensor, [1, 2], keepdims=True)
    if width == height:
        kernel = [height, height]
    else:
        kernel = [default_size, default_size]
    return slim.avg_pool2d(input_tensor, kernel_size=kernel, **kwargs)


def mbv3_op(ef, n, k, s=1, act=tf.nn.relu, se=None, **kwargs):
    """One MobileNet v3 block.

    Args:
      ef: expansion factor (inner depth / input depth).
      n: number of output channels.
      k: depthwise kernel size.
      s: depthwise stride.
      act: activation of the expansion and depthwise convolutions.
      se: expansion_transform, e.g. squeeze-excite; None for none.
      **kwargs: passed to conv_blocks.expanded_conv.

    Returns:
      An op() for a conv_defs spec.
    """
    return op(ops.expanded_conv, expansion_size=expand_input(ef),
              kernel_size=(k, k), stride=s, num_outputs=n,
              inner_activation_fn=act, expansion_transform=se, **kwargs)


def mbv3_fused(ef, n, k, s=1, **kwargs):
    """One "fused" block: a full kxk expansion conv, no depthwise conv.

    Args:
      ef: expansion factor (inner depth / input depth).
      n: number of output channels.
      k: kernel size of the expansion conv.
      s: stride of the expansion conv.
      **kwargs: passed to mbv3_op.

    Returns:
      An op() for a conv_defs spec.
    """
    expansion_fn = functools.partial(slim.conv2d, kernel_size=k, stride=s)
    return mbv3_op(ef, n, k=1, s=s, depthwise_location=None,
                   expansion_fn=expansion_fn, **kwargs)


mbv3_op_se = functools.partial(mbv3_op, se=_se4)

DEFAULTS = {
    (ops.expanded_conv,): {'normalizer_fn': slim.batch_norm,
                           'residual': True},
    (slim.conv2d, slim.fully_connected, slim.separable_conv2d): {
        'normalizer_fn': slim.batch_norm, 'activation_fn': tf.nn.relu},
    (slim.batch_norm,): {'center': True, 'scale': True},
}

# DEFAULTS with group normalization (8 groups unless `groups` says
# otherwise) in place of batch norm: variables 'GroupNorm/beta' and 'gamma'.
DEFAULTS_GROUP_NORM = {
    (ops.expanded_conv,): {'normalizer_fn': slim.group_norm,
                           'residual': True},
    (slim.conv2d, slim.fully_connected, slim.separable_conv2d): {
        'normalizer_fn': slim.group_norm, 'activation_fn': tf.nn.relu},
    (slim.group_norm,): {'groups': 8},
}

V3_LARGE = dict(
    defaults=dict(DEFAULTS),
    spec=[
        op(slim.conv2d, stride=2, num_outputs=16, kernel_size=(3, 3),
           activation_fn=hard_swish),
        mbv3_op(ef=1, n=16, k=3),
        mbv3_op(ef=4, n=24, k=3, s=2),
        mbv3_op(ef=3, n=24, k=3, s=1),
        mbv3_op_se(ef=3, n=40, k=5, s=2),
        mbv3_op_se(ef=3, n=40, k=5, s=1),
        mbv3_op_se(ef=3, n=40, k=5, s=1),
        mbv3_op(ef=6, n=80, k=3, s=2, act=hard_swish),
        mbv3_op(ef=2.5, n=80, k=3, s=1, act=hard_swish),
        mbv3_op(ef=184 / 80., n=80, k=3, s=1, act=hard_swish),
        mbv3_op(ef=184 / 80., n=80, k=3, s=1, act=hard_swish),
        mbv3_op_se(ef=6, n=112, k=3, s=1, act=hard_swish),
        mbv3_op_se(ef=6, n=112, k=3, s=1, act=hard_swish),
        mbv3_op_se(ef=6, n=160, k=5, s=2, act=hard_swish),
        mbv3_op_se(ef=6, n=160, k=5, s=1, act=hard_swish),
        mbv3_op_se(ef=6, n=160, k=5, s=1, act=hard_swish),
        op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=960,
           activation_fn=hard_swish),
        op(reduce_to_1x1, default_size=7, stride=1, padding='VALID'),
        op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=1280,
           normalizer_fn=None, activation_fn=hard_swish)
    ])

V3_LARGE_MINIMALISTIC = dict(
    defaults=dict(DEFAULTS),
    spec=[
        op(slim.conv2d, stride=2, num_outputs=16, kernel_size=(3, 3)),
        mbv3_op(ef=1, n=16, k=3),
        mbv3_op(ef=4, n=24, k=3, s=2),
        mbv3_op(ef=3, n=24, k=3, s=1),
        mbv3_op(ef=3, n=40, k=3, s=2),
        mbv3_op(ef=3, n=40, k=3, s=1),
        mbv3_op(ef=3, n=40, k=3, s=1),
        mbv3_op(ef=6, n=80, k=3, s=2),
        mbv3_op(ef=2.5, n=80, k=3, s=1),
        mbv3_op(ef=184 / 80., n=80, k=3, s=1),
        mbv3_op(ef=184 / 80., n=80, k=3, s=1),
        mbv3_op(ef=6, n=112, k=3, s=1),
        mbv3_op(ef=6, n=112, k=3, s=1),
        mbv3_op(ef=6, n=160, k=3, s=2),
        mbv3_op(ef=6, n=160, k=3, s=1),
        mbv3_op(ef=6, n=160, k=3, s=1),
        op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=960),
        op(reduce_to_1x1, default_size=7, stride=1, padding='VALID'),
        op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=1280,
           normalizer_fn=None)
    ])

V3_SMALL = dict(
    defaults=dict(DEFAULTS),
    spec=[
        op(slim.conv2d, stride=2, num_outputs=16, kernel_size=(3, 3),
           activation_fn=hard_swish),
        mbv3_op_se(ef=1, n=16, k=3, s=2),
        mbv3_op(ef=72. / 16, n=24, k=3, s=2),
        mbv3_op(ef=88. / 24, n=24, k=3, s=1),
        mbv3_op_se(ef=4, n=40, k=5, s=2, act=hard_swish),
        mbv3_op_se(ef=6, n=40, k=5, s=1, act=hard_swish),
        mbv3_op_se(ef=6, n=40, k=5, s=1, act=hard_swish),
        mbv3_op_se(ef=3, n=48, k=5, s=1, act=hard_swish),
        mbv3_op_se(ef=3, n=48, k=5, s=1, act=hard_swish),
        mbv3_op_se(ef=6, n=96, k=5, s=2, act=hard_swish),
        mbv3_op_se(ef=6, n=96, k=5, s=1, act=hard_swish),
        mbv3_op_se(ef=6, n=96, k=5, s=1, act=hard_swish),
        op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=576,
           activation_fn=hard_swish),
        op(reduce_to_1x1, default_size=7, stride=1, padding='VALID'),
        op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=1024,
           normalizer_fn=None, activation_fn=hard_swish)
    ])

V3_SMALL_MINIMALISTIC = dict(
    defaults=dict(DEFAULTS),
    spec=[
        op(slim.conv2d, stride=2, num_outputs=16, kernel_size=(3, 3)),
        mbv3_op(ef=1, n=16, k=3, s=2),
        mbv3_op(ef=72. / 16, n=24, k=3, s=2),
        mbv3_op(ef=88. / 24, n=24, k=3, s=1),
        mbv3_op(ef=4, n=40, k=3, s=2),
        mbv3_op(ef=6, n=40, k=3, s=1),
        mbv3_op(ef=6, n=40, k=3, s=1),
        mbv3_op(ef=3, n=48, k=3, s=1),
        mbv3_op(ef=3, n=48, k=3, s=1),
        mbv3_op(ef=6, n=96, k=3, s=2),
        mbv3_op(ef=6, n=96, k=3, s=1),
        mbv3_op(ef=6, n=96, k=3, s=1),
        op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=576),
        op(reduce_to_1x1, default_size=7, stride=1, padding='VALID'),
        op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=1024,
           normalizer_fn=None)
    ])

# MobileNet EdgeTPU: fused blocks (mbv3_fused) in the first stages, plain
# ReLU, no squeeze-excite; the body ends in a 1x1 conv to 1280 channels and
# the classifier pools that.
V3_EDGETPU = dict(
    defaults=dict(DEFAULTS),
    spec=[
        op(slim.conv2d, stride=2, num_outputs=32, kernel_size=(3, 3)),
        mbv3_fused(k=3, s=1, ef=1, n=16),
        mbv3_fused(k=3, s=2, ef=8, n=32),
        mbv3_fused(k=3, s=1, ef=4, n=32),
        mbv3_fused(k=3, s=1, ef=4, n=32),
        mbv3_fused(k=3, s=1, ef=4, n=32),
        mbv3_fused(k=3, s=2, ef=8, n=48),
        mbv3_fused(k=3, s=1, ef=4, n=48),
        mbv3_fused(k=3, s=1, ef=4, n=48),
        mbv3_fused(k=3, s=1, ef=4, n=48),
        mbv3_op(k=3, s=2, ef=8, n=96),
        mbv3_op(k=3, s=1, ef=4, n=96),
        mbv3_op(k=3, s=1, ef=4, n=96),
        mbv3_op(k=3, s=1, ef=4, n=96),
        mbv3_op(k=3, s=1, ef=8, n=96, residual=False),
        mbv3_op(k=3, s=1, ef=4, n=96),
        mbv3_op(k=3, s=1, ef=4, n=96),
        mbv3_op(k=3, s=1, ef=4, n=96),
        mbv3_op(k=5, s=2, ef=8, n=160),
        mbv3_op(k=5, s=1, ef=4, n=160),
        mbv3_op(k=5, s=1, ef=4, n=160),
        mbv3_op(k=5, s=1, ef=4, n=160),
        mbv3_op(k=3, s=1, ef=8, n=192),
        op(slim.conv2d, stride=1, num_outputs=1280, kernel_size=(1, 1)),
    ])


@slim.add_arg_scope
def mobilenet(input_tensor, num_classes=1001, depth_multiplier=1.0,
              scope='MobilenetV3', conv_defs=None,
              finegrain_classification_mode=False, use_groupnorm=False,
              **kwargs):
    """MobileNet v3 classifier.

    Inference mode is created by default; build under training_scope() (or
    pass is_training=True) to train.

    Args:
      input_tensor: a tensor of shape [batch_size, height, width, channels].
      num_classes: number of classes; 0 or None returns pooled features.
      depth_multiplier: scales the number of channels of every layer.
      scope: variable scope.
      conv_defs: network description; defaults to V3_LARGE.
      finegrain_classification_mode: keep the last layer at full depth
        whatever the depth_multiplier.
      use_groupnorm: normalize with group norm instead of batch norm (see
        DEFAULTS_GROUP_NORM); a `groups` keyword sets the number of groups.
      **kwargs: passed to mobilenet.mobilenet (is_training, prediction_fn,
        reuse, base_only, final_endpoint, output_stride, ...).

    Returns:
      (logits, end_points).

    Raises:
      ValueError: if kwargs has 'multiplier' (use depth_multiplier).
    """
    if conv_defs is None:
        conv_defs = V3_LARGE
    if 'multiplier' in kwargs:
        raise ValueError('mobilenet_v3 takes depth_multiplier, not '
                         'multiplier.')
    if use_groupnorm:
        conv_defs = copy.deepcopy(conv_defs)
        conv_defs['defaults'] = dict(DEFAULTS_GROUP_NORM)
        conv_defs['defaults'][(slim.group_norm,)] = {
            'groups': kwargs.pop('groups', 8)}
    if finegrain_classification_mode:
        conv_defs = copy.deepcopy(conv_defs)
        conv_defs['spec'][-1] = conv_defs['spec'][-1]._replace(
            multiplier_func=lambda params, multiplier: None)
    return lib.mobilenet(input_tensor, num_classes=num_classes,
                         conv_defs=conv_defs, scope=scope,
                         multiplier=depth_multiplier, **kwargs)


mobilenet.default_image_size = 224
training_scope = lib.training_scope


@slim.add_arg_scope
def mobilenet_base(input_tensor, depth_multiplier=1.0, **kwargs):
    """The MobileNet v3 body only: no pooling and no logits."""
    return mobilenet(input_tensor, depth_multiplier=depth_multiplier,
                     base_only=True, **kwargs)


def wrapped_partial(func, *args, **kwargs):
    """functools.partial that keeps func's name, docstring and attributes."""
    partial_func = functools.partial(func, *args, **kwargs)
    functools.update_wrapper(partial_func, func)
    return partial_func


large = wrapped_partial(mobilenet, conv_defs=V3_LARGE)
small = wrapped_partial(mobilenet, conv_defs=V3_SMALL)
# Without squeeze-excite, hard-swish or 5x5 depthwise kernels, for hardware
# that handles those poorly.
large_minimalistic = wrapped_partial(mobilenet,
                                     conv_defs=V3_LARGE_MINIMALISTIC)
small_minimalistic = wrapped_partial(mobilenet,
                                     conv_defs=V3_SMALL_MINIMALISTIC)
# The published EdgeTPU checkpoints use the scope 'MobilenetEdgeTPU'; the
# 0.75 one keeps the last layer at 1280 channels.
edge_tpu = wrapped_partial(mobilenet, scope='MobilenetEdgeTPU',
                           conv_defs=V3_EDGETPU)
edge_tpu_075 = wrapped_partial(mobilenet, scope='MobilenetEdgeTPU',
                               conv_defs=V3_EDGETPU, depth_multiplier=0.75,
                               finegrain_classification_mode=True)

__all__ = [
    'training_scope', 'mobilenet', 'mobilenet_base', 'V3_LARGE', 'V3_SMALL',
    'V3_LARGE_MINIMALISTIC', 'V3_SMALL_MINIMALISTIC', 'V3_EDGETPU', 'large',
    'small', 'large_minimalistic', 'small_minimalistic', 'edge_tpu',
    'edge_tpu_075'
]
