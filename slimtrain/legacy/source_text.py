"""Positions in Python source, as `ast` gives them and as text needs them.

`ast` reports columns as UTF-8 byte offsets; `SourceText` turns a node's
position into character offsets of the source string, so a rewrite can
replace exactly the span of a node. `insert_after_header` places lines
after a module's docstring and `from __future__` imports.
"""

import ast


class SourceText:
    """A source string with the offsets of its lines."""

    def __init__(self, source):
        self.source = source
        self._lines = source.splitlines(keepends=True)
        self._starts = [0]
        for line in self._lines:
            self._starts.append(self._starts[-1] + len(line))

    def offset(self, lineno, byte_col):
        """The character offset of (1-based line, UTF-8 byte column)."""
        line = self._lines[lineno - 1] if lineno <= len(self._lines) else ""
        prefix = line.encode("utf-8")[:byte_col]
        column = len(prefix.decode("utf-8", "replace"))
        return self._starts[lineno - 1] + column

    def span(self, node):
        """(start, end) character offsets of a node."""
        return (self.offset(node.lineno, node.col_offset),
                self.offset(node.end_lineno, node.end_col_offset))

    def starts_its_line(self, node):
        """Whether only indentation precedes the node on its first line."""
        start = self.offset(node.lineno, node.col_offset)
        return not self.source[self._starts[node.lineno - 1]:start].strip()

    def indentation(self, lineno):
        """The leading whitespace of a line."""
        line = self._lines[lineno - 1]
        return line[:len(line) - len(line.lstrip(" \t"))]


def insert_after_header(source, lines):
    """`source` with `lines` (text ending in a newline) inserted before its
    first import that follows the docstring and `from __future__` imports
    (or, without one, right after them, or at the top)."""
    body = ast.parse(source).body
    after = 0
    for index, node in enumerate(body):
        is_docstring = (index == 0 and isinstance(node, ast.Expr) and
                        isinstance(node.value, ast.Constant) and
                        isinstance(node.value.value, str))
        is_future = (isinstance(node, ast.ImportFrom) and
                     node.module == "__future__")
        if is_docstring or is_future:
            after = node.end_lineno
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)) and (
                SourceText(source).starts_its_line(node)):
            after = node.lineno - 1
        break
    text_lines = source.splitlines(keepends=True)
    if not after:  # keep a shebang, coding line or licence comment first
        while after < len(text_lines) and (
                text_lines[after].lstrip().startswith("#")):
            after += 1
    if after and not text_lines[after - 1].endswith("\n"):
        text_lines[after - 1] += "\n"
    return "".join(text_lines[:after]) + lines + "".join(text_lines[after:])
