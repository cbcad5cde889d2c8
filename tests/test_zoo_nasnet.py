"""NASNet-A and PNASNet-5: parameter counts, names, shapes, behaviour.

The parameter counts of docs/NETWORKS.md (which tests/test_zoo_roundtrip.py
checks against the built networks) are worked out here from the cells of
the papers: NASNet-A (Zoph et al. 2018, figure 4) and PNASNet-5 (Liu et al.
2018, figure 1). The arithmetic is itself checked against the NASNet of
keras.applications, an independent port, whose model summaries give
5,289,978 trainable / 5,326,716 total parameters for NASNetMobile and
88,753,150 / 88,949,818 for NASNetLarge (1000 classes), and against the
papers' 5.3M, 88.9M (NASNet-A Mobile, Large), 3.3M (CIFAR, 10 classes),
5.1M and 86.1M (PNASNet-5 Mobile, Large).

Full-size NASNet-A Large and PNASNet-5 Large graphs take long to build, so
names and shapes are checked on reduced versions with the same filters
but 3 cells, built once for this module; the arithmetic must give their
counts too.
"""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets.nasnet import nasnet, nasnet_utils, pnasnet
from tests.zoo_helpers import (
    NETWORKS,
    fast_graph_building,  # noqa: F401
    parameter_count,
    session,
    variable_shapes,
)

pytestmark = pytest.mark.usefixtures('fast_graph_building')

# Cell descriptions from the papers (NASNet-A: Zoph et al. 2018, fig. 4;
# PNASNet-5: Liu et al. 2018, fig. 1): for each of the five combinations,
# (hidden state, operation) on the left and on the right; states 0 and 1
# are the cell's inputs (this cell's and the previous one's), 2.. the
# combinations. `concatenated` are the states the output concatenates.
NASNET_NORMAL = dict(
    pairs=[((0, 'sep5'), (1, 'sep3')), ((1, 'sep5'), (1, 'sep3')),
           ((0, 'avg'), (1, 'none')), ((1, 'avg'), (1, 'avg')),
           ((0, 'sep3'), (0, 'none'))],
    concatenated=[1, 2, 3, 4, 5, 6])
NASNET_REDUCTION = dict(
    pairs=[((0, 'sep5'), (1, 'sep7')), ((0, 'max'), (1, 'sep7')),
           ((0, 'avg'), (1, 'sep5')), ((3, 'none'), (2, 'avg')),
           ((2, 'sep3'), (0, 'max'))],
    concatenated=[3, 4, 5, 6])
PNASNET = dict(
    pairs=[((1, 'sep5'), (1, 'max')), ((0, 'sep7'), (0, 'max')),
           ((0, 'sep5'), (0, 'sep3')), ((4, 'sep3'), (0, 'max')),
           ((1, 'sep3'), (0, 'none'))],
    concatenated=[2, 3, 4, 5, 6])


class Count(object):
    """Running (trainable, batch-norm moving average) parameter counts."""

    def __init__(self):
        self.trainable = 0
        self.moving = 0

    def conv(self, weights, batch_norm_channels):
        # Convolutions have no biases; batch norm has beta and gamma.
        self.trainable += weights + 2 * batch_norm_channels
        self.moving += 2 * batch_norm_channels


def cell_parameters(count, cell, filters, current, previous, stride):
    """Adds one cell's parameters; returns its output (channels, level).

    current/previous: (channels, level) of the cell's inputs, level counting
    the halvings of the image so far (previous is None for the first cell).
    """
    channels, level = current
    count.conv(channels * filters, filters)  # 1x1 on this cell's input
    if previous is None:
        states = [(filters, level), current]
    else:
        if previous[1] != level:  # factorized reduction of the previous
            count.conv(previous[0] * filters, filters)
        elif previous[0] != filters:  # 1x1 conv
            count.conv(previous[0] * filters, filters)
        states = [(filters, level), (filters, level)]
    out_level = level + (1 if stride == 2 else 0)
    for pair in cell['pairs']:
        for state, operation in pair:
            depth = states[state][0]
            strided = stride == 2 and state < 2
            if operation.startswith('sep'):
                kernel = int(operation[3:])
                count.conv(kernel * kernel * depth + depth * filters, filters)
                count.conv(kernel * kernel * filters + filters * filters,
                           filters)
            elif operation == 'none':
                if strided or depth != filters:
                    count.conv(depth * filters, filters)
            elif depth != filters:  # pooling, then a 1x1 conv
                count.conv(depth * filters, filters)
        states.append((filters, out_level))
    for state in cell['concatenated']:
        depth, state_level = states[state]
        if depth != filters or state_level != out_level:
            count.conv(depth * filters, filters)
    return filters * len(cell['concatenated']), out_level


def network_parameters(normal, reduction, num_cells, filters, stem,
                       skip_reduction_input, classes):
    """(trainable, all) parameters of a NASNet or PNASNet at inference.

    stem: 'cifar' (3x3 conv to 3 * filters channels) or the ImageNet stem's
    conv depth (a strided 3x3 conv, then two reduction cells at a quarter
    and a half of the filters). Reductions come before cells num_cells / 3
    and 2 num_cells / 3, doubling the filters.
    """
    count = Count()
    if stem == 'cifar':
        count.conv(3 * 3 * 3 * 3 * filters, 3 * filters)
        outputs = [None, (3 * filters, 0)]
    else:
        count.conv(3 * 3 * 3 * stem, stem)
        outputs = [None, (stem, 1)]
        for scaling in (0.25, 0.5):
            outputs.append(cell_parameters(
                count, reduction, int(filters * scaling), outputs[-1],
                outputs[-2], stride=2))
    reductions = [num_cells // 3, 2 * num_cells // 3]
    scaling = 1
    for cell_num in range(num_cells):
        previous = outputs[-2]
        if cell_num in reductions:
            scaling *= 2
            outputs.append(cell_parameters(
                count, reduction, filters * scaling, outputs[-1],
                outputs[-2], stride=2))
            if not skip_reduction_input:
                previous = outputs[-2]
        outputs.append(cell_parameters(
            count, normal, filters * scaling, outputs[-1], previous,
            stride=1))
    features = outputs[-1][0]
    count.trainable += features * classes + classes
    return count.trainable, count.trainable + count.moving


def pnasnet_parameters(num_cells, filters, stem, classes):
    """PNASNet: its one cell everywhere, strided where NASNet reduces."""
    count = Count()
    count.conv(3 * 3 * 3 * stem, stem)
    outputs = [None, (stem, 1)]
    for scaling in (0.25, 0.5):
        outputs.append(cell_parameters(count, PNASNET, int(filters * scaling),
                                       outputs[-1], outputs[-2], stride=2))
    reductions = [num_cells // 3, 2 * num_cells // 3]
    scaling = 1
    for cell_num in range(num_cells):
        stride = 1
        if cell_num in reductions:
            scaling *= 2
            stride = 2
        outputs.append(cell_parameters(count, PNASNET, filters * scaling,
                                       outputs[-1], outputs[-2], stride))
    features = outputs[-1][0]
    count.trainable += features * classes + classes
    return count.trainable, count.trainable + count.moving



def nasnet_parameters(name, classes, num_cells=None):
    """(trainable, all) parameters of a factory network at inference."""
    if name == 'nasnet_cifar':
        return network_parameters(NASNET_NORMAL, NASNET_REDUCTION,
                                  num_cells or 18, 32, 'cifar', False,
                                  classes)
    if name == 'nasnet_mobile':
        return network_parameters(NASNET_NORMAL, NASNET_REDUCTION,
                                  num_cells or 12, 44, 32, False, classes)
    if name == 'nasnet_large':
        return network_parameters(NASNET_NORMAL, NASNET_REDUCTION,
                                  num_cells or 18, 168, 96, True, classes)
    if name == 'pnasnet_mobile':
        return pnasnet_parameters(num_cells or 9, 54, 32, classes)
    return pnasnet_parameters(num_cells or 12, 216, 96, classes)


FAMILY = ['nasnet_cifar', 'nasnet_mobile', 'nasnet_large', 'pnasnet_mobile',
          'pnasnet_large']


def test_cell_arithmetic_agrees_with_keras_and_the_papers():
    assert nasnet_parameters('nasnet_mobile', 1000) == (5289978, 5326716)
    assert nasnet_parameters('nasnet_large', 1000) == (88753150, 88949818)
    rounded = {name: round(nasnet_parameters(name, classes)[0] / 1e5)
               for name, classes in [('nasnet_cifar', 10),
                                     ('pnasnet_mobile', 1000),
                                     ('pnasnet_large', 1000)]}
    assert rounded == {'nasnet_cifar': 33, 'pnasnet_mobile': 51,
                       'pnasnet_large': 861}


@pytest.mark.parametrize('name', FAMILY)
def test_documented_counts_and_scopes(name):
    row = NETWORKS[name]
    assert row.parameters == nasnet_parameters(name, row.classes)[0]
    # The auxiliary classifier follows the cell before the second
    # reduction: cell 2n/3 - 1 of n (18 -> 11, 12 -> 7, 9 -> 5).
    cells = {'nasnet_cifar': 18, 'nasnet_mobile': 12, 'nasnet_large': 18,
             'pnasnet_mobile': 9, 'pnasnet_large': 12}[name]
    assert row.exclude_scopes == ('final_layer',
                                  'aux_%d' % (2 * cells // 3 - 1))


# Reduced networks: the published filters, 3 cells (reductions before
# cells 1 and 2, the auxiliary classifier after cell 1).
def _reduced(config):
    config.set_hparam('num_cells', 3)
    return config


REDUCED = {
    'nasnet_large': (nasnet.build_nasnet_large,
                     nasnet.nasnet_large_arg_scope,
                     lambda: _reduced(nasnet.large_imagenet_config())),
    'pnasnet_large': (pnasnet.build_pnasnet_large,
                      pnasnet.pnasnet_large_arg_scope,
                      lambda: _reduced(pnasnet.large_imagenet_config())),
    'nasnet_cifar': (nasnet.build_nasnet_cifar,
                     nasnet.nasnet_cifar_arg_scope,
                     lambda: _reduced(nasnet.cifar_config())),
}


@pytest.fixture(scope='module')
def reduced_builds():
    """{name: (graph, logits, end_points, shapes, trainable, all)} of the
    reduced networks at their image sizes, inference mode, 1001 classes."""
    builds = {}
    for name, (builder, arg_scope, config) in REDUCED.items():
        size = builder.default_image_size
        graph = tf.Graph()
        with graph.as_default():
            images = tf.placeholder(tf.float32, [2, size, size, 3])
            with slim.arg_scope(arg_scope()):
                logits, end_points = builder(images, 1001, is_training=False,
                                             config=config())
            builds[name] = (graph, images, logits, end_points,
                            variable_shapes(),
                            parameter_count(tf.trainable_variables()),
                            parameter_count(tf.global_variables()))
    return builds


@pytest.mark.parametrize('name', sorted(REDUCED))
def test_reduced_network_counts_match_the_arithmetic(reduced_builds, name):
    trainable, total = reduced_builds[name][5:7]
    assert (trainable, total) == nasnet_parameters(name, 1001, num_cells=3)


# First and last layers of the reduced networks: as in the published
# checkpoints (the last cell's number aside).
FIRST_AND_LAST = {
    'nasnet_large': {
        'conv0/weights': [3, 3, 3, 96],
        'conv0_bn/gamma': [96],
        # The first stem cell works at a quarter of 168 filters.
        'cell_stem_0/1x1/weights': [1, 1, 96, 42],
        'cell_stem_0/comb_iter_0/left/separable_5x5_1/depthwise_weights':
            [5, 5, 42, 1],
        'cell_stem_0/comb_iter_0/right/separable_7x7_1/depthwise_weights':
            [7, 7, 96, 1],
        'reduction_cell_1/1x1/weights': [1, 1, 2016, 672],
        'cell_2/prev_1x1/weights': None,
        'cell_2/comb_iter_4/left/bn_sep_3x3_2/beta': [672],
        'final_layer/FC/weights': [4032, 1001],
        'final_layer/FC/biases': [1001],
    },
    'pnasnet_large': {
        'conv0/weights': [3, 3, 3, 96],
        'cell_stem_0/1x1/weights': [1, 1, 96, 54],
        'cell_stem_0/comb_iter_0/left/separable_5x5_1/depthwise_weights':
            [5, 5, 96, 1],
        'cell_stem_1/prev_1x1/weights': None,
        'cell_stem_1/1x1/weights': [1, 1, 270, 108],
        'cell_2/comb_iter_4/right/1x1/weights': [1, 1, 864, 864],
        'cell_2/comb_iter_4/left/bn_sep_3x3_2/moving_variance': [864],
        'final_layer/FC/weights': [4320, 1001],
    },
    'nasnet_cifar': {
        'l1_stem_3x3/weights': [3, 3, 3, 96],
        'l1_stem_bn/beta': [96],
        'cell_0/1x1/weights': [1, 1, 96, 32],
        'cell_0/prev_1x1/weights': None,
        'reduction_cell_0/1x1/weights': [1, 1, 192, 64],
        'final_layer/FC/weights': [768, 1001],
    },
}

END_POINTS = {
    'nasnet_large': {'Stem': [2, 42, 42, 336], 'Cell_0': [2, 42, 42, 1008],
                     'Reduction_Cell_0': [2, 21, 21, 1344],
                     'Cell_1': [2, 21, 21, 2016],
                     'Reduction_Cell_1': [2, 11, 11, 2688],
                     'Cell_2': [2, 11, 11, 4032],
                     'global_pool': [2, 4032], 'Logits': [2, 1001],
                     'Predictions': [2, 1001]},
    'pnasnet_large': {'Stem': [2, 42, 42, 540], 'Cell_0': [2, 42, 42, 1080],
                      'Cell_1': [2, 21, 21, 2160],
                      'Cell_2': [2, 11, 11, 4320],
                      'global_pool': [2, 4320], 'Logits': [2, 1001]},
    'nasnet_cifar': {'Stem': [2, 32, 32, 96], 'Cell_0': [2, 32, 32, 192],
                     'Reduction_Cell_0': [2, 16, 16, 256],
                     'Cell_1': [2, 16, 16, 384],
                     'Reduction_Cell_1': [2, 8, 8, 512],
                     'Cell_2': [2, 8, 8, 768], 'Logits': [2, 1001]},
}


@pytest.mark.parametrize('name', sorted(REDUCED))
def test_reduced_network_names_shapes_and_end_points(reduced_builds, name):
    end_points, shapes = reduced_builds[name][3:5]
    for var_name, shape in FIRST_AND_LAST[name].items():
        # None: a layer the network must not have.
        assert shapes.get(var_name) == shape, var_name
    assert {key: end_points[key].get_shape().as_list()
            for key in END_POINTS[name]} == END_POINTS[name]
    assert not [var for var in shapes if var.startswith('aux_')]


def test_reduced_nasnet_cifar_runs_and_is_deterministic(reduced_builds):
    graph, images, logits = reduced_builds['nasnet_cifar'][:3]
    batch = np.random.RandomState(0).uniform(
        -1, 1, (2, 32, 32, 3)).astype(np.float32)
    with graph.as_default(), session() as sess:
        sess.run(tf.global_variables_initializer())
        first, again = (sess.run(logits, {images: batch}) for _ in range(2))
    assert np.all(np.isfinite(first))
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize('builder, config', [
    (nasnet.build_nasnet_mobile, nasnet.mobile_imagenet_config),
    (pnasnet.build_pnasnet_mobile, pnasnet.mobile_imagenet_config)])
def test_training_builds_the_auxiliary_classifier(builder, config):
    """In training the auxiliary head follows the cell before the second
    reduction (cell 1 of 3 here); the caller's config is not changed."""
    reduced = _reduced(config())
    with tf.Graph().as_default():
        # 224 pixels leave a 14x14 map for the head's 5x5/3 pooling.
        images = tf.placeholder(tf.float32, [2, 224, 224, 3])
        with slim.arg_scope(nasnet.nasnet_mobile_arg_scope()):
            _, end_points = builder(images, 5, is_training=True,
                                    config=reduced)
        shapes = variable_shapes()
        update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert end_points['AuxLogits'].get_shape().as_list() == [2, 5]
    assert shapes['aux_1/aux_logits/proj/weights'][3] == 128
    assert shapes['aux_1/aux_logits/FC/weights'] == [768, 5]
    assert update_ops
    assert reduced.num_cells == 3 and reduced.drop_path_keep_prob == 1.0


def test_drop_path_is_active_in_training_only():
    """NASNet-A Large's drop path (keep 0.7) keeps or drops each example
    (a Floor of keep_prob + uniform noise) in training only."""
    graph_ops = {}
    for is_training in (True, False):
        with tf.Graph().as_default() as graph:
            images = tf.placeholder(tf.float32, [1, 64, 64, 3])
            config = _reduced(nasnet.large_imagenet_config())
            config.set_hparam('num_conv_filters', 8)
            nasnet.build_nasnet_large(images, 3, is_training=is_training,
                                      config=config, final_endpoint='Cell_0')
            graph_ops[is_training] = [op.type for op in
                                      graph.get_operations()]
    assert 'Floor' in graph_ops[True]
    assert 'Floor' not in graph_ops[False]


def test_config_rejects_unknown_hyper_parameters():
    config = nasnet.cifar_config()
    config.set_hparam('use_aux_head', 0)
    assert config.use_aux_head == 0
    with pytest.raises(ValueError, match='num_celss'):
        config.set_hparam('num_celss', 4)


def test_nasnet_utils_helpers():
    assert nasnet_utils.calc_reduction_layers(18, 2) == [6, 12]
    assert nasnet_utils.get_channel_index('NCHW') == 1
    assert nasnet_utils.get_channel_dim([1, 2, 3, 4], 'NHWC') == 4
    with pytest.raises(ValueError, match='data_format'):
        nasnet_utils.get_channel_index()
