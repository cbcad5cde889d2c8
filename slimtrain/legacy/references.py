"""How rewritten source reaches a mapping target, checked against the
live objects.

A target is a dotted path (`tf_slim.arg_scope`). Code reaches it in one of
two ways, and both are checked here because packages sometimes shadow
their own submodules (`tf_slim.ops` is TensorFlow's `ops` module, while
`import tf_slim.ops` loads tf-slim's own):

- `expression(target)`: an expression in the code (`tf_slim.arg_scope`)
  and the import that makes its first name exist (`import tf_slim`); the
  table only names targets that attributes lead to (its tests check it);
- `import_statement(target, alias)`: the statement that binds `alias` to
  the target, for rewritten import statements.
"""

import collections
import functools
import importlib
import sys
import types

from slimtrain.legacy import names

# `import module`, which a rewritten expression needs.
Import = collections.namedtuple("Import", ["module"])

# Packages whose top-level import makes every target below them reachable
# by attributes (their __init__ lazily loads the submodules).
_SELF_LOADING = ("tensorflow", "numpy")


class UnreachableTargetError(LookupError):
    """A table target that no import statement binds (a table defect)."""


@functools.lru_cache(maxsize=None)
def expression(target):
    """The expression for `target`, and the Import its first name needs.

    Returns:
      (text, Import or None): `int` and None for `builtins.int`.

    Raises:
      UnreachableTargetError: if attributes from the imported module do not
        lead to the target.
    """
    if target.startswith("builtins."):
        return target.split(".", 1)[1], None
    wanted = names.lookup(target)
    parts = target.split(".")
    module = _importing_module(parts)
    if _walk(sys.modules[parts[0]], parts[1:]) is not wanted:
        raise UnreachableTargetError(target)
    return target, Import(module)


def render_import(needed):
    """An Import as a line of source."""
    return "import %s" % needed.module


def bind(needed):
    """(name, object) that an Import binds, for code that is run in memory
    with its imports supplied from outside."""
    importlib.import_module(needed.module)
    top = needed.module.split(".")[0]
    return top, sys.modules[top]


@functools.lru_cache(maxsize=None)
def import_statement(target, alias):
    """The statement that binds `alias` to `target`.

    Raises:
      UnreachableTargetError: if no `import` or `from ... import` reaches it.
    """
    wanted = names.lookup(target)
    parts = target.split(".")
    as_clause = "" if alias == parts[-1] else " as " + alias
    parent_path = ".".join(parts[:-1])
    parent_object = names.lookup(parent_path) if parent_path else None
    # The parent as spelled, the module the attributes lead to (tf_slim's
    # `train_eval` is `tf_slim.training.evaluation`), where it is defined.
    for parent in (parent_path, getattr(parent_object, "__name__", None),
                   getattr(wanted, "__module__", None)):
        if parent and _attribute_of_module(parent, parts[-1]) is wanted:
            return "from %s import %s%s" % (parent, parts[-1], as_clause)
    if isinstance(wanted, types.ModuleType) and target in sys.modules and (
            _walk(sys.modules[parts[0]], parts[1:]) is wanted):
        return "import %s%s" % (target, "" if alias == target
                                else " as " + alias)
    raise UnreachableTargetError(target)


def _attribute_of_module(module, name):
    """getattr(sys.modules[module], name) as `from module import name`
    sees it, or None."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def _importing_module(parts):
    """The module to import so that `parts` can be walked by attributes."""
    if parts[0] in _SELF_LOADING:
        importlib.import_module(parts[0])
        return parts[0]
    return _deepest_module(parts)


def _deepest_module(parts):
    """The longest importable module among the prefixes of `parts`."""
    for split in range(len(parts), 0, -1):
        module = ".".join(parts[:split])
        try:
            importlib.import_module(module)
        except ImportError:
            continue
        return module
    raise UnreachableTargetError(".".join(parts))


def _walk(found, attributes):
    """getattr along `attributes`, or None where one is missing."""
    for attribute in attributes:
        found = getattr(found, attribute, None)
        if found is None:
            return None
    return found
