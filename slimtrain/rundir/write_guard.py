"""One-line errors for the writes that fail for a reason the user can fix.

`write_errors(directory)` wraps a block that writes into `directory`: an
OSError (or a TensorFlow error carrying its message) for a full disk, a
path that is not a directory, or a directory that cannot be written
(permissions, a read-only file system) becomes a one-line `ConfigError`
naming the directory and what to do (`write_failure`). Any other error
passes unchanged.
"""

import contextlib
import errno
import os

from slimtrain.errors import ConfigError


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
