"""What each of train.py's guards costs a training step, one at a time.

    python bench/guard_costs.py [--repeats 3] [--models lenet,cifarnet]
        [--sgd_models lenet] [--json F] [--markdown F]

In bench/train_throughput.py's two set-ups (LeNet and CifarNet at batch 32
with RMSProp; LeNet at batch 50 with SGD at a fixed rate), each round runs,
in a rotating order, each in a fresh process, train.py with its default
flags and with one guard taken away:

  harness       train.py as a user runs it;
  no_check      --check_numerics=false: no finiteness check of the loss and
                every gradient before the update;
  no_position   the input position (two int64 variables the step advances,
                saved with each checkpoint for exact resume) left out of
                the graph (bench/workers.py train_timed --without=position);
  no_summaries  --save_summaries_steps=0 --save_summaries_secs=0: no
                summary computed in any step;
  no_progress   --log_every_n_steps=0: no progress line but the last;
  none          all four taken away: what is left is the harness's loop
                (slim.learning.train, the step runner, its hooks);
  bare_input    a bare loop over the graph of a user's own slim script (no
                check, no position), reading the same tf.data input
                (bench/workers.py limit --plain --input=pipeline);
  bare          the same fed from batches already in memory.

train.py runs under bench/workers.py train_timed, which notes when each
step ended (no progress line needed) and how long the step runner spent
around each session.run: its own and its hooks' Python per step.

Reported, per set-up: examples/sec (steady state, after warm-up steps) and
the ratio to train.py within each round (median and range); a guard's cost
is 1 - harness / without it: the share of the step it takes. Then the step
runner's own time per step (median microseconds, and its share of a step).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
import train_throughput  # noqa: E402

# variant: (train.py flags, workers.py train_timed --without), or None for
# the bare loops.
VARIANTS = {
    "harness": ([], ""),
    "no_check": (["--check_numerics=false"], ""),
    "no_position": ([], "position"),
    "no_summaries": (["--save_summaries_steps=0",
                      "--save_summaries_secs=0"], ""),
    "no_progress": (["--log_every_n_steps=0"], ""),
    "none": (["--check_numerics=false", "--save_summaries_steps=0",
              "--save_summaries_secs=0", "--log_every_n_steps=0"],
             "position"),
    "bare_input": None,
    "bare": None,
}
GUARDS = (("no_check", "finiteness check of loss and gradients"),
          ("no_position", "input position"),
          ("no_summaries", "summaries in the step"),
          ("no_progress", "progress lines"),
          ("none", "all four"))


def run_variant(variant, case, data_dirs, workdir, warmup, steps):
    """One run: (examples/sec, {"overhead_us:"+variant: step runner us})."""
    _, model_name, dataset_name, batch_size, setup_flags, _ = case
    total = warmup + steps
    common = (["--model_name=" + model_name, "--batch_size=%d" % batch_size]
              + list(setup_flags)
              + benchlib.dataset_flags(dataset_name, data_dirs))
    if VARIANTS[variant] is None:
        args = [benchlib.PYTHON, benchlib.WORKERS_PY, "limit", "--plain",
                "--steps=%d" % total] + common
        if variant == "bare_input":
            args.append("--input=pipeline")
    else:
        flags, without = VARIANTS[variant]
        args = [benchlib.PYTHON, benchlib.WORKERS_PY, "train_timed",
                "--without=" + without,
                "--train_dir=" + workdir.run_dir(variant),
                "--max_number_of_steps=%d" % (total + 10)] + common + flags
    result = benchlib.ChildRun(args).result()
    times = result["step_end_times"]  # [k - 1]: the end of step k
    step_times = {warmup: times[warmup - 1], total: times[total - 1]}
    others = {}
    if "runner_overhead_us" in result:
        measured = result["runner_overhead_us"][warmup:total]
        others["overhead_us:" + variant] = benchlib.median(measured)
    return benchlib.rate(step_times, warmup, total, batch_size), others


def measure(args, data_dirs, workdir):
    results = {}
    variants = [v for v in args.variants.split(",") if v]
    for case in train_throughput.cases(args):
        key, model_name = case[0], case[1]
        warmup, steps = train_throughput.DEFAULT_STEPS[model_name]
        warmup = args.warmup_steps or warmup
        steps = args.steps or steps

        def run(variant, case=case, warmup=warmup, steps=steps):
            return run_variant(variant, case, data_dirs, workdir, warmup,
                               steps)

        rounds = benchlib.run_rounds(key, args.repeats, variants, run)
        ratios = {variant: benchlib.paired_ratios(rounds, "harness", variant)
                  for variant in variants if variant != "harness"}
        results[key] = {
            "batch_size": case[3], "setup": case[5],
            "examples_per_sec": {v: benchlib.median([r[v] for r in rounds])
                                 for v in variants},
            "harness_over": {v: {"median": benchlib.median(values),
                                 "all": values}
                             for v, values in ratios.items() if values},
            "overhead_us": {v: benchlib.median(
                [r["overhead_us:" + v] for r in rounds
                 if "overhead_us:" + v in r]) for v in variants
                if any("overhead_us:" + v in r for r in rounds)},
            "rounds": rounds}
    return results


def table(results):
    """The guard-by-guard table, then the step runner's own time."""
    header = ["guard (train.py without it)"] + list(results)
    rows = []
    for variant, title in GUARDS:
        row = [title]
        for result in results.values():
            ratio = result["harness_over"].get(variant)
            row.append("**%.1f%%** (%.1f to %.1f%%; %.0f vs %.0f ex/s)" % (
                100 * (1 - ratio["median"]), 100 * (1 - max(ratio["all"])),
                100 * (1 - min(ratio["all"])),
                result["examples_per_sec"]["harness"],
                result["examples_per_sec"][variant]) if ratio else "-")
        rows.append(row)
    for variant, title in (("bare_input", "train.py / bare loop, same input"),
                           ("bare", "train.py / bare loop, in memory")):
        row = [title]
        for result in results.values():
            ratio = result["harness_over"].get(variant)
            row.append(benchlib.ratio_cell(ratio["all"]) if ratio else "-")
        rows.append(row)
    first = benchlib.markdown_table(header, rows)
    overhead_rows = []
    for variant in ("harness", "none"):
        row = ["train.py%s" % ("" if variant == "harness" else
                               ", all four taken away")]
        for result in results.values():
            micros = result["overhead_us"].get(variant)
            rate = result["examples_per_sec"].get(variant)
            row.append("%.0f (%.2f%%)" % (
                micros, 100 * micros * 1e-6 * rate / result["batch_size"])
                if micros is not None and rate else "-")
        overhead_rows.append(row)
    overhead_header = ["the step runner's and its hooks' own time per step, "
                       "us (share of a step)"] + list(results)
    return first + "\n\n" + benchlib.markdown_table(overhead_header,
                                                     overhead_rows)


def main():
    parser = benchlib.argument_parser(__doc__.split("\n")[0], 3)
    parser.add_argument("--models", default="lenet,cifarnet",
                        help="networks at batch 32 with train.py's defaults")
    parser.add_argument("--sgd_models", default="lenet",
                        help="networks at batch 50 with SGD at a fixed rate")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--warmup_steps", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None)
    args = parser.parse_args()
    if "harness" not in args.variants.split(","):
        parser.error("--variants must include harness")
    benchlib.run_benchmark(
        args, "guard_costs",
        lambda data_dirs, workdir: measure(args, data_dirs, workdir), table)


if __name__ == "__main__":
    main()
