"""What an export.py --tflite_quantize=int8 converts, and what it made.

`Int8Export.plan` decides, before anything is written, how the int8 model
is made: from a quantization-aware checkpoint (`compute.quantize.
holds_ranges`) with its own ranges, held to the quantization-aware bound;
from a float one by post-training quantization calibrated on the run's
training split (`calibration`), held to the post-training bound
(`int8_parity`). `write` converts the image tower (`int8_tflite`), writes
the model and reads how its int8 input is fed and which tensors stay
float, for the printed line and export.json.
"""

from slimtrain.export import int8_parity, int8_tflite, writers
from slimtrain.export.calibration import calibration_batches, training_split
from slimtrain.export.int8_runner import Int8TFLiteRunner
from slimtrain.export.model import INPUT_NAME
from slimtrain.rundir.write_guard import write_file


class Int8Export:
    """What a --tflite_quantize=int8 export converts, and what it made.

    Attributes:
      method: "quantization-aware" (a checkpoint with ranges) or
        "post-training" (a float one).
      bound: the `int8_parity.Int8Bound` the model is held to.
      calibration: None, or for post-training fn() -> the calibration
        batches (`calibration.calibration_batches`).
      calibration_examples: how many examples calibrate (None: none).
      input_quantization, non_integer_tensors: (scale, zero point) of the
        int8 input, and [(name, dtype)] of the tensors that are not int8
        or int32; filled in by `write`.
    """

    def __init__(self, bound, calibration=None, calibration_examples=None):
        self.bound = bound
        self.method = bound.name
        self.calibration = calibration
        self.calibration_examples = calibration_examples
        self.input_quantization = None
        self.non_integer_tensors = None

    @classmethod
    def plan(cls, config, run, spec, quantized):
        """The `Int8Export` of an int8 export, or None for another one.

        Args:
          config: the `ExportConfig`.
          run, spec: the `OpenedRun` exported and its `ModelSpec`.
          quantized: whether the checkpoint is quantization-aware
            (`quantize.holds_ranges`).

        Raises:
          ConfigError: the training split cannot be opened.
        """
        if config.tflite_quantize != "int8":
            return None
        if quantized:
            return cls(int8_parity.QUANTIZATION_AWARE)
        split = training_split(run)
        count = min(config.calibration_example_count, split.num_samples)
        return cls(int8_parity.POST_TRAINING,
                   lambda: calibration_batches(spec, split, count), count)

    def write(self, session, graph, path):
        """Converts the image tower of the restored `InferenceGraph` and
        writes the model to `path`.

        Raises:
          ConfigError: the converter cannot make an integer model of it.
        """
        tower = (session, graph.images, graph.image_outputs["logits"],
                 graph.image_outputs["probabilities"])
        if self.calibration is None:
            model = int8_tflite.convert_quantization_aware(*tower)
        else:
            model = int8_tflite.convert_post_training(*tower,
                                                      self.calibration)
        write_file(path, model)
        self.non_integer_tensors = int8_tflite.non_integer_tensors(model)
        self.input_quantization = Int8TFLiteRunner(path).input_quantization

    def describe_model(self):
        """One line: how to feed the model, and what stays float."""
        scale, zero_point = self.input_quantization
        floats = ", ".join(name for name, _ in self.non_integer_tensors)
        return ("%s is int8 (%s): feed its %s preprocessed images "
                "quantized as round(x / %.6g) + %d; its logits and "
                "probabilities are int8; float tensors: %s." % (
                    writers.TFLITE_FILENAME, self.method, INPUT_NAME, scale,
                    zero_point, floats or "none"))

    def to_json(self):
        """What export.json records of the int8 model."""
        scale, zero_point = self.input_quantization
        return {"method": self.method,
                "calibration_examples": self.calibration_examples,
                "input": {"dtype": "int8", "scale": float(scale),
                          "zero_point": int(zero_point)},
                "outputs": ["logits", "probabilities"],
                "non_integer_tensors": [
                    {"name": name, "dtype": dtype}
                    for name, dtype in self.non_integer_tensors]}
