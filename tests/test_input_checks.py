"""Checks of the training input made before a run writes anything, and the
one-line message for corrupt data found later; warnings about input sizes."""

import gzip
import logging
import re

import numpy as np
import pytest

from slimtrain.data import record_check
from slimtrain.data.datasets import converters, dataset_factory
from slimtrain.errors import ConfigError
from slimtrain.training.config import TrainConfig
from slimtrain.training.input_checks import warn_about_input
from slimtrain.training.trainer import train
from tests.export_helpers import run_script
from tests.test_datasets_writers import random_images, write_idx
from tests.training_helpers import small_config


@pytest.fixture
def mnist_dir(tmp_path):
    data = tmp_path / "mnist"
    converters.convert_mnist_idx(dataset_factory.DIGITS_DIR, str(data))
    return data


def test_a_corrupt_record_later_in_the_data_ends_training_in_one_line(
        mnist_dir, tmp_path):
    records = mnist_dir / "mnist_train.tfrecord"
    content = bytearray(records.read_bytes())
    content[len(content) // 2] ^= 0xFF
    records.write_bytes(bytes(content))
    split = dataset_factory.get_dataset("mnist", "train", str(mnist_dir))
    record_check.check_first_records(split)  # the start of the file is fine
    with pytest.raises(ConfigError) as raised:
        train(small_config(tmp_path / "run", dataset_name="mnist",
                           dataset_dir=str(mnist_dir), max_number_of_steps=5))
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("%s: record " % records)
    index = int(message.split("record ", 1)[1].split(" ", 1)[0])
    assert 600 < index < 800  # the middle of its 1,437 records


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_short_idx_file_is_refused_before_anything_is_written(tmp_path,
                                                               gzipped):
    """Its header counts 20 images; 12 whole ones remain, so its first
    records read and decode: only the length gives it away."""
    raw = tmp_path / "raw"
    images = random_images(20, 28, 28, 1)[..., 0]
    write_idx(raw, "train", images, np.arange(20) % 10, gzipped=gzipped)
    name = "train-images-idx3-ubyte" + (".gz" if gzipped else "")
    with (gzip.open if gzipped else open)(raw / name, "rb") as handle:
        data = handle.read()
    with (gzip.open if gzipped else open)(raw / name, "wb") as handle:
        handle.write(data[:16 + 12 * 28 * 28])
    with pytest.raises(ConfigError) as raised:
        train(small_config(tmp_path / "run", dataset_name="mnist_idx",
                           dataset_dir=str(raw)))
    assert str(raised.value) == (
        "%s holds 9424%s bytes but its header counts 20 images of 28x28 "
        "(15696 bytes): the file is cut short; replace it with an intact "
        "copy." % (raw / name, " uncompressed" if gzipped else ""))
    assert not (tmp_path / "run").exists()


def test_a_record_cut_short_mid_run_is_one_line_without_a_stack_dump(
        mnist_dir, tmp_path):
    """train.py on a TFRecord file cut at 60 %: its first records pass the
    check, and the read fails at step ~14; stderr ends in the one error line
    and holds none of the Coordinator's ~30-line copy of the error."""
    records = mnist_dir / "mnist_train.tfrecord"
    records.write_bytes(records.read_bytes()[:int(0.6 * records.stat().st_size)])
    result = run_script(
        "train.py", "--dataset_name=mnist", "--dataset_dir=%s" % mnist_dir,
        "--train_dir=%s" % (tmp_path / "run"), "--max_number_of_steps=40",
        "--batch_size=64", "--save_summaries_steps=0", "--num_readers=1")
    assert result.returncode == 2, result.stderr[-3000:]
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("error: %s: record 861 cannot be read as "
                                "mnist data (truncated record at " % records)
    # Before it, only slimtrain's start line and progress lines.
    assert lines[0].startswith("Training lenet "), lines
    assert all(re.match(r"step \d+/40: ", line) for line in lines[1:-1]), lines
    for dump_line in ("Error reported to Coordinator", "Detected at node",
                      "Original stack trace", "Traceback"):
        assert dump_line not in result.stderr


def test_an_empty_split_is_refused(mnist_dir):
    (mnist_dir / "mnist_train.tfrecord").write_bytes(b"")
    split = dataset_factory.get_dataset("mnist", "train", str(mnist_dir))
    with pytest.raises(ConfigError, match="holds no records"):
        record_check.check_first_records(split)


def test_warnings_for_a_batch_larger_than_the_data_and_a_far_input_size(
        caplog):
    split = dataset_factory.get_dataset("digits", "test")
    config = TrainConfig(model_name="inception_v3", batch_size=500)
    with caplog.at_level(logging.WARNING):
        warn_about_input(config, split, 299, config.model_name)
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2
    assert lines[0].startswith("--batch_size=500 is larger than the 360 "
                               "examples of digits/test")
    assert lines[1].startswith("inception_v3 reads 299x299 images but digits "
                               "holds 28x28 ones (10.7 times the size)")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        for image_size in (28, 3):  # 3 is refused later, by apply_network
            warn_about_input(TrainConfig(), split, image_size, "lenet")
    assert not caplog.records
