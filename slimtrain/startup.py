"""Quiet start-up: TensorFlow's own noise off unless asked for.

Importing TensorFlow prints C++ log lines before Python logging exists
("WARNING: All log messages before absl::InitializeLog() ...", oneDNN and
CUDA notices, and on a machine without a GPU a "failed call to cuInit" line
that reads like an error), and building a TF-Slim graph logs deprecation
notices and UserWarnings from TensorFlow's and tf-slim's own code. None of
it is about the user's run.

This module imports nothing heavy, so that `slimtrain.cli.run` can use it
around a program's first import of TensorFlow:

- `quiet_tensorflow_import()`: unless -v/--verbosity of at least
  `VERBOSE_LEVEL` is on the command line, sets TF_CPP_MIN_LOG_LEVEL=3 (when
  the environment does not set it) and drops the C++ start-up lines that
  TensorFlow's import prints; any other output of the import is kept.
- `hide_library_noise()`: the entry points call it after parsing flags in
  the same case: deprecation log records, the Coordinator's copy of an
  error that the main thread reports anyway, and Python warnings raised
  inside TensorFlow, tf-slim and Keras are dropped; slimtrain's own lines
  and every other warning stay.

May import: nothing of slimtrain.
"""

import contextlib
import logging
import os
import re
import sys
import tempfile
import warnings

# absl's --verbosity (-v) at which TensorFlow's own lines are shown.
VERBOSE_LEVEL = 1

_START_UP_LINE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called "
    r"are written to STDERR|[IW]\d{4} [\d:.]+ +\d+ \S+\.cc:\d+\] .*)$")
_LIBRARY_MODULES = r"(tensorflow|tf_slim|keras|tf_keras)(\..*)?$"


def verbosity(argv):
    """The value of -v/--verbosity in `argv` (absl's spellings), else 0."""
    level = 0
    for index, arg in enumerate(argv):
        match = re.match(r"^(-v|--verbosity)(=(?P<value>.*))?$", arg)
        if not match:
            continue
        value = match.group("value")
        if value is None and index + 1 < len(argv):
            value = argv[index + 1]
        try:
            level = int(value)
        except (TypeError, ValueError):
            pass
    return level


def is_quiet(argv=None):
    """Whether TensorFlow's own lines are hidden for this command line."""
    return verbosity(sys.argv if argv is None else argv) < VERBOSE_LEVEL


@contextlib.contextmanager
def quiet_tensorflow_import():
    """Runs the block (which imports TensorFlow) without its start-up lines.

    The process's stderr (file descriptor 2, where TensorFlow's C++ code
    writes) goes to a temporary file during the block; afterwards every line
    that is not a known start-up line is written back to stderr.
    """
    if not is_quiet():
        yield
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode(
                        "utf-8", "replace").splitlines(keepends=True)
                    if not _START_UP_LINE.match(line.rstrip("\n"))]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


class _DropLibraryNoise(logging.Filter):
    """Drops TensorFlow's "... is deprecated ... Instructions for updating"
    log records, which name TensorFlow's and tf-slim's own calls, the
    session manager's "Running local_init_op" lines, and the Coordinator's
    "Error reported to Coordinator" records.

    The Coordinator (under slim's Supervisor and TensorFlow's monitored
    sessions) logs an error raised in a training step or one of its
    threads, whole, with the op's ~30-line stack, and then re-raises it in
    the main thread when it joins its threads. There slimtrain turns it
    into its one line (a corrupt record, a lost cluster task), or Python
    prints the traceback of a crash; the record only repeats it first.
    """

    def filter(self, record):
        if record.module == "deprecation":
            return False
        if (record.module == "coordinator" and
                str(record.msg).startswith("Error reported to Coordinator")):
            return False
        return not (record.module == "session_manager" and
                    record.levelno < logging.WARNING)


def hide_library_noise():
    """Drops deprecation records and library warnings (see module doc)."""
    logging.getLogger("tensorflow").addFilter(_DropLibraryNoise())
    warnings.filterwarnings("ignore", module=_LIBRARY_MODULES)
