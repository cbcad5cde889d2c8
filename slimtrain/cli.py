"""The edge between the command line and plain configuration objects.

Every program (`slimtrain.commands`) starts with `run(main, ConfigClass,
summary)`: each field of the config dataclass becomes one absl flag of the
same name, type, default and help (`define_flags`), so the flag list is
written once, in the config class (`slimtrain.settings`); `--help` prints
them by group (`grouped_help`); `main` reads them back as a config object
(`config_from_flags`); and the errors of `slimtrain.errors` end the program
with one line and their exit status. Library code never reads flags.

May import: anything in slimtrain (a program's edge).
"""

import dataclasses
import logging
import os
import sys
import textwrap
import typing

from absl import app, flags

from slimtrain import settings, startup
from slimtrain.errors import (
    EXIT_BAD_INPUT,
    ConfigError,
    DivergedError,
    StoppedBySignal,
)

HELP_ARGUMENTS = ("--help", "-h", "-?", "--helpshort")

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
            settings.flag_help(config_class, config_field),
            flag_values=flag_values)


def config_from_flags(config_class, flag_values=flags.FLAGS):
    """Builds a `config_class` from parsed flag values."""
    return config_class(**{
        config_field.name: flag_values[config_field.name].value
        for config_field in dataclasses.fields(config_class)})


def explicitly_set(config_class, flag_values=flags.FLAGS):
    """Names of `config_class` fields whose flag the user gave."""
    return {config_field.name for config_field in dataclasses.fields(config_class)
            if flag_values[config_field.name].present}


def grouped_help(config_class, summary):
    """The text of `--help`: `summary`, then each flag of `config_class`
    with its default and help, under the headings of `settings.GROUPS`
    (each field's `group`), in the order the class declares them."""
    fields = dataclasses.fields(config_class)
    lines = [summary.strip(), ""]
    for title in settings.GROUPS:
        present = [field for field in fields
                   if settings.group_of(field) == title]
        if not present:
            continue
        lines.append(title + ":")
        for field in present:
            text = settings.flag_help(config_class, field)
            lines.append("  --%s (default: %r)" % (field.name, field.default))
            lines.extend(textwrap.wrap(text, width=76,
                                       initial_indent="      ",
                                       subsequent_indent="      "))
        lines.append("")
    lines.append("Output:")
    lines.append("  -v 1 (--verbosity=1) also shows TensorFlow's own log lines, "
                 "deprecation notices and warnings.")
    lines.append("  --helpfull lists every flag, absl's and TensorFlow's "
                 "included.")
    return "\n".join(lines)


def run(main, config_class, summary, graph_only=False,
        takes_arguments=False):
    """Starts a program: flags, quiet output, `main`, one-line errors.

    1. `--help` (-h, -?, --helpshort) prints `grouped_help` and exits 0,
       without importing TensorFlow; `--helpfull` is absl's list of every
       flag.
    2. Unless -v/--verbosity of at least 1 is given, TensorFlow is
       imported without its C++ start-up lines (`startup`), and once the
       flags are parsed TensorFlow's and tf-slim's log lines and their and
       Keras' warnings are hidden. slimtrain's own lines are printed
       without absl's prefix (`startup.plain_lines`).
    3. The working directory is added to the end of the module path, so
       that --scenario finds a module in the directory the program is run
       from.
    4. absl parses the flags into `config_class`'s; a flag it cannot
       parse (an unknown flag, a bad number) is one `error:` line and exit
       status 2, like any other bad input (`parse_flags`). `main(argv)`
       runs. The errors of `slimtrain.errors` end the program with their
       one line on stderr and their exit status (2 bad input, 3
       divergence, 128 + signal when stopped by a signal).

    Args:
      main: fn(argv); it reads its config with `config_from_flags`.
      config_class: the program's config dataclass: one flag per field.
      summary: the first part of --help.
      graph_only: the program builds and runs TF1-style graphs only, never
        eager tensors (train.py, eval.py); see `use_graph_tensor_semantics`.
      takes_arguments: positional arguments reach `main`'s argv (predict.py's
        image files); otherwise they are refused, so that a stray word
        cannot be silently ignored: `--use_grayscale yes` (a boolean flag
        takes no separate value) or `train.py lenet` end in an error.
        (`--batch_size 32` is fine: absl reads it as `--batch_size=32`.)
    """
    if any(arg in HELP_ARGUMENTS for arg in sys.argv[1:]):
        print(grouped_help(config_class, summary))
        sys.exit(0)
    with startup.quiet_tensorflow_import():
        import tensorflow  # noqa: F401  (its start-up lines go here)
    if graph_only:
        use_graph_tensor_semantics()
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    define_flags(config_class)
    app.run(_guarded(main, takes_arguments), flags_parser=parse_flags)


def parse_flags(argv):
    """absl's flag parser for `app.run`, with its errors as one line.

    absl's own prints its error with a usage hint and exits 1, the status
    of a crash; a flag it cannot parse is bad input (status 2).
    """
    try:
        return flags.FLAGS(argv)
    except flags.Error as error:
        message = " ".join(str(error).split()).replace(" ?", "?")
        print("error: %s (--help lists the flags)" % message, file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


def use_graph_tensor_semantics():
    """Turns TensorFlow 2's tensor equality off for this process.

    With it on, `==` compares eager tensors element-wise and makes them
    unhashable; in a graph, tensors and variables compare and hash by
    identity either way, but every hash of a variable first asks whether
    the code runs eagerly. Building a deep network asks that hundreds of
    thousands of times (each legacy layer puts every global variable into a
    set), about 3 s of resnet_v1_152's graph construction. Only a process
    that owns TensorFlow and builds graphs only may turn it off: it changes
    what `==` means for eager tensors (predict.py and export.py run eagerly
    and keep it).
    """
    import tensorflow.compat.v1 as tf

    tf.disable_tensor_equality()


def _guarded(main, takes_arguments):
    """`main` for absl: plain lines; slimtrain's errors end in one line.

    TensorFlow gives its logger a handler of its own when it is imported
    before absl installs the root handler, so every TensorFlow line would be
    printed twice, in two formats. Dropping that handler leaves absl's, for
    all log lines.
    """

    def guarded_main(argv):
        tf_logger = logging.getLogger("tensorflow")
        for handler in list(tf_logger.handlers):
            tf_logger.removeHandler(handler)
        startup.plain_lines()
        if flags.FLAGS.verbosity < startup.VERBOSE_LEVEL:
            startup.hide_library_noise()
        try:
            if len(argv) > 1 and not takes_arguments:
                raise ConfigError(
                    "unexpected arguments %s: every setting is a --flag "
                    "(see --helpfull)." % " ".join(argv[1:]))
            return main(argv)
        except (ConfigError, DivergedError) as error:
            print("error: %s" % error, file=sys.stderr)
            sys.exit(error.exit_status)
        except StoppedBySignal as stop:
            print(stop, file=sys.stderr)
            sys.exit(stop.exit_status)

    return guarded_main


def _base_type(hint):
    """int for Optional[int], and so on."""
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    return args[0] if args else hint
