"""Helpers shared by the tests/test_zoo_*.py modules.

`NETWORKS` is the table of docs/NETWORKS.md, parsed: the tests check the
code against it, so the documented image sizes, parameter counts and
--checkpoint_exclude_scopes stay true.

Building a large network's graph takes seconds, so `build_once` keeps each
network built at its default image size for the rest of the test session:
the name and shape tests at 1001 classes and the round trip's first build
share one graph.
"""

import collections
import pathlib

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
from tensorflow.core.protobuf import rewriter_config_pb2

from nets import nets_factory

DOC = pathlib.Path(__file__).resolve().parent.parent / 'docs' / 'NETWORKS.md'

Row = collections.namedtuple(
    'Row', ['image_size', 'preprocessing', 'classes', 'published',
            'parameters', 'exclude_scopes'])


def _cell_text(cell):
    return cell.strip().strip('`')


def read_networks_table(path=DOC):
    """Parses the network table of docs/NETWORKS.md into {name: Row}."""
    rows = {}
    lines = path.read_text().splitlines()
    start = lines.index(next(line for line in lines
                             if line.startswith('| Network |')))
    for line in lines[start + 2:]:
        if not line.startswith('|'):
            break
        name, size, preprocessing, classes, parameters, scopes = [
            _cell_text(cell) for cell in line.strip('|').split('|')]
        if name in rows:
            raise ValueError('%s is listed twice in %s' % (name, path))
        rows[name] = Row(
            image_size=int(size),
            preprocessing=None if preprocessing == 'none' else preprocessing,
            classes=int(classes.rstrip('*')),
            published=not classes.endswith('*'),
            parameters=int(parameters.replace(',', '')),
            exclude_scopes=tuple(scopes.split(',')))
    return rows


NETWORKS = read_networks_table()


@pytest.fixture(scope='module')
def fast_graph_building():
    """Turns off TF2's tensor equality while a test module runs.

    In graph mode tensors and variables compare and hash by identity either
    way, so the graphs built are the same. With equality on, each hash
    first checks whether eager execution is active, and the legacy layers
    behind tf_slim hash every global variable each time they add one: a
    network of N variables costs O(N^2) of those checks, making
    resnet_v1_200 or inception_resnet_v2 about 3 times slower to build.
    """
    was_on = tf.Tensor._USE_EQUALITY  # pylint: disable=protected-access
    tf.disable_tensor_equality()
    yield
    if was_on:
        tf.enable_tensor_equality()


# The networks that take clips [batch, frames, height, width, 3], and the
# clip length they are built at (that of research/slim's tests; the
# variables do not depend on it).
VIDEO_NETWORKS = ('i3d', 's3dg')
CLIP_FRAMES = 64


def build(name, num_classes, image_size=None, batch_size=1,
          is_training=False, **kwargs):
    """Builds network `name` through nets_factory in the default graph.

    Returns (images placeholder, net, end_points); image_size defaults to
    the network's default_image_size, and video networks get clips of
    CLIP_FRAMES frames.
    """
    network_fn = nets_factory.get_network_fn(name, num_classes,
                                             is_training=is_training)
    size = image_size or network_fn.default_image_size
    channels = 1 if name == 'lenet' else 3
    if name in VIDEO_NETWORKS:
        images = tf.placeholder(
            tf.float32, [batch_size, CLIP_FRAMES, size, size, channels])
    else:
        images = tf.placeholder(tf.float32, [batch_size, size, size, channels])
    net, end_points = network_fn(images, **kwargs)
    return images, net, end_points


def session(graph=None):
    """A tf.Session without Grappler's graph rewriting.

    The tests run each large graph once or twice (initialize, save,
    restore), where optimizing the graph first costs more than it saves.
    """
    rewrite = rewriter_config_pb2.RewriterConfig(disable_meta_optimizer=True)
    config = tf.ConfigProto(
        graph_options=tf.GraphOptions(rewrite_options=rewrite))
    return tf.Session(graph=graph, config=config)


def variable_shapes():
    """{name: shape as a list} of every global variable of the graph."""
    return {var.op.name: var.get_shape().as_list()
            for var in tf.global_variables()}


def parameter_count(variables):
    return sum(int(np.prod(var.get_shape().as_list())) for var in variables)


Built = collections.namedtuple(
    'Built', ['graph', 'images', 'net', 'end_points', 'shapes',
              'trainable_parameters', 'parameters'])

_BUILT = {}


def build_once(name, num_classes):
    """Builds `name` at its default image size in a graph of its own, once.

    Returns a Built; later calls with the same arguments return the same
    one until `forget` drops it.
    """
    key = (name, num_classes)
    if key not in _BUILT:
        graph = tf.Graph()
        with graph.as_default():
            images, net, end_points = build(name, num_classes)
            _BUILT[key] = Built(
                graph, images, net, end_points, variable_shapes(),
                parameter_count(tf.trainable_variables()),
                parameter_count(tf.global_variables()))
    return _BUILT[key]


def forget(name, num_classes):
    """Drops the graph build_once kept for these arguments."""
    _BUILT.pop((name, num_classes), None)
