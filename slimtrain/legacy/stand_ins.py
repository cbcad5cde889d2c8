"""Modules that stand in for `tensorflow.contrib` at run time.

- `members_of(canonical)`: the module-level `__getattr__` and `__dir__` of
  a stand-in: each member is taken from where the mapping table says it
  moved, and a member with no home raises `LegacyAttributeError` (an
  AttributeError) with the table's advice. The files of
  `slimtrain.legacy.contrib` are such modules, so rewritten programs can
  import them by name.
- `ContribFinder`: a meta path finder that serves `tensorflow.contrib.*`
  (and the removed `tensorflow.examples`) from the same table, so that
  `import tensorflow.contrib.slim as slim` works even where the source was
  not rewritten (a library, `importlib.import_module`). A module with a
  home is that module itself (`tensorflow.contrib.slim` is `tf_slim`); a
  namespace, or a step on the way to one (`tensorflow.contrib.slim.python`),
  is a `legacy_module`; a module with no home raises `LegacyImportError`.
"""

import importlib
import importlib.abc
import importlib.util
import sys
import types

from slimtrain.legacy import mapping, names, unavailable

_SERVED = ("tensorflow.contrib", "tensorflow.examples")


def members_of(canonical):
    """(__getattr__, __dir__) for a module standing in for `canonical`."""

    def __getattr__(name):  # noqa: N807 (a module's __getattr__)
        if name == "__all__":
            return public_members(canonical)
        if name.startswith("__"):
            raise AttributeError(name)
        member = canonical + "." + name
        target = names.target_of(member)
        if target is None:
            raise unavailable.missing_member(member)
        try:
            return names.lookup(target)
        except (ImportError, AttributeError):
            raise unavailable.missing_member(member) from None

    def __dir__():  # noqa: N807 (a module's __dir__)
        return public_members(canonical)

    return __getattr__, __dir__


def public_members(canonical):
    """The names a stand-in offers: its rows' and its search modules'."""
    found = set()
    prefix = canonical + "."
    for key in mapping.TABLE:
        if key.startswith(prefix):
            found.add(key[len(prefix):].split(".")[0])
    row = mapping.TABLE.get(canonical)
    for module in getattr(row, "search", ()):
        found.update(name for name in dir(names.lookup(module))
                     if not name.startswith("_"))
    return sorted(found)


def legacy_module(canonical):
    """A `tensorflow.contrib` namespace (or a step towards one) at run time:
    a module whose members come from `members_of`. Its `__path__` is empty,
    so its submodules are looked up by the finders, that is by
    `ContribFinder`."""
    module = types.ModuleType(
        canonical, "Stands in for %s (slimtrain.legacy.mapping)." % canonical)
    module.__path__ = []
    module.__getattr__, module.__dir__ = members_of(canonical)
    return module


class _ExistingModule(importlib.abc.Loader):
    """Loads a name as a module that already exists (`tf_slim`)."""

    def __init__(self, module):
        self._module = module

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        # The import system returns whatever sys.modules holds afterwards,
        # so the placeholder it made is replaced by the real module, whose
        # own __spec__ and __name__ stay untouched.
        sys.modules[module.__name__] = self._module


class ContribFinder(importlib.abc.MetaPathFinder):
    """Finds `tensorflow.contrib.*` modules in the mapping table."""

    def find_spec(self, fullname, path=None, target=None):
        del path, target  # unused
        if not any(fullname == served or fullname.startswith(served + ".")
                   for served in _SERVED):
            return None
        return importlib.util.spec_from_loader(
            fullname, _ExistingModule(module_for(fullname)))


def attach_contrib():
    """Makes `tf.contrib` (on `tensorflow.compat.v1`, TF 1's namespace, not
    on TensorFlow 2's) the `tensorflow.contrib` stand-in, so that code the
    rewriter did not see (dynamic lookups, notebook magics) reaches the
    table too. Needs `ContribFinder` in `sys.meta_path`."""
    tf_v1 = importlib.import_module("tensorflow.compat.v1")
    tf_v1.contrib = importlib.import_module("tensorflow.contrib")
    # Importing it also set `tensorflow.contrib`, which libraries read as
    # "this is TensorFlow 1"; `import tensorflow.contrib.x` works without.
    tensorflow = sys.modules["tensorflow"]
    if "contrib" in vars(tensorflow):
        delattr(tensorflow, "contrib")


def module_for(canonical):
    """The module that `import <canonical>` gets.

    Raises:
      LegacyImportError: where the table gives it no home.
    """
    if names.is_intermediate(canonical) or isinstance(
            mapping.TABLE.get(canonical), mapping.Namespace):
        return legacy_module(canonical)
    target = names.target_of(canonical)
    found = None
    if target is not None:
        try:
            found = names.lookup(target)
        except (ImportError, AttributeError):
            found = None
    if not isinstance(found, types.ModuleType):
        raise unavailable.LegacyImportError(
            canonical, names.advice_for(canonical) or names.GENERIC_ADVICE)
    return found
