"""Helpers shared by tests/test_nets_eager*.py.

nets.eager must work without tf_keras, so its tests run where tf_keras
cannot be imported. Where the environment has it (the test extra installs it
for the compatibility tests), each of those test files skips its tests in the
pytest process and re-runs itself in a subprocess with
SLIMTRAIN_HIDE_TF_KERAS=1, which conftest.py turns into a failing
`import tf_keras`.
"""

import importlib
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO


def tf_keras_importable():
    try:
        importlib.import_module('tf_keras')
    except ImportError:
        return False
    return True


TF_KERAS_IMPORTABLE = tf_keras_importable()

# Marks the tests that prove the feature: they run only without tf_keras.
without_tf_keras = pytest.mark.skipif(
    TF_KERAS_IMPORTABLE,
    reason='tf_keras is importable here: the test runs in a subprocess that '
           'hides it (test_*_without_tf_keras)')

# Marks the launcher: it runs only where tf_keras is importable (which
# also keeps the subprocess from launching itself again).
launcher = pytest.mark.skipif(
    not TF_KERAS_IMPORTABLE,
    reason='tf_keras is hidden or not installed: the tests ran in this '
           'process')


def run_without_tf_keras(test_file, marker_expression, test_ids=()):
    """Runs the tests of `test_file` matching `marker_expression` (a `-m`
    expression), or only those named by `test_ids` (pytest ids such as
    'test_module_equals_graph[lenet]'), in a subprocess where
    `import tf_keras` fails; asserts that they pass."""
    env = dict(os.environ, SLIMTRAIN_HIDE_TF_KERAS='1')
    path = os.path.abspath(test_file)
    targets = ['%s::%s' % (path, test_id) for test_id in test_ids] or [path]
    # `-o addopts=` drops the ini's worker options: one file, one process.
    proc = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
         '-o', 'addopts=', '-m', marker_expression] + targets,
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=1200)
    tail = proc.stdout[-6000:]
    assert proc.returncode == 0, tail
    assert ' passed' in tail and 'failed' not in tail, tail
