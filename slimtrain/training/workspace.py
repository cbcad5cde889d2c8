"""The train dir's bookkeeping files (WORKSPACE.md describes the whole layout).

Checkpoints and event files are written by TensorFlow and slim; this module
owns the files slimtrain adds: the run lock, so that only one run writes a
train dir at a time; the resolved configuration, so a run can be reproduced
and evaluated with the same settings; and the marker that tells a
continuous evaluation that training has finished.

It also turns the errors of writing a train dir (not a directory, not
writable, disk full) into one-line `ConfigError`s: `open_train_dir` for the
start of a run, `write_failure` for any later write.
"""

import contextlib
import errno
import fcntl
import json
import os
import socket
import time

from slimtrain.errors import ConfigError
from slimtrain.training.config import write_config

FINISHED_MARKER = "TRAINING_FINISHED"
LOCK_FILENAME = "train.lock"

# The run locks this process holds: {real path of the train dir: open file}.
# The open file keeps the lock until the process ends, however it ends.
_held_locks = {}


def open_train_dir(train_dir):
    """Creates `train_dir` if needed and takes its run lock.

    The lock is an exclusive `flock` on `train.lock` in the train dir, held
    until the process ends (the OS releases it when the process dies, so a
    crash leaves no stale lock). The file records who holds it, for the
    message a second run gets. Calling it again in the same process for the
    same dir is a no-op, so one process may train a dir several times.

    Raises:
      ConfigError: another process holds the lock (naming its pid, host and
        start time), or the dir cannot be created or written.
    """
    key = os.path.realpath(train_dir)
    if key in _held_locks:
        return
    with write_errors(train_dir):
        os.makedirs(train_dir, exist_ok=True)
        path = os.path.join(train_dir, LOCK_FILENAME)
        handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise ConfigError(
            "--train_dir=%s is in use by another training run (%s; see %s): "
            "wait for it to end or stop it, or train into another --train_dir."
            % (train_dir, holder, path)) from None
    with write_errors(train_dir):
        handle.seek(0)
        handle.truncate()
        handle.write("pid %d on %s since %s\n" % (
            os.getpid(), socket.gethostname(),
            time.strftime("%Y-%m-%d %H:%M:%S %Z")))
        handle.flush()
    _held_locks[key] = handle


def start_run(config):
    """Opens the train dir (`open_train_dir`), records the config and
    clears an old marker."""
    open_train_dir(config.train_dir)
    with write_errors(config.train_dir):
        write_config(config, config.train_dir)
        marker = os.path.join(config.train_dir, FINISHED_MARKER)
        if os.path.exists(marker):
            os.remove(marker)


def write_failure(error, directory):
    """Returns a one-line ConfigError for a failed write into `directory`,
    or None when `error` is not one the user can fix.

    Covers a full disk (an OSError with ENOSPC, or TensorFlow's error whose
    message says "No space left on device": the line says the run can resume
    once space is freed), a path that is not a directory, and a directory
    that cannot be written (permissions, a read-only file system).
    """
    code = getattr(error, "errno", None)
    message = str(getattr(error, "message", None) or error)
    if code == errno.ENOSPC or "No space left on device" in message:
        return ConfigError(
            "no space left on the device of %s: free some space (old "
            "checkpoints and event files can go) and run the same command "
            "again; it resumes from the last complete checkpoint." % directory)
    if code in (errno.EEXIST, errno.ENOTDIR):
        return ConfigError(
            "%s cannot be used as a directory (%s): a file is in its place "
            "or in its path; name a directory, or a path that does not exist "
            "yet." % (directory, os.strerror(code)))
    if code in (errno.EACCES, errno.EPERM, errno.EROFS) or any(
            text in message for text in ("Permission denied",
                                         "Read-only file system")):
        return ConfigError(
            "%s cannot be written (%s): make it writable, or name a "
            "directory you can write." % (
                directory, os.strerror(code) if code else message.strip()))
    return None


@contextlib.contextmanager
def write_errors(directory):
    """Raises `write_failure`'s ConfigError for the OSErrors of the block."""
    try:
        yield
    except OSError as error:
        failure = write_failure(error, directory)
        if failure is None:
            raise
        raise failure from None


def mark_finished(train_dir, global_step):
    """Leaves the marker saying training reached its last step."""
    marker = os.path.join(train_dir, FINISHED_MARKER)
    with open(marker + ".tmp", "w") as handle:
        json.dump({"global_step": int(global_step),
                   "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}, handle)
        handle.write("\n")
    os.replace(marker + ".tmp", marker)


def finished_step(train_dir):
    """The global step training finished at, or None while it has not."""
    marker = os.path.join(train_dir, FINISHED_MARKER)
    try:
        with open(marker) as handle:
            return json.load(handle)["global_step"]
    except (OSError, ValueError, KeyError):
        return None
