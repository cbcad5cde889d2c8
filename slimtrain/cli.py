"""The edge between absl flags and plain configuration objects.

`train.py` and `eval.py` call `define_flags(ConfigClass)` once at import, and
`config_from_flags(ConfigClass)` in `main`. Each dataclass field becomes one
flag of the same name, type, default and help, so the flag list is written
once, in the config class. `entry_point` wraps `main`: one log format, and a
`ConfigError` becomes one line on stderr and exit status 2;
`entry_point_with_arguments` does the same for a `main` that takes
positional arguments (predict.py's image files).
"""

import dataclasses
import logging
import sys
import typing

from absl import flags

from slimtrain.errors import ConfigError

_DEFINERS = {
    str: flags.DEFINE_string,
    int: flags.DEFINE_integer,
    float: flags.DEFINE_float,
    bool: flags.DEFINE_boolean,
}


def define_flags(config_class, flag_values=flags.FLAGS):
    """Defines one absl flag per field of the dataclass `config_class`."""
    hints = typing.get_type_hints(config_class)
    for config_field in dataclasses.fields(config_class):
        flag_type = _base_type(hints[config_field.name])
        _DEFINERS[flag_type](
            config_field.name, config_field.default,
            config_field.metadata.get("help", ""), flag_values=flag_values)


def config_from_flags(config_class, flag_values=flags.FLAGS):
    """Builds a `config_class` from parsed flag values."""
    return config_class(**{
        config_field.name: flag_values[config_field.name].value
        for config_field in dataclasses.fields(config_class)})


def explicitly_set(config_class, flag_values=flags.FLAGS):
    """Names of `config_class` fields whose flag the user gave."""
    return {config_field.name for config_field in dataclasses.fields(config_class)
            if flag_values[config_field.name].present}


def entry_point(main):
    """Wraps an absl `main`: one log format; a ConfigError ends in one line.

    Positional arguments are refused (every setting is a flag), so a typo
    such as `--batch_size 32` cannot be silently ignored.
    """
    return _guarded(main, takes_arguments=False)


def entry_point_with_arguments(main):
    """As `entry_point`, but positional arguments reach `main`'s argv."""
    return _guarded(main, takes_arguments=True)


def _guarded(main, takes_arguments):
    """The wrapper of `entry_point` and `entry_point_with_arguments`.

    TensorFlow gives its logger a handler of its own when it is imported
    before absl installs the root handler (importing slimtrain imports
    TensorFlow), so every TensorFlow line would be printed twice, in two
    formats. Dropping that handler leaves absl's, for all log lines.
    """

    def guarded_main(argv):
        tf_logger = logging.getLogger("tensorflow")
        for handler in list(tf_logger.handlers):
            tf_logger.removeHandler(handler)
        try:
            if len(argv) > 1 and not takes_arguments:
                raise ConfigError(
                    "unexpected arguments %s: every setting is a --flag "
                    "(see --helpfull)." % " ".join(argv[1:]))
            return main(argv)
        except ConfigError as error:
            print("error: %s" % error, file=sys.stderr)
            sys.exit(2)

    return guarded_main


def _base_type(hint):
    """int for Optional[int], and so on."""
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    return args[0] if args else hint
