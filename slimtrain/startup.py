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
  the same case: the log records of TensorFlow's and tf-slim's own code
  ("Starting Queues", "global_step/sec: 0", "Restoring parameters from",
  "Fingerprint not found", deprecation notices) and Python warnings
  raised inside TensorFlow, tf-slim and Keras are dropped; slimtrain's own
  lines, those of the SessionRunHooks a user adds (LoggingTensorHook) and
  every other warning stay. An error TensorFlow logs is also raised, and
  the program reports it then.
- `quiet_native_lines()`: around a call whose native code prints a known
  start-up line of its own (TFLite's "Created TensorFlow Lite XNNPACK
  delegate"), drops that line, in the same case.
- `plain_lines()`: slimtrain's own log lines are printed as plain text,
  without absl's prefix (severity, date, time, thread, file:line), a
  warning as "warning: ..."; the libraries' lines (shown with -v 1) keep
  absl's prefix.

May import: nothing of slimtrain.
"""

import contextlib
import logging
import os
import re
import sys
import tempfile
import threading
import warnings

from absl import logging as absl_logging

# absl's --verbosity (-v) at which TensorFlow's own lines are shown.
VERBOSE_LEVEL = 1

_START_UP_LINE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called "
    r"are written to STDERR|[IW]\d{4} [\d:.]+ +\d+ \S+\.cc:\d+\] .*|"
    r"INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.)$")
_LIBRARY_PACKAGES = ("tensorflow", "tf_slim", "keras", "tf_keras")
# A module of one of them (its warnings, its threads).
_LIBRARY_MODULES = r"(%s)(\..*)?$" % "|".join(_LIBRARY_PACKAGES)
# TensorFlow's module of LoggingTensorHook and the other standard hooks.
_USER_HOOKS_MODULE = "basic_session_run_hooks"


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
    """Runs the block (which imports TensorFlow) without its start-up lines
    (see `quiet_native_lines`), and sets TF_CPP_MIN_LOG_LEVEL=3 for the
    rest of the process, when it is not set and the output is quiet."""
    if is_quiet():
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with quiet_native_lines():
        yield


@contextlib.contextmanager
def quiet_native_lines():
    """Runs the block without the known start-up lines of native code.

    Unless the command line asks for TensorFlow's lines (-v 1), the
    process's stderr (file descriptor 2, where C++ code writes) goes to a
    temporary file during the block; afterwards every line that is not a
    known start-up line is written back to stderr.
    """
    if not is_quiet():
        yield
        return
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


def _library_folders():
    """The folders of TensorFlow, tf-slim and Keras as imported (a package
    not imported logs nothing), each ending in a separator. Read from
    sys.modules: probing with importlib would run the finders of
    `slimtrain.compat.install`."""
    folders = []
    for name in _LIBRARY_PACKAGES:
        for folder in getattr(sys.modules.get(name), "__path__", ()):
            folders.append(os.path.join(os.path.realpath(folder), ""))
    return tuple(folders)


def is_library_record(record):
    """Whether a log record comes from TensorFlow's, tf-slim's or Keras'
    code, by the file that logged it: TensorFlow's logger also carries a
    program's own `tf.logging` lines (TF 1.x programs log through it), and
    some of TensorFlow's modules log through absl's ("Fingerprint not
    found")."""
    path = os.path.realpath(record.pathname or "")
    return path.startswith(_library_folders())


def _shown_quietly(record):
    """Whether a record is shown without -v 1: slimtrain's and the user's,
    and those of TensorFlow's standard SessionRunHooks, which only a user
    adds (--hooks: a LoggingTensorHook's tensors are what was asked for)."""
    return (not is_library_record(record) or
            record.module == _USER_HOOKS_MODULE)


def hide_library_noise():
    """Drops TensorFlow's log records and library warnings (module doc),
    and the tracebacks of TensorFlow's own threads: its event writer's
    thread dies on a failed write (a full disk), and TensorFlow raises that
    error again in the thread that writes next, where the program reports
    it in one line."""
    for name in ("tensorflow", "absl"):
        logging.getLogger(name).addFilter(_shown_quietly)
    warnings.filterwarnings("ignore", module=_LIBRARY_MODULES)
    report = threading.excepthook

    def excepthook(args):
        if not re.match(_LIBRARY_MODULES, type(args.thread).__module__):
            report(args)

    threading.excepthook = excepthook


class PlainFormatter(logging.Formatter):
    """slimtrain's lines as plain text; the libraries' (`is_library_record`)
    with absl's prefix."""

    def __init__(self):
        super().__init__()
        self._prefixed = absl_logging.PythonFormatter()

    def format(self, record):
        if is_library_record(record):
            return self._prefixed.format(record)
        text = record.getMessage()
        if record.levelno >= logging.ERROR:
            return "error: " + text
        if record.levelno >= logging.WARNING:
            return "warning: " + text
        return text


def plain_lines():
    """Prints slimtrain's own log lines without absl's prefix (module doc)."""
    absl_logging.get_absl_handler().setFormatter(PlainFormatter())
