"""docs/NETWORKS.md agrees with the code, and its usage example runs.

Parameter counts and exclude scopes of the table are checked by
tests/test_zoo_roundtrip.py, which builds every network anyway.
"""

import re

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import mobilenet_v1, nets_factory
from slimtrain.data.preprocessing import preprocessing_factory
from tests.zoo_helpers import (
    DOC,
    NETWORKS,
    fast_graph_building,  # noqa: F401
    session,
)

pytestmark = pytest.mark.usefixtures('fast_graph_building')

# The published checkpoints without a background class (research/slim's
# model table): they need --labels_offset=1 on 1001-class data.
THOUSAND_CLASS_CHECKPOINTS = {'vgg_16', 'vgg_19', 'resnet_v1_50',
                              'resnet_v1_101', 'resnet_v1_152'}


def test_table_lists_every_network_of_the_factory():
    assert sorted(NETWORKS) == sorted(nets_factory.networks_map)


def test_documented_network_counts():
    """README and NETWORKS.md say how many classifiers the factory has."""
    count = len(nets_factory.networks_map)
    readme = (DOC.parent.parent / 'README.md').read_text()
    assert re.search(r'all %d\s+classifiers' % count, readme)
    assert re.search(r'all %d\s+classifiers' % count, DOC.read_text())


def test_table_image_sizes_and_preprocessing_match_the_code():
    modules = preprocessing_factory.PREPROCESSING_MODULES
    for name, row in NETWORKS.items():
        network_fn = nets_factory.get_network_fn(name, row.classes)
        assert network_fn.default_image_size == row.image_size, name
        module = modules.get(name)
        expected = module and module.__name__.rsplit('.', 1)[-1].replace(
            '_preprocessing', '')
        assert row.preprocessing == expected, name


def test_table_class_counts():
    for name, row in NETWORKS.items():
        if row.published:
            expected = 1000 if name in THOUSAND_CLASS_CHECKPOINTS else 1001
            assert row.classes == expected, name
    assert {name for name, row in NETWORKS.items()
            if row.published and row.classes == 1000} == (
                THOUSAND_CLASS_CHECKPOINTS)


def test_usage_example_classifies_a_batch(tmp_path):
    example = re.search(r'```python\n(.*?)```', DOC.read_text(),
                        re.DOTALL).group(1)
    checkpoint = str(tmp_path / 'mobilenet_v1.ckpt')
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [None, 224, 224, 3])
        with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope()):
            mobilenet_v1.mobilenet_v1(inputs, num_classes=1001)
        with session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver().save(sess, checkpoint, write_meta_graph=False)

    namespace = {}
    exec(compile(example, str(DOC), 'exec'), namespace)  # noqa: S102
    images = np.random.RandomState(0).uniform(
        -1, 1, (2, 224, 224, 3)).astype(np.float32)
    top = namespace['classify'](images, checkpoint, top_k=3)
    assert top.shape == (2, 3)
    assert ((0 <= top) & (top < 1001)).all()
