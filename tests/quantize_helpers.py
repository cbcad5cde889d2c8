"""Small networks, the digits as arrays, and short training runs for the
quantization tests (tests/test_quantize*.py)."""

import numpy as np
import tensorflow.compat.v1 as tf
import tf_slim as slim

from nets import mobilenet_v1, nets_factory
from slimtrain.compute import quantize
from slimtrain.data.datasets import dataset_factory
from slimtrain.scenarios import Scenario, TrainStep, Update

# The digits as LeNet reads them: 28x28x1 in [-1, 1).
LENET_SIZE = 28
# mobilenet_v1 halves the image five times: 32 is the smallest size.
MOBILENET_SIZE = 32


def digits(split, size=LENET_SIZE, channels=1):
    """(images float32 [N, size, size, channels] in [-1, 1), labels [N])."""
    images, labels = [], []
    for image, label in dataset_factory.get_dataset(
            "digits", split).make_dataset().as_numpy_iterator():
        images.append(image)
        labels.append(label)
    images = (np.stack(images).astype(np.float32) - 128.0) / 128.0
    pad = (size - images.shape[1]) // 2
    images = np.pad(images, [(0, 0), (pad, pad), (pad, pad), (0, 0)],
                    constant_values=-1.0)
    return np.repeat(images, channels, axis=3), np.array(labels, np.int64)


def tiny_bn_net(images, is_training, scope="Tiny", num_classes=3):
    """conv+BN+relu6, depthwise (multiplier 2)+BN+relu6, fc+BN+relu6, logits.

    Every kind of layer the rewrite folds, with slim's own layers: Conv2D,
    DepthwiseConv2dNative and MatMul (whose batch norm slim reshapes to
    rank 4 and back), each followed by slim.batch_norm, and a biased logits
    layer without activation.
    """
    batch_norm = {"is_training": is_training, "decay": 0.9, "epsilon": 1e-3,
                  "scale": True}
    with slim.arg_scope([slim.conv2d, slim.separable_conv2d,
                         slim.fully_connected],
                        normalizer_fn=slim.batch_norm,
                        normalizer_params=batch_norm,
                        activation_fn=tf.nn.relu6), \
            tf.variable_scope(scope):
        net = slim.conv2d(images, 4, [3, 3], stride=2, scope="conv")
        net = slim.separable_conv2d(net, None, [3, 3], depth_multiplier=2,
                                    scope="depthwise")
        net = slim.fully_connected(slim.flatten(net), 6, scope="fc")
        return slim.fully_connected(net, num_classes, activation_fn=None,
                                    normalizer_fn=None, scope="logits")


class TinyBatchNormScenario(Scenario):
    """`tiny_bn_net` as train.py's --scenario: a user's own model with every
    kind of batch norm the rewrite folds, and no dropout (whose masks a
    resumed process would draw anew), so that a resume is exact."""

    preprocessing_name = "lenet"
    image_size = LENET_SIZE
    metric_names = ("Accuracy",)

    def build_train(self, images, labels, run):
        logits = tiny_bn_net(images, True, num_classes=run.num_classes)
        loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
        return TrainStep(updates=[Update("loss", loss)])

    def build_eval(self, images, labels, run):
        logits = tiny_bn_net(images, False, num_classes=run.num_classes)
        return {"Accuracy": slim.metrics.streaming_accuracy(
            tf.argmax(logits, 1), labels)}


def small_mobilenet(images, is_training):
    """mobilenet_v1 at depth 0.25, its batch norms' decay 0.9 so that the
    moving statistics settle within a short run."""
    with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(
            is_training=is_training, batch_norm_decay=0.9)):
        logits, _ = mobilenet_v1.mobilenet_v1(
            images, num_classes=10, is_training=is_training,
            depth_multiplier=0.25)
    return logits


def lenet(images, is_training):
    logits, _ = nets_factory.get_network_fn(
        "lenet", 10, is_training=is_training)(images)
    return logits


def train(network, checkpoint_dir, images, labels, steps, options=None,
          init_from=None, batch_size=32, learning_rate=0.001, seed=0):
    """Trains `network` on the arrays; saves a checkpoint; returns its path.

    Args:
      network: fn(images, is_training) -> logits.
      options: the training rewrite's QuantizeOptions, or None for float.
      init_from: a checkpoint whose model variables to start from.
    """
    with tf.Graph().as_default() as graph:
        tf.set_random_seed(seed)
        inputs = tf.placeholder(tf.float32, [None] + list(images.shape[1:]))
        targets = tf.placeholder(tf.int64, [None])
        tf.losses.sparse_softmax_cross_entropy(targets,
                                               network(inputs, True))
        global_step = tf.train.get_or_create_global_step()
        if options is not None:
            quantize.rewrite(graph, options)
        train_op = slim.learning.create_train_op(
            tf.losses.get_total_loss(), tf.train.AdamOptimizer(learning_rate))
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            if init_from:
                tf.train.Saver(slim.get_model_variables()).restore(
                    session, init_from)
            order = np.random.RandomState(seed)
            for _ in range(steps):
                batch = order.randint(0, len(images), batch_size)
                session.run(train_op, {inputs: images[batch],
                                       targets: labels[batch]})
            return tf.train.Saver().save(
                session, str(checkpoint_dir) + "/model.ckpt",
                global_step=global_step)
