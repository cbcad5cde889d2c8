"""The packages of slimtrain depend one way, as their docstrings say.

Every package of slimtrain (and each module at its top) states in its
docstring what of slimtrain it may import ("May import: slimtrain.rundir,
slimtrain.errors." or "anything in slimtrain" for a program's edge, or
"nothing of slimtrain"). This test reads every import statement of every
file, those inside functions included, and checks that each package imports
only what it declares, and that the declared imports form no cycle, so a
lower package never imports a higher one. `nets`, the network zoo, is
checked the same way.
"""

import ast
import os
import re

import pytest

from tests.conftest import REPO

ANYTHING = "*"


def units():
    """{unit name: [its .py files]}: each subpackage and top-level module
    of slimtrain (`slimtrain` itself for its __init__), and nets."""
    found = {"nets": []}
    root = os.path.join(REPO, "slimtrain")
    for directory, _, names in os.walk(os.path.join(REPO, "nets")):
        found["nets"] += [os.path.join(directory, n) for n in names
                          if n.endswith(".py")]
    for directory, _, names in os.walk(root):
        for name in names:
            if not name.endswith(".py"):
                continue
            path = os.path.join(directory, name)
            parts = os.path.relpath(path, root).split(os.sep)
            unit = parts[0][:-3] if len(parts) == 1 else parts[0]
            if unit == "__init__":
                unit = "slimtrain"
            found.setdefault(unit, []).append(path)
    return found


def unit_docstring(unit, files):
    """The docstring of the unit's __init__.py or module."""
    if unit in ("slimtrain", "nets"):
        path = os.path.join(REPO, unit, "__init__.py")
    elif len(files) == 1 and not files[0].endswith("__init__.py"):
        path = files[0]
    else:
        path = os.path.join(REPO, "slimtrain", unit, "__init__.py")
    with open(path) as handle:
        return ast.get_docstring(ast.parse(handle.read())) or ""


def declared(docstring):
    """What a "May import:" paragraph allows: a set of unit names, or
    ANYTHING; None without such a paragraph."""
    match = re.search(r"May import:(.*?)(\n\s*\n|\Z)", docstring, re.S)
    if not match:
        return None
    text = match.group(1)
    if "anything in slimtrain" in text:
        return ANYTHING
    allowed = set(re.findall(r"slimtrain\.(\w+)", text))
    allowed.update(re.findall(r"\bnets\b", text))
    if re.search(r"\bslimtrain\b(?!\.)", text.replace(
            "nothing of slimtrain", "")):
        allowed.add("slimtrain")
    return allowed


def imported(files, unit):
    """The units `files` import (any import statement, at any depth)."""
    found = set()
    for path in files:
        with open(path) as handle:
            tree = ast.parse(handle.read())
        for node in ast.walk(tree):
            modules = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module] + [
                    node.module + "." + alias.name for alias in node.names]
            for module in modules:
                parts = module.split(".")
                if parts[0] == "nets":
                    found.add("nets")
                elif parts[0] == "slimtrain":
                    found.add(parts[1] if len(parts) > 1 else "slimtrain")
    found.discard(unit)
    return found


UNITS = units()


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_each_package_imports_only_what_its_docstring_allows(unit):
    allowed = declared(unit_docstring(unit, UNITS[unit]))
    assert allowed is not None, "%s's docstring says nothing of what it may " \
        "import (a 'May import:' paragraph)" % unit
    used = imported(UNITS[unit], unit)
    # Every module imports the package itself, and its submodules by
    # their full names (slimtrain.X.Y counts as X).
    used.discard("slimtrain")
    if allowed != ANYTHING:
        assert used <= allowed, "%s imports %s, which its docstring does " \
            "not allow" % (unit, sorted(used - allowed))


def test_the_declared_imports_form_no_cycle():
    graph = {}
    for unit, files in UNITS.items():
        allowed = declared(unit_docstring(unit, files))
        graph[unit] = set(UNITS) - {unit} if allowed == ANYTHING else (
            (allowed or set()) - {"slimtrain", unit})
    # A program's edge may import anything, so nothing below may import it.
    edges = {unit for unit, allowed in graph.items()
             if allowed == set(UNITS) - {unit}}
    for unit, allowed in graph.items():
        if unit not in edges:
            assert not allowed & edges, "%s may import the program edge %s" % (
                unit, sorted(allowed & edges))
    below = {unit: allowed for unit, allowed in graph.items()
             if unit not in edges}
    order, visiting, done = [], set(), set()

    def visit(unit, path):
        assert unit not in visiting, "cycle: %s" % " -> ".join(path + [unit])
        if unit in done:
            return
        visiting.add(unit)
        for other in sorted(below.get(unit, ())):
            if other in below:
                visit(other, path + [unit])
        visiting.discard(unit)
        done.add(unit)
        order.append(unit)

    for unit in sorted(below):
        visit(unit, [])
    assert set(order) == set(below)
