"""NASNet-A (Zoph et al. 2018, https://arxiv.org/abs/1707.07012).

A stem, then num_cells normal cells in three stacks separated by two
reduction cells, global average pooling and a fully connected layer
('final_layer/FC'). An auxiliary classifier ('aux_<n>') after the cell
before the second reduction is built in training only. Variables, scopes
and end points are those of research/slim's nets/nasnet/nasnet.py, so the
published NASNet-A Mobile (224x224) and Large (331x331) checkpoints restore
into `build_nasnet_mobile` and `build_nasnet_large`; `build_nasnet_cifar`
is the 32x32 CIFAR-10 network.

The hyper-parameters are a `NasNetConfig` (research/slim used the HParams
of tensorflow.contrib, which no longer exists); `cifar_config()`,
`mobile_imagenet_config()` and `large_imagenet_config()` return those of
the published networks.
"""

import copy
import dataclasses

import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets.nasnet import nasnet_utils

arg_scope = slim.arg_scope


@dataclasses.dataclass
class NasNetConfig:
    """Hyper-parameters of a NASNet or PNASNet network.

    Attributes:
      stem_multiplier: scales the stem's filters.
      dense_dropout_keep_prob: dropout keep probability before the logits.
      num_cells: number of normal cells.
      filter_scaling_rate: each reduction multiplies the filters by this.
      num_conv_filters: filters of a convolution in the first stack.
      drop_path_keep_prob: drop path keep probability (training only).
      use_aux_head: 1 to build the auxiliary classifier in training.
      num_reduction_layers: number of reduction cells between the stacks.
      data_format: 'NHWC' or 'NCHW' (the input is NHWC either way).
      skip_reduction_layer_input: 1 if the cell after a reduction cell reads
        the cell before that reduction instead of the reduction's input.
      total_training_steps: steps over which drop path ramps up.
      use_bounded_activation: ReLU6 and clipping, for quantized inference.
    """
    stem_multiplier: float
    dense_dropout_keep_prob: float
    num_cells: int
    filter_scaling_rate: float
    num_conv_filters: int
    drop_path_keep_prob: float
    use_aux_head: int
    num_reduction_layers: int
    data_format: str
    skip_reduction_layer_input: int
    total_training_steps: int
    use_bounded_activation: bool = False

    def set_hparam(self, name, value):
        """Sets hyper-parameter `name` (HParams' method of that name).

        Raises:
          ValueError: if there is no hyper-parameter `name`.
        """
        if name not in {field.name for field in dataclasses.fields(self)}:
            raise ValueError('Unknown hyper-parameter %r' % name)
        setattr(self, name, value)


def cifar_config():
    """NASNet-A 6@768 for CIFAR-10."""
    return NasNetConfig(
        stem_multiplier=3.0, drop_path_keep_prob=0.6, num_cells=18,
        use_aux_head=1, num_conv_filters=32, dense_dropout_keep_prob=1.0,
        filter_scaling_rate=2.0, num_reduction_layers=2, data_format='NHWC',
        skip_reduction_layer_input=0, total_training_steps=937500,
        use_bounded_activation=False)


def large_imagenet_config():
    """NASNet-A 6@4032, the published large ImageNet network."""
    return NasNetConfig(
        stem_multiplier=3.0, dense_dropout_keep_prob=0.5, num_cells=18,
        filter_scaling_rate=2.0, num_conv_filters=168,
        drop_path_keep_prob=0.7, use_aux_head=1, num_reduction_layers=2,
        data_format='NHWC', skip_reduction_layer_input=1,
        total_training_steps=250000, use_bounded_activation=False)


def mobile_imagenet_config():
    """NASNet-A 4@1056, the published mobile ImageNet network."""
    return NasNetConfig(
        stem_multiplier=1.0, dense_dropout_keep_prob=0.5, num_cells=12,
        filter_scaling_rate=2.0, drop_path_keep_prob=1.0,
        num_conv_filters=44, use_aux_head=1, num_reduction_layers=2,
        data_format='NHWC', skip_reduction_layer_input=0,
        total_training_steps=250000, use_bounded_activation=False)


def update_hparams(hparams, is_training):
    """Drop path is for training only."""
    if not is_training:
        hparams.set_hparam('drop_path_keep_prob', 1.0)


def nasnet_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon):
    """Convs without biases or activation (the cells apply those), fan-out
    variance scaling, L2 decay, batch norm with scale."""
    batch_norm_params = {'decay': batch_norm_decay,
                         'epsilon': batch_norm_epsilon,
                         'scale': True, 'fused': True}
    with arg_scope([slim.fully_connected, slim.conv2d, slim.separable_conv2d],
                   weights_regularizer=slim.l2_regularizer(weight_decay),
                   weights_initializer=slim.variance_scaling_initializer(
                       mode='FAN_OUT')), \
            arg_scope([slim.fully_connected], activation_fn=None,
                      scope='FC'), \
            arg_scope([slim.conv2d, slim.separable_conv2d],
                      activation_fn=None, biases_initializer=None), \
            arg_scope([slim.batch_norm], **batch_norm_params) as scope:
        return scope


def nasnet_cifar_arg_scope(weight_decay=5e-4, batch_norm_decay=0.9,
                           batch_norm_epsilon=1e-5):
    """The arg_scope NASNet-A CIFAR was trained with.

    Args:
      weight_decay: L2 strength of the weights.
      batch_norm_decay: decay of the batch norm moving averages.
      batch_norm_epsilon: added to the variance in batch norm.

    Returns:
      An arg_scope.
    """
    return nasnet_arg_scope(weight_decay, batch_norm_decay,
                             batch_norm_epsilon)


def nasnet_mobile_arg_scope(weight_decay=4e-5, batch_norm_decay=0.9997,
                            batch_norm_epsilon=1e-3):
    """The arg_scope NASNet-A Mobile was trained with (see
    nasnet_cifar_arg_scope for the arguments)."""
    return nasnet_arg_scope(weight_decay, batch_norm_decay,
                             batch_norm_epsilon)


def nasnet_large_arg_scope(weight_decay=5e-5, batch_norm_decay=0.9997,
                           batch_norm_epsilon=1e-3):
    """The arg_scope NASNet-A Large was trained with (see
    nasnet_cifar_arg_scope for the arguments)."""
    return nasnet_arg_scope(weight_decay, batch_norm_decay,
                             batch_norm_epsilon)


def build_aux_head(net, end_points, num_classes, hparams, scope):
    """The auxiliary classifier: 5x5/3 pooling, 1x1 conv to 128, a conv to
    768 over the whole map, logits; end point 'AuxLogits'."""
    activation_fn = (tf.nn.relu6 if hparams.use_bounded_activation
                     else tf.nn.relu)
    with tf.variable_scope(scope):
        aux_logits = tf.identity(net)
        with tf.variable_scope('aux_logits'):
            aux_logits = slim.avg_pool2d(aux_logits, [5, 5], stride=3,
                                         padding='VALID')
            aux_logits = slim.conv2d(aux_logits, 128, [1, 1], scope='proj')
            aux_logits = slim.batch_norm(aux_logits, scope='aux_bn0')
            aux_logits = activation_fn(aux_logits)
            if hparams.data_format == 'NHWC':
                kernel = aux_logits.shape[1:3]
            else:
                kernel = aux_logits.shape[2:4]
            aux_logits = slim.conv2d(aux_logits, 768, kernel,
                                     padding='VALID')
            aux_logits = slim.batch_norm(aux_logits, scope='aux_bn1')
            aux_logits = activation_fn(aux_logits)
            aux_logits = slim.flatten(aux_logits)
            end_points['AuxLogits'] = slim.fully_connected(aux_logits,
                                                           num_classes)


def imagenet_stem(inputs, hparams, stem_cell, current_step=None):
    """A strided 3x3 conv ('conv0') and two stride-2 cells
    ('cell_stem_0', 'cell_stem_1') at a quarter and half of the filters.

    Returns:
      (net, cell_outputs): the stem's output and [None, conv0, cell_stem_0,
      cell_stem_1], the inputs the following cells read.
    """
    num_stem_cells = 2
    net = slim.conv2d(inputs, int(32 * hparams.stem_multiplier), [3, 3],
                      stride=2, scope='conv0', padding='VALID')
    net = slim.batch_norm(net, scope='conv0_bn')
    cell_outputs = [None, net]
    filter_scaling = 1.0 / (hparams.filter_scaling_rate ** num_stem_cells)
    for cell_num in range(num_stem_cells):
        net = stem_cell(net, scope='cell_stem_{}'.format(cell_num),
                        filter_scaling=filter_scaling, stride=2,
                        prev_layer=cell_outputs[-2], cell_num=cell_num,
                        current_step=current_step)
        cell_outputs.append(net)
        filter_scaling *= hparams.filter_scaling_rate
    return net, cell_outputs


def _cifar_stem(inputs, hparams):
    """A 3x3 conv ('l1_stem_3x3') and batch norm."""
    net = slim.conv2d(
        inputs, int(hparams.num_conv_filters * hparams.stem_multiplier), 3,
        scope='l1_stem_3x3')
    net = slim.batch_norm(net, scope='l1_stem_bn')
    return net, [None, net]


def build_network(images, build_base, hparams, is_training):
    """Runs build_base(images) under the mode and data_format arg_scopes
    every NASNet/PNASNet builder uses, transposing images for NCHW."""
    if hparams.data_format == 'NCHW':
        images = tf.transpose(images, perm=[0, 3, 1, 2])
    with arg_scope([slim.dropout, nasnet_utils.drop_path, slim.batch_norm],
                   is_training=is_training), \
            arg_scope([slim.avg_pool2d, slim.max_pool2d, slim.conv2d,
                       slim.batch_norm, slim.separable_conv2d,
                       nasnet_utils.factorized_reduction,
                       nasnet_utils.global_avg_pool,
                       nasnet_utils.get_channel_index,
                       nasnet_utils.get_channel_dim],
                      data_format=hparams.data_format):
        return build_base(images)


def _nasnet_cells(hparams, total_num_cells):
    """The normal and reduction cells of a NASNet-A network."""
    cell_args = (hparams.num_conv_filters, hparams.drop_path_keep_prob,
                 total_num_cells, hparams.total_training_steps,
                 hparams.use_bounded_activation)
    return (nasnet_utils.NasNetANormalCell(*cell_args),
            nasnet_utils.NasNetAReductionCell(*cell_args))


def build_nasnet_cifar(images, num_classes, is_training=True, config=None,
                       current_step=None):
    """NASNet-A for CIFAR-10 (32x32 images).

    Args:
      images: [batch, height, width, 3] float images.
      num_classes: number of classes; 0 or None returns the pooled features.
      is_training: training mode (batch norm, dropout, drop path, aux head).
      config: a NasNetConfig; cifar_config() by default.
      current_step: global step for drop path's schedule.

    Returns:
      (logits, end_points).
    """
    hparams = cifar_config() if config is None else copy.deepcopy(config)
    return _build_nasnet(images, num_classes, is_training, None, hparams,
                         current_step, stem_type='cifar')


build_nasnet_cifar.default_image_size = 32


def build_nasnet_mobile(images, num_classes, is_training=True,
                        final_endpoint=None, config=None, current_step=None):
    """NASNet-A Mobile for ImageNet (224x224 images).

    Args:
      images: [batch, height, width, 3] float images.
      num_classes: number of classes; 0 or None returns the pooled features.
      is_training: training mode (batch norm, dropout, drop path, aux head).
      final_endpoint: stop after this end point ('Stem', 'Cell_<n>',
        'Reduction_Cell_<n>', 'global_pool', ...).
      config: a NasNetConfig; mobile_imagenet_config() by default.
      current_step: global step for drop path's schedule.

    Returns:
      (logits, end_points).
    """
    hparams = (mobile_imagenet_config() if config is None
               else copy.deepcopy(config))
    return _build_nasnet(images, num_classes, is_training, final_endpoint,
                         hparams, current_step, stem_type='imagenet')


build_nasnet_mobile.default_image_size = 224


def build_nasnet_large(images, num_classes, is_training=True,
                       final_endpoint=None, config=None, current_step=None):
    """NASNet-A Large for ImageNet (331x331 images); see
    build_nasnet_mobile for the arguments (config defaults to
    large_imagenet_config())."""
    hparams = (large_imagenet_config() if config is None
               else copy.deepcopy(config))
    return _build_nasnet(images, num_classes, is_training, final_endpoint,
                         hparams, current_step, stem_type='imagenet')


build_nasnet_large.default_image_size = 331


def _build_nasnet(images, num_classes, is_training, final_endpoint,
                  hparams, current_step, stem_type):
    """NASNet-A with the 'cifar' or 'imagenet' stem. Drop path's schedule
    counts the cells plus 2, and the ImageNet stem's two cells."""
    update_hparams(hparams, is_training)
    total_num_cells = hparams.num_cells + (4 if stem_type == 'imagenet'
                                           else 2)
    normal_cell, reduction_cell = _nasnet_cells(hparams, total_num_cells)
    return build_network(
        images,
        lambda inputs: _build_nasnet_base(
            inputs, normal_cell=normal_cell, reduction_cell=reduction_cell,
            num_classes=num_classes, hparams=hparams,
            is_training=is_training, stem_type=stem_type,
            final_endpoint=final_endpoint, current_step=current_step),
        hparams, is_training)


def aux_head_cells(hparams):
    """Indices of the cells an auxiliary classifier follows: the one before
    the second reduction."""
    reduction_indices = nasnet_utils.calc_reduction_layers(
        hparams.num_cells, hparams.num_reduction_layers)
    return [reduction_indices[1] - 1] if len(reduction_indices) >= 2 else []


def build_classifier(net, end_points, num_classes, hparams,
                     add_and_check_endpoint):
    """The 'final_layer' scope: activation, global pooling, dropout, logits.

    Returns:
      (net, end_points) as the builders do: the logits, or the pooled
      features without num_classes or when final_endpoint stops early.
    """
    activation_fn = (tf.nn.relu6 if hparams.use_bounded_activation
                     else tf.nn.relu)
    with tf.variable_scope('final_layer'):
        net = activation_fn(net)
        net = nasnet_utils.global_avg_pool(net)
        if add_and_check_endpoint('global_pool', net) or not num_classes:
            return net, end_points
        net = slim.dropout(net, hparams.dense_dropout_keep_prob,
                           scope='dropout')
        logits = slim.fully_connected(net, num_classes)
        if add_and_check_endpoint('Logits', logits):
            return net, end_points
        predictions = tf.nn.softmax(logits, name='predictions')
        if add_and_check_endpoint('Predictions', predictions):
            return net, end_points
    return logits, end_points


def end_point_recorder(end_points, final_endpoint):
    """add_and_check_endpoint(name, net): records the end point and says
    whether the network should stop there."""
    def add_and_check_endpoint(endpoint_name, net):
        end_points[endpoint_name] = net
        return bool(final_endpoint) and endpoint_name == final_endpoint
    return add_and_check_endpoint


def _build_nasnet_base(images, normal_cell, reduction_cell, num_classes,
                       hparams, is_training, stem_type, final_endpoint=None,
                       current_step=None):
    """The stem, the cells with their reductions, and the classifier."""
    end_points = {}
    add_and_check_endpoint = end_point_recorder(end_points, final_endpoint)
    reduction_indices = nasnet_utils.calc_reduction_layers(
        hparams.num_cells, hparams.num_reduction_layers)
    if stem_type == 'imagenet':
        # The ImageNet stem's cells are reduction cells.
        net, cell_outputs = imagenet_stem(images, hparams, reduction_cell)
    elif stem_type == 'cifar':
        net, cell_outputs = _cifar_stem(images, hparams)
    else:
        raise ValueError('Unknown stem_type: %s' % stem_type)
    if add_and_check_endpoint('Stem', net):
        return net, end_points

    aux_cells = aux_head_cells(hparams)
    filter_scaling = 1.0
    # Cell position for drop path: the ImageNet stem has two cells.
    true_cell_num = 2 if stem_type == 'imagenet' else 0
    activation_fn = (tf.nn.relu6 if hparams.use_bounded_activation
                     else tf.nn.relu)
    for cell_num in range(hparams.num_cells):
        if hparams.skip_reduction_layer_input:
            prev_layer = cell_outputs[-2]
        if cell_num in reduction_indices:
            filter_scaling *= hparams.filter_scaling_rate
            reduction_num = reduction_indices.index(cell_num)
            net = reduction_cell(
                net, scope='reduction_cell_{}'.format(reduction_num),
                filter_scaling=filter_scaling, stride=2,
                prev_layer=cell_outputs[-2], cell_num=true_cell_num,
                current_step=current_step)
            if add_and_check_endpoint(
                    'Reduction_Cell_{}'.format(reduction_num), net):
                return net, end_points
            true_cell_num += 1
            cell_outputs.append(net)
        if not hparams.skip_reduction_layer_input:
            prev_layer = cell_outputs[-2]
        net = normal_cell(net, scope='cell_{}'.format(cell_num),
                          filter_scaling=filter_scaling, stride=1,
                          prev_layer=prev_layer, cell_num=true_cell_num,
                          current_step=current_step)
        if add_and_check_endpoint('Cell_{}'.format(cell_num), net):
            return net, end_points
        true_cell_num += 1
        if (hparams.use_aux_head and cell_num in aux_cells and num_classes
                and is_training):
            build_aux_head(activation_fn(net), end_points, num_classes,
                            hparams, scope='aux_{}'.format(cell_num))
        cell_outputs.append(net)

    return build_classifier(net, end_points, num_classes, hparams,
                            add_and_check_endpoint)
