"""Quantization through the programs: train.py --quantize_delay and
--freeze_bn_delay, eval.py --quantize, export.py --tflite_quantize=int8,
predict.py.

Every program runs as a subprocess with tf_keras hidden
(`export_helpers.run_script`), and the runs are shared:

- a float LeNet, trained once: post-training int8 is exported from it, and
  it is the starting point of
- a quantization-aware LeNet (research/slim's fine-tuning recipe, with two
  clones, evaluating during training), which eval.py evaluates, export.py
  exports to full-int8 TFLite and predict.py reads;
- mobilenet_v1 (batch norms, folded) fine-tuned quantization-aware from a
  float checkpoint made here (its batch norms' decay 0.9, so that their
  moving statistics settle within a short run; the zoo's 0.9997 would not)
  and exported to full-int8 TFLite;
- a user's scenario with every kind of batch norm the rewrite folds, and no
  dropout, interrupted and resumed across its quantization and freeze
  steps, against an uninterrupted run.
"""

import json
import os
from concurrent import futures

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from slimtrain.compute import quantize
from slimtrain.data.datasets import dataset_factory
from slimtrain.errors import ConfigError
from slimtrain.evaluation.config import EvalConfig
from slimtrain.evaluation.loop import run_evaluation
from slimtrain.export import int8_tflite
from slimtrain.export.config import ExportConfig
from slimtrain.export.exporter import run_export
from slimtrain.export.int8_runner import Int8TFLiteRunner, tflite_runner
from slimtrain.export.model import resolve_model
from slimtrain.export.parity import reference_outputs
from slimtrain.rundir.checkpoint_reading import resolve_checkpoint
from slimtrain.rundir.opened_run import open_run
from slimtrain.rundir.run_source import RunSource
from tests import quantize_helpers as helpers
from tests.export_helpers import run_script
from tests.training_helpers import assert_same_variables, variables_of

# What every run shares: few examples per step and no summaries by time.
QUIET = ["--num_preprocessing_threads=2", "--save_summaries_steps=0",
         "--save_interval_secs=600", "--seed=1"]
QAT_STEPS = 30
QUANTIZE_DELAY = 10
PREDICTED = 4  # digits predict.py classifies


def run_ok(script, *args):
    """Runs `script` with tf_keras hidden; asserts it succeeded."""
    result = run_script(script, *args)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def read_json(path):
    with open(path) as handle:
        return json.load(handle)


def results_of(train_dir):
    """The records of eval/results.jsonl."""
    with open(os.path.join(train_dir, "eval", "results.jsonl")) as handle:
        return [json.loads(line) for line in handle]


def int8_parity_of(description):
    """export.json's parity record of model.tflite."""
    [record] = [entry for entry in description["parity"]
                if entry["name"] == "model.tflite"]
    return record


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("quantize_cli")


@pytest.fixture(scope="module")
def float_lenet(workdir):
    train_dir = str(workdir / "float")
    run_ok("train.py", "--train_dir=" + train_dir, "--max_number_of_steps=60",
           "--batch_size=32", *QUIET)
    return train_dir


@pytest.fixture(scope="module")
def qat_lenet(workdir, float_lenet):
    """(train dir, train.py's CompletedProcess)."""
    train_dir = str(workdir / "qat")
    result = run_ok(
        "train.py", "--train_dir=" + train_dir,
        "--checkpoint_path=" + float_lenet,
        "--quantize_delay=%d" % QUANTIZE_DELAY,
        "--max_number_of_steps=%d" % QAT_STEPS, "--num_clones=2",
        "--clone_on_cpu", "--batch_size=16",
        "--eval_every_n_steps=%d" % QAT_STEPS, "--optimizer=adam",
        "--learning_rate=0.0005", *QUIET)
    return train_dir, result


@pytest.fixture(scope="module")
def qat_export(qat_lenet):
    """(export dir, export.py's CompletedProcess)."""
    train_dir, _ = qat_lenet
    result = run_ok("export.py", "--checkpoint_dir=" + train_dir,
                    "--tflite_quantize=int8")
    return os.path.join(train_dir, "export"), result


def test_training_fine_tunes_a_float_run_quantization_aware_on_clones(
        qat_lenet, float_lenet):
    train_dir, result = qat_lenet
    assert ("Quantization-aware training from global step %d: quantization: "
            "8 layers (0 batch norms folded)" % QUANTIZE_DELAY
            in result.stderr)  # LeNet's 4 layers in each of 2 clones
    assert "Fine-tuning from %s" % float_lenet in result.stderr
    recorded = read_json(os.path.join(train_dir, "train_config.json"))
    assert (recorded["quantize_delay"], recorded["freeze_bn_delay"]) == (
        QUANTIZE_DELAY, None)
    checkpoint = resolve_checkpoint(train_dir)
    assert quantize.holds_ranges(checkpoint)
    assert not quantize.holds_ranges(resolve_checkpoint(float_lenet))
    # One set of ranges for both clones, named after the layers' weights.
    ranges = [name for name in variables_of(checkpoint) if "_quant/" in name]
    assert "LeNet/fc4/act_quant/max" in ranges
    assert "LeNet/conv1/input_quant/min" in ranges
    assert not [name for name in ranges if "clone" in name]
    # Evaluation during training evaluated the fake-quant graph.
    assert "batches, quantized (quantization: 4 layers" in result.stderr
    assert [record["global_step"] for record in results_of(train_dir)] == [
        QAT_STEPS]


def test_eval_py_evaluates_a_quantization_aware_run_as_it_trained(
        qat_lenet, float_lenet):
    train_dir, _ = qat_lenet
    result = run_ok("eval.py", "--checkpoint_dir=" + train_dir)
    assert "batches, quantized (quantization: 4 layers" in result.stderr
    during_training, by_eval_py = results_of(train_dir)
    assert by_eval_py["metrics"] == during_training["metrics"]
    with pytest.raises(ConfigError, match="holds no quantization ranges .* "
                       "evaluate it with --noquantize"):
        run_evaluation(EvalConfig(checkpoint_dir=float_lenet, quantize=True,
                                  eval_dir=os.path.join(train_dir, "x")))
    assert not os.path.exists(os.path.join(train_dir, "x"))


def test_the_int8_export_is_integer_and_within_its_bound(qat_export,
                                                         qat_lenet):
    export_dir, result = qat_export
    description = read_json(os.path.join(export_dir, "export.json"))
    tflite = description["files"]["tflite"]
    assert tflite["quantize"] == "int8"
    assert tflite["int8"]["method"] == "quantization-aware"
    assert tflite["int8"]["non_integer_tensors"] == []
    # The SavedModel and the frozen graph compute the fake-quant graph.
    others = [entry for entry in description["parity"]
              if entry["name"] != "model.tflite"]
    assert len(others) == 3 and all(entry["passed"] for entry in others)
    parity = int8_parity_of(description)
    assert parity["passed"] and parity["examples"] == 360  # the digits'
    assert "model.tflite is int8 (quantization-aware)" in result.stdout
    # Checked here, apart from the export's own check: every tensor is
    # int8 or int32, and the model's accuracy on the held-out digits is
    # within the bound (1 point) of what eval.py measured of the fake-quant
    # graph.
    path = os.path.join(export_dir, "model.tflite")
    with open(path, "rb") as handle:
        assert int8_tflite.non_integer_tensors(handle.read()) == []
    images, labels = helpers.digits("test")
    runner = tflite_runner(export_dir)
    assert isinstance(runner, Int8TFLiteRunner)
    int8_accuracy = np.mean(runner.run(images)["classes"] == labels)
    fake_quant_accuracy = results_of(qat_lenet[0])[0]["metrics"]["Accuracy"]
    assert int8_accuracy == pytest.approx(parity["int8_accuracy"])
    assert abs(int8_accuracy - fake_quant_accuracy) <= 0.01
    assert fake_quant_accuracy > 0.8


def test_predict_py_classifies_with_the_int8_export_and_the_train_dir(
        qat_export, qat_lenet, tmp_path):
    export_dir, _ = qat_export
    train_dir, _ = qat_lenet
    split = dataset_factory.get_dataset("digits", "test")
    pngs = []
    for index, (image, _) in enumerate(split.make_dataset().take(PREDICTED)):
        pngs.append(str(tmp_path / ("digit%d.png" % index)))
        with open(pngs[-1], "wb") as handle:
            handle.write(tf.io.encode_png(image).numpy())
    with futures.ThreadPoolExecutor(2) as pool:
        results = list(pool.map(
            lambda model: run_script("predict.py", *pngs, "--json",
                                     "--model=" + model),
            [export_dir, train_dir]))
    opened = open_run(RunSource(train_dir, "--model"))
    reference = reference_outputs(
        resolve_model(opened, split), split, resolve_checkpoint(train_dir),
        None, PREDICTED, quantized=True)
    for result in results:
        assert result.returncode == 0, result.stderr[-3000:]
        predictions = [json.loads(line) for line in result.stdout.splitlines()
                       if line.startswith("{")]
        assert len(predictions) == PREDICTED
        for prediction, expected in zip(predictions,
                                        reference.probabilities):
            for entry in prediction["predictions"]:
                assert entry["probability"] == pytest.approx(
                    expected[entry["class"]], abs=1e-4)


def test_post_training_int8_of_a_float_run_passes_its_bound(
        float_lenet, qat_lenet, tmp_path):
    export_dir = str(tmp_path / "export")
    run_ok("export.py", "--checkpoint_dir=" + float_lenet,
           "--output_dir=" + export_dir, "--formats=tflite",
           "--tflite_quantize=int8", "--calibration_examples=100")
    description = read_json(os.path.join(export_dir, "export.json"))
    int8 = description["files"]["tflite"]["int8"]
    assert (int8["method"], int8["calibration_examples"]) == (
        "post-training", 100)
    assert int8["non_integer_tensors"] == []
    parity = int8_parity_of(description)
    assert parity["passed"] and parity["bound"]["name"] == "post-training"
    assert parity["reference_accuracy"] - parity["int8_accuracy"] <= 0.02
    # A quantization-aware checkpoint's weights are not dynamic-range
    # quantized: refused before anything is written.
    with pytest.raises(ConfigError, match="is quantization-aware .* export "
                       "it with --tflite_quantize=int8"):
        run_export(ExportConfig(checkpoint_dir=qat_lenet[0],
                                output_dir=str(tmp_path / "dynamic"),
                                tflite_quantize="dynamic"))
    assert sorted(os.listdir(tmp_path)) == ["export"]


def test_mobilenet_fine_tuned_quantization_aware_exports_to_int8(tmp_path):
    images, labels = helpers.digits("train", helpers.MOBILENET_SIZE,
                                    channels=3)
    pretrained = helpers.train(helpers.small_mobilenet, tmp_path, images,
                               labels, steps=60, learning_rate=0.01)
    train_dir = str(tmp_path / "qat")
    result = run_ok(
        "train.py", "--train_dir=" + train_dir, "--checkpoint_path=" +
        pretrained, "--model_name=mobilenet_v1_025", "--train_image_size=32",
        "--quantize_delay=0", "--freeze_bn_delay=10",
        "--max_number_of_steps=20", "--save_interval_steps=10",
        "--batch_size=32", "--optimizer=adam", "--learning_rate=0.001",
        *QUIET)
    assert ("batch norms frozen from step 10: quantization: 28 layers (27 "
            "batch norms folded)" in result.stderr)
    moving_mean = "MobilenetV1/Conv2d_5_pointwise/BatchNorm/moving_mean"
    before, at_freeze, last = (
        variables_of(checkpoint)[moving_mean] for checkpoint in (
            pretrained, train_dir + "/model.ckpt-10",
            train_dir + "/model.ckpt-20"))
    assert not np.array_equal(before, at_freeze)
    np.testing.assert_array_equal(at_freeze, last)

    run_ok("export.py", "--checkpoint_dir=" + train_dir, "--formats=tflite",
           "--tflite_quantize=int8")
    description = read_json(os.path.join(train_dir, "export",
                                         "export.json"))
    assert description["files"]["tflite"]["int8"][
        "non_integer_tensors"] == []
    parity = int8_parity_of(description)
    assert parity["passed"] and parity["examples"] == 360
    assert parity["reference_accuracy"] > 0.2  # it predicts several classes


def test_a_resumed_quantization_aware_run_is_exact(tmp_path):
    # Quantization starts at step 4 and batch norms freeze at step 8: the
    # interrupted run stops at 6, and its resumption crosses the freeze.
    flags = ["--scenario=tests.quantize_helpers:TinyBatchNormScenario",
             "--quantize_delay=4", "--freeze_bn_delay=8",
             "--save_interval_steps=4", "--batch_size=16", *QUIET]
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    result = run_ok("train.py", "--train_dir=" + straight,
                    "--max_number_of_steps=12", *flags)
    assert "quantization: 4 layers (3 batch norms folded)" in result.stderr
    run_ok("train.py", "--train_dir=" + resumed, "--max_number_of_steps=6",
           *flags)
    result = run_ok("train.py", "--train_dir=" + resumed,
                    "--max_number_of_steps=12", *flags)
    assert "Resuming from %s/model.ckpt-6" % resumed in result.stderr
    assert_same_variables(straight + "/model.ckpt-12",
                          resumed + "/model.ckpt-12")
    # Frozen from step 8: the moving statistics no longer change.
    steps = [variables_of("%s/model.ckpt-%d" % (straight, step))
             for step in (4, 8, 12)]
    for name in ("Tiny/fc/BatchNorm/moving_variance",
                 "Tiny/depthwise/BatchNorm/moving_mean"):
        assert not np.array_equal(steps[0][name], steps[1][name])
        np.testing.assert_array_equal(steps[1][name], steps[2][name])
