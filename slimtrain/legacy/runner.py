"""Runs a TF-Slim-era program as it is: a script, or a notebook's cells.

`run_guarded` is the command line's entry (`python -m slimtrain.legacy`);
`run_program` runs the program and lets its errors propagate.

The program runs as `__main__`, with its own `sys.argv` and its folder
first on `sys.path`, as `python SCRIPT ARGS...` would run it, inside the
legacy environment (`environment.enable`). A notebook's code cells run in
order in one namespace, with the notebook's folder as working directory,
as Jupyter runs them; cell N's code is reported as `NOTEBOOK.ipynb#cellN`.
"""

import builtins
import os
import sys
import tokenize
import types

from slimtrain import startup
from slimtrain.errors import ConfigError
from slimtrain.legacy import environment as environments
from slimtrain.legacy import failures, notebook


def run_guarded(path, argv, explain=False, tracebacks=False):
    """`run_program` for the command line: what cannot run ends in one line.

    A ConfigError (no such file, an unreadable notebook) and a legacy API
    with no home today (`failures.one_line`) print one line on stderr and
    give exit status 2. An error raised inside TensorFlow, tf-slim or Keras
    under the program's own line prints one line too
    (`failures.library_error_line`), with exit status 1, unless
    `tracebacks`. The program's own errors propagate with their traceback.

    Returns:
      0 when the program ends normally, else 1 or 2.
    """
    try:
        run_program(path, argv, explain)
    except ConfigError as error:
        print("error: %s" % error, file=sys.stderr)
        return 2
    except Exception as error:  # pylint: disable=broad-except
        environment = environments.enable()
        line = failures.one_line(error, environment)
        status = 2
        if line is None and not tracebacks:
            line, status = failures.library_error_line(error, environment), 1
        if line is None:
            raise
        print(line, file=sys.stderr)
        return status
    return 0


def run_program(path, argv, explain=False):
    """Runs the script or notebook at `path` with arguments `argv`.

    Raises:
      ConfigError: if `path` is not a file.
      Whatever the program raises.
    """
    if not os.path.isfile(path):
        raise ConfigError("%s: no such file (give a Python script or a "
                          ".ipynb notebook)" % path)
    if startup.is_quiet(argv):
        startup.hide_library_noise()
    environment = environments.enable(explain)
    path = os.path.abspath(path)
    sys.argv = [path] + list(argv)
    sys.path[0] = os.path.dirname(path)
    if path.endswith(".ipynb"):
        _run_notebook(path, environment)
    else:
        _run_script(path, environment)


def _run_script(path, environment):
    namespace = _main_namespace(path)
    with tokenize.open(path) as source_file:  # honours a coding line
        source = source_file.read()
    code = environment.compile_source(source, path, namespace)
    exec(code, namespace)  # pylint: disable=exec-used


def _run_notebook(path, environment):
    document = notebook.load(path)
    namespace = _main_namespace(None)
    os.chdir(os.path.dirname(path))
    for number, cell in notebook.code_cells(document):
        source = notebook.python_form(notebook.cell_source(cell))
        if source is None:
            continue
        filename = "%s#cell%d" % (path, number)
        code = environment.compile_source(source, filename, namespace)
        exec(code, namespace)  # pylint: disable=exec-used


def _main_namespace(path):
    """A fresh `__main__` module's namespace, installed as `__main__` (so
    that `tf.app.run()` finds the program's `main`)."""
    module = types.ModuleType("__main__")
    module.__builtins__ = builtins
    module.__spec__ = None
    module.__loader__ = None
    if path is not None:
        module.__file__ = path
    sys.modules["__main__"] = module
    return module.__dict__
