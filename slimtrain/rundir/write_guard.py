"""Every write slimtrain makes, and its failures as one line.

A write that fails for a reason the user can fix (a full disk or quota,
a directory that cannot be written, a file where a directory should be,
any other error the OS names by its errno) ends the program with one
`ConfigError` line naming the path and the errno's meaning (exit status
2), and leaves nothing half-written behind.

- `write_file(path, data)`: writes a whole file under a temporary name and
  renames it into place, so the file is either the old one or the new one;
  the temporary file is removed when the write fails.
- `append_line(path, text)`: appends one line; a failed append is cut back,
  so the file never ends in a partial line.
- `write_errors(directory, cleanup)`: for writes made by others
  (TensorFlow's Saver, its event writer, the SavedModel builder, the
  TFLite converter, file copies): the block's failed writes into
  `directory` become `write_failure`'s line, after `cleanup()` removed
  what the failed write left.
- `event_file_errors(directory)`: `write_errors` for a block whose
  TensorFlow event writers write into `directory`; the event files it
  created are cut back to their last whole record (`cut_partial_record`).
- `write_failure(error, directory)`: that line for an `OSError` or a
  TensorFlow error carrying one, or None for any other error.

Every module that writes into a train dir, an eval dir or an export goes
through these (WORKSPACE.md, "What can go wrong").
"""

import contextlib
import errno
import glob
import os
import re
import struct

from slimtrain.errors import ConfigError

# The suffix of the temporary name `write_file` writes under.
TEMP_SUFFIX = ".tmp"
# TensorFlow's event files, and the frame of each of their records.
EVENT_FILE_PATTERN = "events.out.tfevents.*"
_RECORD_HEADER = 12  # length, its checksum
_RECORD_FOOTER = 4  # the data's checksum

_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
_NOT_A_DIRECTORY = (errno.EEXIST, errno.ENOTDIR)
_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)
# The errnos whose meaning TensorFlow's file errors carry as text
# ("<path>; No space left on device"), which `os_error_code` looks for.
_NAMED_IN_MESSAGES = _NO_SPACE + _NOT_WRITABLE + (
    errno.ENOTDIR, errno.EIO, errno.ENAMETOOLONG, errno.EMFILE,
    errno.ENFILE, errno.EFBIG)


def write_file(path, data):
    """Writes `data` (bytes or text) as the whole file `path`, atomically.

    Raises:
      ConfigError: the write failed (`write_failure`); `path` is unchanged.
    """
    temp_path = path + TEMP_SUFFIX
    mode = "wb" if isinstance(data, bytes) else "w"
    try:
        with open(temp_path, mode) as handle:
            handle.write(data)
        os.replace(temp_path, path)
    except OSError as error:
        _remove_quietly(temp_path)
        raise _failure_or_error(error, os.path.dirname(path) or ".",
                                path) from None


def append_line(path, text):
    """Appends `text` and a newline to the file `path` (created if needed).

    Raises:
      ConfigError: the append failed (`write_failure`); the file is cut
        back to what it held before.
    """
    data = (text + "\n").encode("utf-8")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                             0o666)
    except OSError as error:
        raise _failure_or_error(error, os.path.dirname(path) or ".",
                                path) from None
    try:
        length = os.fstat(descriptor).st_size
        try:
            written = 0
            while written < len(data):
                written += os.write(descriptor, data[written:])
        except OSError as error:
            os.ftruncate(descriptor, length)
            raise _failure_or_error(error, os.path.dirname(path) or ".",
                                    path) from None
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def write_errors(directory, cleanup=None):
    """Raises `write_failure`'s ConfigError for the block's failed writes
    into `directory`, after calling `cleanup()` (when given) to remove what
    the failed write left; other errors pass unchanged."""
    try:
        yield
    except ConfigError:
        raise
    except Exception as error:  # OSError, or TensorFlow's errors
        failure = write_failure(error, directory)
        if failure is None:
            raise
        if cleanup is not None:
            cleanup()
        raise failure from None


@contextlib.contextmanager
def event_file_errors(directory):
    """`write_errors(directory)` for a block that writes TensorFlow event
    files there: when a write fails, each event file the block created is
    cut back to its last whole record (a full disk stops the event writer
    in the middle of one)."""
    pattern = os.path.join(glob.escape(directory), EVENT_FILE_PATTERN)
    before = set(glob.glob(pattern))

    def cut_new_files():
        for path in set(glob.glob(pattern)) - before:
            cut_partial_record(path)

    with write_errors(directory, cleanup=cut_new_files):
        yield


def cut_partial_record(path):
    """Cuts the TFRecord file `path` (an event file) back to the end of its
    last whole record, and removes it when it holds none. A record is a
    little-endian uint64 length, a 4-byte checksum of it, the data, and a
    4-byte checksum of the data."""
    with open(path, "r+b") as handle:
        size = os.fstat(handle.fileno()).st_size
        end = 0
        while end + _RECORD_HEADER <= size:
            handle.seek(end)
            (length,) = struct.unpack("<Q", handle.read(8))
            if end + _RECORD_HEADER + length + _RECORD_FOOTER > size:
                break
            end += _RECORD_HEADER + length + _RECORD_FOOTER
        if end < size:
            handle.truncate(end)
    if end == 0:
        os.remove(path)


def write_failure(error, directory, path=None):
    """Returns a one-line ConfigError for a failed write into `directory`,
    or None when `error` is not a failed write.

    Args:
      error: an `OSError` with an errno, or a TensorFlow error whose message
        names the meaning of one ("<path>; No space left on device").
      directory: the directory being written (the train dir, the eval dir,
        the export's output dir). An error naming a file that is neither
        in it, nor in a sibling named after it (the export's staging
        folder, `<output dir>.partial-<pid>`), nor a folder above it (one
        that creating it would create) is not a failed write into it:
        None.
      path: the file being written, when the error does not name it.
    """
    code = os_error_code(error)
    if code is None:
        return None
    meaning = os.strerror(code)
    path = path or _path_of(error, meaning)
    if path and not _concerns(path, directory):
        return None  # not a write into `directory` (a read elsewhere)
    path = path or directory
    if code in _NO_SPACE:
        return ConfigError(
            "no space left on the device of %s (writing %s: %s): free some "
            "space (old checkpoints and event files can go) and run the same "
            "command again (training resumes from its newest complete "
            "checkpoint)." % (directory, path, meaning))
    if code in _NOT_A_DIRECTORY:
        return ConfigError(
            "%s cannot be used as a directory (%s): a file is in its place "
            "or in its path; name a directory, or a path that does not exist "
            "yet." % (directory, meaning))
    if code in _NOT_WRITABLE:
        return ConfigError(
            "%s cannot be written (writing %s: %s): make it writable, or "
            "name a directory you can write." % (directory, path, meaning))
    return ConfigError(
        "%s could not be written (%s, errno %s): fix its device or "
        "directory, or write elsewhere, and run the same command again."
        % (path, meaning, errno.errorcode.get(code, code)))


def os_error_code(error):
    """The errno of a failed write: an OSError's own, or the one whose
    meaning the message of a TensorFlow error names (an OpError, or the
    RuntimeError of its event writer); None for other errors."""
    if isinstance(error, OSError):
        return error.errno
    if not (hasattr(error, "error_code") or isinstance(error, RuntimeError)):
        return None
    message = _message(error)
    for code in _NAMED_IN_MESSAGES:
        if "; " + os.strerror(code) in message:
            return code
    return None


def _path_of(error, meaning):
    """The file an OSError, or TensorFlow's "<path>; <meaning>", names (a
    temporary name of TensorFlow's as the file it stands for), or None."""
    if isinstance(error, OSError):
        return error.filename
    match = re.search(r"(?P<path>[^\s;]+); " + re.escape(meaning),
                      _message(error))
    return match and re.sub(r"\.(tempstate\d+|tmp[0-9a-f]{32})$", "",
                            match.group("path"))


def _concerns(path, directory):
    """Whether writing `path` is part of writing `directory` (see
    `write_failure`)."""
    path, directory = os.path.abspath(path), os.path.abspath(directory)
    return path.startswith(directory) or directory.startswith(
        os.path.join(path, ""))


def _message(error):
    return str(getattr(error, "message", None) or error)


def _failure_or_error(error, directory, path):
    """`write_failure`'s line, or the error itself when it has no errno."""
    return write_failure(error, directory, path) or error


def _remove_quietly(path):
    try:
        os.remove(path)
    except OSError:
        pass
