"""`python -m slimtrain.upgrade SRC DST`: the runner's rewrites, on disk.

For users who want to move for good: SRC (a `.py` file, a `.ipynb`
notebook or a folder) is copied to DST (which must not exist) with every
Python file and notebook code cell rewritten by the same mapping table
the runner uses (`slimtrain.legacy.rewrite`), and the modules a rewritten
file needs and did not import (`import tf_slim`) added after its docstring
and `__future__` imports. Other files are copied unchanged, and so is a
file that Python 3 cannot parse (Python 2 source): the report names it.

The report lists, file by file, each change (line, old, new), the names
that could not be mapped (line, API, what replaces it) and the files
copied unchanged; it is printed, and for a folder also written to
DST/UPGRADE_REPORT.txt. DST appears only once it is complete: everything
is written into a temporary sibling, which is then renamed.

The upgraded program runs on TensorFlow 2.21 with tf_slim and slimtrain
installed: each file that uses TensorFlow starts with
`import slimtrain.legacy.tf1_mode` (tf-slim's fixes and TF 1 mode, as the
runner sets them up), and names with a home in slimtrain stay there
(`slimtrain.legacy.hparams.HParams`); docs/LEGACY.md.
"""

import io
import json
import os
import shutil
import sys
import tempfile
import tokenize

from slimtrain.errors import ConfigError
from slimtrain.legacy import environment as environments
from slimtrain.legacy import notebook, references
from slimtrain.legacy import rewrite as rewriting

REPORT_NAME = "UPGRADE_REPORT.txt"
# First import of every upgraded file that uses TensorFlow.
TF1_MODE = references.Import("slimtrain.legacy.tf1_mode")
USAGE = "usage: python -m slimtrain.upgrade SRC DST"


def main(argv):
    """The command line; returns the exit status (2 for bad arguments)."""
    if len(argv) != 2 or argv[0].startswith("-"):
        asked = argv[:1] in (["-h"], ["--help"])  # help: stdout, status 0
        print(USAGE + "\n\n" + __doc__.split("\n\n")[1],
              file=sys.stdout if asked else sys.stderr)
        return 0 if asked else 2
    try:
        report = upgrade(argv[0], argv[1])
    except ConfigError as error:
        print("error: %s" % error, file=sys.stderr)
        return 2
    sys.stdout.write(report)
    return 0


def upgrade(source, destination):
    """Writes the upgraded copy of `source` at `destination`.

    Returns:
      The report, as text.

    Raises:
      ConfigError: if `source` does not exist or `destination` does.
    """
    if not os.path.exists(source):
        raise ConfigError("%s: no such file or folder" % source)
    if os.path.lexists(destination):
        raise ConfigError("%s already exists: give a new path for the "
                          "upgraded copy" % destination)
    parent = os.path.dirname(os.path.abspath(destination))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".upgrading-", dir=parent)
    try:
        report = Report(source, destination)
        if os.path.isdir(source):
            _upgrade_tree(source, os.path.join(staging, "tree"), report)
            text = report.text()
            with open(os.path.join(staging, "tree", REPORT_NAME), "w",
                      encoding="utf-8") as report_file:
                report_file.write(text)
            os.replace(os.path.join(staging, "tree"), destination)
        else:
            staged = os.path.join(staging, "file")
            _upgrade_file(source, staged, os.path.basename(source), report)
            text = report.text()
            os.replace(staged, destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return text


def _upgrade_tree(source, destination, report):
    """Copies a folder, upgrading its Python files and notebooks."""
    for folder, subfolders, files in os.walk(source):
        subfolders[:] = sorted(name for name in subfolders
                               if name != "__pycache__")
        relative = os.path.relpath(folder, source)
        os.makedirs(os.path.join(destination, relative), exist_ok=True)
        for name in sorted(files):
            shown = os.path.normpath(os.path.join(relative, name))
            _upgrade_file(os.path.join(folder, name),
                          os.path.join(destination, relative, name),
                          shown, report)


def _upgrade_file(source, destination, shown, report):
    """Writes one file's upgraded (or unchanged) copy."""
    if os.path.islink(source) or not source.endswith((".py", ".ipynb")):
        shutil.copy2(source, destination, follow_symlinks=False)
        return
    try:
        if source.endswith(".ipynb"):
            text, encoding = _upgraded_notebook(source, shown, report), "utf-8"
        else:
            text, encoding = _upgraded_python(source, shown, report)
    except (SyntaxError, UnicodeDecodeError) as error:
        report.unparsable(shown, error)
        shutil.copy2(source, destination)
        return
    with open(destination, "w", encoding=encoding, newline="") as output:
        output.write(text)
    shutil.copymode(source, destination)


def _upgraded_python(path, shown, report):
    """(upgraded text, encoding) of a Python file; SyntaxError if it is not
    Python 3."""
    with open(path, "rb") as source_file:
        encoding, _ = tokenize.detect_encoding(source_file.readline)
    with open(path, encoding=encoding, newline="") as source_file:
        source = source_file.read()
    result = rewriting.rewrite(source, keep_lines=False)
    report.rewritten(shown, result)
    first = [TF1_MODE] if result.uses_tensorflow() else []
    return result.with_imports(first), encoding


def _upgraded_notebook(path, shown, report):
    """The upgraded notebook as JSON text; cells are rewritten in order,
    each knowing the names the cells before it bound."""
    document = notebook.load(path)
    known, tf1_mode_added = {}, False
    for number, cell in notebook.code_cells(document):
        source = notebook.python_form(notebook.cell_source(cell))
        if source is None:
            continue
        result = rewriting.rewrite(source, known=known, keep_lines=True)
        first = []
        if result.uses_tensorflow() and not tf1_mode_added:
            first, tf1_mode_added = [TF1_MODE], True
        known = result.bindings
        report.rewritten("%s#cell%d" % (shown, number), result)
        if result.changes or result.imports or first:
            text = notebook.restore_magics(result.with_imports(first))
            cell["source"] = text.splitlines(keepends=True)
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


class Report:
    """What the upgrade did, file by file, as text."""

    def __init__(self, source, destination):
        self._lines = ["slimtrain.upgrade: %s -> %s" % (source, destination)]
        self._counts = {"files": 0, "changes": 0, "unmapped": 0,
                        "unparsable": 0}

    def rewritten(self, shown, result):
        """Records one file's (or cell's) rewrite."""
        if not (result.changes or result.unmapped):
            return
        self._counts["files"] += 1
        self._counts["changes"] += len(result.changes)
        self._counts["unmapped"] += len(result.unmapped)
        stream = io.StringIO()
        environments.print_rewrite(shown, result, stream)
        self._lines.extend(stream.getvalue().splitlines())
        for needed in result.imports:
            self._lines.append("%s: added: %s" % (
                shown, references.render_import(needed)))

    def unparsable(self, shown, error):
        """Records a file copied unchanged because it is not Python 3."""
        self._counts["unparsable"] += 1
        where = getattr(error, "lineno", None)
        self._lines.append(
            "%s:%s: not Python 3 (%s): copied unchanged; port it to "
            "Python 3, then run the upgrade on it again"
            % (shown, where or "?", getattr(error, "msg", None) or error))

    def text(self):
        """The report, ending with a one-line summary."""
        counts = self._counts
        summary = ("%d files rewritten (%d changes), %d names not mapped, "
                   "%d files not Python 3 copied unchanged" % (
                       counts["files"], counts["changes"],
                       counts["unmapped"], counts["unparsable"]))
        return "\n".join(self._lines + [summary]) + "\n"
