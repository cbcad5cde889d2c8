"""LeNet and CifarNet written with tf.keras, layer for layer as in `nets`.

Same layers, sizes, activations, padding, dropout and weight decay as
nets/lenet.py and nets/cifarnet.py (slim's l2_regularizer(w) is
w * sum(x**2) / 2, Keras' L2(w / 2) the same), so `Model.fit` does the
same arithmetic per step as the slim graph. Initializers differ; they do
not change the cost of a step.
"""

import keras
import tensorflow as tf
from keras import layers


def _l2(weight_decay):
    return keras.regularizers.L2(weight_decay / 2.0) if weight_decay else None


def lenet(num_classes, weight_decay, image_size=28, channels=1):
    reg = _l2(weight_decay)
    return keras.Sequential([
        keras.Input((image_size, image_size, channels)),
        layers.Conv2D(32, 5, padding="same", activation="relu",
                      kernel_regularizer=reg, name="conv1"),
        layers.MaxPooling2D(2, 2, name="pool1"),
        layers.Conv2D(64, 5, padding="same", activation="relu",
                      kernel_regularizer=reg, name="conv2"),
        layers.MaxPooling2D(2, 2, name="pool2"),
        layers.Flatten(name="flatten"),
        layers.Dense(1024, activation="relu", kernel_regularizer=reg,
                     name="fc3"),
        layers.Dropout(0.5, name="dropout3"),
        layers.Dense(num_classes, kernel_regularizer=reg, name="fc4"),
    ], name="LeNet")


def _lrn(name):
    return layers.Lambda(
        lambda x: tf.nn.lrn(x, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75),
        name=name)


def cifarnet(num_classes, weight_decay, image_size=32, channels=3):
    reg = _l2(weight_decay)
    return keras.Sequential([
        keras.Input((image_size, image_size, channels)),
        layers.Conv2D(64, 5, padding="same", activation="relu", name="conv1"),
        layers.MaxPooling2D(2, 2, name="pool1"),
        _lrn("norm1"),
        layers.Conv2D(64, 5, padding="same", activation="relu", name="conv2"),
        _lrn("norm2"),
        layers.MaxPooling2D(2, 2, name="pool2"),
        layers.Flatten(name="flatten"),
        layers.Dense(384, activation="relu", kernel_regularizer=reg,
                     name="fc3"),
        layers.Dropout(0.5, name="dropout3"),
        layers.Dense(192, activation="relu", kernel_regularizer=reg,
                     name="fc4"),
        layers.Dense(num_classes, name="logits"),
    ], name="CifarNet")


BUILDERS = {"lenet": lenet, "cifarnet": cifarnet}
