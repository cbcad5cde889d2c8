"""Shared pytest set-up.

SLIMTRAIN_HIDE_TF_KERAS=1 makes `import tf_keras` fail for the whole run, so
the compatibility layer can be tested as on a machine without tf_keras even
where the test environment has it installed (tests/test_compat.py re-runs
itself that way).
"""

import os
import sys

if os.environ.get("SLIMTRAIN_HIDE_TF_KERAS") == "1":
    sys.modules["tf_keras"] = None  # an import of tf_keras now raises ImportError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Files whose tests take minutes (the nets.eager parity launchers, each a
# subprocess over many networks). With `--dist loadfile` the workers take
# files in collection order: these go first, so each starts at once on a
# worker of its own instead of the suite waiting for them at its end.
LONG_RUNNING_FILES = ("test_nets_eager_parity.py",
                      "test_nets_eager_parity_slow.py")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: os.path.basename(str(item.fspath))
               not in LONG_RUNNING_FILES)
