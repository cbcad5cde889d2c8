"""MobileNet v2 (Sandler et al. 2018, https://arxiv.org/abs/1801.04381).

A 3x3 convolution, 17 inverted residual blocks with linear bottlenecks and a
1x1 convolution to 1280 channels, all with batch norm and ReLU6. Variables
live under 'MobilenetV2/' with the names of research/slim's
nets/mobilenet/mobilenet_v2.py, so the published checkpoints restore into
`mobilenet` (1.0), `mobilenet_v2_140` (1.4) and `mobilenet_v2_035` (0.35).
"""

import copy
import functools

import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets.mobilenet import conv_blocks as ops
from nets.mobilenet import mobilenet as lib

op = lib.op
expand_input = ops.expand_input_by_factor

_CONV_OPS = (slim.conv2d, slim.fully_connected, slim.separable_conv2d)

# Layer i of 'spec' is end point 'layer_<i+1>'; its variables are under
# 'Conv', 'expanded_conv', 'expanded_conv_1' ... 'expanded_conv_16', 'Conv_1'.
V2_DEF = dict(
    defaults={
        # Batch norm with both scale and offset: this shapes the checkpoint,
        # so it lives here and not in training_scope.
        (slim.batch_norm,): {'center': True, 'scale': True},
        _CONV_OPS: {'normalizer_fn': slim.batch_norm,
                    'activation_fn': tf.nn.relu6},
        (ops.expanded_conv,): {'expansion_size': expand_input(6),
                               'split_expansion': 1,
                               'normalizer_fn': slim.batch_norm,
                               'residual': True},
        (slim.conv2d, slim.separable_conv2d): {'padding': 'SAME'},
    },
    spec=[
        op(slim.conv2d, stride=2, num_outputs=32, kernel_size=[3, 3]),
        op(ops.expanded_conv, expansion_size=expand_input(1, divisible_by=1),
           num_outputs=16),
        op(ops.expanded_conv, stride=2, num_outputs=24),
        op(ops.expanded_conv, stride=1, num_outputs=24),
        op(ops.expanded_conv, stride=2, num_outputs=32),
        op(ops.expanded_conv, stride=1, num_outputs=32),
        op(ops.expanded_conv, stride=1, num_outputs=32),
        op(ops.expanded_conv, stride=2, num_outputs=64),
        op(ops.expanded_conv, stride=1, num_outputs=64),
        op(ops.expanded_conv, stride=1, num_outputs=64),
        op(ops.expanded_conv, stride=1, num_outputs=64),
        op(ops.expanded_conv, stride=1, num_outputs=96),
        op(ops.expanded_conv, stride=1, num_outputs=96),
        op(ops.expanded_conv, stride=1, num_outputs=96),
        op(ops.expanded_conv, stride=2, num_outputs=160),
        op(ops.expanded_conv, stride=1, num_outputs=160),
        op(ops.expanded_conv, stride=1, num_outputs=160),
        op(ops.expanded_conv, stride=1, num_outputs=320),
        op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=1280)
    ],
)

# V2_DEF with group normalization in place of batch norm (variables
# 'GroupNorm/beta' and 'gamma'); mobilenet_base_group_norm sets the groups.
V2_DEF_GROUP_NORM = copy.deepcopy(V2_DEF)
V2_DEF_GROUP_NORM['defaults'] = {
    _CONV_OPS: {'normalizer_fn': slim.group_norm,
                'activation_fn': tf.nn.relu6},
    (ops.expanded_conv,): {'expansion_size': expand_input(6),
                           'split_expansion': 1,
                           'normalizer_fn': slim.group_norm,
                           'residual': True},
    (slim.conv2d, slim.separable_conv2d): {'padding': 'SAME'},
}


@slim.add_arg_scope
def mobilenet(input_tensor, num_classes=1001, depth_multiplier=1.0,
              scope='MobilenetV2', conv_defs=None,
              finegrain_classification_mode=False, min_depth=None,
              divisible_by=None, activation_fn=None, **kwargs):
    """MobileNet v2 classifier; inference mode unless under training_scope().

    Args:
      input_tensor: a tensor of shape [batch_size, height, width, channels].
      num_classes: number of classes; 0 or None returns pooled features.
      depth_multiplier: scales the number of channels of every layer.
      scope: variable scope.
      conv_defs: network description; defaults to V2_DEF.
      finegrain_classification_mode: with depth_multiplier < 1, keep the last
        layer at its full depth (1280), which helps ImageNet-like tasks.
      min_depth: if set, the least number of channels of any layer.
      divisible_by: if set, every layer's depth is a multiple of this.
      activation_fn: if set, replaces ReLU6 in every convolution.
      **kwargs: passed to mobilenet.mobilenet (is_training, prediction_fn,
        reuse, base_only, final_endpoint, output_stride, ...).

    Returns:
      (logits, end_points).

    Raises:
      ValueError: if kwargs has 'multiplier' (use depth_multiplier).
    """
    if conv_defs is None:
        conv_defs = V2_DEF
    if 'multiplier' in kwargs:
        raise ValueError('mobilenet_v2 takes depth_multiplier, not '
                         'multiplier.')
    if finegrain_classification_mode and depth_multiplier < 1:
        conv_defs = copy.deepcopy(conv_defs)
        conv_defs['spec'][-1] = conv_defs['spec'][-1]._replace(
            multiplier_func=lambda params, multiplier: None)
    if activation_fn:
        conv_defs = copy.deepcopy(conv_defs)
        conv_defs['defaults'][_CONV_OPS]['activation_fn'] = activation_fn

    # Only pass what was given, so an outer arg_scope on depth_multiplier
    # keeps its effect.
    depth_args = {}
    if min_depth is not None:
        depth_args['min_depth'] = min_depth
    if divisible_by is not None:
        depth_args['divisible_by'] = divisible_by
    with slim.arg_scope([lib.depth_multiplier], **depth_args):
        return lib.mobilenet(input_tensor, num_classes=num_classes,
                             conv_defs=conv_defs, scope=scope,
                             multiplier=depth_multiplier, **kwargs)


mobilenet.default_image_size = 224


def wrapped_partial(func, *args, **kwargs):
    """functools.partial that keeps func's name, docstring and attributes."""
    partial_func = functools.partial(func, *args, **kwargs)
    functools.update_wrapper(partial_func, func)
    return partial_func


# Below 1.0 the published checkpoints keep the last layer at 1280 channels.
mobilenet_v2_140 = wrapped_partial(mobilenet, depth_multiplier=1.4)
mobilenet_v2_050 = wrapped_partial(mobilenet, depth_multiplier=0.50,
                                   finegrain_classification_mode=True)
mobilenet_v2_035 = wrapped_partial(mobilenet, depth_multiplier=0.35,
                                   finegrain_classification_mode=True)


@slim.add_arg_scope
def mobilenet_base(input_tensor, depth_multiplier=1.0, **kwargs):
    """The MobileNet v2 body only: no pooling and no logits."""
    return mobilenet(input_tensor, depth_multiplier=depth_multiplier,
                     base_only=True, **kwargs)


@slim.add_arg_scope
def mobilenet_base_group_norm(input_tensor, depth_multiplier=1.0, **kwargs):
    """The MobileNet v2 body with group norm instead of batch norm.

    A `groups` keyword sets the number of groups (8 by default); the other
    kwargs go to `mobilenet`.
    """
    conv_defs = copy.deepcopy(V2_DEF_GROUP_NORM)
    conv_defs['defaults'][(slim.group_norm,)] = {
        'groups': kwargs.pop('groups', 8)}
    kwargs['conv_defs'] = conv_defs
    return mobilenet(input_tensor, depth_multiplier=depth_multiplier,
                     base_only=True, **kwargs)


def training_scope(**kwargs):
    """The MobileNet v2 training arg_scope.

    kwargs go to mobilenet.training_scope: is_training, weight_decay, stddev,
    dropout_keep_prob, bn_decay.
    """
    return lib.training_scope(**kwargs)


__all__ = ['training_scope', 'mobilenet_base', 'mobilenet_base_group_norm',
           'mobilenet', 'V2_DEF', 'V2_DEF_GROUP_NORM']
