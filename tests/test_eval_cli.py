"""The real `eval.py` in a subprocess: the plain workflow and bad input.

Each kind of bad input (no checkpoint, a checkpoint of another model, an
unknown name, a missing split, a stray argument) must end with exit status
2, exactly one line of stderr starting "error:" (and no traceback) that names
the problem, and nothing written: neither the eval dir nor anything else in
the train dir. Every process pays for TensorFlow's import, so the cases run
concurrently, and the other bad-input messages are checked in-process in
tests/test_eval.py.
"""

import json
import os
import shutil
import subprocess
import sys
from concurrent import futures

import pytest

from slimtrain.rundir import run_files
from tests.conftest import REPO
from tests.eval_helpers import copy_run, finished_run, read_results
from tests.training_helpers import scalar_events

EVAL_PY = os.path.join(REPO, "eval.py")


def run_eval(args, cwd):
    """Runs eval.py as a user would: without the test suite's
    TF_CPP_MIN_LOG_LEVEL (the scripts choose it from -v)."""
    env = {key: value for key, value in os.environ.items()
           if key != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, EVAL_PY] + args, cwd=cwd,
                          capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder holding a finished run in ./train_logs, as train.py's
    defaults leave it."""
    base = tmp_path_factory.mktemp("workdir")
    copy_run(finished_run(tmp_path_factory), base / "train_logs")
    return str(base)


# (case id, flags given the run's train dir as {run} and a scratch folder as
# {scratch}, text the error line must contain): one case per kind of bad
# input; tests/test_eval.py checks the other messages in-process.
BAD_INPUTS = [
    ("no_checkpoint", ["--checkpoint_dir={scratch}/empty"],
     "holds no checkpoint"),
    ("other_shapes", ["--checkpoint_dir={run}", "--labels_offset=1"],
     "has other shapes for LeNet/fc4/biases (checkpoint [10], model [9]), "
     "LeNet/fc4/weights (checkpoint [1024, 10], model [1024, 9])"),
    ("unknown_model", ["--checkpoint_dir={run}", "--model_name=lenet9"],
     "--model_name=lenet9 is not known"),
    ("missing_split", ["--checkpoint_dir={run}",
                       "--dataset_split_name=validation"],
     "Unknown split 'validation' for dataset 'digits'"),
    ("stray_argument", ["--checkpoint_dir={run}", "now"],
     "unexpected arguments now"),
    ("unknown_metric", ["--checkpoint_dir={run}",
                        "--keep_best_checkpoint_by=Top1"],
     "--keep_best_checkpoint_by=Top1 is not a metric of the evaluation"),
]


@pytest.fixture(scope="module")
def bad_input_runs(workdir, tmp_path_factory):
    """Runs eval.py on every bad input; {case id: (process, what changed)}."""
    run = os.path.join(workdir, "train_logs")
    scratch = tmp_path_factory.mktemp("scratch")
    (scratch / "empty").mkdir()
    before = snapshot(workdir), snapshot(str(scratch))
    with futures.ThreadPoolExecutor(max_workers=3) as pool:
        runs = {case: pool.submit(run_eval, [arg.format(run=run,
                                                        scratch=scratch)
                                             for arg in args], workdir)
                for case, args, _ in BAD_INPUTS}
        processes = {case: run.result() for case, run in runs.items()}
    changed = (snapshot(workdir), snapshot(str(scratch))) != before
    return processes, changed


def snapshot(folder):
    return sorted((root, sorted(files)) for root, _, files in os.walk(folder))


@pytest.mark.parametrize("case, expected", [
    (case, expected) for case, _, expected in BAD_INPUTS])
def test_bad_input_is_one_error_line_and_writes_nothing(
        bad_input_runs, case, expected):
    processes, changed = bad_input_runs
    process = processes[case]
    errors = [line for line in process.stderr.splitlines()
              if line.startswith("error:")]
    assert process.returncode == 2, process.stderr[-2000:]
    assert len(errors) == 1, process.stderr[-2000:]
    assert expected in errors[0]
    assert process.stderr.rstrip().endswith(errors[0])
    assert "Traceback" not in process.stderr
    assert not changed


def test_eval_py_alone_after_train_py_evaluates_the_held_out_digits(
        bad_input_runs, workdir):
    del bad_input_runs  # they must see the train dir before this writes to it
    process = run_eval([], cwd=workdir)
    assert process.returncode == 0, process.stderr[-2000:]
    eval_dir = os.path.join(workdir, "train_logs", "eval")
    [line] = read_results(eval_dir)
    assert line["global_step"] == run_files.finished_step(
        os.path.join(workdir, "train_logs"))
    assert (line["dataset_name"], line["dataset_split_name"]) == ("digits",
                                                                   "test")
    assert line["examples"] == 360
    assert line["metrics"]["Accuracy"] > 0.3  # chance is 0.1
    assert "on digits/test: 360 examples" in process.stdout
    assert "Accuracy" in process.stdout
    assert "eval/Accuracy" in scalar_events(eval_dir)
    # slimtrain's one line, plain; none of TensorFlow's or slim's.
    assert process.stderr.splitlines() == ["Evaluating %s on 4 batches." %
                                           line["checkpoint_path"]]


def test_eval_all_checkpoints_keeping_the_best(workdir, tmp_path):
    """`eval.py --eval_all_checkpoints --keep_best_checkpoint_by=Accuracy`:
    every checkpoint once, in step order, and best/ holds the best one."""
    run = copy_run(os.path.join(workdir, "train_logs"), tmp_path / "run")
    if os.path.exists(os.path.join(run, "eval")):
        shutil.rmtree(os.path.join(run, "eval"))
    process = run_eval(["--checkpoint_dir=%s" % run, "--eval_all_checkpoints",
                        "--keep_best_checkpoint_by=Accuracy"], cwd=workdir)
    assert process.returncode == 0, process.stderr[-2000:]
    lines = read_results(os.path.join(run, "eval"))
    assert [os.path.basename(line["checkpoint_path"]) for line in lines] == [
        "model.ckpt-5", "model.ckpt-10", "model.ckpt-15",
        "model.ckpt-20"]
    best_line = max(lines, key=lambda line: line["metrics"]["Accuracy"])
    with open(os.path.join(run, "best", "best.json")) as handle:
        kept = json.load(handle)
    assert kept["source_checkpoint"] == best_line["checkpoint_path"]
    assert kept["value"] == best_line["metrics"]["Accuracy"]
    assert "New best checkpoint by Accuracy" in process.stdout
