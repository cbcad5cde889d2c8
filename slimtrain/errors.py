"""The exceptions that end a run with one line, and their exit statuses.

Library code raises these; the programs (`slimtrain.cli.run`)
print the message as one line on stderr and exit with the exception's
`exit_status`, so that a scheduler or script can tell the cases apart:

  0    finished (or nothing left to do)
  1    crashed: an unexpected error, with its traceback
  2    ConfigError: bad input (a flag, data set or checkpoint), or a
       write that failed (a full disk, permissions: `rundir.write_guard`);
       fix it and run again
  3    DivergedError: the loss or a gradient became NaN or Inf
  4    a task of a TF_CONFIG cluster stopped answering
       (`slimtrain.distributed.roles`, through train.py's end_process)
  128 + signal number (143 for SIGTERM, 130 for SIGINT)
       StoppedBySignal: stopped on request after a checkpoint; run the same
       command to resume

`first_line` gives the gist of another error for such a message.

May import: nothing of slimtrain.
"""

import re
import signal

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3
EXIT_CLUSTER_FAILURE = 4


class ConfigError(ValueError):
    """A flag, data set or checkpoint the harness cannot use as given.

    Its message names the problem and the fix.
    """

    exit_status = EXIT_BAD_INPUT


class DivergedError(RuntimeError):
    """Training produced a non-finite loss or gradient and cannot go on."""

    exit_status = EXIT_DIVERGED


class StoppedBySignal(Exception):  # noqa: N818 (a stop asked for, not an error)
    """Training stopped cleanly because the process received a signal.

    Attributes:
      signum: the signal's number.
      step: the global step the stop was saved at.
    """

    def __init__(self, signum, step):
        self.signum = signum
        self.step = step
        super().__init__(
            "stopped by %s at step %s; run the same command to resume"
            % (signal.Signals(signum).name, step))

    @property
    def exit_status(self):
        return 128 + self.signum


# Lines of a TensorFlow error message that say where, not what.
_WHERE_LINES = ("Graph execution error:", "Detected at node", "File ",
                "Node:", "[[", "Original stack trace", "Traceback")


# The op an eager TensorFlow error names at the end of its message.
_EAGER_OP_SUFFIX = re.compile(r"\s*\[Op:\w+\]( name:.*)?$")


def first_line(error):
    """The first line of an exception's message that says what went wrong,
    for one-line messages: of a TensorFlow OpError, without its "Graph
    execution error", node and stack lines, "{{function_node ...}}" prefix
    or eager "[Op:...] name:" suffix."""
    text = str(getattr(error, "message", None) or error)
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{{function_node"):
            line = line.split("}}", 1)[-1].strip()
        line = _EAGER_OP_SUFFIX.sub("", line)
        if line and not line.startswith(_WHERE_LINES):
            return line
    return type(error).__name__
