"""Training throughput: train.py against a bare session loop and Keras fit.

    python bench/train_throughput.py [--repeats 5] [--json F] [--markdown F]

Two set-ups:
- for LeNet on MNIST-sized IDX files (60,000 28x28x1 images) and CifarNet
  on CIFAR-10-sized binary batches (50,000 32x32x3 synthetic images),
  batch size 32, train.py's default optimizer and schedule (RMSProp,
  exponential decay) (--models);
- for LeNet on the same data, batch 50, SGD at a fixed rate
  (--sgd_models; `lenet sgd50` in the tables): a short step, where what
  the harness adds to each step weighs most.

Each round runs, in a rotating order, each in a fresh process:

  harness       train.py with its defaults (scalar summaries every 100
                steps, all summaries at start and every 600 s, a progress
                line every 10 steps, input through tf.data from the files);
  harness_nosum the same with summaries off (--save_summaries_steps=0
                --save_summaries_secs=0): the work the bare loop also skips;
  harness_nosave (only when named in --variants) the same with summaries,
                without the checkpoint by steps (--save_interval_steps=0):
                a default run saves at step 500, inside LeNet's measured
                steps; what that save costs them;
  limit         the bare loop: the same graph (built by slimtrain.training.graph),
                `session.run(train_op)` fed from batches already in memory;
  limit_input   the bare loop reading the graph's own tf.data input instead:
                it tells the input's cost (limit_input / limit) from the
                cost of the harness's machinery (harness_nosum / limit_input);
  keras         the same network in tf.keras, `Model.fit` on the same
                in-memory batches (bench/keras_models.py), Keras' defaults
                (no XLA on CPU), verbose=0.

With --baseline_checkout=DIR (another checkout, e.g. an older commit
unpacked with `git archive`), the variant `baseline` runs DIR/train.py with
the same flags: what a change to the harness gained, side by side.

Besides examples/sec, each run's CPU time (user + system, all threads, read
from /proc every 50 ms) per example over the same steps is reported. It is
less disturbed by other processes on a shared machine than the wall-clock
rate, though spinning TensorFlow threads blur it.

Examples/sec is steady state: from the end of step --warmup_steps to the end
of step --warmup_steps + --steps (train.py: the time its progress lines at
those global steps arrived; the others: the time each step ended).
Start-up, the first steps (graph optimization, tracing) and what train.py
does after its last step (a summary with histograms, the final checkpoint;
it runs 10 steps more than measured) are excluded. The step-based scalar
summaries fall inside the measured steps, in proportion. Ratios are taken
within each round and their median reported.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

VARIANTS = ("harness", "harness_nosum", "limit", "limit_input", "keras")
# (warm-up steps, measured steps) per network: about 10-20 s measured each;
# the measured steps are a multiple of train.py's --save_summaries_steps.
DEFAULT_STEPS = {"lenet": (50, 500), "cifarnet": (30, 300)}
LOG_EVERY = 10
# The set-ups: (batch size, the flags of optimizer and schedule, which
# train.py, the bare loops and Keras take alike); None: --batch_size and
# train.py's defaults.
SETUPS = {"default": None,
          "sgd50": (50, ["--optimizer=sgd", "--learning_rate_decay_type=fixed"])}


def run_variant(variant, model_name, dataset_name, data_dirs, workdir,
                batch_size, warmup, steps, baseline=None, setup_flags=()):
    """One run of one variant.

    Returns (steady-state examples/sec, CPU milliseconds the process used per
    example over the same steps).
    """
    total = warmup + steps
    data_flags = benchlib.dataset_flags(dataset_name, data_dirs)
    common = ["--model_name=" + model_name, "--batch_size=%d" % batch_size]
    common += list(setup_flags)
    if variant.startswith("harness") or variant == "baseline":
        # One more progress window after the measured steps, so the summary
        # and checkpoint written after the last step fall outside them.
        train_py = (os.path.join(baseline, "train.py") if variant == "baseline"
                    else benchlib.TRAIN_PY)
        args = [benchlib.PYTHON, train_py,
                "--train_dir=" + workdir.run_dir(variant),
                "--max_number_of_steps=%d" % (total + LOG_EVERY),
                "--log_every_n_steps=%d" % LOG_EVERY] + common + data_flags
        if variant == "harness_nosum":
            args += ["--save_summaries_steps=0", "--save_summaries_secs=0"]
        if variant == "harness_nosave":
            args.append("--save_interval_steps=0")
        run = benchlib.ChildRun(args)
        step_times = benchlib.progress_times(run.lines)
    else:
        mode, extra = {"limit": ("limit", []),
                       "limit_input": ("limit", ["--input=pipeline"]),
                       "keras": ("keras", [])}[variant]
        run = benchlib.ChildRun([benchlib.PYTHON, benchlib.WORKERS_PY, mode,
                                 "--steps=%d" % total] + common + data_flags +
                                extra)
        times = run.result()["step_end_times"]  # [k - 1]: end of step k
        step_times = {warmup: times[warmup - 1], total: times[total - 1]}
    examples = steps * batch_size
    cpu = run.cpu_seconds_between(step_times[warmup], step_times[total])
    return (benchlib.rate(step_times, warmup, total, batch_size),
            1000.0 * cpu / examples)


RATIOS = (("harness", "limit"), ("harness_nosum", "limit"),
          ("harness", "baseline"), ("harness", "harness_nosave"),
          ("harness_nosave", "baseline"), ("baseline", "limit"),
          ("harness", "keras"), ("harness_nosum", "keras"),
          ("limit_input", "limit"), ("harness_nosum", "limit_input"),
          ("keras", "limit"))


def cases(args):
    """[(key, network, data set, batch size, set-up flags, set-up name)]."""
    found = []
    for setup, models in (("default", args.models),
                          ("sgd50", args.sgd_models)):
        if not models:
            continue
        batch_size, flags = SETUPS[setup] or (args.batch_size, [])
        for key, model_name, dataset_name in benchlib.training_cases(models):
            if setup != "default":
                key += " " + setup
            found.append((key, model_name, dataset_name, batch_size, flags,
                          setup))
    return found


def measure(args, data_dirs, workdir):
    results = {}
    for key, model_name, dataset_name, batch_size, flags, setup in cases(
            args):
        warmup, steps = DEFAULT_STEPS[model_name]
        warmup = args.warmup_steps or warmup
        steps = args.steps or steps
        variants = args.variants.split(",")
        if setup != "default":  # bench/keras_models.py trains with RMSProp
            variants = [v for v in variants if v != "keras"]

        def run(variant):
            rate, cpu = run_variant(
                variant, model_name, dataset_name, data_dirs, workdir,
                batch_size, warmup, steps, args.baseline_checkout, flags)
            return rate, {"cpu:" + variant: cpu}

        rounds = benchlib.run_rounds(key, args.repeats, variants, run)
        results[key] = {
            "network": model_name, "dataset": dataset_name, "setup": setup,
            "batch_size": batch_size, "warmup_steps": warmup,
            "measured_steps": steps,
            **benchlib.throughput_summary(rounds, variants, RATIOS)}
    return results


RATE_COLUMNS = (("harness", "train.py"),
                ("harness_nosum", "train.py, no summaries"),
                ("harness_nosave", "train.py, no save by steps"),
                ("limit", "bare loop (limit)"),
                ("limit_input", "bare loop + tf.data input"),
                ("keras", "Keras fit"),
                ("baseline", "baseline checkout's train.py"))
RATIO_COLUMNS = (("harness/limit", "train.py / limit"),
                 ("harness_nosum/limit", "train.py no summ. / limit"),
                 ("harness/keras", "train.py / Keras"),
                 ("limit_input/limit", "input cost: limit+input / limit"),
                 ("harness_nosum/limit_input",
                  "machinery: train.py no summ. / limit+input"),
                 ("harness/baseline", "train.py / baseline"),
                 ("harness/harness_nosave",
                  "save by steps: train.py / no save"),
                 ("harness_nosave/baseline",
                  "train.py no save by steps / baseline"))


def table(results):
    """Markdown tables: median examples/sec (and CPU per example), and the
    median paired ratios, of throughput and of CPU per example."""
    return benchlib.throughput_tables(
        results, lambda result: "%s / %s, batch %d%s" % (
            result["network"], result["dataset"], result["batch_size"],
            ", SGD fixed rate" if result.get("setup") == "sgd50" else ""),
        RATE_COLUMNS, RATIO_COLUMNS)


def main():
    parser = benchlib.argument_parser(__doc__.split("\n")[0], 5)
    parser.add_argument("--models", default="lenet,cifarnet",
                        help="networks, each on its default data set "
                        "(lenet: mnist_idx, cifarnet: cifar10_bin) or as "
                        "network:dataset_name, e.g. lenet:digits")
    parser.add_argument("--sgd_models", default="lenet",
                        help="networks also trained at batch 50 with SGD at "
                        "a fixed rate; empty: none")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--baseline_checkout", default=None,
                        help="another checkout of slimtrain (e.g. `git "
                        "archive` of an older commit, unpacked): adds the "
                        "variant 'baseline', its train.py with defaults, to "
                        "measure what a change gained")
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--warmup_steps", type=int, default=None,
                        help="default: 50 (LeNet), 30 (CifarNet)")
    parser.add_argument("--steps", type=int, default=None,
                        help="measured steps; default: 500 (LeNet), 300 "
                        "(CifarNet); a multiple of 100 holds the step-based "
                        "summaries in proportion")
    args = parser.parse_args()
    if args.baseline_checkout and "baseline" not in args.variants.split(","):
        args.variants += ",baseline"
    for value in (args.warmup_steps, args.steps):
        if value is not None and value % LOG_EVERY:
            parser.error("--warmup_steps and --steps must be multiples of %d"
                         % LOG_EVERY)
    benchlib.run_benchmark(
        args, "train_throughput",
        lambda data_dirs, workdir: measure(args, data_dirs, workdir), table)


if __name__ == "__main__":
    main()
