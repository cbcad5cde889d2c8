"""Start-up time: process launch to the first training step / evaluated batch.

    python bench/startup.py [--repeats 5] [--json F] [--markdown F]

Each round launches, in a fresh process each, in a rotating order:

  import      `python -c "import tensorflow"` until the import returned: the
              floor every TensorFlow program pays;
  train       train.py for LeNet on the MNIST-sized IDX files and for
              CifarNet on the CIFAR-10-sized batches, into an empty train
              dir, timed from launch to the end of its first training step
              (train.py runs under bench/workers.py train_probe, which notes
              the time the step runner's first call returned);
  eval        eval.py on a checkpoint of each, timed from launch to the end
              of its first evaluated batch (the timestamp of slim's
              "Evaluation [1/N]" line).

Medians over the rounds are reported.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
import eval_throughput  # noqa: E402


def time_import(_model_name, _data_dirs, _workdir, _train_dirs):
    run = benchlib.ChildRun([benchlib.PYTHON, "-c", (
        "import time, tensorflow, json; print(%r + json.dumps("
        "{'imported': time.time()}))" % benchlib.RESULT_PREFIX)])
    return run.result()["imported"] - run.launched, None


def _first_line(run, prefix):
    """Seconds from launch to the first absl line starting with prefix."""
    for stamp, message in benchlib.absl_lines(run.output, run.launched):
        if message.startswith(prefix):
            return stamp - run.launched
    return None


def time_train(model_name, data_dirs, workdir, _train_dirs):
    dataset_name = benchlib.MODELS[model_name]["dataset_name"]
    run = benchlib.ChildRun(
        [benchlib.PYTHON, benchlib.WORKERS_PY, "train_probe",
         "--train_dir=" + workdir.run_dir("startup"),
         "--model_name=" + model_name, "--max_number_of_steps=2"] +
        benchlib.dataset_flags(dataset_name, data_dirs))
    # slim.learning.train logs "Starting Queues." once the session is ready.
    return (run.result()["first_step_end"] - run.launched,
            _first_line(run, "Starting Queues."))


def time_eval(model_name, data_dirs, workdir, train_dirs):
    dataset_name = benchlib.MODELS[model_name]["eval_dataset_name"]
    run = benchlib.ChildRun(
        [benchlib.PYTHON, benchlib.EVAL_PY,
         "--checkpoint_dir=" + train_dirs[model_name],
         "--eval_dir=" + workdir.run_dir("eval"), "--dataset_split_name=test",
         "--batch_size=%d" % eval_throughput.BATCH_SIZE,
         "--max_num_batches=5"] +
        benchlib.dataset_flags(dataset_name, data_dirs))
    times, _ = eval_throughput.eval_batch_times(run)
    # slimtrain.evaluation.evaluator logs "Evaluating <checkpoint> on N batches." once
    # the graph is built and the checkpoint checked.
    return times[1] - run.launched, _first_line(run, "Evaluating ")


def measure(args, data_dirs, workdir):
    models = args.models.split(",")
    train_dirs = {model_name: eval_throughput.train_checkpoint(
        model_name, data_dirs, workdir) for model_name in models}
    cases = [("import tensorflow", None, time_import)]
    for model_name in models:
        cases.append(("train.py %s: first step" % model_name, model_name,
                      time_train))
        cases.append(("eval.py %s: first batch" % model_name, model_name,
                      time_eval))
    timers = {name: (model_name, timer) for name, model_name, timer in cases}

    def run(name):
        model_name, timer = timers[name]
        seconds, ready = timer(model_name, data_dirs, workdir, train_dirs)
        return seconds, {"ready:" + name: ready}

    rounds = benchlib.run_rounds("start-up", args.repeats, timers, run)
    results = {}
    for name, _, _ in cases:
        ready = [r["ready:" + name] for r in rounds
                 if r["ready:" + name] is not None]
        results[name] = {"median_secs": benchlib.median([r[name]
                                                         for r in rounds]),
                         "all_secs": [r[name] for r in rounds],
                         "ready_median_secs": benchlib.median(ready)}
    return results


def table(results):
    header = ["from process launch to", "seconds (median)", "range",
              "of which until ready (train: session started; eval: graph "
              "built)"]
    rows = [[name, "%.1f" % result["median_secs"],
             benchlib.spread(result["all_secs"]),
             "%.1f" % result["ready_median_secs"]
             if result["ready_median_secs"] is not None else "-"]
            for name, result in results.items()]
    return benchlib.markdown_table(header, rows)


def main():
    parser = benchlib.argument_parser(__doc__.split("\n")[0], 5)
    parser.add_argument("--models", default="lenet,cifarnet")
    args = parser.parse_args()
    benchlib.run_benchmark(
        args, "startup",
        lambda data_dirs, workdir: measure(args, data_dirs, workdir), table)


if __name__ == "__main__":
    main()
