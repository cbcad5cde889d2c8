"""Checks of the training input made before a run writes anything, and the
one-line message for corrupt data found later; warnings about input sizes."""

import logging

import pytest

from slimtrain.data import record_check
from slimtrain.data.datasets import converters, dataset_factory
from slimtrain.errors import ConfigError
from slimtrain.training.config import TrainConfig
from slimtrain.training.input_checks import warn_about_input
from slimtrain.training.trainer import train
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
