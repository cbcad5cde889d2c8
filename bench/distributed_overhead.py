"""Distributed overhead: 2 CPU clones and a local cluster against one process.

    python bench/distributed_overhead.py [--repeats 3] [--json F] [--markdown F]

LeNet on MNIST-sized IDX files (60,000 28x28x1 images), SGD, --batch_size
per clone and worker (default 32), each round runs, in a rotating order,
each in fresh processes:

  one_process   train.py: one process, one clone;
  two_clones    train.py --num_clones=2 --clone_on_cpu: two clones in one
                process, each on its own batch (2 x batch per update);
  cluster_async `python -m slimtrain.launch --num_workers=2 --num_ps=1`:
                a parameter server and two workers on 127.0.0.1, each
                worker updating on its own (batch per update);
  cluster_sync  the same with --sync_replicas --replicas_to_aggregate=2
                (2 x batch per update).

The figure is the examples/sec of the whole job: global steps times the
examples per global step, over the chief's progress lines from global step
--warmup_steps to --warmup_steps + --steps (the nearest logged steps), so
start-up, graph optimization and the final checkpoint are left out. Ratios
to one_process are taken within each round, and their median reported.

On a machine with two cores there is no speed-up to expect: the clones or
tasks share the same cores. What is measured is what splitting the work
costs (more graph, gRPC between processes, the sync queues).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

VARIANTS = ("one_process", "two_clones", "cluster_async", "cluster_sync")
LOG_EVERY = 10
CHIEF_PREFIX = "[worker:0] "


def examples_per_step(variant, batch_size):
    """Examples in one global step (one update of the variables)."""
    return batch_size * (2 if variant in ("two_clones", "cluster_sync") else 1)


def chief_output(variant, lines):
    """The chief's own lines of `ChildRun.lines`: all of train.py's, or the
    launcher's worker:0 ones, without the launcher's prefix."""
    if not variant.startswith("cluster"):
        return lines
    return [(arrived, line[len(CHIEF_PREFIX):]) for arrived, line in lines
            if line.startswith(CHIEF_PREFIX)]


def steady_rate(step_times, first, last, examples):
    """Examples/sec between the logged steps nearest inside [first, last]."""
    logged = sorted(step for step in step_times if first <= step <= last)
    if len(logged) < 2:
        raise RuntimeError("too few progress lines between steps %d and %d: "
                           "%s" % (first, last, sorted(step_times)))
    return benchlib.rate(step_times, logged[0], logged[-1], examples)


def run_variant(variant, dataset_name, data_dirs, workdir, batch_size,
                warmup, steps):
    """One run of one variant; returns the job's steady examples/sec."""
    flags = ["--train_dir=" + workdir.run_dir(variant), "--model_name=lenet",
             "--batch_size=%d" % batch_size, "--optimizer=sgd",
             "--learning_rate_decay_type=fixed", "--save_summaries_steps=0",
             "--save_summaries_secs=0", "--log_every_n_steps=%d" % LOG_EVERY,
             "--max_number_of_steps=%d" % (warmup + steps + LOG_EVERY)]
    flags += benchlib.dataset_flags(dataset_name, data_dirs)
    if variant == "two_clones":
        flags += ["--num_clones=2", "--clone_on_cpu"]
    if variant == "cluster_sync":
        flags += ["--sync_replicas", "--replicas_to_aggregate=2"]
    if variant.startswith("cluster"):
        args = [benchlib.PYTHON, "-m", "slimtrain.launch", "--num_workers=2",
                "--num_ps=1", "--"] + flags
    else:
        args = [benchlib.PYTHON, benchlib.TRAIN_PY] + flags
    run = benchlib.ChildRun(args)
    step_times = benchlib.progress_times(chief_output(variant, run.lines))
    return steady_rate(step_times, warmup, warmup + steps,
                       examples_per_step(variant, batch_size))


def measure(args, data_dirs, workdir):
    dataset_name = "mnist_idx"

    def run(variant):
        return run_variant(variant, dataset_name, data_dirs, workdir,
                           args.batch_size, args.warmup_steps,
                           args.steps), {}

    rounds = benchlib.run_rounds("lenet", args.repeats, VARIANTS, run)
    ratios = {}
    for variant in VARIANTS[1:]:
        values = benchlib.paired_ratios(rounds, variant, "one_process")
        ratios[variant] = {"median": benchlib.median(values), "all": values}
    return {"lenet": {
        "dataset": dataset_name, "batch_size": args.batch_size,
        "warmup_steps": args.warmup_steps, "measured_steps": args.steps,
        "examples_per_sec": {variant: benchlib.median(
            [r[variant] for r in rounds]) for variant in VARIANTS},
        "ratios": ratios, "rounds": rounds}}


def table(results):
    result = results["lenet"]
    rows = []
    for variant in VARIANTS:
        ratio = result["ratios"].get(variant)
        rows.append([variant, "%.0f" % result["examples_per_sec"][variant],
                     benchlib.ratio_cell(ratio["all"]) if ratio else "1"])
    return benchlib.markdown_table(
        ["lenet / %s, batch %d per clone or worker" % (result["dataset"],
                                                      result["batch_size"]),
         "median examples/sec of the job", "/ one_process: median (range)"],
        rows)


def main():
    parser = benchlib.argument_parser(__doc__.split("\n")[0], 3)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--warmup_steps", type=int, default=50)
    parser.add_argument("--steps", type=int, default=400)
    args = parser.parse_args()
    benchlib.run_benchmark(args, "distributed_overhead",
                           lambda data_dirs, workdir: measure(
                               args, data_dirs, workdir), table)


if __name__ == "__main__":
    main()
