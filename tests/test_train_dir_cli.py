"""train.py and eval.py as programs: one run per train dir, one line per
fault, quiet output and --help.

Each fault must end with exit status 2, exactly one stderr line starting
"error: " (no traceback) naming the problem, and nothing written. Every
process pays for TensorFlow's import, so independent cases run
concurrently.
"""

import os
import signal
import subprocess
import sys
from concurrent import futures

import pytest

from slimtrain.rundir.run_lock import RunLock
from tests.conftest import REPO

QUICK = ("--max_number_of_steps=20", "--batch_size=16", "--num_readers=1",
         "--num_preprocessing_threads=2")


def run_script(script, *flags):
    """Runs a script as a user would: without the test suite's
    TF_CPP_MIN_LOG_LEVEL (the scripts choose it from -v)."""
    env = {key: value for key, value in os.environ.items()
           if key != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, os.path.join(REPO, script), *flags],
        capture_output=True, text=True, timeout=300, cwd=REPO, env=env)


def run_all(*commands):
    """Runs (script, flags...) commands concurrently; returns the results."""
    with futures.ThreadPoolExecutor(len(commands)) as pool:
        return list(pool.map(lambda command: run_script(*command), commands))


def one_error_line(result):
    """The single "error: " line of a run that failed as it should."""
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines()
              if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr[-3000:]
    return errors[0]


@pytest.mark.slow
def test_a_second_run_on_a_train_dir_exits_at_once_naming_the_holder(
        tmp_path):
    train_dir = str(tmp_path / "run")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from slimtrain.rundir.run_lock import RunLock\n"
         "lock = RunLock(sys.argv[1]).acquire()\n"
         "print('locked', flush=True)\n"
         "time.sleep(300)\n", train_dir],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = sorted(os.listdir(train_dir))
        line = one_error_line(run_script("train.py", "--train_dir=%s" %
                                         train_dir, *QUICK))
        assert "in use by another training run" in line
        assert "pid %d on " % holder.pid in line and " since " in line
        assert sorted(os.listdir(train_dir)) == before == ["train.lock"]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # The OS released the lock of the killed process: no stale lock.
    RunLock(train_dir).acquire().release()


@pytest.mark.slow
def test_faults_are_one_line_and_write_nothing(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a directory\n")
    bad_data = tmp_path / "bad_data"
    bad_data.mkdir()
    (bad_data / "mnist_train.tfrecord").write_bytes(os.urandom(5000))
    fresh = tmp_path / "fresh"
    cases = [
        (("--train_dir=%s" % fresh, "--train_image_size=3"),
         "--train_image_size=3 is too small for lenet"),
        (("--train_dir=%s" % a_file,), "cannot be used as a directory"),
        (("--train_dir=%s" % (a_file / "run"),), "cannot be used as a directory"),
        (("--train_dir=%s" % fresh, "--use_grayscale", "yes"),
         "unexpected arguments yes"),
        (("--train_dir=%s" % fresh, "--dataset_name=mnist",
          "--dataset_dir=%s" % bad_data),
         "%s: record 0 cannot be read" % (bad_data / "mnist_train.tfrecord")),
        # absl's own parse errors, and what absl parses but cannot work.
        (("--train_dir=%s" % fresh, "--batch_size=abc"),
         "flag --batch_size=abc: invalid literal for int()"),
        (("--train_dir=%s" % fresh, "--lerning_rate=0.1"),
         "Unknown command line flag 'lerning_rate'. Did you mean: "
         "learning_rate"),
        (("--train_dir=%s" % fresh, "--learning_rate=inf"),
         "--learning_rate=inf is not a finite number"),
    ]
    results = run_all(*[("train.py", *flags, *QUICK) for flags, _ in cases],
                      ("eval.py", "--checkpoint_dir=%s" % fresh,
                       "--batch_size=x"))
    for (flags, expected), result in zip(cases, results):
        assert expected in one_error_line(result), flags
    assert "--batch_size=x" in one_error_line(results[-1])
    assert not fresh.exists()
    assert a_file.read_text() == "not a directory\n"
    assert os.listdir(bad_data) == ["mnist_train.tfrecord"]


@pytest.mark.slow
def test_default_output_is_quiet_and_verbosity_brings_tensorflow_back(
        tmp_path):
    quiet, verbose = run_all(
        ("train.py", "--train_dir=%s" % (tmp_path / "quiet"), *QUICK),
        ("train.py", "--train_dir=%s" % (tmp_path / "verbose"), "-v", "1",
         *QUICK))
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    for noise in ("InitializeLog", "I0000", "cuInit", "deprecated",
                  "Instructions for updating", "UserWarning", "Traceback"):
        assert noise not in quiet.stderr, quiet.stderr
    starts = [line for line in quiet.stderr.splitlines()
              if "] Training lenet (28x28 input) on digits/train" in line]
    assert len(starts) == 1, quiet.stderr
    assert "step 20/20: loss = " in quiet.stderr
    assert verbose.returncode == 0, verbose.stderr[-3000:]
    assert "deprecated" in verbose.stderr


@pytest.mark.slow
def test_help_lists_the_scripts_own_flags_grouped_and_exits_0():
    train_help, eval_help, helpfull = run_all(
        ("train.py", "--help"), ("eval.py", "--help"),
        ("train.py", "--helpfull"))
    assert train_help.returncode == 0 and eval_help.returncode == 0
    for heading in ("Model:", "Data:", "Optimization:", "Learning rate:",
                    "Checkpoints and summaries:", "Distribution and devices:"):
        assert heading in train_help.stdout
    for flag in ("--model_name", "--batch_size", "--optimizer",
                 "--learning_rate ", "--save_interval_steps", "--master"):
        assert flag in train_help.stdout
    assert "only_check_args" not in train_help.stdout  # absl's own
    assert "--checkpoint_dir" in eval_help.stdout
    assert "Optimization:" not in eval_help.stdout
    assert not train_help.stderr.strip() and not eval_help.stderr.strip()
    assert "only_check_args" in helpfull.stdout  # --helpfull keeps the rest


def can_mount_tmpfs(path):
    os.makedirs(path, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs",
                             str(path)], capture_output=True)
    return result.returncode == 0


@pytest.mark.slow
def test_a_full_disk_is_one_line_that_says_the_run_can_resume(tmp_path):
    disk = tmp_path / "disk"
    if not can_mount_tmpfs(disk):
        pytest.skip("mounting a small tmpfs is not allowed here")
    try:
        with open(disk / "filler", "wb") as handle:
            try:
                while True:
                    handle.write(b"\0" * 65536)
                    handle.flush()
            except OSError:
                pass
        train_dir = disk / "run"
        line = one_error_line(run_script("train.py",
                                         "--train_dir=%s" % train_dir, *QUICK))
        assert "no space left on the device of %s" % train_dir in line
        assert "run the same command again" in line
    finally:
        subprocess.run(["umount", str(disk)], check=True)
