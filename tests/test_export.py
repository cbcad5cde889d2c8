"""export.py from a checkpoint: every format, checked the way it is used.

One LeNet is trained on the built-in digits (with moving averages) and
exported by the real export.py (tests/export_helpers.py). Each format is
then run on all 360 held-out digits and must score the accuracy eval.py
reports on them: the SavedModel in a fresh TF 2 eager process without
tf_keras (or slimtrain) on PNG bytes, the TFLite model with ai-edge-litert,
the frozen graph in a session.
"""

import json
import os
import re
import subprocess
import sys
from concurrent import futures

import numpy as np
import pytest
import tensorflow as tf
import tensorflow.compat.v1 as tf1
from ai_edge_litert.interpreter import Interpreter

from slimtrain.data.datasets import dataset_factory
from slimtrain.data.input_pipeline import evaluation_pass
from slimtrain.data.preprocessing import preprocessing_factory
from slimtrain.errors import ConfigError
from slimtrain.evaluation.config import EvalConfig
from slimtrain.evaluation.loop import run_evaluation
from slimtrain.export import parity
from slimtrain.export.config import ExportConfig
from slimtrain.export.exporter import run_export
from slimtrain.training.trainer import train
from tests.export_helpers import exported_run, run_script
from tests.training_helpers import small_config

HELD_OUT = 360  # the digits test split
POINT = 0.001   # 0.1 percentage point

# Loads the SavedModel in TF 2 eager code, as a user would: no slimtrain,
# no tf_keras; classifies every PNG of a folder (named <index>_<label>.png)
# through serving_default and prints the accuracy as JSON.
SAVED_MODEL_USER = r"""
import json, os, sys
sys.modules["tf_keras"] = None
import tensorflow as tf
model_dir, image_dir = sys.argv[1:]
serve = tf.saved_model.load(model_dir).signatures["serving_default"]
names = sorted(os.listdir(image_dir))
correct = 0
for start in range(0, len(names), 100):
    batch = names[start:start + 100]
    data = [open(os.path.join(image_dir, name), "rb").read() for name in batch]
    classes = serve(image_bytes=tf.constant(data))["classes"].numpy()
    labels = [int(name.split("_")[1].split(".")[0]) for name in batch]
    correct += sum(int(c == l) for c, l in zip(classes, labels))
print(json.dumps({"accuracy": correct / len(names), "examples": len(names),
                  "slimtrain": "slimtrain" in sys.modules,
                  "eager": tf.executing_eagerly()}))
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return exported_run(tmp_path_factory)


@pytest.fixture(scope="module")
def eval_accuracy(run, tmp_path_factory):
    """eval.py's accuracy of the run's latest checkpoint on the test split."""
    [result] = run_evaluation(EvalConfig(
        checkpoint_dir=run["train_dir"], batch_size=HELD_OUT,
        eval_dir=str(tmp_path_factory.mktemp("eval"))))
    assert result.examples == HELD_OUT
    return result.metrics["Accuracy"]


@pytest.fixture(scope="module")
def held_out_images():
    """The test split through LeNet's evaluation preprocessing (NumPy)."""
    split = dataset_factory.get_dataset("digits", "test")
    with tf.Graph().as_default():
        batches = evaluation_pass(
            split, preprocessing_factory.get_preprocessing("lenet"),
            batch_size=HELD_OUT)
        batch = tf1.data.make_one_shot_iterator(batches).get_next()
        with tf1.Session() as session:
            return session.run(batch)


def test_every_format_is_written_and_checked(run):
    export_dir = run["export_dir"]
    assert sorted(os.listdir(export_dir)) == [
        "export.json", "frozen_graph.pb", "labels.txt", "model.tflite",
        "saved_model"]
    checked = [line for line in run["stdout"].splitlines()
               if " examples  max |d logits| " in line]
    assert [line.split()[0:2] for line in checked] == [
        ["saved_model", "serving_default"], ["saved_model", "predict_images"],
        ["frozen_graph.pb", "64"], ["model.tflite", "64"]]
    assert all(line.endswith(" ok") for line in checked), checked
    # Nothing of TensorFlow's, TFLite's or the SavedModel loader's.
    assert run["stderr"] == "", run["stderr"]
    with open(os.path.join(export_dir, "export.json")) as handle:
        description = json.load(handle)
    assert description["model_name"] == "lenet"
    assert description["global_step"] == 80
    assert description["moving_average_decay"] == 0.99
    assert description["input"] == {"name": "input:0", "dtype": "float32",
                                    "shape": [None, 28, 28, 1]}
    assert sorted(description["outputs"]) == [
        "classes", "logits", "probabilities", "top_5_classes",
        "top_5_probabilities"]
    assert all(entry["passed"] and entry["examples"] == 64
               and entry["max_probability_difference"] <= 1e-4
               for entry in description["parity"])
    with open(os.path.join(export_dir, "labels.txt")) as handle:
        assert handle.read().splitlines()[7] == "7:seven"
    assert not [name for name in os.listdir(os.path.dirname(export_dir))
                if ".partial-" in name]


def test_saved_model_in_fresh_tf2_process_scores_as_eval(
        run, eval_accuracy, tmp_path):
    split = dataset_factory.get_dataset("digits", "test")
    image_dir = tmp_path / "png"
    image_dir.mkdir()
    for index, (image, label) in enumerate(split.make_dataset()):
        (image_dir / ("%03d_%d.png" % (index, label))).write_bytes(
            tf.io.encode_png(image).numpy())
    result = subprocess.run(
        [sys.executable, "-c", SAVED_MODEL_USER,
         os.path.join(run["export_dir"], "saved_model"), str(image_dir)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    scored = json.loads(result.stdout.splitlines()[-1])
    assert scored["examples"] == HELD_OUT
    assert not scored["slimtrain"] and scored["eager"]
    assert abs(scored["accuracy"] - eval_accuracy) <= POINT
    assert eval_accuracy > 0.5  # a trained model, not chance


def test_tflite_and_frozen_graph_score_as_eval(run, eval_accuracy,
                                               held_out_images):
    images, labels = held_out_images
    interpreter = Interpreter(
        model_path=os.path.join(run["export_dir"], "model.tflite"))
    [input_detail] = interpreter.get_input_details()
    interpreter.resize_tensor_input(input_detail["index"], images.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(input_detail["index"], images)
    interpreter.invoke()
    outputs = {detail["name"]: interpreter.get_tensor(detail["index"])
               for detail in interpreter.get_output_details()}
    assert np.mean(outputs["classes"] == labels) == pytest.approx(
        eval_accuracy, abs=POINT)

    graph_def = tf1.GraphDef()
    with open(os.path.join(run["export_dir"], "frozen_graph.pb"), "rb") as f:
        graph_def.ParseFromString(f.read())
    assert not [node.name for node in graph_def.node
                if node.op in ("VariableV2", "VarHandleOp")]
    with tf.Graph().as_default() as graph:
        tf1.import_graph_def(graph_def, name="")
        with tf1.Session() as session:
            classes = session.run("classes:0", {"input:0": images})
    assert graph.get_tensor_by_name("input:0").shape.as_list() == [
        None, 28, 28, 1]
    assert np.mean(classes == labels) == pytest.approx(eval_accuracy,
                                                       abs=POINT)


def test_moving_averages_are_exported(run):
    checkpoint = tf1.train.latest_checkpoint(run["train_dir"])
    exported = tf1.train.load_variable(
        os.path.join(run["export_dir"], "saved_model", "variables",
                     "variables"), "LeNet/fc4/weights")
    average = tf1.train.load_variable(
        checkpoint, "LeNet/fc4/weights/ExponentialMovingAverage")
    raw = tf1.train.load_variable(checkpoint, "LeNet/fc4/weights")
    np.testing.assert_array_equal(exported, average)
    assert np.abs(raw - average).max() > 1e-3


def test_dynamic_range_tflite_reports_agreement(run, tmp_path, capsys):
    output_dir = str(tmp_path / "quantized")
    description = run_export(ExportConfig(
        checkpoint_dir=run["train_dir"], output_dir=output_dir,
        formats="tflite", tflite_quantize="dynamic"))
    assert sorted(os.listdir(output_dir)) == [
        "export.json", "labels.txt", "model.tflite"]
    float_size = os.path.getsize(os.path.join(run["export_dir"],
                                              "model.tflite"))
    assert os.path.getsize(os.path.join(output_dir, "model.tflite")) < (
        float_size / 3)
    [check] = description["parity"]
    assert not check["checked"] and check["top1_agreement"] >= 0.9
    assert "quantized, not checked" in capsys.readouterr().out


def test_a_new_export_replaces_the_last_one(run, tmp_path):
    output_dir = tmp_path / "export"
    output_dir.mkdir()
    (output_dir / "frozen_graph.pb").write_text("an older export")
    run_export(ExportConfig(checkpoint_dir=run["train_dir"],
                            output_dir=str(output_dir), formats="tflite"))
    assert sorted(os.listdir(output_dir)) == [
        "export.json", "labels.txt", "model.tflite"]


def test_a_file_failing_the_check_leaves_the_export_dir_as_it_was(
        run, tmp_path, monkeypatch):
    output_dir = tmp_path / "export"
    output_dir.mkdir()
    (output_dir / "model.tflite").write_text("the last export's")
    monkeypatch.setattr(parity, "TOLERANCE", -1.0)  # no file can meet it
    with pytest.raises(parity.ParityError, match=re.escape(
            "model.tflite max |d probabilities| ")):
        run_export(ExportConfig(checkpoint_dir=run["train_dir"],
                                output_dir=str(output_dir), formats="tflite"))
    assert os.listdir(tmp_path) == ["export"]
    assert os.listdir(output_dir) == ["model.tflite"]
    assert (output_dir / "model.tflite").read_text() == "the last export's"


@pytest.mark.parametrize("settings, message", [
    (dict(formats="saved_model,onnx"), "--formats=saved_model,onnx: use a"),
    (dict(tflite_quantize="int4"), "--tflite_quantize=int4 is not known"),
    (dict(calibration_examples=10),
     "--calibration_examples applies to --tflite_quantize=int8"),
    (dict(quantize=True), "--quantize applies to the architecture-only"),
    (dict(tflite_quantize="int8", calibration_examples=0),
     "--calibration_examples=0 must be positive"),
    (dict(formats="frozen", tflite_quantize="dynamic"),
     "--tflite_quantize applies to the tflite format"),
    (dict(batch_size=8), "--batch_size: it applies only to the architecture"),
    (dict(output_file="graph.pb"),
     "--checkpoint_dir: --output_file writes the architecture only"),
    (dict(parity_examples=0), "--parity_examples=0 must be positive"),
    (dict(model_name="cifarnet"),
     "does not fit cifarnet with 10 classes (it lacks CifarNet/"),
    (dict(labels_offset=1), "has other shapes for LeNet/fc4/biases"),
])
def test_bad_settings_fail_before_anything_is_written(
        run, tmp_path, settings, message):
    output_dir = tmp_path / "export"
    config = ExportConfig(**dict(dict(checkpoint_dir=run["train_dir"],
                                      output_dir=str(output_dir)), **settings))
    with pytest.raises(ConfigError, match=re.escape(message)):
        run_export(config)
    assert os.listdir(tmp_path) == []


# (case, flags given the run's train dir as {run} and a scratch folder as
# {scratch}, text of the one error line): the kinds of bad input, through
# the real program.
BAD_INPUTS = [
    ("no_checkpoint", ["--checkpoint_dir={scratch}"], "holds no checkpoint"),
    ("no_train_dir", ["--checkpoint_dir={scratch}/missing"],
     "there is no directory"),
    ("unknown_model", ["--checkpoint_dir={run}", "--model_name=lenet9"],
     "--model_name=lenet9 is not known"),
    ("unwritable_output_dir", ["--checkpoint_dir={run}",
                               "--output_dir={scratch}/file/export"],
     "cannot be written"),
    ("stray_argument", ["--checkpoint_dir={run}", "now"],
     "unexpected arguments now"),
]


def test_bad_input_ends_in_one_line_and_writes_nothing(run, tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "file").write_text("a file where a folder is expected")
    before = sorted(os.listdir(run["train_dir"]))

    def attempt(case):
        _, flags, _ = case
        return run_script("export.py", *[
            flag.format(run=run["train_dir"], scratch=scratch)
            for flag in flags])

    with futures.ThreadPoolExecutor(len(BAD_INPUTS)) as pool:
        results = list(pool.map(attempt, BAD_INPUTS))
    for (case, _, message), result in zip(BAD_INPUTS, results):
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2, (case, result.stderr[-2000:])
        assert lines[-1].startswith("error: ") and message in lines[-1], (
            case, lines[-1])
        assert "Traceback" not in result.stderr, case
    assert sorted(os.listdir(scratch)) == ["file"]
    assert sorted(os.listdir(run["train_dir"])) == before


@pytest.mark.slow
def test_cifarnet_exports_through_every_format(tmp_path, capsys):
    # CifarNet on the digits, padded to its 32x32 input by its evaluation
    # preprocessing, which standardizes each image in the serving graph.
    train_dir = str(tmp_path / "cifarnet")
    train(small_config(train_dir, model_name="cifarnet",
                       max_number_of_steps=5, batch_size=8))
    description = run_export(ExportConfig(checkpoint_dir=train_dir))
    assert description["input"]["shape"] == [None, 32, 32, 1]
    assert description["preprocessing_name"] == "cifarnet"
    assert [entry["name"] for entry in description["parity"]] == [
        "saved_model serving_default", "saved_model predict_images",
        "frozen_graph.pb", "model.tflite"]
    assert all(entry["passed"] for entry in description["parity"])
    assert sorted(os.listdir(os.path.join(train_dir, "export"))) == [
        "export.json", "frozen_graph.pb", "labels.txt", "model.tflite",
        "saved_model"]
    assert capsys.readouterr().out.count(" ok\n") == 4


def test_the_benchmarks_variants_compute_the_same(run):
    # bench/export_latency.py times these three on the same input.
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "bench"))
    import export_latency

    images = np.random.default_rng(0).uniform(
        -1, 1, [3, 28, 28, 1]).astype(np.float32)
    outputs = {}
    for variant in export_latency.VARIANTS:
        classify, input_shape = export_latency.load_variant(
            variant, run["train_dir"], run["export_dir"])
        assert input_shape == [None, 28, 28, 1]
        outputs[variant] = classify(images)
    for variant in export_latency.VARIANTS[1:]:
        np.testing.assert_allclose(outputs[variant], outputs["session"],
                                   atol=1e-4)
