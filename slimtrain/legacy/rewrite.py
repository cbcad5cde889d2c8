"""Rewrites a TF-Slim-era program's source with the mapping table.

`rewrite(source)` finds, with `ast`, the names a TF 1.x program uses that
moved (`tf.contrib.slim`, `np.int`, `tf.layers`, ...) and replaces exactly
their spans in the text, so comments, blank lines and formatting survive:

- imports: `import tensorflow as tf` becomes `import tensorflow.compat.v1
  as tf` (the TF 1 API); `from tensorflow.contrib import slim` becomes
  `import tf_slim as slim`; contrib modules with several homes bind their
  stand-ins (`slimtrain.legacy.contrib.*`);
- attribute chains rooted at such a name: `tf.contrib.slim.arg_scope`
  becomes `tf_slim.arg_scope`, `np.int` becomes `int`;
- `x.tostring()` / `d.iteritems()` calls, and Python 2's `xrange`,
  `unicode`, `basestring` where the file never binds them.

What the table cannot map is left as it is and listed (`unmapped`), with
the line, the API and what replaces it. A rewritten name may need a module
the file never imported (`tf_slim`): `imports` lists those; the runner
binds them in the module's namespace (so line numbers stay those of the
original file), the upgrader writes them as import lines (`with_imports`).

Raises SyntaxError for source that Python 3 cannot parse.
"""

import ast
import collections
import dataclasses
import re

from slimtrain.legacy import mapping, names, references, source_text

Change = collections.namedtuple("Change", ["line", "old", "new"])
Unmapped = collections.namedtuple("Unmapped", ["line", "api", "advice"])
# A name bound to a legacy module: its canonical name, and whether the
# object bound at run time is TF 1's namespace (`tf.compat.v1`).
Binding = collections.namedtuple("Binding", ["canonical", "holds_v1"])

_TF1 = "tensorflow.compat.v1"


@dataclasses.dataclass
class Rewrite:
    """The result of `rewrite`.

    Attributes:
      text: the rewritten source.
      changes: `Change(line, old, new)` for every replaced span, in order.
      unmapped: `Unmapped(line, api, advice)` for legacy names the table
        cannot map.
      imports: `references.Import`s that `text` needs and does not make.
      bindings: {name: Binding} of the legacy modules the source binds
        (with `known`), for the next cell of a notebook.
    """
    text: str
    changes: list
    unmapped: list
    imports: list
    bindings: dict

    def uses_tensorflow(self):
        """Whether the source binds TensorFlow or tf-slim (legacy or not)."""
        return any(binding.canonical.startswith("tensorflow")
                   for binding in self.bindings.values())

    def with_imports(self, first=()):
        """`text` with `first` and then `imports` written as import lines
        after the docstring and the `__future__` imports, for a file that
        must stand on its own."""
        needed = list(first) + self.imports
        if not needed:
            return self.text
        lines = "".join(references.render_import(one) + "\n"
                        for one in needed)
        return source_text.insert_after_header(self.text, lines)


def rewrite(source, known=None, keep_lines=True, filename="<unknown>"):
    """Rewrites `source` (see the module docstring).

    Args:
      source: Python 3 source text.
      known: {name: Binding} of legacy modules bound before this source
        runs (earlier notebook cells), or None.
      keep_lines: keep every statement on its original line, padding a
        shortened multi-line import with blank lines (the runner's line
        numbers must be the file's); the upgrader passes False.
      filename: the name a SyntaxError gives.

    Returns:
      A `Rewrite`.

    Raises:
      SyntaxError: if `source` is not Python 3.
    """
    tree = ast.parse(source, filename)
    text = source_text.SourceText(source)
    bindings = dict(known or {})
    _collect_import_bindings(tree, bindings)
    _collect_assignment_bindings(tree, bindings)
    visitor = _Rewriter(text, bindings, _bound_names(tree), keep_lines)
    visitor.visit(tree)
    return visitor.result()


class _Rewriter(ast.NodeVisitor):
    """Collects the edits of one source file."""

    def __init__(self, text, bindings, bound_names, keep_lines):
        self._text = text
        self._bindings = bindings
        self._bound_names = bound_names
        self._keep_lines = keep_lines
        self._edits = []       # (start, end, new text, line)
        self._unmapped = {}    # (line, api) -> Unmapped
        self._imports = {}     # Import -> None (an ordered set)

    def result(self):
        edits = _without_overlaps(self._edits)
        changes = [Change(line, self._text.source[start:end], new)
                   for start, end, new, line in edits]
        rewritten = self._text.source
        for start, end, new, _ in reversed(edits):
            rewritten = rewritten[:start] + new + rewritten[end:]
        return Rewrite(rewritten, changes, list(self._unmapped.values()),
                       list(self._imports), self._bindings)

    # --- imports ---------------------------------------------------------

    def visit_Import(self, node):
        pieces = [self._import_alias(node, alias) for alias in node.names]
        self._replace_statement(node, pieces)

    def visit_ImportFrom(self, node):
        if node.level or not node.module:
            return
        module = names.canonical_name(node.module)
        if module is None or any(alias.name == "*" for alias in node.names):
            self._replace_star_import(node, module)
            return
        pieces = [self._from_alias(node, alias) for alias in node.names]
        self._replace_statement(node, pieces)

    def _import_alias(self, node, alias):
        """(original, new) statement for one name of an `import`."""
        original = "import %s%s" % (
            alias.name, " as " + alias.asname if alias.asname else "")
        canonical = names.canonical_name(alias.name)
        if canonical is None:
            return original, original
        if alias.asname is None:
            if alias.name == "tensorflow" or (
                    canonical.startswith("tensorflow.contrib") and
                    names.advice_for(canonical) is None):
                return original, "import %s as tensorflow" % _TF1
            if "." not in alias.name:  # `import cPickle` keeps its name
                return original, self._bind_statement(
                    node.lineno, canonical, alias.name, original)
            self._note_if_unmapped(node.lineno, canonical)
            return original, original
        if canonical == "tensorflow":
            return original, "import %s as %s" % (_TF1, alias.asname)
        return original, self._bind_statement(
            node.lineno, canonical, alias.asname, original)

    def _from_alias(self, node, alias):
        """(original, new) statement for one name of a `from ... import`."""
        bound = alias.asname or alias.name
        original = "from %s import %s%s" % (
            node.module, alias.name,
            " as " + alias.asname if alias.asname else "")
        canonical = names.canonical_name(node.module + "." + alias.name)
        if names.resolve(canonical) is None:
            if node.module == "tensorflow" and names.tf1_status(
                    canonical)[0] is None:
                return original, "from %s import %s%s" % (
                    _TF1, alias.name,
                    " as " + alias.asname if alias.asname else "")
            return original, original
        return original, self._bind_statement(
            node.lineno, canonical, bound, original)

    def _bind_statement(self, line, canonical, alias, original):
        """The statement binding `alias` to where `canonical` moved, or
        `original` (noted as unmapped) when it has no home."""
        target = names.target_of(canonical)
        if target is None:
            self._note_if_unmapped(line, canonical)
            return original
        return references.import_statement(target, alias)

    def _replace_star_import(self, node, module):
        """`from tensorflow.contrib.slim import *` and the like."""
        if module is None:
            return
        target = names.target_of(module)
        if target is None:
            self._note_if_unmapped(node.lineno, module)
            return
        if target != node.module:
            original = "from %s import *" % node.module
            self._replace_statement(node, [(original,
                                            "from %s import *" % target)])

    def _replace_statement(self, node, pieces):
        """Replaces an import statement when any of its names changed."""
        if all(old == new for old, new in pieces):
            return
        new = _joined([new for _, new in pieces])
        start, end = self._text.span(node)
        if self._keep_lines and node.end_lineno > node.lineno and (
                self._text.starts_its_line(node)):
            indent = self._text.indentation(node.lineno)
            new = "\n" * (node.end_lineno - node.lineno) + indent + new
        self._edits.append((start, end, new, node.lineno))

    # --- attribute chains ------------------------------------------------

    def visit_Attribute(self, node):
        chain = _chain(node)
        if chain is None:
            self.generic_visit(node)
            return
        binding = self._bindings.get(chain[0].id)
        if binding is not None:
            self._rewrite_chain(chain, binding)

    def _rewrite_chain(self, chain, binding):
        """Rewrites the longest mapped prefix of one attribute chain."""
        dotted = [binding.canonical] + [node.attr for node in chain[1:]]
        lengths = [len(names.canonical_name(".".join(dotted[:i + 1]))
                       .split(".")) for i in range(len(dotted))]
        canonical = names.canonical_name(".".join(dotted))
        parts = canonical.split(".")
        resolution = names.resolve(canonical)
        line = chain[0].lineno
        if resolution is None:
            self._check_tf1_name(chain, lengths, binding, parts)
            return
        if resolution.target is None:
            self._add_unmapped(line, ".".join(parts[:resolution.length]),
                               resolution.advice)
            return
        if resolution.length <= lengths[0]:
            return  # the root name is already bound to the new home
        node = _node_for_length(chain, lengths, resolution.length)
        self._replace_expression(node, resolution.target, chain[0].id,
                                 binding)

    def _check_tf1_name(self, chain, lengths, binding, parts):
        """A TF 1 name with no row: fine if tf.compat.v1 has it; moved to
        TensorFlow 2's namespace if only that has it; else unmapped."""
        if parts[0] != "tensorflow" or not binding.holds_v1:
            return
        missing, in_v2 = names.tf1_status(".".join(parts))
        if missing is None:
            return
        if in_v2:
            node = _node_for_length(chain, lengths, missing + 1)
            self._replace_expression(
                node, ".".join(parts[:missing + 1]), chain[0].id, binding)
            return
        self._add_unmapped(chain[0].lineno, ".".join(parts[:missing + 1]),
                           names.GENERIC_ADVICE)

    def _replace_expression(self, node, target, root, binding):
        """Replaces `node`'s span by an expression reaching `target`.

        Left alone: a name being assigned or deleted (`np.float = float`, a
        program's own patch), and a chain with a comment inside it.
        """
        start, end = self._text.span(node)
        if not isinstance(node.ctx, ast.Load) or (
                _squeezed(self._text.source[start:end]) != _dotted(node)):
            return
        if target.startswith(_TF1 + ".") and binding.holds_v1 and (
                binding.canonical == "tensorflow"):
            text = root + target[len(_TF1):]
        elif target.startswith("numpy.") and binding.canonical == "numpy":
            text = root + target[len("numpy"):]
        else:
            text, needed = references.expression(target)
            if needed is not None:
                self._imports[needed] = None
        self._edits.append((start, end, text, node.lineno))

    # --- methods and builtins --------------------------------------------

    def visit_Call(self, node):
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr in mapping.METHODS
                and not node.args and not node.keywords):
            start, end = self._text.span(func)
            name_start = end - len(func.attr)
            if self._text.source[name_start:end] == func.attr:
                self._edits.append((name_start, end,
                                    mapping.METHODS[func.attr], func.lineno))
        self.generic_visit(node)

    def visit_Name(self, node):
        if (node.id in mapping.BUILTINS and isinstance(node.ctx, ast.Load)
                and node.id not in self._bound_names):
            start, end = self._text.span(node)
            self._edits.append((start, end, mapping.BUILTINS[node.id],
                                node.lineno))

    # --- notes -------------------------------------------------------------

    def _note_if_unmapped(self, line, canonical):
        advice = names.advice_for(canonical)
        if advice is not None:
            resolution = names.resolve(canonical)
            api = ".".join(canonical.split(".")[:resolution.length])
            self._add_unmapped(line, api, advice)

    def _add_unmapped(self, line, canonical_api, advice):
        api = names.spelling(canonical_api)
        self._unmapped.setdefault((line, api), Unmapped(line, api, advice))


def _joined(statements):
    """Import statements as one line: `import a, b as c` when all are plain
    imports, `from m import a, b` for a run of one module, else `; `."""
    if all(statement.startswith("import ") for statement in statements):
        return "import " + ", ".join(s[len("import "):] for s in statements)
    runs = []  # [from-clause or a whole `import` statement, [names]]
    for statement in statements:
        if statement.startswith("import "):
            runs.append((statement, []))
            continue
        module, _, names_part = statement.partition(" import ")
        if runs and runs[-1][0] == module:
            runs[-1][1].append(names_part)
        else:
            runs.append((module, [names_part]))
    return "; ".join("%s import %s" % (head, ", ".join(parts)) if parts
                     else head for head, parts in runs)


def _collect_import_bindings(tree, bindings):
    """Adds the names import statements bind to legacy modules."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                _bind_import(bindings, alias)
        elif isinstance(node, ast.ImportFrom) and not node.level and (
                node.module):
            for alias in node.names:
                canonical = names.canonical_name(
                    node.module + "." + alias.name)
                if canonical is not None and alias.name != "*":
                    bindings[alias.asname or alias.name] = Binding(
                        canonical, canonical == "tensorflow")


def _bind_import(bindings, alias):
    """The binding of one name of an `import` statement, once rewritten."""
    canonical = names.canonical_name(alias.name)
    if canonical is None:
        return
    if alias.asname:
        bindings[alias.asname] = Binding(canonical, canonical == "tensorflow")
        return
    top = alias.name.split(".")[0]
    # `import tensorflow` and `import tensorflow.contrib.x` are rewritten
    # to bind TF 1's namespace; `import tensorflow.python.x` binds TF 2's.
    holds_v1 = alias.name == "tensorflow" or alias.name.startswith(
        "tensorflow.contrib")
    bindings[top] = Binding(names.canonical_name(top), holds_v1)


def _collect_assignment_bindings(tree, bindings):
    """Adds `slim = tf.contrib.slim`-style aliases of bound legacy names."""
    assignments = sorted(
        (node for node in ast.walk(tree) if isinstance(node, ast.Assign)
         and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)),
        key=lambda node: (node.lineno, node.col_offset))
    for node in assignments:
        value = node.value
        chain = _chain(value) if isinstance(value, ast.Attribute) else (
            [value] if isinstance(value, ast.Name) else None)
        if not chain or chain[0].id not in bindings:
            continue
        root = bindings[chain[0].id]
        canonical = names.canonical_name(
            ".".join([root.canonical] + [n.attr for n in chain[1:]]))
        bindings[node.targets[0].id] = Binding(
            canonical, root.holds_v1 and canonical == "tensorflow")


def _bound_names(tree):
    """Every name the file binds anywhere (assignments, defs, arguments,
    imports, globals), so Python 2 builtins are only rewritten where the
    file did not define them."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                               ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias):
            bound.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
    return bound


def _chain(node):
    """[Name, Attribute, ...] from the root name to `node`, or None when
    the chain starts with something other than a name."""
    chain = []
    while isinstance(node, ast.Attribute):
        chain.append(node)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    chain.append(node)
    return chain[::-1]


def _node_for_length(chain, lengths, length):
    """The longest prefix of the chain whose canonical name has `length`
    parts (`tf.compat.v1` and `tf` both have one)."""
    return chain[max(i for i, value in enumerate(lengths) if value == length)]


def _dotted(node):
    """`a.b.c` for a chain node."""
    return ".".join([n.id if isinstance(n, ast.Name) else n.attr
                     for n in _chain(node)])


def _squeezed(text):
    """Source text without whitespace and line continuations."""
    return re.sub(r"\\\n|\s", "", text)


def _without_overlaps(edits):
    """Edits sorted by position; one that overlaps an earlier one dropped."""
    kept = []
    for edit in sorted(edits):
        if kept and edit[0] < kept[-1][1]:
            continue
        kept.append(edit)
    return kept
