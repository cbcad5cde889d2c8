"""Loads an exported file and runs it on a batch, as its users would.

Each runner's `run` takes a batch (preprocessed float32 images, or a list
of encoded image bytes for the SavedModel's serving signature) and returns
{output name: NumPy array}. They are what the parity check, predict.py and
bench/export_latency.py run, so each file is checked the way it is used:

  SavedModelRunner  `tf.saved_model.load` in TF 2 eager code, one signature.
  FrozenGraphRunner the GraphDef imported into a fresh graph and session.
  TFLiteRunner      the TFLite interpreter, resized to the batch.

(`int8_runner.Int8TFLiteRunner` runs a full-integer model the same way.)
`run_in_batches` runs any of them over more examples than one call should
take.

The TFLite interpreter is `ai_edge_litert.interpreter.Interpreter` (the
package that replaces `tf.lite.Interpreter`) when it is installed, else
TensorFlow's own `tf.lite.Interpreter`.
"""

import numpy as np
import tensorflow as tf
import tensorflow.compat.v1 as tf1

from slimtrain.export import writers
from slimtrain.export.model import INPUT_NAME
from slimtrain.startup import quiet_native_lines

try:
    from ai_edge_litert.interpreter import Interpreter
except ImportError:  # not a dependency of slimtrain: TensorFlow's own
    Interpreter = tf.lite.Interpreter


def run_in_batches(runner, inputs, batch_size):
    """`runner.run` over `inputs` (an array or list) `batch_size` at a time;
    returns each output's batches concatenated."""
    parts = [runner.run(inputs[start:start + batch_size])
             for start in range(0, len(inputs), batch_size)]
    return {name: np.concatenate([part[name] for part in parts])
            for name in parts[0]}


class SavedModelRunner:
    """Runs one signature of a SavedModel in eager mode."""

    def __init__(self, path, signature=writers.SERVING_SIGNATURE):
        self._function = tf.saved_model.load(path).signatures[signature]
        self._input_key = next(iter(
            self._function.structured_input_signature[1]))

    def run(self, batch):
        """`batch`: encoded images (serving_default) or float32 images."""
        result = self._function(**{self._input_key: tf.constant(batch)})
        return {name: value.numpy() for name, value in result.items()}


class FrozenGraphRunner:
    """Runs a frozen GraphDef's outputs in a session of its own."""

    def __init__(self, path, output_names):
        graph_def = tf1.GraphDef()
        with open(path, "rb") as handle:
            graph_def.ParseFromString(handle.read())
        graph = tf.Graph()
        with graph.as_default():
            tf1.import_graph_def(graph_def, name="")
        self._session = tf1.Session(graph=graph)
        self._input = graph.get_tensor_by_name("%s:0" % INPUT_NAME)
        self._outputs = {name: graph.get_tensor_by_name("%s:0" % name)
                         for name in output_names}

    def run(self, images):
        return self._session.run(self._outputs, {self._input: images})

    def close(self):
        self._session.close()


class TFLiteRunner:
    """Runs a TFLite model, resizing its input to each batch's size."""

    def __init__(self, path, num_threads=None):
        """`num_threads`: the interpreter's threads (None: its default).

        The interpreter's native start-up line (its XNNPACK delegate) is
        dropped unless -v 1 is given (`startup.quiet_native_lines`).
        """
        with quiet_native_lines():
            self._interpreter = Interpreter(model_path=path,
                                            num_threads=num_threads)
        self._input = self._interpreter.get_input_details()[0]
        self._batch = None

    def run(self, images):
        images = np.asarray(images, np.float32)
        if self._batch != len(images):
            self._interpreter.resize_tensor_input(self._input["index"],
                                                  images.shape)
            with quiet_native_lines():
                self._interpreter.allocate_tensors()
            self._batch = len(images)
        self._interpreter.set_tensor(self._input["index"], images)
        self._interpreter.invoke()
        return {detail["name"]: self._interpreter.get_tensor(detail["index"])
                for detail in self._interpreter.get_output_details()}
