"""Where a run's training input stream stands, saved with every checkpoint.

The training input is a seekable stream (`slimtrain.data.input_pipeline`):
its seed and the number of examples taken from it say exactly what comes
next. Both are kept in two int64 variables under "input_position/", which
the train op advances by one batch per step and every checkpoint saves, so
a resumed run reads them back (`read_position`) and enters the stream where
the checkpoint left it: 16 bytes per checkpoint, whatever the data set.

They are local variables (not in GLOBAL_VARIABLES), so evaluation, export
and fine-tuning never see them; their initial values are the position the
run starts at.
"""

import tensorflow.compat.v1 as tf

SCOPE = "input_position"
SEED_NAME = SCOPE + "/seed"
EXAMPLES_NAME = SCOPE + "/examples"


def read_position(checkpoint):
    """Returns (seed, examples) saved in `checkpoint`, or None if it has none
    (a checkpoint of an older slimtrain, or of a run with several workers)."""
    reader = tf.train.NewCheckpointReader(checkpoint)
    if not (reader.has_tensor(SEED_NAME) and reader.has_tensor(EXAMPLES_NAME)):
        return None
    return (int(reader.get_tensor(SEED_NAME)),
            int(reader.get_tensor(EXAMPLES_NAME)))


class InputPosition:
    """The variables holding the stream's seed and the examples taken.

    Attributes:
      variables: the two variables, for the Saver's var_list.
      advance_op: adds one batch to the examples taken; run with each step.
      examples: the examples taken as this process counts them.
    """

    def __init__(self, seed, examples, batch_size):
        self._batch_size = batch_size
        self.examples = examples
        with tf.variable_scope(SCOPE):
            seed_var = tf.Variable(seed, dtype=tf.int64, name="seed",
                                   trainable=False,
                                   collections=[tf.GraphKeys.LOCAL_VARIABLES])
            examples_var = tf.Variable(
                examples, dtype=tf.int64, name="examples", trainable=False,
                collections=[tf.GraphKeys.LOCAL_VARIABLES])
            self.advance_op = examples_var.assign_add(batch_size)
            self._value = tf.placeholder(tf.int64, [], name="value")
            self._write_op = examples_var.assign(self._value)
        self.variables = [seed_var, examples_var]

    def advanced(self):
        """Counts one batch taken by a step (trained or failed)."""
        self.examples += self._batch_size

    def write(self, sess):
        """Sets the variable to this process's count, e.g. after a restore
        brought back an older position."""
        sess.run(self._write_op, {self._value: self.examples})
