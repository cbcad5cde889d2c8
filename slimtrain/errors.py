"""The one exception type for bad user input.

Library code raises `ConfigError` for anything the user can fix (a flag, a
data set, a checkpoint); the entry points print its message as one line and
exit non-zero. Its message names the problem and the fix.
"""


class ConfigError(ValueError):
    """A flag, data set or checkpoint the harness cannot use as given."""
