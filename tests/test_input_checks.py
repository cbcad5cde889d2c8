"""Checks made before a run writes anything, and the one-line messages for
faults found later: corrupt data, write failures, an absent --master,
input sizes; and the loss that replaced slim.losses."""

import errno
import gzip
import logging
import os
import re
import socket
import subprocess

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim as slim

from slimtrain import cli
from slimtrain.compute.losses import add_classification_losses
from slimtrain.data import record_check
from slimtrain.data.datasets import converters, dataset_factory
from slimtrain.distributed.master import wait_for_master
from slimtrain.errors import ConfigError
from slimtrain.evaluation.config import EvalConfig
from slimtrain.training import workspace
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
    # Apart from log lines ("I1206 21:05:41.105454 ... learning.py:746] ...").
    assert [line for line in lines
            if not re.match(r"[IWE]\d{4} ", line)] == lines[-1:]
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


def test_write_failures_become_one_line(tmp_path):
    with pytest.raises(OSError) as full:
        with open("/dev/full", "w") as handle:  # a real ENOSPC
            handle.write("x")
    assert full.value.errno == errno.ENOSPC
    message = str(workspace.write_failure(full.value, "/data/run"))
    assert message.startswith("no space left on the device of /data/run")
    assert "resumes from the last complete checkpoint" in message
    resource_error = tf.errors.ResourceExhaustedError(
        None, None, "/data/run/model.ckpt-5.tempstate1; No space left on "
        "device")
    assert "no space left" in str(workspace.write_failure(resource_error,
                                                          "/data/run"))
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    for path in (a_file, a_file / "run"):
        with pytest.raises(ConfigError, match="cannot be used as a directory"):
            workspace.open_train_dir(str(path))
    assert workspace.write_failure(ValueError("other"), "/data/run") is None


def test_an_absent_master_is_one_line_after_a_bounded_wait():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConfigError, match="did not answer within 1 s"):
        wait_for_master("grpc://127.0.0.1:%d" % port, timeout_secs=1)
    with pytest.raises(ConfigError, match="is not an address"):
        wait_for_master("127.0.0.1:2222")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        wait_for_master("grpc://127.0.0.1:%d" % server.getsockname()[1])


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_losses_equal_those_of_the_deprecated_slim_losses(label_smoothing):
    rng = np.random.RandomState(0)
    logits_value = rng.randn(8, 10).astype(np.float32)
    aux_value = rng.randn(8, 10).astype(np.float32)
    labels_value = rng.randint(0, 10, 8)

    def total_and_terms(add_losses):
        with tf.Graph().as_default():
            logits = tf.constant(logits_value)
            labels = tf.constant(labels_value)
            tf.losses.add_loss(tf.constant(0.25),
                               tf.GraphKeys.REGULARIZATION_LOSSES)
            total = add_losses(logits, {"AuxLogits": tf.constant(aux_value)},
                               labels)
            terms = tf.losses.get_losses()
            with tf.Session() as session:
                return (session.run(total), session.run(terms),
                        [term.op.name for term in terms])

    def with_slim_losses(logits, end_points, labels):
        # TF-Slim's train_image_classifier.py, as slimtrain called it before.
        one_hot = slim.one_hot_encoding(labels, 10)
        slim.losses.softmax_cross_entropy(
            end_points["AuxLogits"], one_hot, label_smoothing=label_smoothing,
            weights=0.4, scope="aux_loss")
        slim.losses.softmax_cross_entropy(
            logits, one_hot, label_smoothing=label_smoothing, weights=1.0)
        return slim.losses.get_total_loss()

    def with_slimtrain(logits, end_points, labels):
        return add_classification_losses(logits, end_points, labels, 10,
                                         label_smoothing)

    expected = total_and_terms(with_slim_losses)
    found = total_and_terms(with_slimtrain)
    assert found[0] == pytest.approx(expected[0], rel=1e-6)
    np.testing.assert_allclose(found[1], expected[1], rtol=1e-6)
    assert found[2] == expected[2] == ["aux_loss/value",
                                       "softmax_cross_entropy_loss/value"]


def test_every_flag_is_in_one_help_group():
    grouped = [name for _, names in cli.HELP_GROUPS for name in names]
    assert len(grouped) == len(set(grouped))
    for config_class in (TrainConfig, EvalConfig):
        for field in config_class.__dataclass_fields__:
            assert field in grouped, field


def test_a_read_only_train_dir_is_one_line(tmp_path):
    """A dir without write permission; as root, where permissions do not
    stop writes, a read-only tmpfs (skipped where mounting is not allowed)."""
    read_only = tmp_path / "read_only"
    read_only.mkdir()
    if os.geteuid() != 0:
        read_only.chmod(0o555)
        unmount = []
    else:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m",
                                  "tmpfs", str(read_only)],
                                 capture_output=True)
        if mounted.returncode != 0:
            pytest.skip("mounting a tmpfs is not allowed here")
        unmount = ["umount", str(read_only)]
    try:
        with pytest.raises(ConfigError, match="cannot be written"):
            workspace.open_train_dir(str(read_only / "run"))
    finally:
        if unmount:
            subprocess.run(unmount, check=True)
        else:
            read_only.chmod(0o755)
