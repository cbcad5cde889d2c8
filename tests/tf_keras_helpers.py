"""Re-running a test file where `import tf_keras` (or `import tensorboard`)
fails.

SLIMTRAIN_HIDE_TF_KERAS=1 makes tests/conftest.py hide tf_keras for the
whole pytest run, so a file can check that what it tests works on a machine
without tf_keras; SLIMTRAIN_HIDE_TENSORBOARD=1 does the same for
TensorBoard, an optional extra.
"""

import os
import subprocess
import sys

HIDDEN = os.environ.get("SLIMTRAIN_HIDE_TF_KERAS") == "1"


def run_file_without_tf_keras(path, hide_tensorboard=False, select=None):
    """Runs pytest on `path` with tf_keras hidden (and TensorBoard, if
    asked), only the tests whose names match `select` if given (pytest's
    -k); returns (status, output tail)."""
    env = dict(os.environ, SLIMTRAIN_HIDE_TF_KERAS="1")
    if hide_tensorboard:
        env["SLIMTRAIN_HIDE_TENSORBOARD"] = "1"
    selection = ["-k", select] if select else []
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # `-o addopts=` drops the ini's worker options: one file, one process.
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-o", "addopts=", *selection, os.path.abspath(path)],
        cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=600)
    return proc.returncode, proc.stdout[-6000:]
