"""One line, at the point of use, for what a legacy program cannot run.

When a program stops on an API that has no home today, the runner prints
one line instead of a traceback from inside TensorFlow:

  train.py:57: tf.contrib.learn is not available: removed with TensorFlow
  2; train with tf_slim.learning.train ...; see docs/LEGACY.md

`one_line(error, environment)` gives that line, or None for every other
error (the program's own bugs keep their traceback). It recognises:

- `LegacyAPIError` from the stand-in modules;
- an AttributeError for a name of a TensorFlow, tf-slim or NumPy module,
  or an ImportError for a `tensorflow.*` module, raised by the program's
  own code (the rewriter's note for that line gives the API and advice
  when it has one, else the mapping table does);
- a program file that is not Python 3 (a Python 2 module).

`library_error_line(error, environment)` gives one line for any other
error raised inside TensorFlow, tf-slim or Keras under one of the
program's lines (a TF 1 program meeting a TF 2.21 kernel or check), with
the program's file and line and the error's first line; the runner shows
the traceback instead when asked (`--traceback`).
"""

import re
import traceback
import types

from slimtrain import errors
from slimtrain.legacy import environment as environments
from slimtrain.legacy import names, program_files, unavailable

# Files a missing module attribute passes through between the program's
# line and the error: TensorFlow's and NumPy's lazy module attributes.
_MODULE_MACHINERY = re.compile(
    r"(lazy_loader|module_wrapper|deprecation_wrapper)\.py$|"
    r"numpy[/\\]__init__\.py$|^<frozen ")
_NOTEBOOK_CELL = re.compile(r"\.ipynb#cell\d+$")
_LIBRARY_FILE = re.compile(r"[/\\](tensorflow|tf_slim|keras|tf_keras)[/\\]")
_MISSING_ATTRIBUTE = re.compile(
    r"module '([\w.]+)' has no attribute '(\w+)'")


def one_line(error, environment):
    """The one-line message for `error`, or None if it is not a legacy API
    failure (see the module docstring)."""
    if isinstance(error, SyntaxError):
        return _unparsable(error)
    where = _point_of_use(error, environment)
    if where is None:
        return None
    filename, line = where
    prefix = "%s:%d: " % (environments.display_path(filename), line)
    if isinstance(error, unavailable.LegacyAPIError):
        return prefix + str(error)
    canonical = _missing_name(error)
    if canonical is None:
        return None
    note = _note_for(environment, filename, line, canonical)
    if note is not None:
        return prefix + "%s is not available: %s" % (note.api, note.advice)
    return prefix + "%s is not available: %s" % (
        names.spelling(canonical),
        names.advice_for(canonical) or names.GENERIC_ADVICE)


def library_error_line(error, environment):
    """One line for an error raised inside TensorFlow, tf-slim or Keras
    below one of the program's own lines, or None for any other error."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [frame for frame in frames if frame.filename in environment.rewrites]
    library = _LIBRARY_FILE.search(frames[-1].filename) if frames else None
    if not own or not library or frames[-1].filename in environment.rewrites:
        return None
    return "%s:%d: %s in %s: %s" % (
        environments.display_path(own[-1].filename), own[-1].lineno,
        type(error).__name__, library.group(1), errors.first_line(error))


def _unparsable(error):
    """The line for a program file that Python 3 cannot parse."""
    filename = error.filename or ""
    if not (program_files.is_program_file(filename) or
            _NOTEBOOK_CELL.search(filename)):
        return None
    return ("%s:%s: cannot be read as Python 3 (%s); if it is Python 2 "
            "source, port it to Python 3 first (python -m slimtrain.upgrade "
            "copies such files unchanged and lists them)" % (
                environments.display_path(filename), error.lineno,
                error.msg))


def _point_of_use(error, environment):
    """(filename, line) of the program's own frame where `error` was
    raised, or None if it was raised deeper than the module machinery
    below the program's last frame."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [index for index, frame in enumerate(frames)
           if frame.filename in environment.rewrites]
    if not own:
        return None
    last = own[-1]
    deeper = frames[last + 1:]
    if not isinstance(error, unavailable.LegacyAPIError) and not all(
            _MODULE_MACHINERY.search(frame.filename) for frame in deeper):
        return None
    return frames[last].filename, frames[last].lineno


def _missing_name(error):
    """The canonical legacy name an AttributeError or ImportError is about,
    or None when it is not about TensorFlow, tf-slim or NumPy."""
    if isinstance(error, ImportError):
        return names.canonical_name(error.name) if error.name else None
    if not isinstance(error, AttributeError):
        return None
    owner = getattr(error, "obj", None)
    attribute = getattr(error, "name", None)
    if isinstance(owner, types.ModuleType) and attribute:
        owner_name = _module_name(owner)
    else:
        match = _MISSING_ATTRIBUTE.search(str(error))
        if not match:
            return None
        owner_name, attribute = match.groups()
    canonical = names.canonical_name(owner_name)
    return None if canonical is None else canonical + "." + attribute


def _module_name(module):
    """A module's legacy dotted name (TF 1's namespace is `tensorflow`)."""
    name = module.__name__
    if name.startswith("tensorflow._api.v2.compat.v1"):
        return "tensorflow" + name[len("tensorflow._api.v2.compat.v1"):]
    if name.startswith("tensorflow._api.v2"):
        return "tensorflow" + name[len("tensorflow._api.v2"):]
    return names.legacy_name_of_home(name)


def _note_for(environment, filename, line, canonical):
    """The rewriter's unmapped note for this line and name, if any."""
    rewrite = environment.rewrites.get(filename)
    last = canonical.split(".")[-1]
    for note in rewrite.unmapped if rewrite else ():
        if note.line == line and last in note.api.split("."):
            return note
    return None
