"""Runs an int8 TFLite model on float images, as `runners.TFLiteRunner` does.

The model (see `int8_tflite`) takes int8 images and gives int8 logits and
probabilities. `Int8TFLiteRunner.run` takes the same preprocessed float32
batch as the float runners and returns the same outputs: the images are
quantized with the input's scale and zero point (round half up, as
TensorFlow's fake quant rounds), the outputs dequantized, and `classes`
and `top_<k>_*` computed from them, so the parity check and predict.py
read an int8 model like any other. `tflite_runner` picks the runner of an
export dir's model.tflite by what its export.json says it is.
"""

import os

import numpy as np

from slimtrain.export import writers
from slimtrain.export.runners import Interpreter, TFLiteRunner

_INT8 = np.iinfo(np.int8)


class Int8TFLiteRunner:
    """Runs an int8 TFLite model, resizing its input to each batch's size."""

    def __init__(self, path, top_k=0, num_threads=None):
        """Args:
          path: the .tflite file.
          top_k: also return top_<k>_classes and top_<k>_probabilities
            (0: not).
          num_threads: the interpreter's threads (None: its default).
        """
        self._interpreter = Interpreter(model_path=path,
                                        num_threads=num_threads)
        self._input = self._interpreter.get_input_details()[0]
        self._top_k = top_k
        self._batch_shape = None

    @property
    def input_quantization(self):
        """(scale, zero point) of the int8 input."""
        return self._input["quantization"]

    def run(self, images):
        """Returns {name: float32 array} plus int64 `classes` (and top-k)."""
        images = np.asarray(images, np.float32)
        scale, zero_point = self.input_quantization
        quantized = np.clip(np.floor(images / scale + 0.5) + zero_point,
                            _INT8.min, _INT8.max).astype(np.int8)
        if self._batch_shape != quantized.shape:
            self._interpreter.resize_tensor_input(self._input["index"],
                                                  quantized.shape)
            self._interpreter.allocate_tensors()
            self._batch_shape = quantized.shape
        self._interpreter.set_tensor(self._input["index"], quantized)
        self._interpreter.invoke()
        outputs = {}
        for detail in self._interpreter.get_output_details():
            scale, zero_point = detail["quantization"]
            values = self._interpreter.get_tensor(detail["index"])
            outputs[detail["name"]] = (
                (values.astype(np.float32) - zero_point) * scale)
        outputs["classes"] = np.argmax(outputs["logits"], 1).astype(np.int64)
        if self._top_k:
            order = np.argsort(-outputs["probabilities"], axis=1,
                               kind="stable")[:, :self._top_k]
            outputs["top_%d_classes" % self._top_k] = order.astype(np.int64)
            outputs["top_%d_probabilities" % self._top_k] = np.take_along_axis(
                outputs["probabilities"], order, axis=1)
        return outputs


def tflite_runner(export_dir, num_threads=None):
    """The runner of `export_dir`'s model.tflite: an `Int8TFLiteRunner`
    when export.py wrote it with --tflite_quantize=int8, else a
    `TFLiteRunner` (both take preprocessed float32 images)."""
    path = os.path.join(export_dir, writers.TFLITE_FILENAME)
    description = writers.read_description(export_dir) or {}
    tflite = description.get("files", {}).get("tflite", {})
    if tflite.get("quantize") == "int8":
        return Int8TFLiteRunner(path, num_threads=num_threads)
    return TFLiteRunner(path, num_threads=num_threads)
