"""slimtrain as users install it: a wheel, in a fresh virtualenv, run from
an unrelated folder.

`python -m build` makes the sdist and, from it, the wheel (offline: the
test environment's setuptools, no isolation). The wheel is installed with
`pip --no-deps --no-index` into a new virtualenv outside the checkout,
whose site-packages also sees the test environment's (TensorFlow, tf-slim,
absl, NumPy: the dependencies, already installed) through a .pth file;
paths listed there are added as they are, their own .pth files are not
run, so the editable install of the checkout stays out. That .pth file
also hides tf_keras from every process of the virtualenv. With
PYTHONPATH unset, the installed `slimtrain` then runs the README's
commands (train for a few steps, eval, export, sample images, predict) and
a 1-ps + 2-worker `slimtrain launch`, and nothing of the checkout is on
sys.path.
"""

import json
import os
import shutil
import site
import subprocess
import sys
import tarfile
import venv
import zipfile

import pytest

from tests.conftest import REPO

# What a build must not copy from a working checkout.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist",
    "train_logs", "bench_results", ".pytest_cache")
# The README's commands for an installed slimtrain, run as written (train
# with a few steps only), in this order, from an unrelated folder.
README_COMMANDS = (
    "slimtrain train",
    "slimtrain eval",
    "slimtrain export --checkpoint_dir=train_logs --output_dir=export",
    "slimtrain convert --write_samples=samples",
    "slimtrain predict samples/seven.png samples/two.png --model=export",
)
FEW_STEPS = " --max_number_of_steps=30 --save_summaries_steps=0"
LAUNCH = ("slimtrain launch --num_workers=2 --num_ps=1 -- "
          "--train_dir=cluster --max_number_of_steps=6 --batch_size=8 "
          "--num_readers=1 --num_preprocessing_threads=1 "
          "--save_summaries_steps=0 --optimizer=sgd")
SHOW_PATHS = (
    "import json, os, sys, slimtrain, nets\n"
    "try:\n"
    "    import tf_keras\n"
    "    hidden = False\n"
    "except ImportError:\n"
    "    hidden = True\n"
    "print(json.dumps({'path': [os.path.abspath(path) for path in sys.path],\n"
    "                  'slimtrain': slimtrain.__file__,\n"
    "                  'nets': nets.__file__, 'tf_keras_hidden': hidden}))\n")


def build(tmp_path):
    """Builds the sdist and the wheel of a copy of the checkout; returns
    (sdist path, wheel path)."""
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCES)
    dist = tmp_path / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation",
         "--skip-dependency-check", "--outdir", str(dist), str(source)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    sdist, = dist.glob("slimtrain-*.tar.gz")
    wheel, = dist.glob("slimtrain-*.whl")
    return sdist, wheel


def dependency_folders():
    """The site-packages of the environment running the tests, which the
    wheel's virtualenv reuses for its dependencies (offline). They hold no
    code of the checkout (an editable install's .pth is not read from a
    folder a .pth adds), though CI's virtualenv lies inside the checkout."""
    return [path for path in site.getsitepackages() if os.path.isdir(path)]


def install(wheel, tmp_path):
    """A new virtualenv with `wheel` installed; returns its bin folder."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    own_site = subprocess.run(
        [str(python), "-c", "import sysconfig; "
         "print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip()
    dependencies = dependency_folders()
    with open(os.path.join(own_site, "test_dependencies.pth"), "w") as pth:
        pth.write("\n".join(dependencies) + "\n")
        pth.write("import sys; sys.modules['tf_keras'] = None\n")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install",
         "--no-deps", "--no-index", "--quiet", str(wheel)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return env_dir / "bin"


def run(command, bin_dir, cwd, timeout=300):
    """Runs a shell command line with the virtualenv's bin first on PATH."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("PYTHONPATH", "SLIMTRAIN_HIDE_TF_KERAS")}
    env["PATH"] = "%s:%s" % (bin_dir, env.get("PATH", ""))
    result = subprocess.run(command, shell=True, cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (command, result.stdout[-3000:],
                                    result.stderr[-3000:])
    return result


def outside(path):
    """Whether `path` lies outside the checkout."""
    repo = os.path.realpath(REPO)
    path = os.path.realpath(path)
    return path != repo and not path.startswith(repo + os.sep)


@pytest.mark.slow
def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    sdist, wheel = build(tmp_path)
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames()
                    if "/" in name}
    with open(os.path.join(REPO, "README.md")) as handle:
        readme = handle.read()
    linked = {"WORKSPACE.md", "BENCHMARKS.md", "docs/COMPAT.md",
              "docs/DISTRIBUTED.md", "docs/NETWORKS.md", "docs/SCENARIOS.md"}
    assert all("](%s)" % name in readme for name in linked)
    assert linked | {
        "README.md", "NOTICE.md", "train.py",
        "slimtrain/data/datasets/digits_data/SOURCE.txt",
        "slimtrain/data/datasets/digits_data/train-images-idx3-ubyte.gz",
        "slimtrain/data/datasets/digits_data/t10k-labels-idx1-ubyte.gz",
    } <= in_sdist
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
        entry_points, = [archive.read(name).decode() for name in in_wheel
                         if name.endswith(".dist-info/entry_points.txt")]
    assert "slimtrain = slimtrain.commands.dispatch:main" in entry_points
    assert {"slimtrain/data/datasets/digits_data/labels.txt",
            "nets/nets_factory.py", "slimtrain/__main__.py"} <= in_wheel

    bin_dir = install(wheel, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shown = json.loads(run("python -c \"%s\"" % SHOW_PATHS, bin_dir,
                           elsewhere).stdout)
    dependencies = {os.path.realpath(path) for path in dependency_folders()}
    assert all(outside(path) or os.path.realpath(path) in dependencies
               for path in shown["path"]), shown["path"]
    assert shown["slimtrain"].startswith(str(tmp_path / "venv"))
    assert shown["nets"].startswith(str(tmp_path / "venv"))
    assert shown["tf_keras_hidden"]
    assert "launch" in run("slimtrain --help", bin_dir, elsewhere).stdout

    for command in README_COMMANDS:
        assert "    %s\n" % command in readme, command
        extra = FEW_STEPS if command == "slimtrain train" else ""
        result = run(command + extra, bin_dir, elsewhere)
        if command == "slimtrain train":  # the next command it names
            assert result.stderr.splitlines()[-1].endswith(
                "evaluate it: slimtrain eval --checkpoint_dir=train_logs")
    predicted = result.stdout.splitlines()
    assert predicted[0] == "samples/seven.png" and len(predicted) == 12
    assert (elsewhere / "train_logs" / "model.ckpt-30.index").exists()
    assert (elsewhere / "train_logs" / "eval" / "results.jsonl").exists()
    assert (elsewhere / "export" / "model.tflite").exists()

    output = run(LAUNCH, bin_dir, elsewhere).stdout
    for task in ("ps:0", "worker:0", "worker:1"):
        assert "[launch] %s exited with status 0." % task in output, output
    assert (elsewhere / "cluster" / "TRAINING_FINISHED").exists()
