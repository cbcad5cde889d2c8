"""The import hook that rewrites the program's own modules in memory.

`ProgramFinder` sits in `sys.meta_path` before Python's own path finder.
It finds modules exactly as that finder does, and where the file found is
the program's own (`program_files.is_program_file`), loads it with
`ProgramLoader`, which compiles the source rewritten by the environment
instead of the file's bytecode. Nothing is written next to the program:
no rewritten file, no `__pycache__` entry.
"""

import importlib.abc
import importlib.machinery

from slimtrain.legacy import program_files


class ProgramFinder(importlib.abc.MetaPathFinder):
    """Finds the program's own modules and gives them `ProgramLoader`."""

    def __init__(self, environment):
        self._environment = environment

    def find_spec(self, fullname, path=None, target=None):
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or not isinstance(
                spec.loader, importlib.machinery.SourceFileLoader):
            return None
        if not program_files.is_program_file(spec.origin):
            return None
        spec.loader = ProgramLoader(fullname, spec.origin, self._environment)
        return spec


class ProgramLoader(importlib.machinery.SourceFileLoader):
    """Runs a module's source as the environment rewrites it."""

    def __init__(self, fullname, path, environment):
        super().__init__(fullname, path)
        self._environment = environment

    def exec_module(self, module):
        source = self.get_source(module.__name__)
        code = self._environment.compile_source(source, self.path,
                                                module.__dict__)
        exec(code, module.__dict__)  # pylint: disable=exec-used
