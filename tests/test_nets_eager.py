"""nets.eager in TF 2 code: variables, modes, checkpoints, SavedModel.

A LeNet checkpoint written by slimtrain's trainer (what train.py runs) is
loaded into the module and must give the graph's logits; the module's own
checkpoints (tf.train.Checkpoint) and SavedModel export (reloaded in a fresh
process) must give them back. Batch norm's moving statistics must move in
training calls only, from eager code and inside tf.function, and calls must
trace one graph per input signature.

The tests run without tf_keras (see tests/eager_helpers.py).
"""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tf_slim as slim

from nets import eager, nets_factory
from slimtrain.data.datasets import dataset_factory
from slimtrain.data.preprocessing import preprocessing_factory
from slimtrain.errors import ConfigError
from slimtrain.training import trainer
from tests.eager_helpers import REPO, launcher, run_without_tf_keras, without_tf_keras
from tests.training_helpers import small_config
from tests.zoo_helpers import DOC

# MobileNet v1 at a quarter width, 32 pixels: batch norm in a few seconds.
BATCH_NORM_NET = 'mobilenet_v1_025'
MOVING_MEAN = 'MobilenetV1/Conv2d_0/BatchNorm/moving_mean'


@pytest.fixture(scope='module')
def train_dir(tmp_path_factory):
    """A train_dir with a LeNet checkpoint from 5 steps of the trainer."""
    directory = tmp_path_factory.mktemp('lenet')
    trainer.train(small_config(directory, max_number_of_steps=5))
    return directory


@pytest.fixture(scope='module')
def digits():
    """The first 16 test digits, preprocessed for LeNet."""
    split = dataset_factory.get_dataset('digits', 'test')
    preprocess = preprocessing_factory.get_preprocessing('lenet')
    images = []
    for record in split.read_records().take(16):
        image, _ = split.decode(record)
        images.append(preprocess(image, 28, 28).numpy())
    return np.stack(images)


def graph_logits(checkpoint, images, name='lenet', num_classes=10):
    """Logits of `name` restored from `checkpoint` in a graph and Session."""
    network_fn = nets_factory.get_network_fn(name, num_classes)
    with tf.Graph().as_default():
        inputs = tf.compat.v1.placeholder(tf.float32, images.shape)
        logits, _ = network_fn(inputs)
        saver = tf.compat.v1.train.Saver(slim.get_model_variables())
        with tf.compat.v1.Session() as sess:
            saver.restore(sess, checkpoint)
            return sess.run(logits, {inputs: images})


@without_tf_keras
def test_train_py_checkpoint_gives_the_graphs_logits(train_dir, digits):
    module = eager.network('lenet', 10)
    loaded = module.load_checkpoint(str(train_dir))
    assert loaded == sorted(v.name[:-2] for v in module.variables)
    assert 'LeNet/conv1/weights' in loaded
    expected = graph_logits(tf.train.latest_checkpoint(str(train_dir)),
                            digits)
    logits, end_points = module(digits)
    np.testing.assert_allclose(logits.numpy(), expected, rtol=1e-5,
                               atol=1e-5)
    assert set(end_points) >= {'conv1', 'fc3', 'Logits', 'Predictions'}


@without_tf_keras
def test_variables_are_tracked_under_checkpoint_names():
    module = eager.network('lenet', 10)
    module.build()
    with tf.Graph().as_default():
        nets_factory.get_network_fn('lenet', 10)(
            tf.compat.v1.placeholder(tf.float32, [1, 28, 28, 1]))
        names = sorted(v.op.name for v in tf.compat.v1.global_variables())
        trainable = sorted(
            v.op.name for v in tf.compat.v1.trainable_variables())
    assert sorted(v.name[:-2] for v in module.variables) == names
    assert sorted(
        v.name[:-2] for v in module.trainable_variables) == trainable
    assert sorted(module.slim_variables) == names


@without_tf_keras
def test_load_checkpoint_exclude_scopes_and_errors(train_dir, digits):
    checkpoint = tf.train.latest_checkpoint(str(train_dir))
    five = eager.network('lenet', 5)
    with pytest.raises(ConfigError, match=r'LeNet/fc4/weights.*\[1024, 10\]'):
        five.load_checkpoint(str(train_dir))
    # Nothing is loaded, not even the variables whose shapes agree.
    assert not np.array_equal(
        five.slim_variables['LeNet/fc3/weights'].numpy(),
        tf.train.load_variable(checkpoint, 'LeNet/fc3/weights'))
    untouched = five.slim_variables['LeNet/fc4/weights'].numpy()
    loaded = five.load_checkpoint(str(train_dir), exclude_scopes='LeNet/fc4')
    assert 'LeNet/fc4/weights' not in loaded and 'LeNet/fc3/weights' in loaded
    np.testing.assert_array_equal(
        five.slim_variables['LeNet/fc4/weights'].numpy(), untouched)
    np.testing.assert_array_equal(
        five.slim_variables['LeNet/fc3/weights'].numpy(),
        tf.train.load_variable(checkpoint, 'LeNet/fc3/weights'))

    with pytest.raises(ConfigError, match='lacks .*MobilenetV1/'):
        eager.network(BATCH_NORM_NET, 10).load_checkpoint(checkpoint)
    with pytest.raises(ConfigError, match='no checkpoint|not a checkpoint'):
        eager.network('lenet', 10).load_checkpoint(
            str(train_dir / 'missing.ckpt'))


@without_tf_keras
def test_tf_train_checkpoint_round_trip(train_dir, digits, tmp_path):
    module = eager.network('lenet', 10)
    module.load_checkpoint(str(train_dir))
    path = tf.train.Checkpoint(net=module).save(str(tmp_path / 'ckpt'))
    expected, _ = module(digits)

    restored = eager.network('lenet', 10)
    restored.build()
    tf.train.Checkpoint(net=restored).restore(path).assert_consumed()
    logits, _ = restored(digits)
    np.testing.assert_array_equal(logits.numpy(), expected.numpy())


@without_tf_keras
def test_saved_model_reloads_in_a_fresh_process(train_dir, digits, tmp_path):
    module = eager.network('lenet', 10)
    module.load_checkpoint(str(train_dir))
    export = str(tmp_path / 'saved_model')
    tf.saved_model.save(module, export,
                        signatures=module.inference_function())
    np.save(tmp_path / 'images.npy', digits)
    expected, _ = module(digits)

    # The fresh process imports neither nets nor slimtrain, nor tf_keras.
    script = (
        "import sys; sys.modules['tf_keras'] = None\n"
        "import numpy as np, tensorflow as tf\n"
        "loaded = tf.saved_model.load(sys.argv[1])\n"
        "serve = loaded.signatures['serving_default']\n"
        "images = tf.constant(np.load(sys.argv[2]))\n"
        "np.save(sys.argv[3], serve(images=images)['logits'].numpy())\n"
        "assert 'nets' not in sys.modules and 'slimtrain' not in sys.modules\n")
    subprocess.run(
        [sys.executable, '-c', script, export, str(tmp_path / 'images.npy'),
         str(tmp_path / 'logits.npy')],
        check=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2'),
        timeout=300)
    np.testing.assert_array_equal(np.load(tmp_path / 'logits.npy'),
                                  expected.numpy())


@without_tf_keras
def test_batch_norm_moving_statistics_update_only_in_training():
    module = eager.network(BATCH_NORM_NET, 10)
    images = tf.random.stateless_normal([4, 32, 32, 3], seed=[1, 2])
    module(images)
    moving_mean = module.slim_variables[MOVING_MEAN]
    assert not moving_mean.numpy().any()  # inference leaves it at zero

    module(images, is_training=True)
    after_eager = moving_mean.numpy()
    assert after_eager.any()

    compiled = tf.function(module)
    compiled(images)
    np.testing.assert_array_equal(moving_mean.numpy(), after_eager)
    compiled(images, is_training=True)
    assert not np.array_equal(moving_mean.numpy(), after_eager)


@without_tf_keras
def test_one_trace_per_input_signature():
    module = eager.network('lenet', 10)
    small = tf.zeros([2, 28, 28, 1])
    large = tf.zeros([5, 28, 28, 1])
    for _ in range(3):
        module(small)
        module(small, is_training=True)
        module(large)
    assert module.tracing_count == 3

    compiled = tf.function(module)
    for _ in range(3):
        compiled(small)
        compiled(large, is_training=True)
    assert compiled.experimental_get_tracing_count() == 2
    assert len(module.variables) == 8  # no call made variables of its own


@without_tf_keras
def test_inside_tf_function_before_variables_exist():
    module = eager.network('lenet', 10)
    with pytest.raises(RuntimeError, match='build'):
        tf.function(module)(tf.zeros([1, 28, 28, 1]))


@without_tf_keras
def test_regularization_losses_equal_the_graphs():
    module = eager.network('lenet', 10, weight_decay=0.01)
    module.build()
    values = {name: v.numpy() for name, v in module.slim_variables.items()}
    network_fn = nets_factory.get_network_fn('lenet', 10, weight_decay=0.01)
    with tf.Graph().as_default():
        network_fn(tf.compat.v1.placeholder(tf.float32, [1, 28, 28, 1]))
        with tf.compat.v1.Session() as sess:
            for variable in tf.compat.v1.global_variables():
                variable.load(values[variable.op.name], sess)
            expected = sess.run(tf.compat.v1.losses.get_regularization_loss())
    total = tf.add_n(module.regularization_losses()).numpy()
    np.testing.assert_allclose(total, expected, rtol=1e-6)


@without_tf_keras
def test_op_by_op_execution_leaves_no_collections_behind():
    """With tf.config.run_functions_eagerly(True), slim's layers run op by
    op; what they add to graph collections must not pile up in the global
    graph."""
    module = eager.network(BATCH_NORM_NET, 10)
    images = tf.random.stateless_normal([4, 32, 32, 3], seed=[3, 4])
    compiled_logits, _ = module(images)
    graph = tf.compat.v1.get_default_graph()

    def collection_sizes():
        sizes = {key: len(graph.get_collection(key))
                 for key in graph.get_all_collection_keys()}
        return {key: size for key, size in sizes.items() if size}

    sizes = collection_sizes()
    tf.config.run_functions_eagerly(True)
    try:
        eager_logits, _ = module(images)
        module(images, is_training=True)
    finally:
        tf.config.run_functions_eagerly(False)
    assert module.slim_variables[MOVING_MEAN].numpy().any()
    assert collection_sizes() == sizes
    np.testing.assert_allclose(eager_logits.numpy(), compiled_logits.numpy(),
                               rtol=1e-5, atol=1e-5)


@without_tf_keras
@pytest.mark.slow
def test_finetune_example_reaches_its_accuracy(train_dir):
    """examples/finetune_eager.py with its defaults (300 steps), as
    docs/NETWORKS.md states it, on the trainer's 5-step checkpoint, in a
    process where tf_keras cannot be imported (about 50 s on 2 cores)."""
    example = os.path.join(REPO, 'examples', 'finetune_eager.py')
    script = ("import runpy, sys; sys.modules['tf_keras'] = None; "
              "sys.argv = sys.argv[1:]; "
              "runpy.run_path(sys.argv[0], run_name='__main__')")
    proc = subprocess.run(
        [sys.executable, '-c', script, example,
         '--checkpoint_path=%s' % train_dir, '--min_accuracy=0.97'],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONPATH=REPO),
        timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert 'Loaded 6 variables' in proc.stdout
    assert 'even/odd accuracy on the test digits' in proc.stdout


@without_tf_keras
def test_keras_layer_runs_the_module_but_does_not_train_it(train_dir, digits):
    """What docs/NETWORKS.md says of Keras 3: a layer wrapping the module
    computes its logits, but Keras tracks only its own variables."""
    import keras  # pylint: disable=import-outside-toplevel

    class SlimLayer(keras.layers.Layer):
        def __init__(self, module, **kwargs):
            super().__init__(**kwargs)
            self.module = module

        def call(self, images, training=False):
            return self.module(images, is_training=bool(training))[0]

    module = eager.network('lenet', 10)
    module.load_checkpoint(str(train_dir))
    inputs = keras.Input((28, 28, 1))
    model = keras.Model(inputs, SlimLayer(module)(inputs))
    np.testing.assert_allclose(model.predict(digits, verbose=0),
                               module(digits)[0].numpy(), rtol=1e-5,
                               atol=1e-5)
    assert model.trainable_weights == []


@without_tf_keras
def test_docs_example_runs(train_dir, digits, tmp_path):
    """The code of docs/NETWORKS.md's "From TF 2 code": classify, one
    fine-tuning step inside a tf.function with a Keras 3 optimizer, export."""
    import keras  # pylint: disable=import-outside-toplevel

    section = DOC.read_text().split('## From TF 2 code', 1)[1]
    example = re.search(r'```python\n(.*?)```', section, re.DOTALL).group(1)
    namespace = {}
    exec(compile(example, str(DOC), 'exec'), namespace)  # noqa: S102

    top = namespace['classify'](digits, str(train_dir), top_k=3)
    net = eager.network('lenet', 10)
    net.load_checkpoint(str(train_dir))
    logits, _ = net(digits)
    np.testing.assert_array_equal(
        top, tf.math.top_k(logits, k=3).indices.numpy())

    before = net.slim_variables['LeNet/fc4/weights'].numpy()
    step = tf.function(namespace['fine_tune_step'])
    loss = step(net, keras.optimizers.Adam(1e-3), tf.constant(digits),
                tf.range(len(digits)) % 10)
    assert np.isfinite(loss.numpy())
    assert not np.array_equal(
        net.slim_variables['LeNet/fc4/weights'].numpy(), before)

    namespace['export'](net, str(tmp_path / 'exported'))
    serve = tf.saved_model.load(
        str(tmp_path / 'exported')).signatures['serving_default']
    np.testing.assert_allclose(serve(images=tf.constant(digits))['logits'],
                               net(digits)[0].numpy(), rtol=1e-5, atol=1e-5)


@launcher
def test_this_file_without_tf_keras():
    run_without_tf_keras(__file__, 'not slow')


@launcher
@pytest.mark.slow
def test_slow_tests_of_this_file_without_tf_keras():
    run_without_tf_keras(__file__, 'slow')
