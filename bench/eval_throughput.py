"""Evaluation throughput: eval.py against a bare loop over the same metric ops.

    python bench/eval_throughput.py [--repeats 5] [--json F] [--markdown F]

Trains a LeNet checkpoint (on the MNIST-sized IDX files) and a CifarNet
checkpoint (on the CIFAR-10-sized batches) with train.py, then each round
runs, in a rotating order, each in a fresh process:

  harness  eval.py on the checkpoint, on the largest split of the data
           (the 60,000-image train split of the MNIST-sized IDX files for
           LeNet, the 50,000-image one of the CIFAR-10-sized binary batches
           for CifarNet; which split does not change the work per example,
           and a long pass measures more steadily), batch 100, its defaults
           otherwise (tf.data input from the files,
           slim.evaluation.evaluate_once);
  limit    the same graph (built by slimtrain.evaluation.evaluator), the checkpoint
           restored, and a bare `session.run(metric update ops)` loop fed
           from the same batches already in memory;
  limit_input  the same bare loop reading the graph's own tf.data input: it
           tells the input's cost (limit_input / limit) from the cost of
           eval.py's machinery (harness / limit_input);
  baseline with --baseline_checkout=DIR (another checkout, e.g. an older
           commit unpacked with `git archive`): DIR/eval.py with the same
           flags, to show what a change to the harness gained.

Examples/sec is from the end of batch N/10 to the end of the last batch
(eval.py, run with -v 1: the arrival times of slim's "Evaluation [k/N]"
lines; the bare loop: the time each batch ended), so graph building,
restoring and the first batches are excluded. The ratio is taken within
each round; the median is reported.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

BATCH_SIZE = 100
SPLIT = "train"
VARIANTS = ("harness", "limit", "limit_input")
RATIOS = (("harness", "limit"), ("limit_input", "limit"),
          ("harness", "limit_input"), ("harness", "baseline"))
_PROGRESS = re.compile(r"^Evaluation \[(\d+)/(\d+)\]")
# eval.py prints slim's "Evaluation [k/N]" lines, which time its batches,
# only with -v 1 (TensorFlow's and slim's log lines are hidden otherwise).
VERBOSE = "--verbosity=1"


def train_checkpoint(model_name, data_dirs, workdir, steps=20):
    """A train dir with a checkpoint of `model_name`, made by train.py."""
    train_dir = workdir.run_dir("ckpt-" + model_name)
    dataset_name = benchlib.MODELS[model_name]["dataset_name"]
    benchlib.ChildRun([benchlib.PYTHON, benchlib.TRAIN_PY,
                       "--train_dir=" + train_dir, "--model_name=" + model_name,
                       "--max_number_of_steps=%d" % steps,
                       "--save_summaries_steps=0"] +
                      benchlib.dataset_flags(dataset_name, data_dirs))
    return train_dir


def eval_batch_times(run):
    """({batch number: arrival time} of slim's progress lines in eval.py's
    output, N batches); eval.py prints them with `VERBOSE`."""
    times, total = {}, None
    for arrived, message in benchlib.messages(run.lines):
        match = _PROGRESS.match(message)
        if match:
            times[int(match.group(1))] = arrived
            total = int(match.group(2))
    return times, total


def run_variant(variant, model_name, train_dir, data_dirs, workdir,
                baseline=None):
    """One run of one variant.

    Returns (examples/sec, CPU milliseconds the process used per example,
    over the same batches; the first measured batch; the number of batches).
    """
    dataset_name = benchlib.MODELS[model_name]["eval_dataset_name"]
    data_flags = benchlib.dataset_flags(dataset_name, data_dirs)
    if variant in ("harness", "baseline"):
        eval_py = (os.path.join(baseline, "eval.py") if variant == "baseline"
                   else benchlib.EVAL_PY)
        run = benchlib.ChildRun(
            [benchlib.PYTHON, eval_py, VERBOSE, "--checkpoint_dir=" + train_dir,
             "--eval_dir=" + workdir.run_dir("eval"),
             "--dataset_split_name=" + SPLIT,
             "--batch_size=%d" % BATCH_SIZE] +
            data_flags)
        times, total = eval_batch_times(run)
        first = min(times)
    else:
        run = _run_bare_loop(variant, model_name, train_dir, data_flags)
        ends = run.result()["batch_end_times"]
        total = len(ends)
        first = max(1, total // 10)
        times = {first: ends[first - 1], total: ends[-1]}
    examples = (total - first) * BATCH_SIZE
    cpu = run.cpu_seconds_between(times[first], times[total])
    return (benchlib.rate(times, first, total, BATCH_SIZE),
            1000.0 * cpu / examples, first, total)


def _run_bare_loop(variant, model_name, train_dir, data_flags):
    checkpoint = _latest_checkpoint(train_dir)
    input_flag = "--input=%s" % ("pipeline" if variant == "limit_input"
                                 else "memory")
    run = benchlib.ChildRun(
        [benchlib.PYTHON, benchlib.WORKERS_PY, "eval_limit", input_flag,
         "--split=" + SPLIT,
         "--checkpoint=" + checkpoint, "--model_name=" + model_name,
         "--batch_size=%d" % BATCH_SIZE] + data_flags)
    return run


def _latest_checkpoint(train_dir):
    with open(os.path.join(train_dir, "checkpoint")) as handle:
        line = handle.readline()  # model_checkpoint_path: "model.ckpt-20"
    name = line.split(":", 1)[1].strip().strip('"')
    return name if os.path.isabs(name) else os.path.join(train_dir, name)


def measure(args, data_dirs, workdir):
    results = {}
    for model_name in args.models.split(","):
        train_dir = train_checkpoint(model_name, data_dirs, workdir)
        variants = list(VARIANTS) + (["baseline"] if args.baseline_checkout
                                     else [])

        def run(variant):
            rate, cpu, first, total = run_variant(
                variant, model_name, train_dir, data_dirs, workdir,
                args.baseline_checkout)
            return rate, {"cpu:" + variant: cpu, "first_batch": first,
                          "batches": total}

        rounds = benchlib.run_rounds(model_name, args.repeats, variants, run)
        results[model_name] = {
            "network": model_name,
            "dataset": benchlib.MODELS[model_name]["eval_dataset_name"],
            "batch_size": BATCH_SIZE, "batches": rounds[-1]["batches"],
            "measured_from_batch": rounds[-1]["first_batch"],
            **benchlib.throughput_summary(rounds, variants, RATIOS)}
    return results


RATE_COLUMNS = (("harness", "eval.py"), ("limit", "bare loop (limit)"),
                ("limit_input", "bare loop + tf.data input"),
                ("baseline", "baseline checkout's eval.py"))
RATIO_COLUMNS = (("harness/limit", "eval.py / limit"),
                 ("limit_input/limit", "input cost: limit+input / limit"),
                 ("harness/limit_input", "machinery: eval.py / limit+input"),
                 ("harness/baseline", "eval.py / baseline"))


def table(results):
    """Markdown tables: median examples/sec (and CPU per example), and the
    median paired ratios, of throughput and of CPU per example."""
    return benchlib.throughput_tables(
        results, lambda result: "%s / %s %s, batch %d" % (
            result["network"], result["dataset"], SPLIT,
            result["batch_size"]),
        RATE_COLUMNS, RATIO_COLUMNS, cpu_format="%.3f")


def main():
    parser = benchlib.argument_parser(__doc__.split("\n")[0], 5)
    parser.add_argument("--models", default="lenet,cifarnet")
    parser.add_argument("--baseline_checkout", default=None,
                        help="another checkout of slimtrain (e.g. `git "
                        "archive` of an older commit, unpacked): adds the "
                        "variant 'baseline', its eval.py with the same "
                        "flags, to measure what a change gained")
    args = parser.parse_args()
    benchlib.run_benchmark(
        args, "eval_throughput",
        lambda data_dirs, workdir: measure(args, data_dirs, workdir), table)


if __name__ == "__main__":
    main()
