"""Builds a MobileNet from a conv_defs description.

A conv_defs dict has 'spec', a list of `op(...)` layers applied in order
(layer i gets end point 'layer_<i+1>'), and optional 'defaults' and
'overrides', each a mapping {tuple of slim functions: {arg: value}} that is
entered as arg_scopes around the whole network. `mobilenet_base` builds the
body; `mobilenet` adds global pooling and the logits
('<scope>/Logits/Conv2d_1c_1x1', the name the published checkpoints use).

The network is built in inference mode unless `training_scope()` (or
is_training=True) says otherwise. Follows research/slim's
nets/mobilenet/mobilenet.py.
"""

import collections
import contextlib
import copy
import os

import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets.mobilenet.conv_blocks import _fixed_padding, _make_divisible


@contextlib.contextmanager
def _set_arg_scope_defaults(defaults):
    """Enters one nested arg_scope per (functions, kwargs) item of defaults."""
    with contextlib.ExitStack() as stack:
        items = defaults.items() if hasattr(defaults, 'items') else defaults
        for funcs, kwargs in items:
            stack.enter_context(slim.arg_scope(funcs, **kwargs))
        yield


@slim.add_arg_scope
def depth_multiplier(output_params, multiplier, divisible_by=8, min_depth=8,
                     **unused_kwargs):
    """Scales output_params['num_outputs'] in place by multiplier.

    The result is made a multiple of divisible_by and at least min_depth; ops
    without num_outputs (pooling, blocks whose depth follows the input) are
    left alone. Set divisible_by/min_depth with an arg_scope on this function.
    """
    if 'num_outputs' not in output_params:
        return
    output_params['num_outputs'] = _make_divisible(
        output_params['num_outputs'] * multiplier, divisible_by, min_depth)


_Op = collections.namedtuple('Op', ['op', 'params', 'multiplier_func'])


def op(opfunc, multiplier_func=depth_multiplier, **params):
    """One layer of a conv_defs spec: opfunc(net, **params).

    multiplier_func(params, multiplier) adapts params to the depth multiplier;
    a 'multiplier_transform' entry in params replaces it.
    """
    multiplier = params.pop('multiplier_transform', multiplier_func)
    return _Op(opfunc, params=params, multiplier_func=multiplier)


def safe_arg_scope(funcs, **kwargs):
    """An arg_scope over funcs with the None-valued kwargs left out.

    None means "keep whatever is set already"; with nothing left, returns a
    context manager that does nothing.
    """
    filtered = {name: value for name, value in kwargs.items()
                if value is not None}
    if filtered:
        return slim.arg_scope(funcs, **filtered)
    return contextlib.nullcontext()


@contextlib.contextmanager
def _scope_all(scope, default_scope=None):
    """Enters a variable scope and the name scope it was first opened with."""
    with tf.variable_scope(scope, default_name=default_scope) as s, \
            tf.name_scope(s.original_name_scope):
        yield s


@slim.add_arg_scope
def mobilenet_base(inputs, conv_defs, multiplier=1.0, final_endpoint=None,
                   output_stride=None, use_explicit_padding=False, scope=None,
                   is_training=False):
    """Builds the body of the network described by conv_defs.

    Args:
      inputs: a tensor of shape [batch_size, height, width, channels].
      conv_defs: dict with 'spec' (list of op()) and optional 'defaults' and
        'overrides' (arg_scope mappings).
      multiplier: depth multiplier, passed to each op's multiplier_func.
      final_endpoint: stop after this end point ('layer_<n>').
      output_stride: if set (1 or an even number), strides past this
        input-to-output ratio become dilation rates of later layers.
      use_explicit_padding: pad explicitly and use VALID convolutions.
      scope: variable scope, 'Mobilenet' by default.
      is_training: batch norm's mode; None leaves the arg_scope's setting.

    Returns:
      (output tensor, end_points) where end_points has 'layer_<n>' and, for
      block layers, 'layer_<n>/<name>' for each of their '...output' tensors.

    Raises:
      ValueError: on multiplier <= 0 or an odd output_stride other than 1.
    """
    if multiplier <= 0:
        raise ValueError('multiplier is not greater than zero.')
    if output_stride is not None and (
            output_stride == 0 or (output_stride > 1 and output_stride % 2)):
        raise ValueError('Output stride must be None, 1 or a multiple of 2.')

    overrides = conv_defs.get('overrides', {})
    if use_explicit_padding:
        overrides = copy.deepcopy(overrides)
        overrides[(slim.conv2d, slim.separable_conv2d)] = {'padding': 'VALID'}

    with _scope_all(scope, default_scope='Mobilenet'), \
            safe_arg_scope([slim.batch_norm], is_training=is_training), \
            _set_arg_scope_defaults(conv_defs.get('defaults', {})), \
            _set_arg_scope_defaults(overrides):
        # current_stride is the input-to-output ratio reached so far; once
        # it equals output_stride, later strides turn into dilation `rate`.
        current_stride = 1
        rate = 1
        net = inputs
        end_points = {}
        layer_of_scope = {}
        for i, opdef in enumerate(conv_defs['spec']):
            params = dict(opdef.params)
            opdef.multiplier_func(params, multiplier)
            stride = params.get('stride', 1)
            if output_stride is not None and current_stride == output_stride:
                layer_stride, layer_rate = 1, rate
                rate *= stride
            else:
                layer_stride, layer_rate = stride, 1
                current_stride *= stride
            params['stride'] = layer_stride
            # Dilation matters for kernels larger than 1x1 (3x3 if unset).
            kernel_size = tuple(params.get('kernel_size', ()))
            if layer_rate > 1 and kernel_size != (1, 1):
                params['rate'] = layer_rate
            if use_explicit_padding:
                if 'kernel_size' in params:
                    net = _fixed_padding(net, params['kernel_size'],
                                         layer_rate)
                else:
                    params['use_explicit_padding'] = True

            end_point = 'layer_%d' % (i + 1)
            net = opdef.op(net, **params)
            end_points[end_point] = net
            layer_of_scope[os.path.dirname(net.name)] = end_point
            if end_point == final_endpoint:
                break

        # Blocks name their inner results '<block scope>/...output'.
        for operation in net.graph.get_operations():
            layer = layer_of_scope.get(os.path.dirname(operation.name))
            if layer and operation.name.endswith('output'):
                name = os.path.basename(operation.name)
                end_points['%s/%s' % (layer, name)] = operation.outputs[0]
        return net, end_points


@slim.add_arg_scope
def mobilenet(inputs, num_classes=1001, prediction_fn=slim.softmax, reuse=None,
              scope='Mobilenet', base_only=False,
              use_reduce_mean_for_pooling=False, **mobilenet_args):
    """A MobileNet classifier: mobilenet_base, global pooling, 1x1 logits.

    Args:
      inputs: a tensor of shape [batch_size, height, width, channels].
      num_classes: number of classes; if 0 or None the logits are omitted and
        the pooled features (before dropout) are returned.
      prediction_fn: maps logits to end_points['Predictions'].
      reuse: whether to reuse the variables (requires `scope`).
      scope: variable scope.
      base_only: return the body's output, without pooling or logits.
      use_reduce_mean_for_pooling: pool with reduce_mean instead of avg_pool.
      **mobilenet_args: passed to mobilenet_base (conv_defs, multiplier,
        final_endpoint, output_stride, use_explicit_padding, is_training).

    Returns:
      (logits [batch, num_classes], or features; end_points).

    Raises:
      ValueError: if inputs is not of rank 4.
    """
    is_training = mobilenet_args.get('is_training', False)
    rank = len(inputs.get_shape().as_list())
    if rank != 4:
        raise ValueError('Expected rank 4 input, was: %d' % rank)

    with tf.variable_scope(scope, 'Mobilenet', reuse=reuse) as scope:
        inputs = tf.identity(inputs, 'input')
        net, end_points = mobilenet_base(inputs, scope=scope, **mobilenet_args)
        if base_only:
            return net, end_points

        net = tf.identity(net, name='embedding')
        with tf.variable_scope('Logits'):
            net = global_pool(
                net, use_reduce_mean_for_pooling=use_reduce_mean_for_pooling)
            end_points['global_pool'] = net
            if not num_classes:
                return net, end_points
            net = slim.dropout(net, scope='Dropout', is_training=is_training)
            logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None,
                                 normalizer_fn=None,
                                 biases_initializer=tf.zeros_initializer(),
                                 scope='Conv2d_1c_1x1')
            logits = tf.squeeze(logits, [1, 2])
            logits = tf.identity(logits, name='output')
        end_points['Logits'] = logits
        if prediction_fn:
            end_points['Predictions'] = prediction_fn(logits, 'Predictions')
    return logits, end_points


def global_pool(input_tensor, use_reduce_mean_for_pooling=False,
                pool_op=tf.nn.avg_pool2d):
    """Averages each channel over height and width: [batch, 1, 1, depth].

    Uses pool_op with a whole-map window, which is better supported on
    accelerators than reduce_mean, unless use_reduce_mean_for_pooling says
    otherwise or the height or width is unknown until run time (TF 2's
    pooling ops take only a fixed window).
    """
    height, width = input_tensor.get_shape().as_list()[1:3]
    if use_reduce_mean_for_pooling or height is None or width is None:
        return tf.reduce_mean(input_tensor, [1, 2], keepdims=True,
                              name='ReduceMean')
    return pool_op(input_tensor, ksize=[1, height, width, 1],
                   strides=[1, 1, 1, 1], padding='VALID')


def training_scope(is_training=True, weight_decay=0.00004, stddev=0.09,
                   dropout_keep_prob=0.8, bn_decay=0.997):
    """The arg_scope MobileNet v2/v3 were trained with.

    Args:
      is_training: mode of batch norm, dropout and the networks; None leaves
        it unset.
      weight_decay: L2 strength for conv2d weights (depthwise and fully
        connected weights are not regularized).
      stddev: stddev of the truncated-normal initializer; negative means
        Xavier initialization.
      dropout_keep_prob: dropout keep probability; None leaves it unset.
      bn_decay: decay of the batch norm moving averages; None leaves it unset.

    Returns:
      An arg_scope. It sets nothing that changes the inference graph; that
      belongs in the conv_defs.
    """
    if stddev < 0:
        weight_initializer = slim.initializers.xavier_initializer()
    else:
        weight_initializer = tf.truncated_normal_initializer(stddev=stddev)
    initialization = slim.arg_scope(
        [slim.conv2d, slim.fully_connected, slim.separable_conv2d],
        weights_initializer=weight_initializer,
        normalizer_fn=slim.batch_norm)
    mode = slim.arg_scope([mobilenet_base, mobilenet],
                          is_training=is_training)
    batch_norm = safe_arg_scope([slim.batch_norm], decay=bn_decay,
                                is_training=is_training)
    dropout = safe_arg_scope([slim.dropout], is_training=is_training,
                             keep_prob=dropout_keep_prob)
    conv_decay = slim.arg_scope(
        [slim.conv2d], weights_regularizer=slim.l2_regularizer(weight_decay))
    no_depthwise_decay = slim.arg_scope([slim.separable_conv2d],
                                        weights_regularizer=None)
    with initialization, mode, batch_norm, dropout, conv_decay, \
            no_depthwise_decay as scope:
        return scope
