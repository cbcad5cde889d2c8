"""Shared pytest set-up: the repository's path, shared fixtures, file order.

SLIMTRAIN_HIDE_TF_KERAS=1 makes `import tf_keras` fail for the whole run, so
the compatibility layer can be tested as on a machine without tf_keras even
where the test environment has it installed (tests/test_compat.py re-runs
itself that way). SLIMTRAIN_HIDE_TENSORBOARD=1 does the same for
TensorBoard (tests/test_hparams.py).
"""

import os
import sys

import pytest
from absl import flags

if os.environ.get("SLIMTRAIN_HIDE_TF_KERAS") == "1":
    sys.modules["tf_keras"] = None  # an import of tf_keras now raises ImportError
if os.environ.get("SLIMTRAIN_HIDE_TENSORBOARD") == "1":
    sys.modules["tensorboard"] = None

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# The checkout under test: its scripts are run, and its packages imported.
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def parse_flags():
    """parse_flags(ConfigClass, *argv): the FlagValues of a program whose
    flags are ConfigClass's (`cli.define_flags`), parsed from argv."""
    from slimtrain import cli

    def parse(config_class, *argv):
        values = flags.FlagValues()
        cli.define_flags(config_class, values)
        values(["program", *argv])
        return values

    return parse

# Files whose tests take minutes, longest first (seconds on CI's two busy
# cores, 2026-11-24). The workers take whole files (--dist loadfile) in
# collection order (--no-loadscope-reorder; xdist's own order puts files
# with fewer tests last): these go first, so that the suite does not end
# with one worker running one of them while the other has nothing to do.
LONG_RUNNING_FILES = ("test_nets_eager_parity.py",       # ~400 s
                      "test_zoo_roundtrip.py",            # ~280 s
                      "test_nets_eager_parity_slow.py",   # ~230 s
                      "test_wheel.py",                    # ~170 s
                      "test_quantize_cli.py",             # ~160 s
                      "test_cluster.py",                  # ~130 s
                      "test_quantize_export.py",          # ~110 s
                      "test_training_trust.py")           # ~90 s


def pytest_collection_modifyitems(items):
    def rank(item):
        name = os.path.basename(str(item.fspath))
        if name in LONG_RUNNING_FILES:
            return LONG_RUNNING_FILES.index(name)
        return len(LONG_RUNNING_FILES)

    items.sort(key=rank)  # stable: each file's tests stay in their order
