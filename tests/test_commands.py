"""The `slimtrain` command: its subcommands, its --help, its errors.

Real processes of `python -m slimtrain ...` (what the installed `slimtrain`
script runs: pyproject.toml's [project.scripts] names the same function);
tests/test_wheel.py runs the installed script itself.
"""

import importlib.util
import os
import subprocess
import sys

import pytest

from slimtrain.commands import dispatch
from tests.conftest import REPO

# Runs the command line given after it with `python -m slimtrain`, then
# says whether TensorFlow was imported: the dispatcher and every
# subcommand's --help should not need it.
_RUN_AND_REPORT_TENSORFLOW = (
    "import runpy, sys\n"
    "try:\n"
    "    runpy.run_module('slimtrain', run_name='__main__', alter_sys=True)\n"
    "finally:\n"
    "    print('tensorflow imported: %s' % ('tensorflow' in sys.modules))\n")


def slimtrain(*arguments, cwd=REPO, timeout=120):
    """`python -m slimtrain ARGUMENTS` in a process of its own."""
    return subprocess.run(
        [sys.executable, "-c", _RUN_AND_REPORT_TENSORFLOW, *arguments],
        cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env=dict(os.environ, PYTHONPATH=REPO))


def test_help_lists_every_command_on_one_screen():
    result = slimtrain("--help")
    assert result.returncode == 0, result.stderr
    text = result.stdout.replace("tensorflow imported: False\n", "")
    lines = text.splitlines()
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80
    listed = [line.split()[0] for line in lines if line.startswith("  ")]
    assert listed == list(dispatch.COMMANDS) == [
        "train", "eval", "export", "predict", "convert", "launch", "legacy",
        "upgrade"]
    assert "tensorflow imported: False" in result.stdout


@pytest.mark.parametrize("command,heading", [
    ("train", "Optimization:"), ("eval", "Evaluation:"),
    ("export", "Export:"), ("predict", "Prediction:"),
    ("convert", "--write_samples"), ("launch", "--num_workers"),
    ("legacy", "--explain"), ("upgrade", "SRC DST")])
def test_each_command_prints_its_flags_without_tensorflow(command, heading):
    result = slimtrain(command, "--help")
    assert result.returncode == 0, result.stderr[-2000:]
    assert heading in result.stdout
    assert "tensorflow imported: False" in result.stdout


def test_every_command_is_a_module_that_runs_as_a_program():
    for name, command in dispatch.COMMANDS.items():
        spec = importlib.util.find_spec(command.module)
        assert spec is not None, name
        if spec.submodule_search_locations:  # a package: python -m runs this
            spec = importlib.util.find_spec(command.module + ".__main__")
        with open(spec.origin) as handle:
            assert 'if __name__ == "__main__":' in handle.read(), name


def test_a_missing_or_unknown_command_is_one_line_with_status_2():
    result = slimtrain("trian", "--max_number_of_steps=3")
    assert result.returncode == 2
    assert result.stderr == (
        "error: 'trian' is not a slimtrain command (did you mean train?): use "
        "one of train, eval, export, predict, convert, launch, legacy, "
        "upgrade (slimtrain --help).\n")
    result = slimtrain()
    assert result.returncode == 2
    assert result.stderr.startswith("error: name a command: ")
    assert result.stderr.count("\n") == 1


def test_a_command_gets_the_arguments_after_its_name(tmp_path):
    """eval's own one-line error, exit status 2, from `slimtrain eval`."""
    result = slimtrain("eval", "--checkpoint_dir=%s" % (tmp_path / "none"),
                       cwd=str(tmp_path))
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.splitlines()[-1].startswith(
        "error: --checkpoint_dir=%s: there is no directory" % (
            tmp_path / "none"))


def test_the_installed_script_and_the_modules_are_the_dispatcher():
    with open(os.path.join(REPO, "pyproject.toml")) as handle:
        scripts = handle.read().split("[project.scripts]\n", 1)[1]
    assert scripts.split("\n[", 1)[0].strip() == (
        'slimtrain = "slimtrain.commands.dispatch:main"')
    result = subprocess.run(
        [sys.executable, "-m", "slimtrain.commands.train", "--help"],
        capture_output=True, text=True, timeout=60, cwd=REPO,
        env=dict(os.environ, PYTHONPATH=REPO))
    assert result.returncode == 0 and "Optimization:" in result.stdout
