"""The one exception type for bad user input.

Library code raises `ConfigError` for anything the user can fix (a flag, a
data set, a checkpoint); the entry points print its message as one line and
exit non-zero. Its message names the problem and the fix. `first_line`
gives the gist of another error for such a message.
"""


class ConfigError(ValueError):
    """A flag, data set or checkpoint the harness cannot use as given."""


def first_line(error):
    """The first line of an exception's message (of a TensorFlow OpError:
    without its "{{function_node ...}}" prefix), for one-line messages."""
    text = str(getattr(error, "message", None) or error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    if line.startswith("{{function_node"):
        line = line.split("}}", 1)[-1].strip()
    return line
