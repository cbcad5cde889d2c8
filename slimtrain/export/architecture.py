"""research/slim's architecture-only export: a GraphDef with no weights.

`export_inference_graph.py --model_name=NAME --output_file=FILE` writes the
evaluation-mode (or, with --is_training, training-mode) network built on a
float32 placeholder named `input` of shape [batch_size, size, size,
channels] (batch_size None unless given; size the network's default unless
--image_size; 3 channels, 1 with --use_grayscale), or with --is_video_model
[batch_size, num_frames, size, size, channels] (I3D, S3D-G). The logits are sized by
the data set's class count minus --labels_offset, read from the data set's
folder when --dataset_dir is given, else the library's count (imagenet:
1001). The file is the same as research/slim's; the output node names it
leaves the user to guess are printed (docs/NETWORKS.md lists them): the
logits, and the softmax `Predictions` end point where the network has one
(AlexNet, OverFeat and VGG have none). With --quantize the network is
rewritten into its fake-quant evaluation graph (`compute.quantize`, as
research/slim's create_eval_graph did), and the logits node named is the
fake quant of the logits.
"""

import dataclasses
import os
from typing import Optional

import tensorflow as tf
import tensorflow.compat.v1 as tf1

from nets import nets_factory
from slimtrain.compute import quantize
from slimtrain.data.datasets import dataset_factory
from slimtrain.errors import ConfigError
from slimtrain.export.model import INPUT_NAME


@dataclasses.dataclass(frozen=True)
class ArchitectureExport:
    """What `export_architecture` wrote: the file and its node names."""

    output_file: str
    input_shape: list
    logits_node: str
    predictions_node: Optional[str]  # None: the network has no softmax

    def describe(self):
        outputs = "%s (logits)" % self.logits_node
        if self.predictions_node:
            outputs += " and %s (predictions)" % self.predictions_node
        return "Wrote %s: input %s %s, output nodes %s." % (
            self.output_file, INPUT_NAME, self.input_shape, outputs)


def export_architecture(config):
    """Writes the GraphDef `config.output_file` names, atomically.

    Args:
      config: a validated `ExportConfig` with --output_file and
        export_inference_graph.py's defaults filled in.

    Returns:
      An `ArchitectureExport`.

    Raises:
      ConfigError: an unknown model or data set, a labels offset that
        leaves no classes, or an output file that cannot be written.
    """
    if config.model_name not in nets_factory.networks_map:
        raise ConfigError("--model_name=%s is not known: use one of %s." % (
            config.model_name, ", ".join(sorted(nets_factory.networks_map))))
    num_classes = dataset_num_classes(config) - config.labels_offset
    if num_classes < 1:
        raise ConfigError("--labels_offset=%d leaves no classes of %s: use a "
                          "smaller offset." % (config.labels_offset,
                                               config.dataset_name))
    with tf.Graph().as_default() as graph:
        network_fn = nets_factory.get_network_fn(
            config.model_name, num_classes=num_classes,
            is_training=config.is_training)
        size = config.image_size or network_fn.default_image_size
        shape = [config.batch_size, size, size, 1 if config.use_grayscale else 3]
        if config.is_video_model:
            shape.insert(1, config.num_frames)
        images = tf1.placeholder(tf.float32, shape, name=INPUT_NAME)
        logits, end_points = network_fn(images)
        if config.quantize:
            quantize.rewrite(graph, quantize.QuantizeOptions(
                is_training=False))
            logits = quantized_version(logits)
        graph_def = graph.as_graph_def()
    write_graph_def(graph_def, config.output_file, config.write_text_graphdef)
    return ArchitectureExport(
        output_file=config.output_file, input_shape=shape,
        logits_node=logits.op.name,
        predictions_node=predictions_node(end_points))


def quantized_version(tensor):
    """The output of the fake quant the rewrite put after `tensor`, or
    `tensor` when its value is not quantized itself (its readers, such as
    a squeeze after a quantized convolution, are)."""
    for consumer in tensor.consumers():
        if consumer.type.startswith("FakeQuantWithMinMaxVars"):
            return consumer.outputs[0]
    return tensor


def predictions_node(end_points):
    """The op name of the softmax end point, or None when there is none.

    It is "Predictions" in most networks and "predictions" in the ResNets.
    """
    for key in ("Predictions", "predictions"):
        if key in end_points:
            return end_points[key].op.name
    return None


def dataset_num_classes(config):
    """The data set's class count: from its folder if given, else by name."""
    if config.dataset_dir:
        return dataset_factory.get_dataset(
            config.dataset_name, "train", config.dataset_dir).num_classes
    return dataset_factory.default_num_classes(config.dataset_name)


def write_graph_def(graph_def, path, as_text):
    """Writes `graph_def` to `path` (binary, or text format) atomically."""
    temp_path = "%s.tmp-%d" % (path, os.getpid())
    try:
        if as_text:
            tf.io.write_graph(graph_def, os.path.dirname(temp_path) or ".",
                              os.path.basename(temp_path), as_text=True)
        else:
            with open(temp_path, "wb") as handle:
                handle.write(graph_def.SerializeToString())
        os.replace(temp_path, path)
    except (OSError, tf.errors.OpError) as error:
        if os.path.exists(temp_path):
            os.remove(temp_path)
        raise ConfigError("--output_file=%s cannot be written (%s): choose a "
                          "writable path." % (path, str(error).splitlines()[0])
                          ) from None
