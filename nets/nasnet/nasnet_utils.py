"""Cells and helpers shared by NASNet-A and PNASNet-5.

A cell takes the outputs of the two previous cells, combines them five
times ("comb_iter_0" ... "comb_iter_4"), each time applying one operation
to each of two earlier hidden states ('left' and 'right') and adding the
results, and concatenates the hidden states no combination used. The cells
differ only in their operations and in which states they read, so
`NasNetABaseCell` does the work and `NasNetANormalCell`,
`NasNetAReductionCell` (and pnasnet's `PNasNetNormalCell`) only name them.

Functions taking `data_format` read it from an arg_scope: the builders set
it (NHWC or NCHW) around the whole network.
"""

import tensorflow.compat.v1 as tf
import tf_slim as slim

arg_scope = slim.arg_scope
DATA_FORMAT_NCHW = 'NCHW'
DATA_FORMAT_NHWC = 'NHWC'
# Marks a data_format nobody set; the functions below refuse it.
INVALID = 'null'
# Bound of the activations when use_bounded_activation is on.
CLIP_BY_VALUE_CAP = 6


def calc_reduction_layers(num_cells, num_reduction_layers):
    """Indices of the cells preceded by a reduction cell.

    The reductions split the num_cells normal cells into
    num_reduction_layers + 1 stacks of (about) equal length: 18 cells with
    2 reductions gives [6, 12].
    """
    return [int(float(pool_num) / (num_reduction_layers + 1) * num_cells)
            for pool_num in range(1, num_reduction_layers + 1)]


def _check_data_format(data_format):
    if data_format not in (DATA_FORMAT_NHWC, DATA_FORMAT_NCHW):
        raise ValueError('data_format must be NHWC or NCHW, not %r (set it '
                         'with an arg_scope or pass it)' % (data_format,))


@slim.add_arg_scope
def get_channel_index(data_format=INVALID):
    """The channel axis of a 4-D tensor in data_format: 3 or 1."""
    _check_data_format(data_format)
    return 3 if data_format == DATA_FORMAT_NHWC else 1


@slim.add_arg_scope
def get_channel_dim(shape, data_format=INVALID):
    """The number of channels of a 4-D shape in data_format."""
    if len(shape) != 4:
        raise ValueError('expected a 4-D shape, got %s' % (shape,))
    return int(shape[get_channel_index(data_format=data_format)])


@slim.add_arg_scope
def global_avg_pool(x, data_format=INVALID):
    """Averages x over height and width: [batch, channels]."""
    if x.shape.ndims != 4:
        raise ValueError('expected a 4-D tensor, got %s' % x)
    _check_data_format(data_format)
    axes = [1, 2] if data_format == DATA_FORMAT_NHWC else [2, 3]
    return tf.reduce_mean(x, axis=axes)


@slim.add_arg_scope
def factorized_reduction(net, output_filters, stride, data_format=INVALID):
    """Brings net to output_filters channels and divides its size by stride.

    With stride 1 this is a 1x1 conv and batch norm. With stride 2, a
    strided 1x1 conv on net and one on net shifted by one pixel each make
    half of the channels, so no input pixel is skipped.
    """
    _check_data_format(data_format)
    if stride == 1:
        net = slim.conv2d(net, output_filters, 1, scope='path_conv')
        return slim.batch_norm(net, scope='path_bn')
    nhwc = data_format == DATA_FORMAT_NHWC
    strides = [1, stride, stride, 1] if nhwc else [1, 1, stride, stride]

    def strided(tensor):
        return tf.nn.avg_pool2d(tensor, ksize=[1, 1, 1, 1], strides=strides,
                                padding='VALID', data_format=data_format)

    path1 = slim.conv2d(strided(net), int(output_filters / 2), 1,
                        scope='path1_conv')
    # Shift by one pixel down and right: pad at the end, drop the start.
    if nhwc:
        shifted = tf.pad(net, [[0, 0], [0, 1], [0, 1], [0, 0]])[:, 1:, 1:, :]
    else:
        shifted = tf.pad(net, [[0, 0], [0, 0], [0, 1], [0, 1]])[:, :, 1:, 1:]
    path2 = slim.conv2d(strided(shifted),
                        int(output_filters / 2) + int(output_filters % 2), 1,
                        scope='path2_conv')
    net = tf.concat([path1, path2],
                    axis=get_channel_index(data_format=data_format))
    return slim.batch_norm(net, scope='final_path_bn')


@slim.add_arg_scope
def drop_path(net, keep_prob, is_training=True):
    """Zeroes whole examples of net with probability 1 - keep_prob.

    The kept ones are scaled by 1 / keep_prob; outside training net is
    returned unchanged.
    """
    if is_training:
        noise_shape = [tf.shape(net)[0], 1, 1, 1]
        keep = tf.floor(keep_prob + tf.random.uniform(noise_shape,
                                                      dtype=tf.float32))
        net = net * tf.cast(1.0 / keep_prob, net.dtype) * tf.cast(keep,
                                                                  net.dtype)
    return net


def _parse_separable(operation):
    """'separable_5x5_2' -> (5, 2): kernel size and number of layers."""
    parts = operation.split('_')
    height, width = parts[1].split('x')
    if height != width:
        raise ValueError('Rectangular filters not supported: %s' % operation)
    num_layers = 1 if len(parts) == 2 else int(parts[2])
    return int(height), num_layers


def _stacked_separable_conv(net, stride, operation, filter_size,
                            use_bounded_activation):
    """The layers of a 'separable_kxk_n' operation: n times activation,
    separable conv and batch norm; only the first one strides."""
    kernel_size, num_layers = _parse_separable(operation)
    activation_fn = tf.nn.relu6 if use_bounded_activation else tf.nn.relu
    for layer in range(1, num_layers + 1):
        net = activation_fn(net)
        net = slim.separable_conv2d(
            net, filter_size, kernel_size, depth_multiplier=1,
            scope='separable_{0}x{0}_{1}'.format(kernel_size, layer),
            stride=stride)
        net = slim.batch_norm(
            net, scope='bn_sep_{0}x{0}_{1}'.format(kernel_size, layer))
        stride = 1
    return net


def _pooling(net, stride, operation, use_bounded_activation):
    """An 'avg_pool_kxk' or 'max_pool_kxk' operation, SAME padded."""
    pooling_type = operation.split('_')[0]
    height, width = operation.split('_')[-1].split('x')
    if height != width:
        raise ValueError('Rectangular pooling not supported: %s' % operation)
    if use_bounded_activation:
        net = tf.nn.relu6(net)
    if pooling_type == 'avg':
        return slim.avg_pool2d(net, int(height), stride=stride,
                               padding='SAME')
    if pooling_type == 'max':
        return slim.max_pool2d(net, int(height), stride=stride,
                               padding='SAME')
    raise NotImplementedError('Unimplemented pooling type: %s' % pooling_type)


class NasNetABaseCell(object):
    """A NASNet cell, called like a layer on the previous cells' outputs.

    Args:
      num_conv_filters: filters of each convolution at filter_scaling 1.
      operations: the 10 operations, left then right of each of the five
        combinations: 'separable_kxk_n', 'avg_pool_kxk', 'max_pool_kxk' or
        'none' (identity, or a 1x1 conv where the shape must change).
      used_hiddenstates: for each hidden state (the two inputs, then the five
        combinations), 1 if a combination reads it; the others are
        concatenated to make the cell's output.
      hiddenstate_indices: the 10 hidden states the operations read.
      drop_path_keep_prob: keep probability of drop path at the last cell
        and the end of training (1.0 turns drop path off).
      total_num_cells: number of cells in the network, stem cells included.
      total_training_steps: steps over which drop path ramps up.
      use_bounded_activation: ReLU6 and clipping, for quantized inference.
    """

    def __init__(self, num_conv_filters, operations, used_hiddenstates,
                 hiddenstate_indices, drop_path_keep_prob, total_num_cells,
                 total_training_steps, use_bounded_activation=False):
        self._num_conv_filters = num_conv_filters
        self._operations = operations
        self._used_hiddenstates = used_hiddenstates
        self._hiddenstate_indices = hiddenstate_indices
        self._drop_path_keep_prob = drop_path_keep_prob
        self._total_num_cells = total_num_cells
        self._total_training_steps = total_training_steps
        self._use_bounded_activation = use_bounded_activation

    def _activation(self, net):
        if self._use_bounded_activation:
            return tf.nn.relu6(net)
        return tf.nn.relu(net)

    def _clip(self, net):
        if self._use_bounded_activation:
            return tf.clip_by_value(net, -CLIP_BY_VALUE_CAP, CLIP_BY_VALUE_CAP)
        return net

    def _reduce_prev_layer(self, prev_layer, curr_layer):
        """Brings prev_layer to the size and depth of this cell's input."""
        if prev_layer is None:
            return curr_layer
        curr_num_filters = self._filter_size
        prev_num_filters = get_channel_dim(prev_layer.shape)
        if int(curr_layer.shape[2]) != int(prev_layer.shape[2]):
            prev_layer = self._activation(prev_layer)
            prev_layer = factorized_reduction(prev_layer, curr_num_filters,
                                              stride=2)
        elif curr_num_filters != prev_num_filters:
            prev_layer = self._activation(prev_layer)
            prev_layer = slim.conv2d(prev_layer, curr_num_filters, 1,
                                     scope='prev_1x1')
            prev_layer = slim.batch_norm(prev_layer, scope='prev_bn')
        return prev_layer

    def _cell_base(self, net, prev_layer):
        """The two input hidden states: net through a 1x1 conv, and
        prev_layer matched to it."""
        prev_layer = self._reduce_prev_layer(prev_layer, net)
        net = self._activation(net)
        net = slim.conv2d(net, self._filter_size, 1, scope='1x1')
        net = slim.batch_norm(net, scope='beginning_bn')
        return [net, prev_layer]

    def __call__(self, net, scope=None, filter_scaling=1, stride=1,
                 prev_layer=None, cell_num=-1, current_step=None):
        """Builds the cell on net (and prev_layer, the cell before it).

        Args:
          net: the previous cell's output.
          scope: variable scope of the cell.
          filter_scaling: multiplies num_conv_filters.
          stride: stride of the operations reading the cell's inputs.
          prev_layer: the output of the cell before the previous one, or
            None.
          cell_num: position of the cell, for drop path's schedule.
          current_step: global step for drop path's schedule (the global
            step variable if None).

        Returns:
          The cell's output.
        """
        self._cell_num = cell_num
        self._filter_scaling = filter_scaling
        self._filter_size = int(self._num_conv_filters * filter_scaling)
        with tf.variable_scope(scope):
            states = self._cell_base(net, prev_layer)
            for iteration in range(5):
                with tf.variable_scope('comb_iter_{}'.format(iteration)):
                    left = 2 * iteration
                    combined = []
                    for side, index in (('left', left), ('right', left + 1)):
                        state = self._hiddenstate_indices[index]
                        with tf.variable_scope(side):
                            combined.append(self._apply_conv_operation(
                                states[state], self._operations[index],
                                stride, state < 2, current_step))
                    with tf.variable_scope('combine'):
                        state = combined[0] + combined[1]
                        if self._use_bounded_activation:
                            state = tf.nn.relu6(state)
                    states.append(state)
            with tf.variable_scope('cell_output'):
                return self._combine_unused_states(states)

    def _apply_conv_operation(self, net, operation, stride,
                              is_from_original_input, current_step):
        """Applies one operation; only the cell's inputs are strided."""
        if stride > 1 and not is_from_original_input:
            stride = 1
        input_filters = get_channel_dim(net.shape)
        filter_size = self._filter_size
        if 'separable' in operation:
            net = _stacked_separable_conv(net, stride, operation, filter_size,
                                          self._use_bounded_activation)
            net = self._clip(net)
        elif operation == 'none':
            if self._use_bounded_activation:
                net = tf.nn.relu6(net)
            if stride > 1 or input_filters != filter_size:
                if not self._use_bounded_activation:
                    net = tf.nn.relu(net)
                net = slim.conv2d(net, filter_size, 1, stride=stride,
                                  scope='1x1')
                net = slim.batch_norm(net, scope='bn_1')
                net = self._clip(net)
        elif 'pool' in operation:
            net = _pooling(net, stride, operation,
                           self._use_bounded_activation)
            if input_filters != filter_size:
                net = slim.conv2d(net, filter_size, 1, stride=1, scope='1x1')
                net = slim.batch_norm(net, scope='bn_1')
            net = self._clip(net)
        else:
            raise ValueError('Unimplemented operation: %s' % operation)
        if operation != 'none':
            net = self._apply_drop_path(net, current_step=current_step)
        return net

    def _combine_unused_states(self, states):
        """Concatenates the hidden states no combination read, each brought
        to the size and depth of the last one where they differ."""
        final_height = int(states[-1].shape[2])
        final_num_filters = get_channel_dim(states[-1].shape)
        if len(self._used_hiddenstates) != len(states):
            raise ValueError('used_hiddenstates has %d entries for %d states'
                             % (len(self._used_hiddenstates), len(states)))
        for index, used in enumerate(self._used_hiddenstates):
            height = int(states[index].shape[2])
            should_reduce = (final_height != height or
                      final_num_filters != get_channel_dim(
                          states[index].shape))
            if should_reduce and not used:
                stride = 2 if final_height != height else 1
                with tf.variable_scope('reduction_{}'.format(index)):
                    states[index] = factorized_reduction(
                        states[index], final_num_filters, stride)
        unused = [state for state, used in
                  zip(states, self._used_hiddenstates) if not used]
        return tf.concat(unused, axis=get_channel_index())

    def _apply_drop_path(self, net, current_step=None):
        """Drop path whose drop rate grows with the cell's depth and with
        training progress (research/slim's 'v3' schedule)."""
        keep_prob = self._drop_path_keep_prob
        if keep_prob >= 1.0:
            return net
        if self._cell_num == -1:
            raise ValueError('drop path needs the cell_num of the cell')
        layer_ratio = (self._cell_num + 1) / float(self._total_num_cells)
        keep_prob = 1 - layer_ratio * (1 - keep_prob)
        if current_step is None:
            current_step = tf.train.get_or_create_global_step()
        current_ratio = tf.minimum(
            1.0, tf.cast(current_step, tf.float32) /
            self._total_training_steps)
        keep_prob = 1 - current_ratio * (1 - keep_prob)
        return drop_path(net, keep_prob)


class NasNetANormalCell(NasNetABaseCell):
    """The NASNet-A normal cell: keeps the size of its input."""

    def __init__(self, num_conv_filters, drop_path_keep_prob, total_num_cells,
                 total_training_steps, use_bounded_activation=False):
        operations = ['separable_5x5_2', 'separable_3x3_2',
                      'separable_5x5_2', 'separable_3x3_2',
                      'avg_pool_3x3', 'none',
                      'avg_pool_3x3', 'avg_pool_3x3',
                      'separable_3x3_2', 'none']
        used_hiddenstates = [1, 0, 0, 0, 0, 0, 0]
        hiddenstate_indices = [0, 1, 1, 1, 0, 1, 1, 1, 0, 0]
        super(NasNetANormalCell, self).__init__(
            num_conv_filters, operations, used_hiddenstates,
            hiddenstate_indices, drop_path_keep_prob, total_num_cells,
            total_training_steps, use_bounded_activation)


class NasNetAReductionCell(NasNetABaseCell):
    """The NASNet-A reduction cell: halves height and width (stride 2)."""

    def __init__(self, num_conv_filters, drop_path_keep_prob, total_num_cells,
                 total_training_steps, use_bounded_activation=False):
        operations = ['separable_5x5_2', 'separable_7x7_2',
                      'max_pool_3x3', 'separable_7x7_2',
                      'avg_pool_3x3', 'separable_5x5_2',
                      'none', 'avg_pool_3x3',
                      'separable_3x3_2', 'max_pool_3x3']
        used_hiddenstates = [1, 1, 1, 0, 0, 0, 0]
        hiddenstate_indices = [0, 1, 0, 1, 0, 1, 3, 2, 2, 0]
        super(NasNetAReductionCell, self).__init__(
            num_conv_filters, operations, used_hiddenstates,
            hiddenstate_indices, drop_path_keep_prob, total_num_cells,
            total_training_steps, use_bounded_activation)
