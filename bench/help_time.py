"""How long `--help` takes: the programs print their flags without TensorFlow.

    python bench/help_time.py [--repeats 5] [--baseline_checkout DIR]
        [--json F] [--markdown F]

Runs, in a rotating order (`benchlib.run_rounds`), each in a fresh
process: `python train.py --help`, `python -m slimtrain train --help` and
`python -m slimtrain --help` of this checkout, and with --baseline_checkout
(another checkout, e.g. an older commit unpacked with `git archive`) that
checkout's `python train.py --help`. Prints the median and range of the
wall-clock seconds from launch to exit for each.
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def commands(baseline):
    """{name: argv} of the programs timed."""
    found = {
        "train.py --help": [benchlib.PYTHON, benchlib.TRAIN_PY, "--help"],
        "python -m slimtrain train --help": [
            benchlib.PYTHON, "-m", "slimtrain", "train", "--help"],
        "python -m slimtrain --help": [benchlib.PYTHON, "-m", "slimtrain",
                                       "--help"],
    }
    if baseline:
        found["baseline train.py --help"] = [
            benchlib.PYTHON, os.path.join(baseline, "train.py"), "--help"]
    return found


def time_command(argv):
    """Seconds from launch to exit of `argv`, which must succeed."""
    started = time.time()
    result = subprocess.run(argv, capture_output=True, text=True,
                            cwd=benchlib.REPO_ROOT)
    seconds = time.time() - started
    if result.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(argv),
                                              result.stderr[-2000:]))
    return seconds


def table(results):
    rows = [[name, "%.2f" % result["median_secs"],
             benchlib.spread(result["all_secs"])]
            for name, result in results.items()]
    return benchlib.markdown_table(
        ["from launch to exit", "seconds (median)", "range"], rows)


def main():
    parser = benchlib.argument_parser(__doc__.splitlines()[0], 5)
    parser.add_argument("--baseline_checkout", default=None,
                        help="another checkout whose train.py --help is "
                        "timed too")
    args = parser.parse_args()
    machine = benchlib.run_header(args)
    timed = commands(args.baseline_checkout)
    rounds = benchlib.run_rounds(
        "--help", args.repeats, timed,
        lambda name: (time_command(timed[name]), {}))
    results = {name: {"median_secs": benchlib.median([r[name] for r in rounds]),
                      "all_secs": [r[name] for r in rounds]}
               for name in timed}
    benchlib.finish(args, "help_time", {"machine": machine,
                                        "results": results}, table(results))


if __name__ == "__main__":
    main()
