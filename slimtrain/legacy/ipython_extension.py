"""The IPython extension: `%load_ext slimtrain.legacy`.

Loading it sets the process up as the runner does (`environment.enable`)
and adds an input transformer that rewrites each following cell with the
mapping table before IPython runs it; names that earlier cells bound to
legacy modules (`tf`, `slim`) are taken into account. A `LegacyAPIError`
(an API with no home today) is shown as its one line, with the cell line.
"""

import re
import sys
import traceback

from slimtrain.legacy import environment as environments
from slimtrain.legacy import unavailable

# The file names IPython (`<ipython-input-3-...>`) and ipykernel
# (`/tmp/ipykernel_123/456.py`) compile cells under.
_CELL_FILE = re.compile(r"^<ipython-input-|ipykernel_\d+")


class CellRewriter:
    """An IPython input transformer: a cell's lines, rewritten."""

    def __init__(self, ipython, environment):
        self._ipython = ipython
        self._environment = environment
        self._cells = 0

    def __call__(self, lines):
        self._cells += 1
        try:
            text = self._environment.rewrite_source(
                "".join(lines), "<cell %d>" % self._cells,
                self._ipython.user_ns)
        except SyntaxError:
            return lines  # IPython reports it as it would have
        return text.splitlines(keepends=True)


def load(ipython):
    """Installs the transformer and the one-line error display."""
    environment = environments.enable()
    if not any(isinstance(transform, CellRewriter)
               for transform in ipython.input_transformers_post):
        ipython.input_transformers_post.append(
            CellRewriter(ipython, environment))
    ipython.set_custom_exc((unavailable.LegacyAPIError,), _show_one_line)


def unload(ipython):
    """Removes the transformer and the error display."""
    ipython.input_transformers_post[:] = [
        transform for transform in ipython.input_transformers_post
        if not isinstance(transform, CellRewriter)]
    ipython.set_custom_exc((), None)


def _show_one_line(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception handler for LegacyAPIError: the cell's
    line and the error's one-line message."""
    del shell, etype, tb_offset  # unused
    cell_lines = [frame.lineno for frame in traceback.extract_tb(tb)
                  if _CELL_FILE.search(frame.filename)]
    where = "cell line %d: " % cell_lines[-1] if cell_lines else ""
    print(where + str(value), file=sys.stderr)
