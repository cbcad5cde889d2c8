"""The one exception type for bad user input.

Library code raises `ConfigError` for anything the user can fix (a flag, a
data set, a checkpoint); the entry points print its message as one line and
exit non-zero. Its message names the problem and the fix. `first_line`
gives the gist of another error for such a message.
"""


class ConfigError(ValueError):
    """A flag, data set or checkpoint the harness cannot use as given."""


# Lines of a TensorFlow error message that say where, not what.
_WHERE_LINES = ("Graph execution error:", "Detected at node", "File ",
                "Node:", "[[", "Original stack trace", "Traceback")


def first_line(error):
    """The first line of an exception's message that says what went wrong,
    for one-line messages: of a TensorFlow OpError, without its "Graph
    execution error", node and stack lines or "{{function_node ...}}"
    prefix."""
    text = str(getattr(error, "message", None) or error)
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{{function_node"):
            line = line.split("}}", 1)[-1].strip()
        if line and not line.startswith(_WHERE_LINES):
            return line
    return type(error).__name__
