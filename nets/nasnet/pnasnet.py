"""PNASNet-5 (Liu et al. 2018, https://arxiv.org/abs/1712.00559).

NASNet's layout (nets.nasnet.nasnet) with one cell found by progressive
search: the stem's two cells and every cell after it are that cell, and the
two reductions are the same cell with stride 2 ('cell_<n>' throughout, no
'reduction_cell_<n>'). An auxiliary classifier is built in training only.
Variables, scopes and end points are those of research/slim's
nets/nasnet/pnasnet.py, so the published PNASNet-5 Mobile (224x224) and
Large (331x331) checkpoints restore.
"""

import copy

import tensorflow.compat.v1 as tf

from nets.nasnet import nasnet, nasnet_utils


def large_imagenet_config():
    """PNASNet-5 Large: 12 cells of 216 filters at the first stack."""
    return nasnet.NasNetConfig(
        stem_multiplier=3.0, dense_dropout_keep_prob=0.5, num_cells=12,
        filter_scaling_rate=2.0, num_conv_filters=216,
        drop_path_keep_prob=0.6, use_aux_head=1, num_reduction_layers=2,
        data_format='NHWC', skip_reduction_layer_input=1,
        total_training_steps=250000, use_bounded_activation=False)


def mobile_imagenet_config():
    """PNASNet-5 Mobile: 9 cells of 54 filters at the first stack."""
    return nasnet.NasNetConfig(
        stem_multiplier=1.0, dense_dropout_keep_prob=0.5, num_cells=9,
        filter_scaling_rate=2.0, num_conv_filters=54,
        drop_path_keep_prob=1.0, use_aux_head=1, num_reduction_layers=2,
        data_format='NHWC', skip_reduction_layer_input=1,
        total_training_steps=250000, use_bounded_activation=False)


def pnasnet_large_arg_scope(weight_decay=4e-5, batch_norm_decay=0.9997,
                            batch_norm_epsilon=0.001):
    """The arg_scope PNASNet-5 Large was trained with (NASNet's, with its
    own weight decay)."""
    return nasnet.nasnet_large_arg_scope(weight_decay, batch_norm_decay,
                                         batch_norm_epsilon)


def pnasnet_mobile_arg_scope(weight_decay=4e-5, batch_norm_decay=0.9997,
                             batch_norm_epsilon=0.001):
    """The arg_scope PNASNet-5 Mobile was trained with."""
    return nasnet.nasnet_mobile_arg_scope(weight_decay, batch_norm_decay,
                                          batch_norm_epsilon)


def _build_pnasnet_base(images, normal_cell, num_classes, hparams,
                        is_training, final_endpoint=None):
    """The stem, the cells (strided where NASNet has reductions), and the
    classifier."""
    end_points = {}
    add_and_check_endpoint = nasnet.end_point_recorder(end_points,
                                                       final_endpoint)
    reduction_indices = nasnet_utils.calc_reduction_layers(
        hparams.num_cells, hparams.num_reduction_layers)
    net, cell_outputs = nasnet.imagenet_stem(images, hparams, normal_cell)
    if add_and_check_endpoint('Stem', net):
        return net, end_points

    aux_cells = nasnet.aux_head_cells(hparams)
    filter_scaling = 1.0
    true_cell_num = 2  # after the stem's two cells, for drop path
    activation_fn = (tf.nn.relu6 if hparams.use_bounded_activation
                     else tf.nn.relu)
    for cell_num in range(hparams.num_cells):
        is_reduction = cell_num in reduction_indices
        if is_reduction:
            filter_scaling *= hparams.filter_scaling_rate
        if hparams.skip_reduction_layer_input or not is_reduction:
            prev_layer = cell_outputs[-2]
        net = normal_cell(net, scope='cell_{}'.format(cell_num),
                          filter_scaling=filter_scaling,
                          stride=2 if is_reduction else 1,
                          prev_layer=prev_layer, cell_num=true_cell_num)
        if add_and_check_endpoint('Cell_{}'.format(cell_num), net):
            return net, end_points
        true_cell_num += 1
        cell_outputs.append(net)
        if (hparams.use_aux_head and cell_num in aux_cells and num_classes
                and is_training):
            nasnet.build_aux_head(activation_fn(net), end_points,
                                  num_classes, hparams,
                                  scope='aux_{}'.format(cell_num))

    return nasnet.build_classifier(net, end_points, num_classes, hparams,
                                   add_and_check_endpoint)


def _build_pnasnet(images, num_classes, is_training, final_endpoint,
                   hparams):
    nasnet.update_hparams(hparams, is_training)
    normal_cell = PNasNetNormalCell(
        hparams.num_conv_filters, hparams.drop_path_keep_prob,
        hparams.num_cells + 2, hparams.total_training_steps,
        hparams.use_bounded_activation)
    return nasnet.build_network(
        images,
        lambda inputs: _build_pnasnet_base(
            inputs, normal_cell=normal_cell, num_classes=num_classes,
            hparams=hparams, is_training=is_training,
            final_endpoint=final_endpoint),
        hparams, is_training)


def build_pnasnet_large(images, num_classes, is_training=True,
                        final_endpoint=None, config=None):
    """PNASNet-5 Large for ImageNet (331x331 images).

    Args:
      images: [batch, height, width, 3] float images.
      num_classes: number of classes; 0 or None returns the pooled features.
      is_training: training mode (batch norm, dropout, drop path, aux head).
      final_endpoint: stop after this end point ('Stem', 'Cell_<n>',
        'global_pool', ...).
      config: a nasnet.NasNetConfig; large_imagenet_config() by default.

    Returns:
      (logits, end_points).
    """
    hparams = copy.deepcopy(config) if config else large_imagenet_config()
    return _build_pnasnet(images, num_classes, is_training, final_endpoint,
                          hparams)


build_pnasnet_large.default_image_size = 331


def build_pnasnet_mobile(images, num_classes, is_training=True,
                         final_endpoint=None, config=None):
    """PNASNet-5 Mobile for ImageNet (224x224 images); see
    build_pnasnet_large for the arguments (config defaults to
    mobile_imagenet_config())."""
    hparams = copy.deepcopy(config) if config else mobile_imagenet_config()
    return _build_pnasnet(images, num_classes, is_training, final_endpoint,
                          hparams)


build_pnasnet_mobile.default_image_size = 224


class PNasNetNormalCell(nasnet_utils.NasNetABaseCell):
    """The PNASNet-5 cell (normal, or reduction when called with stride 2)."""

    def __init__(self, num_conv_filters, drop_path_keep_prob, total_num_cells,
                 total_training_steps, use_bounded_activation=False):
        operations = ['separable_5x5_2', 'max_pool_3x3',
                      'separable_7x7_2', 'max_pool_3x3',
                      'separable_5x5_2', 'separable_3x3_2',
                      'separable_3x3_2', 'max_pool_3x3',
                      'separable_3x3_2', 'none']
        used_hiddenstates = [1, 1, 0, 0, 0, 0, 0]
        hiddenstate_indices = [1, 1, 0, 0, 0, 0, 4, 0, 1, 0]
        super(PNasNetNormalCell, self).__init__(
            num_conv_filters, operations, used_hiddenstates,
            hiddenstate_indices, drop_path_keep_prob, total_num_cells,
            total_training_steps, use_bounded_activation)
