"""train.py and eval.py as programs: one run per train dir, one line per
fault, quiet output and --help.

Each fault must end with exit status 2, exactly one stderr line starting
"error: " (no traceback) naming the problem, and nothing written. Every
process pays for TensorFlow's import, so independent cases run
concurrently.
"""

import os
import re
import signal
import subprocess
import sys
from concurrent import futures

import pytest

from slimtrain.rundir.run_lock import RunLock
from tests.conftest import REPO
from tests.export_helpers import one_error_line
from tests.training_helpers import all_checkpoints, checkpoint_steps

QUICK = ("--max_number_of_steps=20", "--batch_size=16", "--num_readers=1",
         "--num_preprocessing_threads=2")


def run_script(script, *flags, cwd=REPO):
    """Runs REPO/`script` from `cwd` as a user would: without the test
    suite's TF_CPP_MIN_LOG_LEVEL (the scripts choose it from -v)."""
    env = {key: value for key, value in os.environ.items()
           if key != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, os.path.join(REPO, script), *flags],
        capture_output=True, text=True, timeout=300, cwd=cwd, env=env)


def run_all(*commands):
    """Runs (script, flags...) commands concurrently; returns the results."""
    with futures.ThreadPoolExecutor(len(commands)) as pool:
        return list(pool.map(lambda command: run_script(*command), commands))


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


# absl's prefix: severity, date, time, thread, file:line.
ABSL_PREFIX = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ \S+:\d+\] ")
# What TensorFlow and slim say that is not about the user's run.
CHATTER = ("InitializeLog", "I0000", "cuInit", "deprecated",
           "Instructions for updating", "UserWarning", "Traceback",
           "Starting Queues", "Starting Session", "global_step/sec",
           "Finished training", "Restoring parameters", "Scale of 0",
           "update_ops", "Fingerprint", "local_init_op")


@pytest.mark.slow
def test_default_output_is_quiet_and_verbosity_brings_tensorflow_back(
        tmp_path):
    """slimtrain's lines only, without absl's prefix: the start line,
    about 20 progress lines (the default cadence: every step of a 20-step
    run) with the loss split into cross-entropy and regularization, and
    the end line naming the step, the train dir and the next command; the
    gan scenario's too. -v 1 brings TensorFlow's lines back."""
    quiet_dir, gan_dir = tmp_path / "quiet", tmp_path / "gan"
    quiet, verbose, gan = run_all(
        ("train.py", "--train_dir=%s" % quiet_dir, *QUICK),
        ("train.py", "--train_dir=%s" % (tmp_path / "verbose"), "-v", "1",
         *QUICK),
        ("train.py", "--train_dir=%s" % gan_dir, "--scenario=gan",
         "--scenario_options=depth=8", *QUICK[1:],
         "--max_number_of_steps=4"))
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    lines = quiet.stderr.splitlines()
    for noise in CHATTER:
        assert noise not in quiet.stderr, quiet.stderr
    assert not [line for line in lines if ABSL_PREFIX.match(line)], lines
    assert lines[0] == (
        "Training lenet (28x28 input) on digits/train (1437 examples), 20 "
        "steps of batch 16 in float32, into %s." % quiet_dir)
    progress = lines[1:-1]
    assert len(progress) == 20, lines
    # The first step's line at once, without an ETA (its rate is that
    # step's own); then the ETA from the rate since step 1.
    parts = (r"^step \d+/20: loss = \d+\.\d{4} \(cross-entropy \d+\.\d{4}, "
             r"regularization 0\.50\d\d\), \d+ examples/sec")
    assert re.match(parts + "$", progress[0]), progress
    assert progress[0].startswith("step 1/20: ")
    assert all(re.match(parts + r", ETA \d:\d\d:\d\d$", line)
               for line in progress[1:]), progress
    assert progress[-1].startswith("step 20/20: ")
    assert lines[-1] == (
        "Trained to step 20 in %s; evaluate it: python eval.py "
        "--checkpoint_dir=%s" % (quiet_dir, quiet_dir))
    assert verbose.returncode == 0, verbose.stderr[-3000:]
    assert "deprecated" in verbose.stderr
    assert any(ABSL_PREFIX.match(line) and "Starting Queues" in line
               for line in verbose.stderr.splitlines())
    assert gan.returncode == 0, gan.stderr[-3000:]
    for noise in CHATTER:
        assert noise not in gan.stderr, gan.stderr
    assert gan.stderr.splitlines()[-1] == (
        "Trained to step 4 in %s; view it: tensorboard --logdir %s"
        % (gan_dir, gan_dir))


def test_the_last_line_names_eval_py_as_seen_from_where_train_py_ran(
        tmp_path):
    """Run from another folder, train.py's last line gives the path of the
    eval.py beside it, so the command works where the user is."""
    result = run_script("train.py", "--train_dir=run",
                        "--max_number_of_steps=1", "--batch_size=4",
                        "--num_readers=1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    eval_py = os.path.relpath(os.path.join(REPO, "eval.py"), tmp_path)
    assert result.stderr.splitlines()[-1] == (
        "Trained to step 1 in run; evaluate it: python %s "
        "--checkpoint_dir=run" % eval_py)


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


def mount_tmpfs(path, size):
    """Mounts a tmpfs of `size` at `path` (as root; False where not
    allowed)."""
    os.makedirs(path, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size,
                             "tmpfs", str(path)], capture_output=True)
    return result.returncode == 0


def fill(disk):
    """Fills the file system of `disk` with a file `disk/filler`."""
    with open(disk / "filler", "ab") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass


def leftovers(directory):
    """Half-written files: temporary names, staging folders."""
    return [os.path.join(root, name)
            for root, folders, names in os.walk(directory)
            for name in folders + names
            if re.search(r"\.tmp|tempstate|_temp$|\.partial-", name)]


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_the_run_resumes(tmp_path):
    """A real, small file system (a tmpfs) fills up: at start-up; during
    training (LeNet with SGD saves 13 MB checkpoints: the second does not
    fit); under eval.py and export.py. Each ends in one line with exit
    status 2 and leaves nothing half-written; once space is freed, the same
    command resumes from the last complete checkpoint."""
    disk = tmp_path / "disk"
    if not mount_tmpfs(disk, "20m"):
        pytest.skip("mounting a tmpfs needs root (mount -t tmpfs) here")
    train_dir = disk / "run"
    command = ("train.py", "--train_dir=%s" % train_dir, "--optimizer=sgd",
               "--save_interval_steps=5", *QUICK)
    try:
        fill(disk)
        line = one_error_line(run_script(*command))
        assert line.startswith("error: no space left on the device of %s "
                               "(writing %s" % (train_dir, train_dir)), line
        assert "run the same command again" in line
        os.remove(disk / "filler")

        line = one_error_line(run_script(*command))
        assert line.startswith(
            "error: no space left on the device of %s (writing %s/model.ckpt-10."
            "data-00000-of-00001: No space left on device)" % (
                train_dir, train_dir)), line
        assert not leftovers(disk)
        assert [os.path.basename(prefix) for prefix in
                all_checkpoints(train_dir)] == ["model.ckpt-5"]

        subprocess.run(["mount", "-o", "remount,size=80m", str(disk)],
                       check=True)
        resumed = run_script(*command)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        assert "Resuming from %s/model.ckpt-5." % train_dir in resumed.stderr
        assert checkpoint_steps(train_dir)[-1] == 20

        fill(disk)
        evaluated, exported = run_all(
            ("eval.py", "--checkpoint_dir=%s" % train_dir),
            ("export.py", "--checkpoint_dir=%s" % train_dir))
        for result, written in ((evaluated, train_dir / "eval"),
                                (exported, train_dir / "export")):
            line = one_error_line(result)
            assert line.startswith("error: no space left on the device of %s "
                                   "(writing %s" % (written, written)), line
            assert not written.exists()
        assert not leftovers(disk)
    finally:
        subprocess.run(["umount", str(disk)], check=True)
