"""Which source files are the program's own, and so get rewritten.

The runner rewrites a program's own modules (its script, its folder, the
packages it imports from beside it or from its PYTHONPATH) and never an
installed library: a file is the program's unless it lies in the Python
installation or an environment's site-packages (an editable install's
source folder included), or in slimtrain's own `slimtrain` and `nets`
packages.
"""

import functools
import os
import site
import sys
import sysconfig


def is_program_file(path):
    """Whether the source file at `path` belongs to the program."""
    if not path or not path.endswith(".py"):
        return False
    real = os.path.realpath(path)
    return not any(real == root or real.startswith(root + os.sep)
                   for root in _installed_roots())


@functools.lru_cache(maxsize=1)
def _installed_roots():
    """Folders of installed code, as real paths."""
    roots = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        roots.add(sysconfig.get_paths().get(key))
    site_dirs = list(site.getsitepackages()) + [site.getusersitepackages()]
    roots.update(site_dirs)
    roots.update((sys.prefix, sys.base_prefix, sys.exec_prefix))
    roots.update(_editable_install_folders(site_dirs))
    slimtrain_package = os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))
    roots.add(slimtrain_package)
    roots.add(os.path.join(os.path.dirname(slimtrain_package), "nets"))
    return tuple(sorted(os.path.realpath(root) for root in roots if root))


def _editable_install_folders(site_dirs):
    """Folders that `.pth` files in the site dirs put on sys.path
    (editable installs and the like)."""
    folders = []
    for site_dir in site_dirs:
        if not os.path.isdir(site_dir):
            continue
        for name in os.listdir(site_dir):
            if not name.endswith(".pth"):
                continue
            with open(os.path.join(site_dir, name), encoding="utf-8",
                      errors="replace") as pth:
                for line in pth:
                    line = line.strip()
                    if line and not line.startswith(("#", "import ")) and (
                            os.path.isdir(line)):
                        folders.append(line)
    return folders
