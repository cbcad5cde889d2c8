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
