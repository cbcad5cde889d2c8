"""TF 1.x-style programs run unchanged: `python -m slimtrain.legacy` and
`python -m slimtrain.upgrade`'s output.

The programs of tests/legacy_programs (a training script with its own
`nets/` package, and a notebook) are copied to a temporary folder, with a
Python 2 module and small scripts that use what cannot be mapped. Each
program runs in a real subprocess where `import tf_keras` fails and the
checkout under test comes first on PYTHONPATH: through the runner, and,
after `python -m slimtrain.upgrade`, as plain Python. They train for real,
write checkpoints and evaluate them; the tests check the checkpoints, that
the evaluations agree, the `--explain` lines, the upgrade report, and that
what cannot run ends in one line naming file, line and API.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from slimtrain.compute.quantize import holds_ranges
from tests.conftest import REPO

PROGRAMS = os.path.join(REPO, "tests", "legacy_programs")
STEPS = 12

# Small programs that stop on what has no home today, with the line each
# must end with (file and line, API, and the start of the advice).
FAILING = {
    "uses_learn.py": (
        "import tensorflow as tf\nprint('before')\n"
        "experiment = tf.contrib.learn.Experiment\n",
        "uses_learn.py:3: tf.contrib.learn is not available: removed with "
        "TensorFlow 2; train with tf_slim.learning.train"),
    "uses_estimator.py": (
        "import tensorflow as tf\n\n\ndef build():\n"
        "    return tf.estimator.Estimator\n\n\nbuild()\n",
        "uses_estimator.py:5: tf.estimator is not available: removed in "
        "TensorFlow 2.16"),
    "imports_seq2seq.py": (
        "import os\nimport tensorflow.contrib.seq2seq as seq2seq\n",
        "imports_seq2seq.py:2: tf.contrib.seq2seq is not available: removed "
        "with TensorFlow 2"),
    "imports_python2.py": (
        "import legacy_py2\n",
        "legacy_py2.py:2: cannot be read as Python 3 (Missing parentheses "
        "in call to 'print'"),
    # Not an API with no home: an error inside TensorFlow, exit status 1.
    "reshapes.py": (
        "import tensorflow as tf\nx = tf.zeros([2, 3])\n"
        "y = tf.reshape(x, [4])\n",
        "reshapes.py:3: ValueError in tensorflow: Cannot reshape a tensor "
        "with 6 elements to shape [4]"),
}
PYTHON2 = "import os\nprint 'written for Python 2'\n"


def _run(args, cwd, timeout=300):
    """Runs Python with `args` in `cwd`, tf_keras hidden, this checkout
    first on the path; returns the CompletedProcess."""
    blocker = os.path.join(cwd, "..", "tf_keras_blocker")
    os.makedirs(blocker, exist_ok=True)
    with open(os.path.join(blocker, "tf_keras.py"), "w") as module:
        module.write("raise ImportError('tf_keras is hidden for this test')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.abspath(blocker), REPO]), TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable] + list(args), cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _assert_ran(process):
    assert process.returncode == 0, (process.stdout[-2000:] +
                                     process.stderr[-4000:])
    assert "Traceback" not in process.stderr, process.stderr[-4000:]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of tests/legacy_programs with the failing scripts added."""
    root = tmp_path_factory.mktemp("legacy") / "project"
    shutil.copytree(PROGRAMS, str(root))
    (root / "legacy_py2.py").write_text(PYTHON2)
    for name, (source, _) in FAILING.items():
        (root / name).write_text(source)
    return root


@pytest.fixture(scope="module")
def upgraded(project):
    """`python -m slimtrain.upgrade` of the project: (folder, report)."""
    destination = project.parent / "upgraded"
    process = _run(["-m", "slimtrain.upgrade", str(project),
                    str(destination)], cwd=str(project.parent))
    _assert_ran(process)
    return destination, process.stdout


def _check_training(output, train_dir):
    """The training script's own report: its nets, a checkpoint at the last
    step, and two evaluations of it that agree."""
    assert re.search(r"nets from .*%s" % re.escape(os.sep + "nets"), output)
    assert os.path.exists(os.path.join(train_dir,
                                       "model.ckpt-%d.index" % STEPS))
    evaluated = float(re.search(r"eval accuracy ([\d.]+)", output).group(1))
    by_hand = re.search(r"session accuracy ([\d.]+) at step (\d+)", output)
    assert (float(by_hand.group(1)), int(by_hand.group(2))) == (
        evaluated, STEPS)
    assert float(re.search(r"numpy accuracy ([\d.]+)", output).group(1)) == (
        evaluated)
    assert float(re.search(r"final loss ([\d.]+)", output).group(1)) > 0


def _check_notebook(output):
    """The notebook's report: it trained, and evaluated its checkpoint."""
    first = float(re.search(r"first loss ([\d.]+)", output).group(1))
    trained = float(re.search(r"trained loss ([\d.]+)", output).group(1))
    mse = float(re.search(r"mse ([\d.]+)", output).group(1))
    assert trained < first / 10
    assert mse == pytest.approx(trained, rel=1e-3, abs=2e-6)


def test_runner_trains_checkpoints_and_evaluates(project):
    """research/slim's way: tf.contrib.quantize's training graph after the
    loss (slimtrain's quantization-aware training), then slim.learning."""
    train_dir = str(project / "runner_train")
    process = _run(["-m", "slimtrain.legacy", "--explain", "train.py",
                    "--train_dir=" + train_dir, "--steps=%d" % STEPS,
                    "--hparams=width=6", "--quantize_delay=2"],
                   cwd=str(project))
    _assert_ran(process)
    _check_training(process.stdout, train_dir)
    # The program's own tf.logging lines are shown; TensorFlow's are not.
    assert "done with width 6" in process.stderr
    assert "Restoring parameters" not in process.stderr
    assert holds_ranges(os.path.join(train_dir, "model.ckpt-%d" % STEPS))
    explained = process.stderr
    for line in ("train.py:9: import tensorflow.contrib.slim as slim -> "
                 "import tf_slim as slim",
                 "train.py:28: np.int -> int",
                 "nets/tiny_net.py:6: tf.contrib.slim -> tf_slim",
                 "nets/tiny_net.py:20: tf.layers -> slimtrain.legacy.layers"):
        assert line in explained
    # Nothing was written next to the program's files.
    assert not os.path.exists(str(project / "nets" / "__pycache__"))


def test_runner_runs_a_notebook(project):
    process = _run(["-m", "slimtrain.legacy", "walkthrough.ipynb"],
                   cwd=str(project))
    _assert_ran(process)
    _check_notebook(process.stdout)
    assert os.path.isdir(str(project / "walkthrough_train"))


def test_what_cannot_run_ends_in_one_line(project):
    """Each failing script, through the command line's `main` in one
    process, ends in exactly one line on stderr, with exit status 2 (1 for
    an error inside TensorFlow)."""
    harness = textwrap.dedent("""\
        import contextlib, io, json, sys
        from slimtrain.legacy import __main__ as cli
        results = {}
        for name in sys.argv[1:]:
            errors = io.StringIO()
            with contextlib.redirect_stderr(errors):
                status = cli.main([name])
            results[name] = [status, errors.getvalue()]
        try:
            import tf_keras
            results["tf_keras"] = "importable"
        except ImportError:
            results["tf_keras"] = "hidden"
        sys.__stdout__.write("RESULTS" + json.dumps(results))
        """)
    process = _run(["-c", harness] + sorted(FAILING), cwd=str(project))
    assert process.returncode == 0, process.stderr[-4000:]
    results = json.loads(process.stdout.split("RESULTS", 1)[1])
    assert results.pop("tf_keras") == "hidden"
    for name, (status, errors) in results.items():
        lines = [line for line in errors.splitlines() if line.strip()]
        assert len(lines) == 1, (name, errors)
        assert status == (1 if name == "reshapes.py" else 2), name
        assert lines[0].startswith(FAILING[name][1]), (name, lines[0])


def test_upgrade_reports_each_change_and_copies_python2(project, upgraded):
    folder, report = upgraded
    assert report == (folder / "UPGRADE_REPORT.txt").read_text()
    for line in (
            "train.py:10: from tensorflow.contrib import framework as "
            "contrib_framework -> from slimtrain.legacy.contrib import "
            "framework as contrib_framework",
            "nets/tiny_net.py:16: tf.contrib.layers.l2_regularizer -> "
            "tf_slim.l2_regularizer",
            "walkthrough.ipynb#cell4:3: tf.nn.rnn_cell -> "
            "slimtrain.legacy.rnn_cell",
            "uses_learn.py:3: not mapped: tf.contrib.learn: removed with "
            "TensorFlow 2",
            "legacy_py2.py:2: not Python 3 (Missing parentheses"):
        assert line in report
    assert re.search(r"\d+ files rewritten \(\d+ changes\), 3 names not "
                     r"mapped, 1 files not Python 3 copied unchanged\n$",
                     report)
    assert (folder / "legacy_py2.py").read_bytes() == (
        project / "legacy_py2.py").read_bytes()
    upgraded_net = (folder / "nets" / "tiny_net.py").read_text()
    assert "# TF 1 shapes: dimensions are Dimension objects" in upgraded_net
    assert "tensorflow.contrib" not in upgraded_net
    assert upgraded_net.splitlines()[2:6] == [
        "import slimtrain.legacy.tf1_mode", "import tf_slim",
        "import slimtrain.legacy.layers", "import numpy as np"]


def test_upgraded_programs_run_as_plain_python(upgraded):
    """The upgraded script with `python train.py`, then the upgraded
    notebook's cells executed in order, as Jupyter would, in one process
    without slimtrain.legacy's runner."""
    folder, _ = upgraded
    train_dir = str(folder / "upgraded_train")
    harness = textwrap.dedent("""\
        import json, runpy, sys
        sys.argv = ["train.py", "--train_dir=" + sys.argv[1],
                    "--steps=" + sys.argv[2]]
        try:
            runpy.run_path("train.py", run_name="__main__")
        except SystemExit as stop:
            assert not stop.code, stop.code
        assert "slimtrain.legacy.environment" not in sys.modules
        namespace = {"__name__": "__main__"}
        for cell in json.load(open("walkthrough.ipynb"))["cells"]:
            if cell["cell_type"] == "code":  # IPython lines left out
                exec("".join(line for line in cell["source"]
                             if not line.lstrip().startswith(("%", "!"))),
                     namespace)
        """)
    process = _run(["-c", harness, train_dir, str(STEPS)], cwd=str(folder))
    _assert_ran(process)
    _check_training(process.stdout, train_dir)
    _check_notebook(process.stdout)


def test_ipython_extension_and_one_call_form(project):
    """`%load_ext slimtrain.legacy` in a real IPython shell, then the
    notebook's cells (IPython runs their magics itself; matplotlib is not
    needed here); and `slimtrain.legacy.run_code` for other embeddings."""
    harness = textwrap.dedent("""\
        import json
        from IPython.testing.globalipapp import start_ipython
        shell = start_ipython()
        shell.run_line_magic("load_ext", "slimtrain.legacy")
        for cell in json.load(open("walkthrough.ipynb"))["cells"]:
            if cell["cell_type"] == "code":
                source = "".join(line for line in cell["source"]
                                 if "%matplotlib" not in line)
                assert shell.run_cell(source).success, source
        shell.run_cell("tf.contrib.learn.Experiment")
        import slimtrain.legacy
        namespace = slimtrain.legacy.run_code(
            "import tensorflow as tf\\n"
            "scope = tf.contrib.framework.arg_scope\\n"
            "shape = tf.placeholder(tf.float32, [None, 3]).shape[1].value\\n")
        import tf_slim
        assert namespace["scope"] is tf_slim.arg_scope
        print("run_code shape %d" % namespace["shape"])
        """)
    process = _run(["-c", harness], cwd=str(project))
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr
    _check_notebook(process.stdout)
    assert "run_code shape 3" in process.stdout
    assert "cell line 1: tf.contrib.learn is not available: removed with " \
        "TensorFlow 2" in process.stderr
