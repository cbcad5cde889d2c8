"""Looking legacy names up in the mapping table, and where targets live.

`resolve` answers, for a legacy dotted name such as
`tensorflow.contrib.framework.arg_scope`, how much of it moved and where
(`tf_slim.arg_scope`), or why it cannot be mapped. `tf1_status` says
whether a TF 1 name with no row still exists under `tf.compat.v1` (or only
in TensorFlow 2's own namespace). `lookup` finds the object at a dotted
path, `spelling` writes a legacy name the way a program wrote it
(`tf.contrib.slim`), and `canonical_name` turns what a program spelled into
the table's form.
"""

import collections
import functools
import importlib
import types

from slimtrain.legacy import mapping

# How much of a legacy name maps, and to what: the first `length` parts of
# the name are replaced by `target` (a dotted path), or, where `target` is
# None, cannot be mapped, for the reason in `advice`.
Resolution = collections.namedtuple(
    "Resolution", ["length", "target", "advice"])

# For a legacy name that has no row and no longer exists.
GENERIC_ADVICE = ("it is not in TensorFlow 2.21 and slimtrain maps no "
                  "replacement for it; see docs/LEGACY.md")

_V1_PREFIX = ("tensorflow", "compat", "v1")
# Legacy names spelled with their modern module: `import tf_slim as slim`
# is the program's `tensorflow.contrib.slim`.
_MODERN_TO_LEGACY = {"tf_slim": "tensorflow.contrib.slim"}
_SPELLINGS = (("tensorflow.", "tf."), ("numpy.", "np."))


def canonical_name(dotted):
    """The table's form of a dotted name a program spelled: TF 1's
    namespace read as `tensorflow`, `tf_slim` as `tensorflow.contrib.slim`.
    Names under none of the table's first names (`mapping.ROOTS`) give
    None."""
    parts = dotted.split(".")
    if tuple(parts[:3]) == _V1_PREFIX:
        parts = ["tensorflow"] + parts[3:]
    dotted = ".".join(parts)
    for modern, legacy in _MODERN_TO_LEGACY.items():
        if dotted == modern or dotted.startswith(modern + "."):
            dotted = legacy + dotted[len(modern):]
    if dotted.split(".")[0] in mapping.ROOTS:
        return dotted
    return None


def legacy_name_of_home(module_name):
    """The legacy name a slimtrain stand-in module stands for
    (`slimtrain.legacy.contrib.framework` is `tensorflow.contrib.framework`);
    other module names are returned as they are."""
    for key, row in mapping.TABLE.items():
        home = getattr(row, "home", None) or getattr(row, "target", None)
        if home == module_name and home.startswith("slimtrain.legacy."):
            return key
    return module_name


def spelling(canonical):
    """`tensorflow.contrib.slim` as programs wrote it: `tf.contrib.slim`."""
    for long_form, short_form in _SPELLINGS:
        if canonical.startswith(long_form):
            return short_form + canonical[len(long_form):]
    return canonical


def resolve(canonical):
    """How the table maps a canonical legacy name, or None without a row.

    Args:
      canonical: a dotted name in the table's form
        (`tensorflow.contrib.framework.arg_scope`).

    Returns:
      A `Resolution` for the longest part of the name that has a row (a
      namespace's member counts as one part more), or None if no part has.
    """
    parts = canonical.split(".")
    for length in range(len(parts), 0, -1):
        row = mapping.TABLE.get(".".join(parts[:length]))
        if isinstance(row, mapping.Moved):
            return Resolution(length, row.target, None)
        if isinstance(row, mapping.Removed):
            return Resolution(length, None, row.advice)
        if isinstance(row, mapping.Namespace):
            if length == len(parts):
                return Resolution(length, row.home, None)
            member = parts[length]
            found = _search(row.search, member)
            if found is not None:
                return Resolution(length + 1, found, None)
            return Resolution(length + 1, None, row.advice)
    return None


def is_intermediate(canonical):
    """Whether `canonical` is only a step on the way to rows
    (`tensorflow.contrib.slim.python`), not a name of its own."""
    prefix = canonical + "."
    return canonical not in mapping.TABLE and any(
        key.startswith(prefix) for key in mapping.TABLE)


def target_of(canonical):
    """The dotted path a canonical name maps to, or None; raises nothing."""
    resolution = resolve(canonical)
    if resolution is None or resolution.target is None:
        return None
    rest = canonical.split(".")[resolution.length:]
    return ".".join([resolution.target] + rest)


def advice_for(canonical):
    """Why `canonical` cannot be mapped, when the table says so, else None."""
    resolution = resolve(canonical)
    if resolution is not None and resolution.target is None:
        return resolution.advice
    return None


@functools.lru_cache(maxsize=None)
def _search(modules, member):
    """The first `module.member` that exists, as a dotted path, or None."""
    if member.startswith("_"):
        return None
    for module_path in modules:
        if hasattr(lookup(module_path), member):
            return module_path + "." + member
    return None


def lookup(path):
    """The object at a dotted path, as code that imports its first name
    and then reads attributes sees it (the longest importable module of
    the path is imported first, so its submodules exist). Raises
    ImportError or AttributeError if it is missing.
    """
    if path.startswith("builtins."):
        return getattr(__import__("builtins"), path.split(".", 1)[1])
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            importlib.import_module(".".join(parts[:split]))
        except ImportError:
            if split == 1:
                raise
            continue
        break
    found = importlib.import_module(parts[0])
    for part in parts[1:]:
        found = getattr(found, part)
    return found


@functools.lru_cache(maxsize=None)
def tf1_status(canonical):
    """Whether a TF 1 name with no row exists today.

    Returns:
      (missing, in_v2): `missing` is None when every part of the name
      exists under `tf.compat.v1`, else the index of the first part that
      does not (`tensorflow.foo.bar` without `foo` gives 1); `in_v2` tells
      whether the name up to that part exists in TensorFlow 2's own
      namespace instead.
      Only modules and classes are looked into: attributes of other objects
      are not checked.
    """
    parts = canonical.split(".")
    index = _missing_part(lookup("tensorflow.compat.v1"), parts[1:])
    if index is None:
        return None, False
    missing = index + 1
    in_v2 = _missing_part(lookup("tensorflow"), parts[1:missing + 1]) is None
    return missing, in_v2


def _missing_part(root, names):
    """The index of the first of `names` missing on the way down from
    `root`, or None if all are there (or the walk reaches a value)."""
    found = root
    for index, name in enumerate(names):
        if not isinstance(found, (types.ModuleType, type)):
            return None
        try:
            found = getattr(found, name)
        except Exception:  # pylint: disable=broad-except
            # TensorFlow's lazy loaders raise ImportError and others.
            return index
    return None
