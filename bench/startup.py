"""Start-up time: launch to the first progress line / evaluated batch.

    python bench/startup.py [--repeats 3] [--models lenet,cifarnet]
        [--deep_models inception_v3,resnet_v1_50,resnet_v1_152]
        [--baseline_checkout DIR] [--json F] [--markdown F]

Small networks (--models): each round launches, in a fresh process each, in
a rotating order:

  import      `python -c "import tensorflow"` until the import returned: the
              floor every TensorFlow program pays;
  train       train.py for LeNet on the MNIST-sized IDX files and for
              CifarNet on the CIFAR-10-sized batches, into an empty train
              dir, timed from launch to its first progress line (the
              timestamp of the line, as the user sees it; train.py runs
              under bench/workers.py train_probe, which also notes when its
              start-up phases ended);
  eval        eval.py on a checkpoint of each, timed from launch to the end
              of its first evaluated batch (the arrival of slim's
              "Evaluation [1/N]" line, which eval.py prints with -v 1).

Deep networks (--deep_models), on the built-in digits at batch 1 (their
default image size, 224 or 299 px): each round launches, fresh process
each, rotating order,

  train.py    train.py for two steps into an empty train dir (under
              bench/workers.py train_probe), to its first progress line;
  baseline    with --baseline_checkout=DIR (another checkout, e.g. an older
              commit unpacked with `git archive`): DIR's train.py, the same;
  bare        a bare script doing the same work (bench/workers.py
              bare_start): import, the same network with the same losses
              and RMSProp, variable initialization, one step at batch 1.

and reports the median time to the first progress line (the bare script:
the end of its step) with its range, the ratio to the bare script within
each round (median and range), and where train.py's time went (medians of
the phases train_probe notes).

Medians over the rounds are reported.

What the user sees and what this script measured before issue 28 differed:
it timed the end of train.py's first step, noted inside the process, while
the user waits for the first progress line, which train.py printed at step
--log_every_n_steps (10) or at the last step, so never before the end of
the second. The second step cost more than a step: the first fetched every
summary (histograms included), the second none, and each new set of
fetches is a graph optimization of its own (seconds for a deep network);
with --max_number_of_steps=2 the second step was also the last, computing
every summary again and checking every variable before the final save.
train.py now logs a line right after its first step, and writes its graph
in binary (`compat.supervisor_graph_in_binary`).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
import eval_throughput  # noqa: E402


def time_import(_model_name, _data_dirs, _workdir, _train_dirs):
    run = benchlib.ChildRun([benchlib.PYTHON, "-c", (
        "import time, tensorflow, json; print(%r + json.dumps("
        "{'imported': time.time()}))" % benchlib.RESULT_PREFIX)])
    return run.result()["imported"] - run.launched, None


def _first_line(run, prefix):
    """Seconds from launch to the arrival of the first line starting with
    prefix."""
    for arrived, message in benchlib.messages(run.lines):
        if message.startswith(prefix):
            return arrived - run.launched
    return None


def first_progress_line(run):
    """Seconds from launch to train.py's first progress line."""
    times = benchlib.progress_times(run.lines)
    if not times:
        raise RuntimeError("no progress line in the output of %s:\n%s" % (
            " ".join(run.args), run.output[-4000:]))
    return min(times.values()) - run.launched


def time_train(model_name, data_dirs, workdir, _train_dirs):
    dataset_name = benchlib.MODELS[model_name]["dataset_name"]
    run = benchlib.ChildRun(
        [benchlib.PYTHON, benchlib.WORKERS_PY, "train_probe",
         "--train_dir=" + workdir.run_dir("startup"),
         "--model_name=" + model_name, "--max_number_of_steps=2"] +
        benchlib.dataset_flags(dataset_name, data_dirs))
    stamps = run.result()  # train_probe notes when the session was ready
    return first_progress_line(run), stamps["session_ready"] - run.launched


def time_eval(model_name, data_dirs, workdir, train_dirs):
    dataset_name = benchlib.MODELS[model_name]["eval_dataset_name"]
    run = benchlib.ChildRun(
        [benchlib.PYTHON, benchlib.EVAL_PY, eval_throughput.VERBOSE,
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
        cases.append(("train.py %s: first progress line" % model_name,
                      model_name,
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


# The phases of a start-up, in order: (name, the stamp that ends it), read
# from the stamps bench/workers.py train_probe and bare_start print.
TRAIN_PHASES = (
    ("import", "imported"),
    ("input, network, losses", "forward_built"),
    ("summaries, learning rate", "train_op_start"),
    ("gradients, optimizer", "train_op_built"),
    ("(rest of build_model)", "build_end"),
    ("saver, summary writer, checks", "supervisor_start"),
    ("Supervisor, session, initialization", "session_ready"),
    ("graph written, services, until the first step", "first_step_start"),
    ("first step", "first_step_end"),
)
# train.py's phase after the end of its first step (read from its output,
# not noted by train_probe): until its first progress line.
FIRST_LINE_PHASE = "from the first step's end to the first progress line"
BARE_PHASES = (
    ("import", "imported"),
    ("input, network, losses", "forward_built"),
    ("gradients, optimizer", "graph_built"),
    ("session, initialization", "initialized"),
    ("first step", "first_step_end"),
)
DEEP_BATCH_SIZE = 1


def phase_seconds(stamps, launched, phases):
    """{phase: seconds} from a run's stamps; phases without one are left
    out, and the next phase then takes their time."""
    seconds, previous = {}, launched
    for name, stamp in phases:
        if stamp in stamps:
            seconds[name] = stamps[stamp] - previous
            previous = stamps[stamp]
    return seconds


def time_deep(variant, model_name, workdir, baseline):
    """One start-up of a deep network: (seconds to the first progress line
    (the bare script: the end of its step), {phase: seconds})."""
    common = ["--model_name=" + model_name,
              "--batch_size=%d" % DEEP_BATCH_SIZE]
    if variant == "bare":
        args = [benchlib.PYTHON, benchlib.WORKERS_PY, "bare_start"] + common
        phases = BARE_PHASES
    else:
        # Two steps: the first is then not also the last, whose end checks
        # every variable before the final save (1.9 s for resnet_v1_152),
        # work a run does when it finishes, not when it starts.
        args = [benchlib.PYTHON, benchlib.WORKERS_PY, "train_probe",
                "--train_dir=" + workdir.run_dir(variant),
                "--max_number_of_steps=2"] + common
        if variant == "baseline":
            args.append("--train_py=" + os.path.join(baseline, "train.py"))
        phases = TRAIN_PHASES
    run = benchlib.ChildRun(args)
    stamps = run.result()
    if variant == "bare":
        return (stamps["first_step_end"] - run.launched,
                phase_seconds(stamps, run.launched, phases))
    seconds = first_progress_line(run)
    phases = phase_seconds(stamps, run.launched, phases)
    phases[FIRST_LINE_PHASE] = max(
        run.launched + seconds - stamps["first_step_end"], 0.0)
    return seconds, phases


def measure_deep(args, workdir):
    variants = ["train.py", "bare"] + (["baseline"] if args.baseline_checkout
                                       else [])
    results = {}
    for model_name in [m for m in args.deep_models.split(",") if m]:
        def run(variant):
            seconds, phases = time_deep(variant, model_name, workdir,
                                        args.baseline_checkout)
            return seconds, {"phases:" + variant: phases}

        rounds = benchlib.run_rounds(model_name + " start-up", args.repeats,
                                     variants, run)
        result = {"batch_size": DEEP_BATCH_SIZE, "rounds": rounds,
                  "median_secs": {}, "ratios": {}, "phases": {}}
        for variant in variants:
            result["median_secs"][variant] = benchlib.median(
                [r[variant] for r in rounds])
            names = {name for r in rounds for name in r["phases:" + variant]}
            result["phases"][variant] = {
                name: benchlib.median([r["phases:" + variant][name]
                                       for r in rounds
                                       if name in r["phases:" + variant]])
                for name in names}
        for numerator, denominator in (("train.py", "bare"),
                                       ("baseline", "bare"),
                                       ("train.py", "baseline")):
            values = benchlib.paired_ratios(rounds, numerator, denominator)
            if values:
                result["ratios"]["%s/%s" % (numerator, denominator)] = {
                    "median": benchlib.median(values), "all": values}
        results[model_name] = result
    return results


def measure_all(args, data_dirs, workdir):
    results = {"small": {}, "deep": {}}
    if args.models:
        results["small"] = measure(args, data_dirs, workdir)
    results["deep"] = measure_deep(args, workdir)
    results["measured_at"] = time.strftime("%Y-%m-%d %H:%M")
    return results


def small_table(results):
    header = ["from process launch to", "seconds (median)", "range",
              "of which until ready (train: session started; eval: graph "
              "built)"]
    rows = [[name, "%.1f" % result["median_secs"],
             benchlib.spread(result["all_secs"]),
             "%.1f" % result["ready_median_secs"]
             if result["ready_median_secs"] is not None else "-"]
            for name, result in results.items()]
    return benchlib.markdown_table(header, rows)


def deep_tables(results):
    """The time to the first step (and ratios), then where it went."""
    variants = ("train.py", "baseline", "bare")
    titles = {"train.py": "train.py", "baseline": "baseline train.py",
              "bare": "bare script"}
    header = ["batch 1, launch to first progress line (bare: end of its "
              "step) (s, median and range)"]
    present = [v for v in variants
               if any(v in r["median_secs"] for r in results.values())]
    header += [titles[v] for v in present]
    ratio_names = [n for n in ("train.py/bare", "baseline/bare",
                               "train.py/baseline")
                   if any(n in r["ratios"] for r in results.values())]
    header += ["ratio " + n for n in ratio_names]
    rows = []
    for model_name, result in results.items():
        row = [model_name]
        for variant in present:
            values = [r[variant] for r in result["rounds"] if variant in r]
            row.append("%.1f (%s)" % (result["median_secs"][variant],
                                      benchlib.spread(values)))
        for name in ratio_names:
            ratio = result["ratios"].get(name)
            row.append(benchlib.ratio_cell(ratio["all"], digits=2)
                       if ratio else "-")
        rows.append(row)
    first = benchlib.markdown_table(header, rows)

    phase_header = ["where the time went (s, medians)"]
    columns = [(m, v) for m in results for v in present]
    phase_header += ["%s %s" % (m, titles[v]) for m, v in columns]
    names = []
    for name, _ in TRAIN_PHASES + BARE_PHASES + ((FIRST_LINE_PHASE, None),):
        if name not in names:
            names.append(name)
    phase_rows = []
    for name in names:
        cells = [results[m]["phases"][v].get(name) for m, v in columns]
        if all(cell is None for cell in cells):
            continue
        phase_rows.append([name] + ["%.1f" % cell if cell is not None
                                    else "-" for cell in cells])
    return first + "\n\n" + benchlib.markdown_table(phase_header,
                                                     phase_rows)


def table(results):
    parts = []
    if results["small"]:
        parts.append(small_table(results["small"]))
    if results["deep"]:
        parts.append(deep_tables(results["deep"]))
    return "\n\n".join(parts)


def main():
    parser = benchlib.argument_parser(__doc__.split("\n")[0], 3)
    parser.add_argument("--models", default="lenet,cifarnet",
                        help="small networks (their default data sets); "
                        "empty: none")
    parser.add_argument("--deep_models",
                        default="inception_v3,resnet_v1_50,resnet_v1_152",
                        help="deep networks, trained on the built-in digits "
                        "at batch 1 against the bare script; empty: none")
    parser.add_argument("--baseline_checkout", default=None,
                        help="another checkout whose train.py also runs "
                        "(deep networks), side by side")
    args = parser.parse_args()
    benchlib.run_benchmark(
        args, "startup",
        lambda data_dirs, workdir: measure_all(args, data_dirs, workdir),
        table)


if __name__ == "__main__":
    main()
