"""--mixed_precision: bfloat16 on CPUs, float16 on GPUs, refused elsewhere.

The bfloat16 runs are real train.py, eval.py and export.py processes with
tf_keras hidden. On a CPU with bfloat16 instructions (AMX, AVX512-BF16)
they run as a user's would; on one without (where train.py refuses
bfloat16), they run emulated, with TensorFlow's oneDNN optimizations
forced on and slimtrain's SLIMTRAIN_ALLOW_EMULATED_BFLOAT16: the same
graph rewrite and the same checks, many times slower, hence the tiny
batches. float16 needs a GPU: its loss scaling and the guard that knows
about it are checked on a graph of their own, without the rewrite.
"""

import json
import logging
import re

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
from absl import logging as absl_logging

from slimtrain.compute import cpu_features, precision
from slimtrain.errors import ConfigError
from slimtrain.evaluation.config import EvalConfig
from slimtrain.evaluation.during_training import train_and_evaluate
from slimtrain.evaluation.loop import run_evaluation
from slimtrain.export.config import ExportConfig
from slimtrain.export.exporter import run_export
from slimtrain.scenarios.api import TrainStep, Update
from slimtrain.training.config import TrainConfig
from slimtrain.training.divergence import NON_FINITE_MESSAGE
from slimtrain.training.train_ops import build_step_schedule
from tests.export_helpers import one_error_line, run_script
from tests.training_helpers import (
    all_checkpoints,
    assert_same_variables,
    small_config,
    variables_of,
)

NATIVE_BFLOAT16 = cpu_features.has_bfloat16_instructions()
# What a bfloat16 run needs on this machine (nothing on a CPU with bfloat16
# instructions, where oneDNN is on by default).
BFLOAT16_ENV = {} if NATIVE_BFLOAT16 else {
    precision.ALLOW_EMULATED_VARIABLE: "1", "TF_ENABLE_ONEDNN_OPTS": "1"}

STEPS = 8
# A user's scenario (tests/user_scenario.py): a convolution and a fully
# connected layer without dropout, whose masks a resumed process would
# draw anew; two updates on a schedule; an evaluation of its own.
SETTINGS = dict(scenario="tests.user_scenario:AlternatingScenario",
                batch_size=4, max_number_of_steps=STEPS, seed=3,
                optimizer="sgd", learning_rate_decay_type="fixed",
                learning_rate=0.001, log_every_n_steps=1, num_readers=1,
                num_preprocessing_threads=1)
FLAGS = ["--%s=%s" % setting for setting in SETTINGS.items()]
PROBE = "--hooks=tests.hook_factories:precision_probe"
# A bfloat16 loss may differ from float32's by this much, relative: its
# 8-bit mantissa rounds each input, weight and activation by up to 2**-9
# (0.2%), and the differences grow a little with each update.
LOSS_TOLERANCE = 0.02


def _losses(lines):
    """{global step: loss} of the progress lines among `lines`."""
    return {int(step): float(loss) for step, loss in re.findall(
        r"step (\d+)/\d+: loss = ([-\d.naif]+)", "\n".join(lines))}


def _train(train_dir, *flags):
    result = run_script("train.py", "--train_dir=%s" % train_dir, *FLAGS,
                        *flags)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _probe(record):
    with open(record) as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The scenario trained on the digits for 8 steps: in bfloat16
    (evaluating its checkpoints of steps 4 and 8 during training, in
    bfloat16 too), in bfloat16 again, stopped after 4 steps and resumed,
    and in float32 (in this process, as a library call)."""
    root = tmp_path_factory.mktemp("precision")
    found = {"root": root}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in BFLOAT16_ENV.items():
            patch.setenv(name, value)
        patch.setenv("SLIMTRAIN_TEST_PRECISION_RECORD", str(root / "bf.json"))
        found["bfloat16"] = _train(
            root / "bfloat16", "--mixed_precision=bfloat16", PROBE,
            "--eval_every_n_steps=4", "--eval_batch_size=60",
            "--max_num_batches=3")
        found["bfloat16_probe"] = _probe(root / "bf.json")
        _train(root / "resumed", "--mixed_precision=bfloat16",
               "--max_number_of_steps=%d" % (STEPS // 2))
        found["resumed"] = _train(root / "resumed",
                                  "--mixed_precision=bfloat16")
        patch.setenv("SLIMTRAIN_TEST_PRECISION_RECORD", str(root / "fp.json"))
        messages = []
        handler = logging.Handler()
        handler.emit = lambda record: messages.append(record.getMessage())
        absl_logger = absl_logging.get_absl_logger()
        absl_logger.addHandler(handler)
        # The logger's own level, put back as it was (often unset): setting
        # back get_verbosity()'s value would leave it at WARNING, and later
        # tests of this worker would lose their INFO records.
        level = absl_logger.level
        absl_logger.setLevel(logging.INFO)
        try:
            train_and_evaluate(TrainConfig(
                train_dir=str(root / "float32"), hooks=PROBE.split("=")[1],
                **SETTINGS))
        finally:
            absl_logger.setLevel(level)
            absl_logger.removeHandler(handler)
        found["float32"] = messages
        found["float32_probe"] = _probe(root / "fp.json")
    return found


def test_bfloat16_rewrites_the_step_and_keeps_variables_float32(runs):
    probe = runs["bfloat16_probe"]
    assert {"Conv2D", "Conv2DBackpropFilter", "MatMul"} <= set(
        probe["bfloat16"]), probe
    assert runs["float32_probe"]["bfloat16"] == []
    start = [line for line in runs["bfloat16"].stderr.splitlines()
             if line.startswith("Training scenario ")]
    assert len(start) == 1 and "in bfloat16 mixed precision, into" in start[0]
    assert any("in float32, into" in line for line in runs["float32"])
    with open(runs["root"] / "bfloat16" / "train_config.json") as handle:
        assert json.load(handle)["mixed_precision"] == "bfloat16"
    checkpoint = all_checkpoints(runs["root"] / "bfloat16")[-1]
    dtypes = {np.asarray(value).dtype for value in
              variables_of(checkpoint).values()}
    assert dtypes <= {np.dtype("float32"), np.dtype("int64")}, dtypes


def test_bfloat16_losses_follow_float32(runs):
    float32 = _losses(runs["float32"])
    bfloat16 = _losses(runs["bfloat16"].stderr.splitlines())
    assert sorted(float32) == sorted(bfloat16) == list(range(1, STEPS + 1))
    for step, loss in float32.items():
        assert bfloat16[step] == pytest.approx(loss, rel=LOSS_TOLERANCE), (
            step, float32, bfloat16)


def test_bfloat16_seeded_runs_repeat_and_resume_bit_for_bit(runs):
    root = runs["root"]
    # Two processes trained the first 4 steps; one went on from its
    # checkpoint, the other (evaluating on the way) did not stop.
    half, last = "model.ckpt-%d" % (STEPS // 2), "model.ckpt-%d" % STEPS
    assert_same_variables(str(root / "bfloat16" / half),
                          str(root / "resumed" / half))
    assert "input resumes at example 16" in runs["resumed"].stderr
    assert_same_variables(str(root / "bfloat16" / last),
                          str(root / "resumed" / last))


def test_a_bfloat16_checkpoint_evaluates_in_either_precision(runs,
                                                             tmp_path):
    train_dir = runs["root"] / "bfloat16"
    with open(train_dir / "eval" / "results.jsonl") as handle:
        during = [json.loads(line) for line in handle]
    assert [result["global_step"] for result in during] == [4, STEPS]
    [result] = run_evaluation(EvalConfig(
        checkpoint_dir=str(train_dir), eval_dir=str(tmp_path / "eval"),
        batch_size=60, max_num_batches=3))
    assert result.global_step == STEPS
    # 180 examples: bfloat16 may classify a few of them otherwise.
    assert result.metrics["Accuracy"] == pytest.approx(
        during[-1]["metrics"]["Accuracy"], abs=0.03)


def test_bfloat16_divergence_rolls_back_then_ends_in_one_line(
        tmp_path, monkeypatch):
    for name, value in BFLOAT16_ENV.items():
        monkeypatch.setenv(name, value)
    result = run_script(
        "train.py", "--train_dir=%s" % tmp_path, *FLAGS,
        "--mixed_precision=bfloat16", "--learning_rate=1e30",
        "--max_number_of_steps=30", "--save_interval_steps=1",
        "--on_nan=rollback", "--max_nan_rollbacks=2")
    assert result.returncode == 3, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines()
              if line.startswith("error: ")]
    assert len(errors) == 1 and "after 2 rollbacks" in errors[0], errors
    assert result.stderr.count("rolled back to") == 2
    assert "Traceback" not in result.stderr
    for checkpoint in all_checkpoints(tmp_path):
        for value in variables_of(checkpoint).values():
            if np.issubdtype(np.asarray(value).dtype, np.floating):
                assert np.isfinite(value).all(), checkpoint


def test_bfloat16_keeps_depthwise_convolutions_float32_and_exports_float32(
        tmp_path, monkeypatch):
    record = tmp_path / "probe.json"
    monkeypatch.setenv("SLIMTRAIN_TEST_PRECISION_RECORD", str(record))
    for name, value in BFLOAT16_ENV.items():
        monkeypatch.setenv(name, value)
    train_dir = tmp_path / "run"
    result = run_script(
        "train.py", "--train_dir=%s" % train_dir,
        "--model_name=mobilenet_v1_025", "--train_image_size=32",
        "--batch_size=2", "--max_number_of_steps=1",
        "--mixed_precision=bfloat16", "--num_readers=1",
        "--num_preprocessing_threads=1", "--save_summaries_secs=0", PROBE)
    assert result.returncode == 0, result.stderr[-3000:]
    probe = _probe(record)
    # The op types after oneDNN's own rewrites (e.g. _FusedConv2D,
    # _MklNativeDepthwiseConv2dNative) still name the convolution.
    assert any("Conv2D" in op for op in probe["bfloat16"]), probe
    assert [op for op in probe["bfloat16"] if "Depthwise" in op] == [], probe
    assert len([op for op in probe["float32"] if "Depthwise" in op]) >= 3, (
        probe)
    # The classifier's bfloat16 checkpoint exports as float32 models that
    # match it (export.py's own parity check).
    run_export(ExportConfig(checkpoint_dir=str(train_dir),
                            output_dir=str(tmp_path / "export"),
                            formats="frozen", parity_examples=8))
    assert (tmp_path / "export" / "frozen_graph.pb").exists()


def test_bfloat16_needs_bfloat16_instructions_and_onednn(tmp_path,
                                                         monkeypatch):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 avx512f\n")
    assert not cpu_features.has_bfloat16_instructions(
        cpu_features.cpu_flags(str(cpuinfo)))
    cpuinfo.write_text("processor\t: 0\nflags\t\t: avx512f amx_bf16 amx_tile\n")
    assert cpu_features.has_bfloat16_instructions(
        cpu_features.cpu_flags(str(cpuinfo)))
    assert cpu_features.cpu_flags(str(tmp_path / "missing")) == set()

    # This machine: refused unless its CPU has the instructions.
    monkeypatch.delenv(precision.ALLOW_EMULATED_VARIABLE, raising=False)
    result = run_script("train.py", "--train_dir=%s" % (tmp_path / "a"),
                        "--mixed_precision=bfloat16", "--max_number_of_steps=1")
    if NATIVE_BFLOAT16:
        assert result.returncode == 0, result.stderr[-3000:]
    else:
        assert one_error_line(result).startswith(
            "error: --mixed_precision=bfloat16 needs a CPU with bfloat16 "
            "instructions")
        assert not (tmp_path / "a").exists()
    # Without oneDNN the rewrite would not run at all: refused anywhere.
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    monkeypatch.setenv(precision.ALLOW_EMULATED_VARIABLE, "1")
    result = run_script("train.py", "--train_dir=%s" % (tmp_path / "b"),
                        "--mixed_precision=bfloat16")
    assert one_error_line(result) == (
        "error: --mixed_precision=bfloat16 needs TensorFlow's oneDNN "
        "optimizations, which are off on this machine "
        "(TF_ENABLE_ONEDNN_OPTS=0): set TF_ENABLE_ONEDNN_OPTS=1.")
    assert not (tmp_path / "b").exists()


@pytest.mark.skipif(bool(tf.config.list_physical_devices("GPU")),
                    reason="float16 runs on this machine's GPU")
def test_float16_on_a_cpu_is_refused_in_one_line(tmp_path):
    message = ("--mixed_precision=float16 needs a GPU and this machine has "
               "none (TensorFlow's float16 CPU rewrite crashes): use "
               "--mixed_precision=bfloat16 on a CPU with AMX or "
               "AVX512-BF16, or train in float32.")
    result = run_script("train.py", "--train_dir=%s" % (tmp_path / "run"),
                        "--mixed_precision=float16")
    assert one_error_line(result) == "error: " + message
    assert not (tmp_path / "run").exists()
    with pytest.raises(ConfigError) as raised:
        run_evaluation(EvalConfig(checkpoint_dir=str(tmp_path / "run"),
                                  mixed_precision="float16"))
    assert str(raised.value) == message


def test_float16_loss_scaling_skips_overflows_and_the_guard_knows(tmp_path):
    # The loss scaling and the guard of a float16 run, on a graph of their
    # own (without the float16 rewrite, which needs a GPU): loss =
    # sum(weight * x), so the gradient is sum(x) and overflows when scaled.
    config = small_config(tmp_path, mixed_precision="float16",
                          optimizer="sgd", learning_rate_decay_type="fixed",
                          learning_rate=0.5)
    with tf.Graph().as_default():
        global_step = tf.train.get_or_create_global_step()
        weight = tf.Variable(1e-10, name="weight")
        inputs = tf.placeholder(tf.float32, [2])
        loss = tf.reduce_sum(weight * inputs)
        schedule, _ = build_step_schedule(
            TrainStep([Update("only", loss, variables=[weight])]), config,
            global_step=global_step, num_samples=100, batch=[])
        step_op = schedule.step_ops[0]
        scale = [var for var in tf.global_variables()
                 if var.op.name == "current_loss_scale"]
        assert len(scale) == 1 and "good_steps" in [
            var.op.name for var in tf.global_variables()]
        saver = tf.train.Saver(tf.global_variables())
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())

            def train(values):
                sess.run(step_op.train_op, {inputs: values})
                return sess.run([weight, global_step, scale[0]])

            assert train([1e-9, 1e-9]) == pytest.approx(
                [-9e-10, 1, precision.INITIAL_LOSS_SCALE])
            # A finite gradient (2e38) that overflows once scaled: the step
            # is skipped and the scale halves, without failing, down to 1.
            for halvings in range(1, 16):
                assert train([1e38, 1e38]) == pytest.approx(
                    [-9e-10, 1, precision.INITIAL_LOSS_SCALE /
                     2 ** halvings])
            saved = saver.save(sess, str(tmp_path / "model.ckpt"))
            # At a scale of 1 a gradient that is not finite (6e38) is
            # divergence, though the loss (-5.4e29) is finite.
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=NON_FINITE_MESSAGE):
                train([3e38, 3e38])
    assert tf.train.load_variable(saved, "current_loss_scale") == 1.0
