"""The inference graph every exported format is cut from.

`resolve_model` turns an opened run (`rundir.opened_run.open_run`) and its held-out
split into a `ModelSpec`: the network, its evaluation preprocessing, the image size and
the class names. `build_inference_graph` builds, in the default graph, two
towers that share one set of variables:

  input        float32 [None, size, size, channels], already preprocessed
               -> network -> logits, probabilities, classes, top_5_*
  image_bytes  string [None], encoded JPEG/PNG/GIF/BMP (or WebP, JPEG XL)
               of any size
               -> decode (`decode_image`) -> the model's evaluation
               preprocessing
               -> network -> serving/logits, serving/probabilities, ...

The first is what the frozen graph and the TFLite model keep, and the
SavedModel's `predict_images` signature; the second is its
`serving_default`. For a checkpoint of a quantization-aware run
(`compute.quantize.holds_ranges`) both towers are rewritten into the
fake-quant graph eval.py evaluates, sharing one set of ranges. `restore`
loads a checkpoint into them, from the moving averages when the model was
trained with them (the ranges by their own names).

`classes` are indices into `probabilities`, i.e. data set labels minus the
labels offset; `ModelSpec.labels_to_names` is keyed the same way.
"""

import dataclasses
from typing import Callable, Mapping, Optional

import tensorflow as tf
import tensorflow.compat.v1 as tf1

from slimtrain.compute import quantize
from slimtrain.compute.classifier import resolve_classifier
from slimtrain.errors import ConfigError
from slimtrain.rundir import checkpoint_reading
from slimtrain.scenarios.registry import CLASSIFIER

TOP_K = 5
INPUT_NAME = "input"
IMAGE_BYTES_NAME = "image_bytes"
SERVING_SCOPE = "serving"


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """What the exported model computes, resolved once from the settings.

    Attributes:
      model_name, preprocessing_name, dataset_name: as the run's settings.
      num_classes: the network's outputs (data set classes minus offset).
      labels_offset: data set label = class index + labels_offset.
      image_size: the network's input height and width.
      decode_channels: channels an encoded image is decoded to (the data
        set's own), before preprocessing.
      labels_to_names: {class index: name}, or None without names.
      network_fn, preprocessing_fn: from `resolve_classifier`.
    """

    model_name: str
    preprocessing_name: str
    dataset_name: str
    num_classes: int
    labels_offset: int
    image_size: int
    decode_channels: int
    labels_to_names: Optional[Mapping[int, str]]
    network_fn: Callable = dataclasses.field(repr=False, compare=False)
    preprocessing_fn: Callable = dataclasses.field(repr=False, compare=False)

    @property
    def top_k(self):
        """How many top classes the outputs list: 5, or 0 below 5 classes."""
        return TOP_K if self.num_classes >= TOP_K else 0


@dataclasses.dataclass(frozen=True)
class InferenceGraph:
    """The tensors of `build_inference_graph`; outputs are name -> tensor."""

    images: tf.Tensor
    image_outputs: Mapping[str, tf.Tensor]
    image_bytes: tf.Tensor
    bytes_outputs: Mapping[str, tf.Tensor]

    @property
    def input_shape(self):
        """[None, size, size, channels] of the preprocessed input."""
        return self.images.shape.as_list()


def resolve_model(run, split):
    """Returns the `ModelSpec` of an `OpenedRun` and its held-out split.

    Raises:
      ConfigError: an unknown model or preprocessing name, a labels offset
        that leaves no classes, or checkpoints of another scenario than the
        classifier.
    """
    settings = run.settings
    if settings.scenario not in (None, CLASSIFIER):
        raise ConfigError(
            "%s was trained with --scenario=%s, and export.py and predict.py "
            "serve image classifiers (--scenario=classifier): export a "
            "classifier's train dir, or build the scenario's graph for "
            "serving from its own code." % (run.train_dir, settings.scenario))
    num_classes, network_fn, preprocessing_fn = resolve_classifier(
        settings, split, is_training=False)
    names = None
    if split.labels_to_names:
        names = {index: split.labels_to_names[index + settings.labels_offset]
                 for index in range(num_classes)
                 if index + settings.labels_offset in split.labels_to_names}
    return ModelSpec(
        model_name=settings.model_name,
        preprocessing_name=settings.preprocessing_name or settings.model_name,
        dataset_name=split.name, num_classes=num_classes,
        labels_offset=settings.labels_offset,
        image_size=run.image_size or network_fn.default_image_size,
        decode_channels=split.image_shape[2], labels_to_names=names or None,
        network_fn=network_fn, preprocessing_fn=preprocessing_fn)


def build_inference_graph(spec, quantized=False):
    """Builds both towers in the default graph; returns an `InferenceGraph`.

    Args:
      spec: the `ModelSpec`.
      quantized: rewrite the towers into their fake-quant graph, for a
        checkpoint that `quantize.holds_ranges`.
    """
    image_bytes = tf1.placeholder(tf.string, [None], name=IMAGE_BYTES_NAME)
    decoded = decode_and_preprocess(spec, image_bytes)
    images = tf1.placeholder(tf.float32, decoded.shape, name=INPUT_NAME)
    image_outputs = classify(spec, images)
    with tf1.variable_scope(tf1.get_variable_scope(), reuse=True):
        with tf.name_scope(SERVING_SCOPE):
            bytes_outputs = classify(spec, decoded)
    if quantized:  # the outputs, built above, read the fake-quant logits
        quantize_for_inference()
    return InferenceGraph(images=images, image_outputs=image_outputs,
                          image_bytes=image_bytes, bytes_outputs=bytes_outputs)


def quantize_for_inference():
    """Rewrites the networks of the default graph into their fake-quant
    graph, as eval.py --quantize evaluates them; returns the summary.

    Tensors built before this call read the quantized values; the bare
    output of a network's last layer stays the float value that feeds its
    fake quant, so fetch outputs through ops built before it.
    """
    return quantize.rewrite(tf1.get_default_graph(),
                            quantize.QuantizeOptions(is_training=False))


def decode_and_preprocess(spec, image_bytes):
    """Decodes a [None] batch of encoded images and preprocesses each one.

    Every image is decoded to the data set's channel count (`decode_image`)
    and goes through the model's evaluation preprocessing, as in eval.py's
    input.
    """

    def prepare(encoded):
        image = decode_image(encoded, spec.decode_channels)
        return spec.preprocessing_fn(image, spec.image_size, spec.image_size)

    with tf.name_scope("decode"):
        return tf.map_fn(prepare, image_bytes, fn_output_signature=tf.float32)


def decode_image(encoded, channels):
    """Decodes one encoded image to uint8 [H, W, channels].

    Reads every format `tf.io.decode_image` reads (JPEG, PNG, GIF, BMP, and
    in TensorFlow 2.21 WebP and JPEG XL); an animated image gives its first
    frame. JPEG and PNG are decoded straight to `channels` by their own
    decoders, as the training input decodes them. The other decoders refuse
    some channel counts (BMP and GIF give no grey image, WebP gives only its
    file's own count), so those images are decoded with their own channels
    and converted (`convert_channels`). Works in a graph and eagerly
    (predict.py checks each file with it).

    Args:
      encoded: a string scalar, the file's bytes.
      channels: 1 or 3.
    """
    def decode(decode_channels):
        return tf.io.decode_image(encoded, channels=decode_channels,
                                  expand_animations=False)

    decoder_converts = tf.logical_or(
        tf.io.is_jpeg(encoded),
        tf.equal(tf.strings.substr(encoded, 0, 4), b"\x89PNG"))
    image = tf.cond(decoder_converts, lambda: decode(channels),
                    lambda: convert_channels(decode(0), channels))
    image.set_shape([None, None, channels])
    return image


def convert_channels(image, channels):
    """uint8 [H, W, 1 to 4] (grey, grey + alpha, RGB, RGBA) to `channels`.

    Alpha is dropped; RGB becomes grey by `tf.image.rgb_to_grayscale` (for
    channels 1), grey is repeated into RGB (for channels 3).
    """
    own = tf.shape(image)[-1]
    color = image[:, :, :tf.where(own >= 3, 3, 1)]
    if channels == 1:
        return tf.cond(own >= 3, lambda: tf.image.rgb_to_grayscale(color),
                       lambda: color)
    return tf.cond(own >= 3, lambda: color,
                   lambda: tf.tile(color, [1, 1, channels]))


def classify(spec, images):
    """Builds the network on `images`; returns its named outputs.

    Returns:
      {"logits": float32 [N, classes], "probabilities": their softmax,
      "classes": int64 [N] argmax, and with 5 classes or more
      "top_5_classes": int64 [N, 5], "top_5_probabilities": float32 [N, 5]},
      each an op of that name in the current name scope.
    """
    logits, _ = spec.network_fn(images)
    outputs = {
        "logits": tf.identity(logits, name="logits"),
        "probabilities": tf.nn.softmax(logits, name="probabilities"),
        "classes": tf.argmax(logits, 1, name="classes"),
    }
    if spec.top_k:
        top = tf.nn.top_k(outputs["probabilities"], spec.top_k)
        outputs["top_%d_classes" % spec.top_k] = tf.cast(
            top.indices, tf.int64, name="top_%d_classes" % spec.top_k)
        outputs["top_%d_probabilities" % spec.top_k] = tf.identity(
            top.values, name="top_%d_probabilities" % spec.top_k)
    return outputs


def restore(session, checkpoint, spec, moving_average_decay,
            flag="--checkpoint_path"):
    """Loads `checkpoint` into the model variables of the default graph.

    With a moving-average decay each model variable takes its
    ExponentialMovingAverage shadow, as eval.py does.

    Raises:
      ConfigError: the checkpoint lacks a variable or holds one with
        another shape.
    """
    var_map = checkpoint_reading.variables_to_restore(moving_average_decay)
    _, missing, mismatched = checkpoint_reading.compare_with_checkpoint(
        var_map, checkpoint_reading.read_shapes(checkpoint, flag=flag))
    if missing or mismatched:
        raise ConfigError(
            "checkpoint %s does not fit %s with %d classes (it %s): export it "
            "with the --model_name, --dataset_name and --labels_offset it was "
            "trained with, and --moving_average_decay=0 if it holds no moving "
            "averages." % (checkpoint, spec.model_name, spec.num_classes,
                           checkpoint_reading.describe_misfit(missing, mismatched)))
    tf1.train.Saver(var_map).restore(session, checkpoint)
