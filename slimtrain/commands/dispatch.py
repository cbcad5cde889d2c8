"""The `slimtrain` command: one program name, a subcommand per program.

    slimtrain train --flags          (also python -m slimtrain train ...)
    slimtrain eval --checkpoint_dir=train_logs
    slimtrain --help                 the commands, one line each

Each subcommand is a module that also runs on its own as `python -m
MODULE` (`COMMANDS`); `main` runs the one named exactly as `python -m`
would (`runpy`, as `__main__`), with the arguments after the subcommand's
name, so a subcommand behaves the same however it was started. Nothing
is imported before the subcommand is chosen: `slimtrain --help` and
`slimtrain COMMAND --help` need no TensorFlow.

A new subcommand is one line of `COMMANDS`: its name, the module that runs
it and the line `slimtrain --help` shows for it.

May import: anything in slimtrain (a program's edge).
"""

import collections
import difflib
import runpy
import sys

from slimtrain import __version__

Command = collections.namedtuple("Command", ["module", "summary"])

# name -> the module `python -m` runs, and its line in `slimtrain --help`.
COMMANDS = {
    "train": Command("slimtrain.commands.train",
                     "train a model (research/slim's train_image_classifier.py)"),
    "eval": Command("slimtrain.commands.evaluate",
                    "evaluate a train dir's checkpoints"),
    "export": Command("slimtrain.commands.export",
                      "export a checkpoint: SavedModel, frozen graph, TFLite"),
    "predict": Command("slimtrain.commands.predict",
                       "classify image files with an export or a train dir"),
    "convert": Command("slimtrain.convert",
                       "convert raw data to TFRecords; write sample images"),
    "launch": Command("slimtrain.launch",
                      "run a local cluster: parameter servers, workers"),
    "legacy": Command("slimtrain.legacy",
                      "run a TF 1.x-era TF-Slim program unchanged"),
    "upgrade": Command("slimtrain.upgrade",
                       "rewrite a TF 1.x-era program's files for today"),
}

HELP_ARGUMENTS = ("--help", "-h", "-?", "help")


def usage():
    """The text of `slimtrain --help`: every command on one line."""
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: slimtrain COMMAND [--flags]    (or: python -m slimtrain "
             "COMMAND ...)", "",
             "TF-Slim training, evaluation and export on today's "
             "TensorFlow.", "", "commands:"]
    lines += ["  %-*s  %s" % (width, name, command.summary)
              for name, command in COMMANDS.items()]
    lines += ["", "`slimtrain COMMAND --help` lists a command's flags; "
              "README.md and WORKSPACE.md", "describe the programs and the "
              "files they write. --version prints the version."]
    return "\n".join(lines)


def main(argv=None):
    """Runs the subcommand `argv` names (default: sys.argv[1:]).

    Returns the exit status for a request the dispatcher answers itself
    (--help, --version, no or an unknown command: 2); a subcommand ends
    the process with its own status.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in HELP_ARGUMENTS:
        print(usage())
        return 0
    if argv and argv[0] == "--version":
        print("slimtrain %s" % __version__)
        return 0
    if not argv or argv[0] not in COMMANDS:
        print(_unknown_command(argv[0] if argv else None), file=sys.stderr)
        return 2
    name, arguments = argv[0], argv[1:]
    sys.argv = ["slimtrain %s" % name] + arguments
    runpy.run_module(COMMANDS[name].module, run_name="__main__",
                     alter_sys=True)
    return 0


def _unknown_command(given):
    """The one error line for a missing or unknown subcommand."""
    names = ", ".join(COMMANDS)
    if given is None:
        return ("error: name a command: slimtrain COMMAND [--flags], with "
                "COMMAND one of %s (slimtrain --help)." % names)
    close = difflib.get_close_matches(given, COMMANDS, n=1)
    hint = " (did you mean %s?)" % close[0] if close else ""
    return ("error: %r is not a slimtrain command%s: use one of %s "
            "(slimtrain --help)." % (given, hint, names))


if __name__ == "__main__":
    sys.exit(main())
