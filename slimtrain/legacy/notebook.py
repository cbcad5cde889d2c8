"""Jupyter notebooks: their code cells as Python, and back.

IPython syntax means nothing outside IPython. In a cell's Python form
(`python_form`), a line magic (`%matplotlib inline`) or shell line
(`!pip install ...`) is `pass  # <the line>`, so the cell keeps its line
numbers; a cell that starts with a cell magic other than `%%time`,
`%%timeit` or `%%capture` (`%%bash`, `%%writefile`) has no Python form,
and those three keep their body. `restore_magics` puts the lines back
into a rewritten cell.
"""

import io
import json
import re
import tokenize

from slimtrain.errors import ConfigError

_LINE_MAGIC = re.compile(r"^(\s*)([%!].*)$")
_RUN_BODY_OF = ("%%time", "%%timeit", "%%capture")
_PLACEHOLDER = "pass  # "


def load(path):
    """The notebook at `path` as its JSON document.

    Raises:
      ConfigError: if the file is not a readable notebook.
    """
    try:
        with open(path, encoding="utf-8") as notebook_file:
            document = json.load(notebook_file)
        document["cells"]  # pylint: disable=pointless-statement
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError("%s: not a readable Jupyter notebook (%s)"
                          % (path, error)) from None
    return document


def code_cells(document):
    """[(number, cell)] of the document's code cells, numbered from 1 in the
    order of all its cells."""
    return [(number, cell) for number, cell in
            enumerate(document["cells"], start=1)
            if cell.get("cell_type") == "code"]


def cell_source(cell):
    """A cell's source as one string."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def python_form(source):
    """The cell as Python 3 source (see the module docstring), or None for
    a cell to skip."""
    lines = source.splitlines()
    if lines and lines[0].startswith("%%"):
        if lines[0].split()[0] not in _RUN_BODY_OF:
            return None
        lines[0] = _PLACEHOLDER + lines[0]
    starts = _statement_lines(source)
    return "\n".join(
        _LINE_MAGIC.sub(r"\1" + _PLACEHOLDER + r"\2", line)
        if number in starts else line
        for number, line in enumerate(lines, start=1)) + "\n"


def _statement_lines(source):
    """Numbers of the lines where a statement starts, so that a `%` that
    continues an expression (`"%d" \\n % x`) is not taken for a magic."""
    starts, at_start = set(), True
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT,
                              tokenize.DEDENT):
                continue
            if at_start:
                starts.add(token.start[0])
            at_start = token.type == tokenize.NEWLINE
    except (tokenize.TokenError, IndentationError):
        pass  # the lines read so far are known; the rest are not magics
    return starts


def restore_magics(rewritten):
    """A rewritten `python_form` with its IPython lines as they were."""
    lines = rewritten.splitlines()
    return "\n".join(
        line.replace(_PLACEHOLDER, "", 1)
        if line.lstrip().startswith(_PLACEHOLDER + "%") or
        line.lstrip().startswith(_PLACEHOLDER + "!") else line
        for line in lines)
