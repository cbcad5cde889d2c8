"""`tf.nn.rnn_cell` (and the cells of `tf.contrib.rnn`) without Keras 3.

In TensorFlow 2.21, `tf.compat.v1.nn.rnn_cell` is a Keras lazy loader:
with Keras 3 every member raises "`LSTMCell` is not available with Keras 3",
whether tf_keras is installed or not. The cells themselves still ship in
TensorFlow's frozen copy of the old Keras layers, and work in graph mode
without tf_keras; this module takes them from there.
"""

from tensorflow.python.keras.layers.legacy_rnn.rnn_cell_impl import (
    BasicLSTMCell,
    BasicRNNCell,
    DeviceWrapper,
    DropoutWrapper,
    GRUCell,
    LSTMCell,
    LSTMStateTuple,
    MultiRNNCell,
    ResidualWrapper,
    RNNCell,
)

__all__ = ["BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper",
           "GRUCell", "LSTMCell", "LSTMStateTuple", "MultiRNNCell", "RNNCell",
           "ResidualWrapper"]
