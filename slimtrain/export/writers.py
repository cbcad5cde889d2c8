"""Writes the exported files, one writer per format.

Each writer takes a session holding the restored `InferenceGraph` and a
path that does not exist yet; the exporter gives it a path in a staging
folder and moves the result into place only once every file has passed the
parity check. Files are written through `rundir.write_guard`.

  SavedModel   tag "serve"; signature `serving_default` (image_bytes ->
               the bytes tower's outputs) and `predict_images` (images ->
               the image tower's outputs). Written with TF1's builder, so
               variables keep their checkpoint names; TF 2's
               `tf.saved_model.load` and TF Serving both read it.
  frozen       the image tower alone, variables folded into constants:
               input `input:0`, outputs `<name>:0` for each output name.
  TFLite       the image tower converted by TensorFlow's TFLite converter,
               float, or with dynamic-range quantized weights (a
               full-integer model: `int8_export`).
"""

import json
import os

import tensorflow as tf
import tensorflow.compat.v1 as tf1

from slimtrain.rundir.write_guard import write_file

SERVE_TAG = "serve"
SERVING_SIGNATURE = "serving_default"
IMAGES_SIGNATURE = "predict_images"
IMAGE_BYTES_KEY = "image_bytes"
IMAGES_KEY = "images"

SAVED_MODEL_DIRNAME = "saved_model"
FROZEN_FILENAME = "frozen_graph.pb"
TFLITE_FILENAME = "model.tflite"
LABELS_FILENAME = "labels.txt"
DESCRIPTION_FILENAME = "export.json"


def write_saved_model(session, graph, path):
    """Writes the SavedModel with both signatures into directory `path`."""
    signatures = {
        SERVING_SIGNATURE: tf1.saved_model.signature_def_utils
        .predict_signature_def({IMAGE_BYTES_KEY: graph.image_bytes},
                               dict(graph.bytes_outputs)),
        IMAGES_SIGNATURE: tf1.saved_model.signature_def_utils
        .predict_signature_def({IMAGES_KEY: graph.images},
                               dict(graph.image_outputs)),
    }
    builder = tf1.saved_model.Builder(path)
    builder.add_meta_graph_and_variables(
        session, [SERVE_TAG], signature_def_map=signatures,
        strip_default_attrs=True)
    builder.save()


def write_frozen_graph(session, graph, path):
    """Writes the image tower with its variables as constants to `path`."""
    frozen = tf1.graph_util.convert_variables_to_constants(
        session, session.graph.as_graph_def(),
        [tensor.op.name for tensor in graph.image_outputs.values()])
    write_file(path, frozen.SerializeToString())


def write_tflite(session, graph, path, quantize="none"):
    """Writes the image tower as a TFLite flatbuffer to `path`.

    Args:
      quantize: "none" for float weights, "dynamic" for dynamic-range
        quantization (int8 weights, float activations).
    """
    names = list(graph.image_outputs)
    converter = tf1.lite.TFLiteConverter.from_session(
        session, [graph.images], [graph.image_outputs[name] for name in names])
    if quantize == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    write_file(path, converter.convert())


def write_labels(path, labels_to_names):
    """Writes `index:name` lines, research/slim's labels.txt layout."""
    write_file(path, "".join("%d:%s\n" % (index, labels_to_names[index])
                             for index in sorted(labels_to_names)))


def write_description(path, description):
    """Writes the export's description (a JSON-able dict) to `path`."""
    write_file(path, json.dumps(description, indent=2, sort_keys=True) + "\n")


def read_description(export_dir):
    """The description export.py wrote into `export_dir`, or None."""
    path = os.path.join(export_dir, DESCRIPTION_FILENAME)
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)
