"""A trained LeNet exported to every format, and export.py/predict.py runs.

The scripts run in subprocesses with tf_keras hidden (as on a machine
without it, see tests/conftest.py), each through a small launcher that
makes `import tf_keras` fail before the script starts.
"""

import os
import subprocess
import sys

from slimtrain.training.trainer import train
from tests.conftest import REPO
from tests.training_helpers import small_config

# Runs argv[1] as __main__ with the remaining arguments, tf_keras hidden.
_LAUNCHER = (
    "import runpy, sys; sys.modules['tf_keras'] = None; "
    "sys.path.insert(0, %r); sys.argv = sys.argv[1:]; "
    "runpy.run_path(sys.argv[0], run_name='__main__')" % REPO)

# Settings of the shared run: enough steps for a model that is right on
# most held-out digits, and moving averages, so the export must use them.
TRAIN_SETTINGS = dict(max_number_of_steps=80, batch_size=32,
                      moving_average_decay=0.99)

_exports = {}


def run_script(script, *args, cwd=REPO, timeout=300):
    """Runs REPO/`script` with `args`, tf_keras hidden, as a user would:
    without the test suite's TF_CPP_MIN_LOG_LEVEL (the scripts choose it
    from -v); the CompletedProcess."""
    env = {key: value for key, value in os.environ.items()
           if key != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, "-c", _LAUNCHER, os.path.join(REPO, script), *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def exported_run(tmp_path_factory):
    """{"train_dir", "export_dir", "stdout", "stderr"}: a LeNet-on-digits
    run trained once per test process into ./train_logs and exported by
    `python export.py` with no flags (so into ./train_logs/export, every
    format)."""
    if not _exports:
        base = tmp_path_factory.mktemp("exported_run")
        train_dir = str(base / "train_logs")
        export_dir = os.path.join(train_dir, "export")
        train(small_config(train_dir, **TRAIN_SETTINGS))
        result = run_script("export.py", cwd=str(base))
        assert result.returncode == 0, result.stderr[-3000:]
        _exports.update(train_dir=train_dir, export_dir=export_dir,
                        stdout=result.stdout, stderr=result.stderr)
    return dict(_exports)


def one_error_line(result):
    """The single "error: " line of a run that failed as it should."""
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines()
              if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr[-3000:]
    return errors[0]
