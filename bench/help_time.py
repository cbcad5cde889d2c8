"""How long `--help` takes: the programs print their flags without TensorFlow.

    python bench/help_time.py [--repeats 5] [--baseline_checkout DIR]

Runs, in a rotating order, each --repeats times in a fresh process:
`python train.py --help`, `python -m slimtrain train --help` and
`python -m slimtrain --help` of this checkout, and with --baseline_checkout
(another checkout, e.g. an older commit unpacked with `git archive`) that
checkout's `python train.py --help`. Prints the median and range of the
wall-clock seconds from launch to exit for each.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def commands(baseline):
    """{name: argv} of the programs timed."""
    found = {
        "train.py --help": [sys.executable, os.path.join(REPO, "train.py"),
                            "--help"],
        "python -m slimtrain train --help": [
            sys.executable, "-m", "slimtrain", "train", "--help"],
        "python -m slimtrain --help": [sys.executable, "-m", "slimtrain",
                                       "--help"],
    }
    if baseline:
        found["baseline train.py --help"] = [
            sys.executable, os.path.join(baseline, "train.py"), "--help"]
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--baseline_checkout", default=None)
    args = parser.parse_args()
    timed = commands(args.baseline_checkout)
    seconds = {name: [] for name in timed}
    names = list(timed)
    for round_number in range(args.repeats):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.time()
            result = subprocess.run(timed[name], capture_output=True,
                                    text=True, cwd=REPO)
            seconds[name].append(time.time() - started)
            if result.returncode != 0:
                sys.exit("%s failed: %s" % (name, result.stderr[-2000:]))
    for name in names:
        values = seconds[name]
        print("%-36s median %.2f s (%.2f-%.2f)" % (
            name, statistics.median(values), min(values), max(values)))


if __name__ == "__main__":
    main()
