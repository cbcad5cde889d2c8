"""export.py as research/slim's export_inference_graph.py: no checkpoint.

The GraphDef must be the one research/slim writes (placeholder `input`,
eval-mode network, logits sized by the data set), and the output node
names export.py prints must be those of the table in docs/NETWORKS.md, for
every network of nets_factory. The large networks take seconds each to
build and are marked slow.
"""

import re

import pytest
import tensorflow as tf
import tensorflow.compat.v1 as tf1
from google.protobuf import text_format

from nets import nets_factory
from slimtrain.errors import ConfigError
from slimtrain.export.architecture import export_architecture
from slimtrain.export.config import ExportConfig
from tests.export_helpers import run_script
from tests.zoo_helpers import DOC, fast_graph_building  # noqa: F401

# Networks whose graph takes seconds to build on two cores.
SLOW = re.compile(r"inception|resnet|mobilenet_v[23]|nasnet|i3d|s3dg")
VIDEO = ("i3d", "s3dg")
FRAMES = 16


def documented_output_nodes(path=DOC):
    """{network: (logits node, predictions node or None)} from the "Output
    node names" table of docs/NETWORKS.md."""
    lines = path.read_text().splitlines()
    start = lines.index("| Network | Logits | Predictions |")
    nodes = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        name, logits, predictions = [cell.strip().strip("`")
                                     for cell in line.strip("|").split("|")]
        nodes[name] = (logits, None if predictions == "none" else predictions)
    return nodes


OUTPUT_NODES = documented_output_nodes()


def read_graph_def(path, as_text=False):
    graph_def = tf1.GraphDef()
    if as_text:
        text_format.Parse(open(path).read(), graph_def)
    else:
        with open(path, "rb") as handle:
            graph_def.ParseFromString(handle.read())
    return graph_def


def imported(graph_def):
    graph = tf.Graph()
    with graph.as_default():
        tf1.import_graph_def(graph_def, name="")
    return graph


def dropout_nodes(nodes):
    """The random draws of dropout layers among GraphDef `nodes`."""
    return [node.name for node in nodes
            if node.op == "RandomUniform" and "dropout" in node.name.lower()]


def test_the_table_lists_every_network():
    assert sorted(OUTPUT_NODES) == sorted(nets_factory.networks_map)


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=[pytest.mark.slow] if SLOW.search(name) else [])
    for name in sorted(nets_factory.networks_map)])
def test_every_network_exports_with_the_documented_nodes(
        name, tmp_path, fast_graph_building):  # noqa: F811
    path = str(tmp_path / "graph.pb")
    result = export_architecture(ExportConfig(
        model_name=name, output_file=path, is_video_model=name in VIDEO,
        num_frames=FRAMES if name in VIDEO else None
    ).validate().with_architecture_defaults())
    assert (result.logits_node, result.predictions_node) == OUTPUT_NODES[name]
    nodes = {node.name: node for node in read_graph_def(path).node}
    size = nets_factory.get_network_fn(name, 10).default_image_size
    assert nodes["input"].op == "Placeholder"
    assert [dim.size for dim in nodes["input"].attr["shape"].shape.dim] == (
        [-1, FRAMES, size, size, 3] if name in VIDEO else [-1, size, size, 3])
    assert result.logits_node in nodes
    assert result.predictions_node is None or result.predictions_node in nodes
    assert not dropout_nodes(nodes.values())  # evaluation mode


def test_research_slim_command_line(tmp_path):
    # research/slim's README, "Exporting the Inference Graph".
    path = tmp_path / "mobilenet_v1_inf_graph.pb"
    result = run_script("export.py", "--alsologtostderr",
                        "--model_name=mobilenet_v1", "--image_size=224",
                        "--output_file=%s" % path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert ("output nodes MobilenetV1/Logits/SpatialSqueeze (logits) and "
            "MobilenetV1/Predictions/Reshape_1 (predictions)" in result.stdout)
    graph = imported(read_graph_def(str(path)))
    assert graph.get_tensor_by_name("input:0").dtype == tf.float32
    assert graph.get_tensor_by_name(
        "MobilenetV1/Predictions/Reshape_1:0").shape.as_list() == [None, 1001]


def test_quantize_writes_the_fake_quant_graph(tmp_path):
    # export_inference_graph.py --quantize: research/slim rewrote the
    # network with contrib.quantize's create_eval_graph.
    path = tmp_path / "mobilenet_v1_quant.pb"
    result = run_script("export.py", "--model_name=mobilenet_v1_025",
                        "--image_size=32", "--quantize",
                        "--output_file=%s" % path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "output nodes MobilenetV1/Logits/SpatialSqueeze (logits)" in (
        result.stdout)
    graph = imported(read_graph_def(str(path)))
    fake_quants = [op for op in graph.get_operations()
                   if op.type.startswith("FakeQuantWithMinMaxVars")]
    # 27 convolutions and the logits, each: weights (per channel) and output.
    per_channel = [op for op in fake_quants if op.type.endswith("Channel")]
    assert len(per_channel) == 28 and len(fake_quants) > 56
    # The logits are read from the logits layer's fake quant.
    squeeze = graph.get_operation_by_name("MobilenetV1/Logits/SpatialSqueeze")
    assert squeeze.inputs[0].op.type == "FakeQuantWithMinMaxVars"


def test_slim_flags_shape_the_graph(tmp_path):
    path = str(tmp_path / "lenet.pbtxt")
    export_architecture(ExportConfig(
        model_name="lenet", dataset_name="mnist", labels_offset=1,
        batch_size=2, use_grayscale=True, write_text_graphdef=True,
        is_training=True, output_file=path).with_architecture_defaults())
    graph = imported(read_graph_def(path, as_text=True))
    assert graph.get_tensor_by_name("input:0").shape.as_list() == [
        2, 28, 28, 1]
    assert graph.get_tensor_by_name(
        "LeNet/fc4/BiasAdd:0").shape.as_list() == [2, 9]
    assert dropout_nodes(graph.as_graph_def().node)  # training mode


@pytest.mark.parametrize("settings, message", [
    (dict(model_name="lenet9"), "--model_name=lenet9 is not known"),
    (dict(dataset_name="mnist9"), "Unknown dataset 'mnist9'"),
    (dict(labels_offset=1001), "--labels_offset=1001 leaves no classes"),
    (dict(output_file="{tmp}/missing/graph.pb"), "cannot be written"),
    (dict(output_dir="export"),
     "--output_dir: --output_file writes the architecture only"),
    (dict(image_size=0), "--image_size=0 must be positive"),
    (dict(model_name="i3d", is_video_model=True),
     "--is_video_model needs the clip length"),
    (dict(num_frames=8), "--num_frames applies to video models"),
])
def test_bad_settings(settings, message, tmp_path):
    values = dict(model_name="lenet", output_file="{tmp}/graph.pb")
    values.update(settings)
    values["output_file"] = values["output_file"].format(tmp=tmp_path)
    config = ExportConfig(**values)
    with pytest.raises(ConfigError, match=re.escape(message)):
        config.validate()
        export_architecture(config.with_architecture_defaults())
    assert not list(tmp_path.iterdir())
