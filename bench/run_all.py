"""Runs every benchmark and writes one report: the table for BENCHMARKS.md.

    python bench/run_all.py --out_dir=bench_results [--wait_for_load=2.5]

Runs, one after another, sharing one data folder (made once, in
<out_dir>/work): train_throughput.py, eval_throughput.py,
input_throughput.py (given the first two's rates), startup.py and
memory.py, each with its defaults. Writes each one's JSON and Markdown into
out_dir, and report.md: all tables, the machine, and the load during each.
Takes about 40 minutes on 2 cores. --quick runs fewer rounds and shorter
runs (about 15 minutes), for checking that everything works.
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

BENCHES = (
    ("train_throughput", "Training throughput"),
    ("eval_throughput", "Evaluation throughput"),
    ("input_throughput", "Input pipeline throughput"),
    ("startup", "Start-up time"),
    ("memory", "Memory over a long training run"),
)
QUICK = {"train_throughput": ["--repeats=1"],
         "eval_throughput": ["--repeats=1"],
         "input_throughput": ["--repeats=1", "--seconds=2"],
         "startup": ["--repeats=1"],
         "memory": ["--steps=1500"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out_dir", required=True)
    parser.add_argument("--wait_for_load", type=float, default=None,
                        help="first wait (up to --max_wait_secs) until the "
                        "1-minute load average is below this")
    parser.add_argument("--max_wait_secs", type=float, default=1200)
    parser.add_argument("--only", default=None,
                        help="comma-separated benchmark names to run")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    out_dir = os.path.abspath(args.out_dir)
    work = os.path.join(out_dir, "work")
    os.makedirs(work, exist_ok=True)
    if args.wait_for_load:
        benchlib.wait_for_quiet(args.wait_for_load, args.max_wait_secs)
    started = time.time()
    sections = []
    for name, title in BENCHES:
        if args.only and name not in args.only.split(","):
            continue
        json_path = os.path.join(out_dir, name + ".json")
        command = [benchlib.PYTHON, os.path.join(benchlib.BENCH_DIR,
                                                 name + ".py"),
                   "--workdir=" + work, "--json=" + json_path,
                   "--markdown=" + os.path.join(out_dir, name + ".md")]
        command += QUICK[name] if args.quick else []
        if name == "input_throughput":
            for source, flag in (("train_throughput", "--train_json"),
                                 ("eval_throughput", "--eval_json")):
                path = os.path.join(out_dir, source + ".json")
                if os.path.exists(path):
                    command.append("%s=%s" % (flag, path))
        print("== %s: %s" % (title, " ".join(command)), flush=True)
        subprocess.run(command, check=True, cwd=benchlib.REPO_ROOT)
        with open(json_path) as handle:
            output = json.load(handle)[name]
        with open(os.path.join(out_dir, name + ".md")) as handle:
            sections.append((title, name, handle.read().strip(), output))
    write_report(out_dir, sections, time.time() - started)


def write_report(out_dir, sections, seconds):
    machine = sections[0][3]["machine"] if sections else benchlib.machine_info()
    lines = ["Machine: %d CPU cores (%s), %s GiB; Python %s, TensorFlow %s, "
             "Keras %s, NumPy %s." % (
                 machine["nproc"], machine["cpu_model"], machine["memory_gib"],
                 machine["python"], machine["tensorflow"], machine["keras"],
                 machine["numpy"]),
             "All benchmarks took %.0f minutes." % (seconds / 60), ""]
    for title, name, table, _ in sections:
        lines += ["### %s" % title, "",
                  "`python bench/%s.py`" % name, "", table, ""]
    path = os.path.join(out_dir, "report.md")
    with open(path, "w") as handle:
        handle.write("\n".join(lines))
    print("\n".join(lines))
    print("Wrote %s" % path)


if __name__ == "__main__":
    main()
