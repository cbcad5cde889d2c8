"""The world a TF-Slim-era program expects, set up once per process.

`enable()` makes the process look like TensorFlow 1 to the program's own
code, and leaves installed libraries as they are:

- slimtrain's tf-slim fixes (`slimtrain.compat`) are applied and
  TensorFlow runs in TF 1 mode: graph mode, reference variables, the v1
  `TensorShape` (whose dimensions have `.value`), v1 control flow
  (`tf1_mode`), as TF 1.x programs assumed;
- `tensorflow.contrib.*` is importable, served from the mapping table
  (`stand_ins.ContribFinder`), and `tf.contrib` exists on TF 1's namespace,
  so that what the table cannot map fails where it is used, in one line;
- the program's own modules are rewritten in memory as they are imported
  (`importer.ProgramFinder`); the files on disk are never touched.

It returns the process's `Environment`, which rewrites and compiles the
program's source (`compile_source`), remembers every rewrite (for
`--explain` and for the one-line failures) and can print them as they
happen.
"""

import os
import sys
import types

from slimtrain.legacy import names, references
from slimtrain.legacy import rewrite as rewriting

_environment = None


def enable(explain=False):
    """Sets the process up for legacy programs (see the module docstring).

    Idempotent: later calls return the same Environment (an `explain=True`
    switches explaining on).

    Args:
      explain: print each rewrite to stderr as a file is rewritten.

    Returns:
      The process's `Environment`.
    """
    global _environment
    if _environment is None:
        from slimtrain.legacy import (
            importer,
            stand_ins,
            tf1_mode,  # noqa: F401
        )

        _environment = Environment()
        sys.meta_path.insert(0, importer.ProgramFinder(_environment))
        sys.meta_path.insert(0, stand_ins.ContribFinder())
        stand_ins.attach_contrib()
    if explain:
        _environment.explain = True
    return _environment


class Environment:
    """Rewrites the program's source and remembers what it did.

    Attributes:
      rewrites: {filename: rewrite.Rewrite} of every source compiled here.
      explain: whether each rewrite is printed to stderr when it happens.
    """

    def __init__(self):
        self.rewrites = {}
        self.explain = False

    def rewrite_source(self, source, filename, namespace):
        """Rewrites `source` to run in `namespace`; returns the new text.

        The modules the rewritten code needs (`tf_slim`, ...) are bound in
        `namespace`, so the text keeps the line numbers of `source`. Names
        that `namespace` already binds to legacy modules (earlier notebook
        cells) are taken into account.

        Raises:
          SyntaxError: if `source` is not Python 3.
        """
        result = rewriting.rewrite(source, known=bindings_in(namespace),
                                   filename=filename)
        self.rewrites[filename] = result
        if self.explain:
            print_rewrite(filename, result, sys.stderr)
        for needed in result.imports:
            name, value = references.bind(needed)
            namespace[name] = value
        return result.text

    def compile_source(self, source, filename, namespace):
        """`rewrite_source`, compiled (as `filename`)."""
        text = self.rewrite_source(source, filename, namespace)
        return compile(text, filename, "exec", dont_inherit=True)


def bindings_in(namespace):
    """{name: rewrite.Binding} for the legacy modules a namespace holds."""
    import tensorflow.compat.v1 as tf

    found = {}
    for name, value in list(namespace.items()):
        if not isinstance(value, types.ModuleType):
            continue
        if value is tf:
            found[name] = rewriting.Binding("tensorflow", True)
            continue
        canonical = names.canonical_name(names.legacy_name_of_home(
            value.__name__))
        if canonical is not None:
            found[name] = rewriting.Binding(canonical, False)
    return found


def print_rewrite(filename, result, stream):
    """Writes what `rewrite` changed in `filename`, one line per change,
    then one line per name it could not map."""
    where = display_path(filename)
    for change in result.changes:
        stream.write("%s:%d: %s -> %s\n" % (
            where, change.line, _one_line(change.old), _one_line(change.new)))
    for note in result.unmapped:
        stream.write("%s:%d: not mapped: %s: %s\n" % (
            where, note.line, note.api, note.advice))
    stream.flush()


def display_path(filename):
    """`filename` relative to the working directory when it is below it."""
    if os.path.isabs(filename):
        relative = os.path.relpath(filename)
        if not relative.startswith(os.pardir):
            return relative
    return filename


def _one_line(text):
    return " ".join(text.split())
