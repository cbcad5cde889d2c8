"""Failed writes into a train dir are one line (slimtrain.rundir.write_guard)."""

import errno
import os
import subprocess

import pytest
import tensorflow.compat.v1 as tf

from slimtrain.errors import ConfigError
from slimtrain.rundir import write_guard
from slimtrain.rundir.run_lock import RunLock


def test_write_failures_become_one_line(tmp_path):
    with pytest.raises(OSError) as full:
        with open("/dev/full", "w") as handle:  # a real ENOSPC
            handle.write("x")
    assert full.value.errno == errno.ENOSPC
    message = str(write_guard.write_failure(full.value, "/data/run"))
    assert message.startswith("no space left on the device of /data/run")
    assert "resumes from the last complete checkpoint" in message
    resource_error = tf.errors.ResourceExhaustedError(
        None, None, "/data/run/model.ckpt-5.tempstate1; No space left on "
        "device")
    assert "no space left" in str(write_guard.write_failure(resource_error,
                                                          "/data/run"))
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    for path in (a_file, a_file / "run"):
        with pytest.raises(ConfigError, match="cannot be used as a directory"):
            RunLock(str(path)).acquire()
    assert write_guard.write_failure(ValueError("other"), "/data/run") is None


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
