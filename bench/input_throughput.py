"""Input pipeline throughput alone, for each built-in data format.

    python bench/input_throughput.py [--repeats 3] [--train_json F]
        [--eval_json F] [--json F] [--markdown F]

Drains the tf.data input exactly as train.py (training input: shuffled,
repeated, with the network's training preprocessing, batch 32) or eval.py
(evaluation input: in order, evaluation preprocessing, batch 100) build it,
with their default reader and preprocessing thread counts, in a TF1 session
like theirs, for --seconds after 20 warm-up batches. Each case runs in a
fresh process, the cases in rotating order, --repeats rounds.

Two figures per case: examples/sec on the whole (otherwise idle) machine,
and the CPU time the input spends per example. Given the training (or
evaluation) rate from train_throughput.py's (eval_throughput.py's) JSON, it
also shows the headroom (input rate / consumer rate) and the share of the
machine's cores the input needs to keep up (CPU per example x rate / cores):
a run is input-bound when the headroom nears 1; a large share means the
input's work slows the network down even when it keeps up.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

# (case name, data set, format, network whose preprocessing, split, batch,
#  consumer: (bench, network) whose rate it feeds)
CASES = (
    ("digits (IDX), LeNet train", "digits", "mnist_idx", "lenet", "train",
     32, ("train", "lenet")),
    ("mnist_idx (IDX, 60k), LeNet train", "mnist_idx", "mnist_idx", "lenet",
     "train", 32, ("train", "lenet")),
    ("mnist (TFRecord PNG), LeNet train", "mnist", "tfrecord", "lenet",
     "train", 32, ("train", "lenet")),
    ("cifar10_bin, CifarNet train", "cifar10_bin", "cifar10_bin", "cifarnet",
     "train", 32, ("train", "cifarnet")),
    ("cifar10 (TFRecord PNG), CifarNet train", "cifar10", "tfrecord",
     "cifarnet", "train", 32, ("train", "cifarnet")),
    ("mnist_idx test, LeNet eval", "mnist_idx", "mnist_idx", "lenet", "test",
     100, ("eval", "lenet")),
    ("cifar10_bin test, CifarNet eval", "cifar10_bin", "cifar10_bin",
     "cifarnet", "test", 100, ("eval", "cifarnet")),
)


def run_case(case, data_dirs, seconds):
    name, dataset_name, _, model_name, split, batch_size, _ = case
    args = [benchlib.PYTHON, benchlib.WORKERS_PY, "input",
            "--model_name=" + model_name, "--split=" + split,
            "--batch_size=%d" % batch_size, "--seconds=%g" % seconds]
    args += benchlib.dataset_flags(dataset_name, data_dirs)
    return benchlib.ChildRun(args).result()


def consumer_rates(train_json, eval_json):
    """{("train"|"eval", network): examples/sec} from the other benches."""
    rates = {}
    for path, kind, bench, variant in ((train_json, "train",
                                        "train_throughput", "harness"),
                                       (eval_json, "eval", "eval_throughput",
                                        "harness")):
        if not path:
            continue
        with open(path) as handle:
            results = json.load(handle)[bench]["results"]
        for model_name, result in results.items():
            rates[(kind, model_name)] = result["examples_per_sec"][variant]
    return rates


def measure(args, data_dirs):
    cases = [case for case in CASES
             if not args.cases or case[0].split()[0] in args.cases.split(",")]
    rounds = []
    for round_index in range(args.repeats):
        shift = round_index % len(cases)
        figures = {}
        for case in cases[shift:] + cases[:shift]:
            figures[case[0]] = run_case(case, data_dirs, args.seconds)
        rounds.append(figures)
        print("round %d: %s" % (round_index + 1, ", ".join(
            "%s %.0f ex/s" % (name, value["examples_per_sec"])
            for name, value in figures.items())), flush=True)
    results = {}
    for case in cases:
        name = case[0]
        results[name] = {
            "dataset": case[1], "format": case[2], "preprocessing": case[3],
            "split": case[4], "batch_size": case[5], "consumer": case[6],
            "examples_per_sec": benchlib.median(
                [r[name]["examples_per_sec"] for r in rounds]),
            "cpu_us_per_example": benchlib.median(
                [r[name]["cpu_ms_per_1000_examples"] for r in rounds]),
            "all_examples_per_sec": [r[name]["examples_per_sec"]
                                     for r in rounds]}
    return results


def add_consumers(results, rates):
    """Adds each case's consumer rate, headroom and share of the cores;
    returns results."""
    for result in results.values():
        rate = rates.get(tuple(result["consumer"]))
        if rate:
            result["consumer_examples_per_sec"] = rate
            result["headroom"] = result["examples_per_sec"] / rate
            result["core_share_at_consumer_rate"] = (
                result["cpu_us_per_example"] * 1e-6 * rate / os.cpu_count())
    return results


def table(results):
    header = ["input (format, preprocessing)", "examples/sec alone",
              "CPU us / example", "consumer (harness) ex/s",
              "headroom (input / consumer)", "share of cores needed"]
    rows = []
    for name, result in results.items():
        consumer = result.get("consumer_examples_per_sec")
        rows.append([
            name, "%.0f (%s)" % (result["examples_per_sec"],
                                 benchlib.spread(result["all_examples_per_sec"])),
            "%.0f" % result["cpu_us_per_example"],
            "%.0f (%s %s)" % (consumer, result["consumer"][1],
                              result["consumer"][0]) if consumer else "-",
            "%.1fx" % result["headroom"] if consumer else "-",
            "%.1f%%" % (100 * result["core_share_at_consumer_rate"])
            if consumer else "-"])
    return benchlib.markdown_table(header, rows)


def main():
    parser = benchlib.argument_parser(__doc__.split("\n")[0], 3)
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="measured seconds per case")
    parser.add_argument("--cases", default=None,
                        help="comma-separated first words of case names "
                        "(e.g. digits,cifar10_bin); default: all")
    parser.add_argument("--train_json", default=None,
                        help="train_throughput.py --json output, for the "
                        "training rates")
    parser.add_argument("--eval_json", default=None,
                        help="eval_throughput.py --json output, for the "
                        "evaluation rates")
    args = parser.parse_args()
    rates = consumer_rates(args.train_json, args.eval_json)
    benchlib.run_benchmark(
        args, "input_throughput",
        lambda data_dirs, _: add_consumers(measure(args, data_dirs), rates),
        table)


if __name__ == "__main__":
    main()
