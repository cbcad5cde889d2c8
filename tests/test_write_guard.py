"""Failed writes are one line and leave nothing half-written
(slimtrain.rundir.write_guard, and the writers that go through it).

The full-disk cases write into a real, small file system: a tmpfs the test
mounts (as root; skipped where mounting is not allowed). The programs on a
full disk are tested in tests/test_train_dir_cli.py.
"""

import errno
import glob
import os
import subprocess

import pytest
import tensorflow.compat.v1 as tf

from slimtrain.errors import ConfigError
from slimtrain.rundir import write_guard
from slimtrain.rundir.checkpoint_saver import make_saver
from slimtrain.rundir.run_lock import RunLock


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs, unmounted afterwards."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m",
                              "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs needs root (mount -t tmpfs) here")
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


def test_write_failures_become_one_line(tmp_path):
    with pytest.raises(OSError) as full:
        with open("/dev/full", "w") as handle:  # a real ENOSPC
            handle.write("x")
    assert full.value.errno == errno.ENOSPC
    full.value.filename = "/data/run/train_config.json"
    message = str(write_guard.write_failure(full.value, "/data/run"))
    assert message.startswith(
        "no space left on the device of /data/run (writing /data/run/"
        "train_config.json: No space left on device): free some space")
    assert "run the same command again" in message
    # TensorFlow's errors name the file, with its temporary name.
    saved = tf.errors.ResourceExhaustedError(
        None, None, "Graph execution error:\n\nDetected at node 'save/SaveV2'"
        "\n/data/run/model.ckpt-5.data-00000-of-00001.tempstate1234; No space "
        "left on device\n\t [[{{node save/SaveV2}}]]")
    assert ("(writing /data/run/model.ckpt-5.data-00000-of-00001: No space "
            "left on device)") in str(write_guard.write_failure(saved,
                                                                "/data/run"))
    events = RuntimeError("/data/run/events.out.tfevents.1.host; Read-only "
                          "file system\n\tFailed to flush 3 events")
    assert str(write_guard.write_failure(events, "/data/run")).startswith(
        "/data/run cannot be written (writing /data/run/events.out.tfevents."
        "1.host: Read-only file system)")
    broken = OSError(errno.EIO, os.strerror(errno.EIO), "/data/run/x")
    assert str(write_guard.write_failure(broken, "/data/run")).startswith(
        "/data/run/x could not be written (Input/output error, errno EIO)")
    # Creating the directory's parents is part of writing it.
    read_only = OSError(errno.EROFS, "Read-only file system", "/data")
    assert str(write_guard.write_failure(read_only, "/data/run/a")).startswith(
        "/data/run/a cannot be written (writing /data: Read-only")
    # Not a write into the directory (a read elsewhere), or not an OS error.
    elsewhere = OSError(errno.EACCES, "Permission denied", "/data/in/x.png")
    assert write_guard.write_failure(elsewhere, "/data/run") is None
    assert write_guard.write_failure(ValueError("other"), "/data/run") is None
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    for path in (a_file, a_file / "run"):
        with pytest.raises(ConfigError, match="cannot be used as a directory"):
            RunLock(str(path)).acquire()


def test_failed_writes_on_a_full_disk_leave_the_files_as_they_were(
        small_disk):
    config = small_disk / "train_config.json"
    write_guard.write_file(str(config), '{"old": 1}\n')
    results = small_disk / "results.jsonl"
    write_guard.append_line(str(results), '{"step": 1}')
    write_guard.append_line(str(results), '{"step": 2}')
    (small_disk / "filler").write_bytes(b"\0" * 900000)
    with pytest.raises(ConfigError, match="no space left on the device of "):
        write_guard.write_file(str(config), "x" * 300000)
    with pytest.raises(ConfigError, match="results.jsonl: No space left"):
        write_guard.append_line(str(results), "y" * 300000)
    assert config.read_text() == '{"old": 1}\n'
    assert results.read_text() == '{"step": 1}\n{"step": 2}\n'
    assert sorted(os.listdir(small_disk)) == ["filler", "results.jsonl",
                                              "train_config.json"]


def test_a_failed_save_leaves_no_part_of_its_checkpoint(small_disk):
    with tf.Graph().as_default():
        small = tf.Variable(tf.ones([1000]), name="small")
        big = tf.Variable(tf.ones([300, 1000]), name="big")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            prefix = str(small_disk / "model.ckpt")
            make_saver(5, 10000.0, [small]).save(sess, prefix, global_step=1)
            saver = make_saver(5, 10000.0, [small, big])  # 1.2 MB: too big
            with pytest.raises(ConfigError) as failed:
                saver.save(sess, prefix, global_step=2)
    assert str(failed.value).startswith(
        "no space left on the device of %s (writing %s-2.data-00000-of-00001:"
        " No space left on device)" % (small_disk, prefix)), failed.value
    assert sorted(os.listdir(small_disk)) == [
        "checkpoint", "model.ckpt-1.data-00000-of-00001",
        "model.ckpt-1.index", "model.ckpt-1.meta"]


def test_an_event_file_is_cut_back_to_its_last_whole_record(tmp_path):
    with tf.Graph().as_default():
        writer = tf.summary.FileWriter(str(tmp_path))
        for step in range(3):
            writer.add_summary(tf.Summary(value=[tf.Summary.Value(
                tag="loss", simple_value=float(step))]), step)
        writer.close()
    [path] = glob.glob(str(tmp_path / "events.out.tfevents.*"))
    whole = os.path.getsize(path)
    with open(path, "ab") as handle:  # a record the full disk cut short
        handle.write(b"\x40\0\0\0\0\0\0\0\1\2\3\4partial")
    write_guard.cut_partial_record(path)
    assert os.path.getsize(path) == whole
    assert [event.step for event in tf.train.summary_iterator(path)
            if event.summary.value] == [0, 1, 2]
    with open(path, "r+b") as handle:
        handle.truncate(10)  # not even its first record is whole
    write_guard.cut_partial_record(path)
    assert not os.path.exists(path)


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
            RunLock(str(read_only / "run")).acquire()
    finally:
        if unmount:
            subprocess.run(unmount, check=True)
        else:
            read_only.chmod(0o755)
