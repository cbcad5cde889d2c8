"""Full-integer (int8) TFLite models of the image tower, two ways.

`convert_post_training`: from a float graph (a float checkpoint restored
into its inference graph). TFLite's converter measures every tensor's range
on a representative set of preprocessed images (the calibration examples)
and quantizes weights per channel and activations per tensor.

`convert_quantization_aware`: from a graph rewritten by
`slimtrain.compute.quantize` with `is_training=False` and restored from a
quantization-aware checkpoint. The converter takes each range from the
fake quants, so the int8 model computes what the fake-quant graph computes;
the input's scale and zero point are those of the input's own fake quant
(`input_quantization`), so no requantization follows the input.

Both use TensorFlow's v1 converter (`from_session`), and avoid the two
traps measured on TF 2.21: `Optimize.DEFAULT` on a fake-quant graph leaves
the weights float, and `Optimize.DEFAULT` with an int8 input fails on the
input's FakeQuant; the quantization-aware path therefore sets
`inference_type=int8` and `quantized_input_stats` and no optimization.

The model's input is int8 (preprocessed images, quantized with the input
scale and zero point); its outputs are `logits` and `probabilities`, int8.
The class indices are not outputs: the converter puts a float DEQUANTIZE
before an ARG_MAX, so `Int8TFLiteRunner` takes argmax and top-k of the int8
outputs instead. Every tensor is int8 or int32 (biases, shapes), except
where TFLite has no int8 kernel: local response normalization (CifarNet's
norm1/norm2) runs in float between a DEQUANTIZE and a QUANTIZE, which
`non_integer_tensors` lists.
"""

import numpy as np
import tensorflow as tf
import tensorflow.compat.v1 as tf1
from tensorflow.lite.python.convert_phase import ConverterError

from slimtrain.errors import ConfigError, first_line
from slimtrain.export.runners import Interpreter

INTEGER_TYPES = (np.int8, np.int32)
# TF's fake quant maps a range onto 0..255 before the int8 shift.
_LEVELS = 255
_INT8_SHIFT = 128


def convert_post_training(session, images, logits, probabilities,
                          representative_images):
    """Returns the int8 TFLite model (bytes) of a float graph.

    Args:
      session: a session holding the restored float graph.
      images: the float32 input placeholder [None, size, size, channels].
      logits, probabilities: the output tensors.
      representative_images: fn() returning an iterable of preprocessed
        float32 images, [size, size, channels] each or batches of them;
        every image calibrates the ranges once.

    Raises:
      ConfigError: the converter cannot make an integer model of the graph.
    """
    converter = tf1.lite.TFLiteConverter.from_session(
        session, [images], [logits, probabilities])
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: _one_by_one(
        representative_images())
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return _convert(converter)


def convert_quantization_aware(session, images, logits, probabilities):
    """Returns the int8 TFLite model (bytes) of a fake-quant graph.

    Args:
      session: a session holding the rewritten (is_training=False) graph,
        restored from a quantization-aware checkpoint.
      images: the float32 input placeholder; the rewrite gave it a fake
        quant (its `input_quant` range).
      logits, probabilities: the output tensors.

    Raises:
      ConfigError: the graph has no input range or quantizes to another
        width than 8 bits, or the converter cannot convert it.
    """
    scale, zero_point = input_quantization(session, images)
    widths = sorted({op.get_attr("num_bits")
                     for op in session.graph.get_operations()
                     if op.type.startswith("FakeQuantWithMinMax")})
    if widths != [8]:
        raise ConfigError(
            "the quantized graph simulates %s-bit integers, and TFLite's "
            "integer models are 8-bit: train with weight_bits and "
            "activation_bits 8 to export it." % "/".join(map(str, widths)))
    converter = tf1.lite.TFLiteConverter.from_session(
        session, [images], [logits, probabilities])
    converter.inference_type = tf.int8
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    converter.quantized_input_stats = {
        images.op.name: (float(zero_point), 1.0 / scale)}
    return _convert(converter)


def input_quantization(session, images):
    """(scale, int8 zero point) of the fake quant that reads `images`.

    They are what TensorFlow's fake quant uses (its range nudged so that
    0.0 is exactly representable), so the int8 input holds the values the
    fake-quant graph's first layer sees.

    Raises:
      ConfigError: no fake quant reads `images`.
    """
    fake_quants = [op for op in images.consumers()
                   if op.type == "FakeQuantWithMinMaxVars"]
    if not fake_quants:
        raise ConfigError(
            "no fake quant reads the input %s: build the graph with "
            "slimtrain.compute.quantize.rewrite(..., is_training=False) "
            "before converting it as a quantization-aware model."
            % images.name)
    minimum, maximum = (np.float32(value) for value in session.run(
        fake_quants[0].inputs[1:3]))
    # In float32, as the kernel computes them.
    scale = (maximum - minimum) / np.float32(_LEVELS)
    zero_point = int(np.clip(np.floor(-minimum / scale + np.float32(0.5)),
                             0, _LEVELS))
    return float(scale), zero_point - _INT8_SHIFT


def non_integer_tensors(model_content):
    """[(tensor name, dtype name)] of the model's tensors not int8/int32."""
    interpreter = Interpreter(model_content=model_content)
    return [(detail["name"], np.dtype(detail["dtype"]).name)
            for detail in interpreter.get_tensor_details()
            if detail["dtype"] not in INTEGER_TYPES]


def _convert(converter):
    try:
        return converter.convert()
    except ConverterError as error:
        raise ConfigError(
            "TFLite's converter cannot make a full-integer model of this "
            "graph (%s): export it as a float or dynamic-range model."
            % first_line(error)) from error


def _one_by_one(batches):
    """Yields [one image, batch dimension 1] per image of `batches`."""
    for batch in batches:
        batch = np.asarray(batch, np.float32)
        if batch.ndim == 3:
            batch = batch[np.newaxis]
        for image in batch:
            yield [image[np.newaxis]]
