"""Convolution blocks for MobileNet v2 and v3.

`expanded_conv` is the inverted residual block (1x1 expansion, depthwise
convolution, 1x1 linear projection, optional residual); `squeeze_excite` is
MobileNet v3's channel gating. Variable scopes inside each block ('expand',
'depthwise', 'project', 'squeeze_excite/Conv', 'squeeze_excite/Conv_1') match
research/slim's nets/mobilenet/conv_blocks.py and the published checkpoints.
"""

import functools

import tensorflow.compat.v1 as tf
import tf_slim as slim


def _fixed_padding(inputs, kernel_size, rate=1):
    """Pads height and width so a VALID conv gives the shape SAME would."""
    effective = [k + (k - 1) * (rate - 1) for k in kernel_size[:2]]
    before = [(k - 1) // 2 for k in effective]
    after = [k - 1 - b for k, b in zip(effective, before)]
    return tf.pad(inputs, [[0, 0], [before[0], after[0]],
                           [before[1], after[1]], [0, 0]])


def _make_divisible(v, divisor, min_value=None):
    """Rounds v to a multiple of divisor, never below min_value or 90% of v."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * v:
        rounded += divisor
    return int(rounded)


def _split_divisible(num, num_ways, divisible_by=8):
    """Splits num into num_ways near-equal multiples of divisible_by.

    Raises:
      ValueError: if num is not a multiple of divisible_by, or a part would be
        smaller than divisible_by.
    """
    if num % divisible_by or num / num_ways < divisible_by:
        raise ValueError('Cannot split %d %d ways in multiples of %d' %
                         (num, num_ways, divisible_by))
    base = num // num_ways // divisible_by * divisible_by
    parts = []
    total = 0
    for i in range(num_ways):
        part = base
        while total + part < num * (i + 1) / num_ways:
            part += divisible_by
        parts.append(part)
        total += part
    return parts


def expand_input_by_factor(n, divisible_by=8):
    """Returns an expansion_size callable: input depth * n, made divisible."""
    return lambda num_inputs, **_: _make_divisible(num_inputs * n,
                                                   divisible_by)


def split_conv(input_tensor, num_outputs, num_ways, scope, divisible_by=8,
               **kwargs):
    """A 1x1 convolution split into num_ways independent groups.

    Input and output channels are cut into num_ways groups and group i of the
    output sees only group i of the input (scopes '<scope>_part_<i>').

    Falls back to one plain 1x1 conv named `scope` when num_ways is 1 or a
    group would have fewer than divisible_by channels. kwargs go to conv2d.
    """
    input_depth = input_tensor.get_shape().as_list()[3]
    if num_ways == 1 or min(input_depth // num_ways,
                            num_outputs // num_ways) < divisible_by:
        return slim.conv2d(input_tensor, num_outputs, [1, 1], scope=scope,
                           **kwargs)
    input_parts = tf.split(
        input_tensor, _split_divisible(input_depth, num_ways, divisible_by),
        axis=3, name='split_' + scope)
    output_sizes = _split_divisible(num_outputs, num_ways, divisible_by)
    outputs = []
    for i, (part, size) in enumerate(zip(input_parts, output_sizes)):
        part_scope = '%s_part_%d' % (scope, i)
        out = slim.conv2d(part, size, [1, 1], scope=part_scope, **kwargs)
        outputs.append(tf.identity(out, part_scope + '_output'))
    return tf.concat(outputs, 3, name=scope + '_concat')


@slim.add_arg_scope
def expanded_conv(
        input_tensor, num_outputs,
        expansion_size=expand_input_by_factor(6),  # noqa: B008 (research/slim's)
        stride=1, rate=1, kernel_size=(3, 3), residual=True,
        normalizer_fn=None, split_projection=1, split_expansion=1,
        split_divisible_by=8, expansion_transform=None,
        depthwise_location='expansion', depthwise_channel_multiplier=1,
        endpoints=None, use_explicit_padding=False, padding='SAME',
        inner_activation_fn=None, depthwise_activation_fn=None,
        project_activation_fn=tf.identity, depthwise_fn=slim.separable_conv2d,
        expansion_fn=split_conv, projection_fn=split_conv, scope=None):
    """Inverted residual block: expand (1x1) -> depthwise -> project (1x1).

    Args:
      input_tensor: input of shape [batch, height, width, depth].
      num_outputs: depth of the projection (the block's output).
      expansion_size: inner depth, or a callable taking num_inputs= (the input
        depth) and returning it. No expansion conv is built when the inner
        depth does not exceed the input depth.
      stride: stride of the depthwise convolution.
      rate: dilation rate of the depthwise convolution.
      kernel_size: depthwise kernel size.
      residual: add the input to the output when shapes allow (stride 1 and
        equal depth); a callable(input_tensor=, output_tensor=) replaces the
        sum.
      normalizer_fn: normalizer of all three convolutions.
      split_projection: groups of the projection conv (see split_conv).
      split_expansion: groups of the expansion conv (see split_conv).
      split_divisible_by: each group's depth is a multiple of this.
      expansion_transform: optional callable(expansion_tensor=, input_tensor=)
        applied after the depthwise conv (MobileNet v3's squeeze-excite).
      depthwise_location: where the depthwise conv goes: 'expansion' (after
        the expansion, the usual place), 'input', 'output', or None (none).
      depthwise_channel_multiplier: depthwise outputs per input channel.
      endpoints: optional dict that receives 'expansion_output',
        'depthwise_output' and 'projection_output'.
      use_explicit_padding: pad explicitly and use VALID convolutions.
      padding: padding of the depthwise conv without explicit padding.
      inner_activation_fn: activation of the expansion and depthwise convs
        (the arg_scope's when None).
      depthwise_activation_fn: activation of the depthwise conv only.
      project_activation_fn: activation of the projection (linear by default).
      depthwise_fn: builds the depthwise conv.
      expansion_fn: builds the expansion conv.
      projection_fn: builds the projection conv.
      scope: variable scope, 'expanded_conv[_N]' by default.

    Returns:
      The block's output tensor, named '<scope>/output'.

    Raises:
      TypeError: on an unknown depthwise_location, or explicit padding with a
        padding other than 'SAME'.
    """
    conv_defaults = {}
    depthwise_defaults = {}
    if inner_activation_fn is not None:
        conv_defaults['activation_fn'] = inner_activation_fn
        depthwise_defaults['activation_fn'] = inner_activation_fn
    if depthwise_activation_fn is not None:
        depthwise_defaults['activation_fn'] = depthwise_activation_fn
    if depthwise_location not in (None, 'input', 'output', 'expansion'):
        raise TypeError('%r is unknown value for depthwise_location' %
                        depthwise_location)
    if use_explicit_padding:
        if padding != 'SAME':
            raise TypeError('`use_explicit_padding` should only be used with '
                            '"SAME" padding.')
        padding = 'VALID'

    with tf.variable_scope(scope, default_name='expanded_conv') as s, \
            tf.name_scope(s.original_name_scope), \
            slim.arg_scope([slim.conv2d], **conv_defaults), \
            slim.arg_scope([slim.separable_conv2d], **depthwise_defaults):
        input_depth = input_tensor.get_shape().as_list()[3]
        depthwise = functools.partial(
            depthwise_fn, num_outputs=None, kernel_size=kernel_size,
            depth_multiplier=depthwise_channel_multiplier, stride=stride,
            rate=rate, normalizer_fn=normalizer_fn, padding=padding,
            scope='depthwise')

        def add_depthwise(net, **kwargs):
            if use_explicit_padding:
                net = _fixed_padding(net, kernel_size, rate)
            net = tf.identity(depthwise(net, **kwargs),
                              name='depthwise_output')
            if endpoints is not None:
                endpoints['depthwise_output'] = net
            return net

        input_tensor = tf.identity(input_tensor, 'input')
        net = input_tensor
        if depthwise_location == 'input':
            net = add_depthwise(net, activation_fn=None)

        inner_size = (expansion_size(num_inputs=input_depth)
                      if callable(expansion_size) else expansion_size)
        if inner_size > net.shape[3]:
            expand = expansion_fn
            if expand is split_conv:
                expand = functools.partial(split_conv,
                                           num_ways=split_expansion,
                                           divisible_by=split_divisible_by,
                                           stride=1)
            net = expand(net, inner_size, scope='expand',
                         normalizer_fn=normalizer_fn)
            net = tf.identity(net, 'expansion_output')
            if endpoints is not None:
                endpoints['expansion_output'] = net

        if depthwise_location == 'expansion':
            net = add_depthwise(net)
        if expansion_transform:
            net = expansion_transform(expansion_tensor=net,
                                      input_tensor=input_tensor)

        project = projection_fn
        if project is split_conv:
            project = functools.partial(split_conv, num_ways=split_projection,
                                        divisible_by=split_divisible_by,
                                        stride=1)
        net = project(net, num_outputs, scope='project',
                      normalizer_fn=normalizer_fn,
                      activation_fn=project_activation_fn)
        if endpoints is not None:
            endpoints['projection_output'] = net
        if depthwise_location == 'output':
            net = add_depthwise(net, activation_fn=None)

        if callable(residual):
            net = residual(input_tensor=input_tensor, output_tensor=net)
        elif (residual and stride == 1
              and net.get_shape().as_list()[3] == input_depth):
            net += input_tensor
        return tf.identity(net, name='output')


@slim.add_arg_scope
def squeeze_excite(input_tensor, divisible_by=8, squeeze_factor=3,
                   inner_activation_fn=tf.nn.relu, gating_fn=tf.sigmoid,
                   squeeze_input_tensor=None, pool=None):
    """Squeeze-and-excite: gates each channel by its spatial average.

    The pooled input goes through a narrow 1x1 conv ("squeeze") and a 1x1
    conv back to full depth ("excite"), whose output scales the input.

    Args:
      input_tensor: tensor to gate, [batch, height, width, channels].
      divisible_by: the squeezed depth is made a multiple of this.
      squeeze_factor: squeezed depth = gating input depth / squeeze_factor.
      inner_activation_fn: activation of the squeezing 1x1 conv.
      gating_fn: activation of the exciting 1x1 conv, the gate.
      squeeze_input_tensor: if given, the gate is computed from this tensor
        instead of input_tensor.
      pool: if given, pool with this window (and stride) instead of over the
        whole map, then resize the gate bilinearly to the input size (needs
        a known input size). Without it the gate comes from the spatial mean,
        so inputs of unknown height and width work.

    Returns:
      input_tensor * gate.
    """
    with tf.variable_scope('squeeze_excite'):
        if squeeze_input_tensor is None:
            squeeze_input_tensor = input_tensor
        input_size = input_tensor.shape.as_list()[1:3]
        pool_height, pool_width = squeeze_input_tensor.shape.as_list()[1:3]
        stride = 1
        if pool is not None and pool_height >= pool:
            pool_height, pool_width, stride = pool, pool, pool
        squeeze_channels = _make_divisible(
            squeeze_input_tensor.shape.as_list()[3] / squeeze_factor,
            divisor=divisible_by)
        if pool is None:
            # The spatial mean works whatever the input size, known or not.
            pooled = tf.reduce_mean(squeeze_input_tensor, axis=[1, 2],
                                    keepdims=True)
        else:
            pooled = tf.nn.avg_pool(squeeze_input_tensor,
                                    (1, pool_height, pool_width, 1),
                                    strides=(1, stride, stride, 1),
                                    padding='VALID')
        squeeze = slim.conv2d(pooled, squeeze_channels, [1, 1],
                              normalizer_fn=None,
                              activation_fn=inner_activation_fn)
        excite = slim.conv2d(squeeze,
                             input_tensor.shape.as_list()[3], [1, 1],
                             normalizer_fn=None, activation_fn=gating_fn)
        if pool is not None:
            excite = tf.image.resize_images(excite, input_size,
                                            align_corners=True)
        return input_tensor * excite
