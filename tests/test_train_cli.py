"""train.py as a program: reference command lines, flag files, bad input."""

import os
import subprocess
import sys

import pytest

from slimtrain.data.datasets import converters, dataset_factory
from tests.conftest import REPO
from tests.training_helpers import checkpoint_steps


def run_train(*flags, cwd=None):
    return subprocess.run(
        [sys.executable, os.path.join(REPO, "train.py"), *flags],
        cwd=cwd, capture_output=True, text=True, timeout=300)


def test_reference_command_line_runs_unchanged_on_tfrecords(tmp_path):
    data = tmp_path / "mnist"
    converters.convert_mnist_idx(dataset_factory.DIGITS_DIR, str(data))
    train_dir = tmp_path / "lenet"
    # research/slim's scripts/train_lenet_on_mnist.sh, with fewer steps.
    result = run_train(
        "--train_dir=%s" % train_dir, "--dataset_name=mnist",
        "--dataset_split_name=train", "--dataset_dir=%s" % data,
        "--model_name=lenet", "--preprocessing_name=lenet",
        "--max_number_of_steps=30", "--batch_size=50", "--learning_rate=0.01",
        "--save_interval_secs=60", "--save_summaries_secs=60",
        "--log_every_n_steps=10", "--optimizer=sgd",
        "--learning_rate_decay_type=fixed", "--weight_decay=0")
    assert result.returncode == 0, result.stderr[-3000:]
    assert checkpoint_steps(train_dir)[-1] == 30
    assert "step 30/30: loss = " in result.stderr
    assert "examples/sec" in result.stderr


@pytest.mark.parametrize("flag, named", [
    ("--model_name=resnet_v9", "--model_name=resnet_v9"),
    ("--dataset_name=mnist", "dataset_dir"),
    ("--batch_size=-2", "--batch_size"),
    ("--freeze_bn_delay=5", "--freeze_bn_delay=5 applies to quantization"),
])
def test_bad_flags_exit_non_zero_with_one_line(tmp_path, flag, named):
    train_dir = tmp_path / "run"
    result = run_train("--train_dir=%s" % train_dir, flag)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines()
              if line.startswith("error: ")]
    assert len(errors) == 1 and named in errors[0], result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not train_dir.exists()
