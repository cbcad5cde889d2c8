"""A factory that builds the zoo's networks by name.

`get_network_fn(name, num_classes)` returns a function that builds the
network `name` on a batch of images inside its arg_scope, so training and
evaluation scripts can pick a network with a flag.

Each network is registered under the same name in `networks_map` (its
builder) and `arg_scopes_map` (its arg_scope function, which must accept
`weight_decay`). A new network is added with one entry in each map.
"""

import functools

import tf_slim as slim

from nets import (
    alexnet,
    cifarnet,
    i3d,
    inception,
    inception_resnet_v2,
    inception_v4,
    lenet,
    mobilenet_v1,
    overfeat,
    resnet_v1,
    resnet_v2,
    s3dg,
    vgg,
)
from nets.mobilenet import mobilenet_v2, mobilenet_v3
from nets.nasnet import nasnet, pnasnet

# The networks that take video clips [batch, frames, height, width, 3], and
# the clip length of research/slim's video models.
VIDEO_NETWORKS = ('i3d', 's3dg')
DEFAULT_CLIP_FRAMES = 64

networks_map = {
    'alexnet_v2': alexnet.alexnet_v2,
    'cifarnet': cifarnet.cifarnet,
    'overfeat': overfeat.overfeat,
    'vgg_a': vgg.vgg_a,
    'vgg_16': vgg.vgg_16,
    'vgg_19': vgg.vgg_19,
    'inception_v1': inception.inception_v1,
    'inception_v2': inception.inception_v2,
    'inception_v3': inception.inception_v3,
    'inception_v4': inception_v4.inception_v4,
    'inception_resnet_v2': inception_resnet_v2.inception_resnet_v2,
    'i3d': i3d.i3d,
    's3dg': s3dg.s3dg,
    'lenet': lenet.lenet,
    'resnet_v1_50': resnet_v1.resnet_v1_50,
    'resnet_v1_101': resnet_v1.resnet_v1_101,
    'resnet_v1_152': resnet_v1.resnet_v1_152,
    'resnet_v1_200': resnet_v1.resnet_v1_200,
    'resnet_v2_50': resnet_v2.resnet_v2_50,
    'resnet_v2_101': resnet_v2.resnet_v2_101,
    'resnet_v2_152': resnet_v2.resnet_v2_152,
    'resnet_v2_200': resnet_v2.resnet_v2_200,
    'mobilenet_v1': mobilenet_v1.mobilenet_v1,
    'mobilenet_v1_075': mobilenet_v1.mobilenet_v1_075,
    'mobilenet_v1_050': mobilenet_v1.mobilenet_v1_050,
    'mobilenet_v1_025': mobilenet_v1.mobilenet_v1_025,
    'mobilenet_v2': mobilenet_v2.mobilenet,
    'mobilenet_v2_140': mobilenet_v2.mobilenet_v2_140,
    'mobilenet_v2_035': mobilenet_v2.mobilenet_v2_035,
    'mobilenet_v3_small': mobilenet_v3.small,
    'mobilenet_v3_large': mobilenet_v3.large,
    'mobilenet_v3_small_minimalistic': mobilenet_v3.small_minimalistic,
    'mobilenet_v3_large_minimalistic': mobilenet_v3.large_minimalistic,
    'mobilenet_edgetpu': mobilenet_v3.edge_tpu,
    'mobilenet_edgetpu_075': mobilenet_v3.edge_tpu_075,
    'nasnet_cifar': nasnet.build_nasnet_cifar,
    'nasnet_mobile': nasnet.build_nasnet_mobile,
    'nasnet_large': nasnet.build_nasnet_large,
    'pnasnet_mobile': pnasnet.build_pnasnet_mobile,
    'pnasnet_large': pnasnet.build_pnasnet_large,
}

arg_scopes_map = {
    'alexnet_v2': alexnet.alexnet_v2_arg_scope,
    'cifarnet': cifarnet.cifarnet_arg_scope,
    'overfeat': overfeat.overfeat_arg_scope,
    'vgg_a': vgg.vgg_arg_scope,
    'vgg_16': vgg.vgg_arg_scope,
    'vgg_19': vgg.vgg_arg_scope,
    'inception_v1': inception.inception_v1_arg_scope,
    'inception_v2': inception.inception_v2_arg_scope,
    'inception_v3': inception.inception_v3_arg_scope,
    'inception_v4': inception_v4.inception_v4_arg_scope,
    'inception_resnet_v2': inception_resnet_v2.inception_resnet_v2_arg_scope,
    'i3d': i3d.i3d_arg_scope,
    's3dg': s3dg.s3dg_arg_scope,
    'lenet': lenet.lenet_arg_scope,
    'resnet_v1_50': resnet_v1.resnet_arg_scope,
    'resnet_v1_101': resnet_v1.resnet_arg_scope,
    'resnet_v1_152': resnet_v1.resnet_arg_scope,
    'resnet_v1_200': resnet_v1.resnet_arg_scope,
    'resnet_v2_50': resnet_v2.resnet_arg_scope,
    'resnet_v2_101': resnet_v2.resnet_arg_scope,
    'resnet_v2_152': resnet_v2.resnet_arg_scope,
    'resnet_v2_200': resnet_v2.resnet_arg_scope,
    'mobilenet_v1': mobilenet_v1.mobilenet_v1_arg_scope,
    'mobilenet_v1_075': mobilenet_v1.mobilenet_v1_arg_scope,
    'mobilenet_v1_050': mobilenet_v1.mobilenet_v1_arg_scope,
    'mobilenet_v1_025': mobilenet_v1.mobilenet_v1_arg_scope,
    'mobilenet_v2': mobilenet_v2.training_scope,
    'mobilenet_v2_140': mobilenet_v2.training_scope,
    'mobilenet_v2_035': mobilenet_v2.training_scope,
    'mobilenet_v3_small': mobilenet_v3.training_scope,
    'mobilenet_v3_large': mobilenet_v3.training_scope,
    'mobilenet_v3_small_minimalistic': mobilenet_v3.training_scope,
    'mobilenet_v3_large_minimalistic': mobilenet_v3.training_scope,
    'mobilenet_edgetpu': mobilenet_v3.training_scope,
    'mobilenet_edgetpu_075': mobilenet_v3.training_scope,
    'nasnet_cifar': nasnet.nasnet_cifar_arg_scope,
    'nasnet_mobile': nasnet.nasnet_mobile_arg_scope,
    'nasnet_large': nasnet.nasnet_large_arg_scope,
    'pnasnet_mobile': pnasnet.pnasnet_mobile_arg_scope,
    'pnasnet_large': pnasnet.pnasnet_large_arg_scope,
}


def get_network_fn(name, num_classes, weight_decay=0.0, is_training=False):
    """Returns a function such that `net, end_points = network_fn(images)`.

    Args:
      name: the network's name, a key of `networks_map`.
      num_classes: the number of classes. If 0 or None, the logits layer is
        omitted and its input features are returned instead.
      weight_decay: the L2 coefficient for the model weights.
      is_training: whether the model is built for training.

    Returns:
      network_fn: a function that builds the model on `images`, a `Tensor`
        of shape [batch_size, height, width, 3 or 1] (for the video networks
        `i3d` and `s3dg`, clips [batch_size, frames, height, width, 3]) where
        height = width = `network_fn.default_image_size` (other sizes work
        where the network allows them). Further keyword arguments go to the
        network's builder.
        It returns `(net, end_points)`: `end_points` is a dict of
        intermediate activations; `net` is the logits, [batch_size,
        num_classes], if `num_classes` is a non-zero integer, and otherwise
        the input of the logits layer, [batch_size, 1, 1, num_features] or
        [batch_size, num_features], without the dropout the classifier
        might apply to it.

    Raises:
      ValueError: if network `name` is not recognized.
    """
    if name not in networks_map:
        raise ValueError('Name of network unknown %s; valid names are: %s' %
                         (name, ', '.join(sorted(networks_map))))
    func = networks_map[name]

    @functools.wraps(func)
    def network_fn(images, **kwargs):
        arg_scope = arg_scopes_map[name](weight_decay=weight_decay)
        with slim.arg_scope(arg_scope):
            return func(images, num_classes=num_classes,
                        is_training=is_training, **kwargs)

    if hasattr(func, 'default_image_size'):
        network_fn.default_image_size = func.default_image_size
    return network_fn
