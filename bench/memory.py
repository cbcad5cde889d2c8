"""Memory over a long training run: resident set size, sampled every second.

    python bench/memory.py [--steps 5000] [--json F] [--markdown F]

Runs train.py (LeNet on MNIST-sized and CifarNet on CIFAR-10-sized data,
as in train_throughput.py; --models picks) for --steps global steps with
its defaults plus a checkpoint every 1,000 steps
(--save_interval_steps=1000), so that every periodic action of a long run
(progress lines, scalar summaries, checkpoints, the Supervisor's timers)
happens many times. VmRSS of the process is read from
/proc/<pid>/status every --interval seconds; the global step at each sample
comes from train.py's progress lines (every 10 steps).

Reports the RSS at steps 1,000 and the last step (the first sample after
each), the growth between them (target: under 5%), the peak (VmHWM), and the
RSS at every 10% of the run.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

TARGET_GROWTH = 0.05


def rss_at_step(samples, step_times, step):
    """RSS (KiB) of the first sample taken after global step `step` ended."""
    ended = step_times[step]
    for stamp, rss in samples:
        if stamp >= ended:
            return rss
    return samples[-1][1]


def measure_model(model_name, dataset_name, args, data_dirs, workdir):
    command = [benchlib.PYTHON, benchlib.TRAIN_PY,
               "--train_dir=" + workdir.run_dir("memory-" + model_name),
               "--model_name=" + model_name,
               "--max_number_of_steps=%d" % args.steps,
               "--save_interval_steps=1000", "--log_every_n_steps=10"]
    command += benchlib.dataset_flags(dataset_name, data_dirs)
    run = benchlib.ChildRun(command, sample_every=args.interval)
    samples = [(stamp, rss) for stamp, _, rss, _ in run.samples if rss]
    peak = max(hwm for _, _, _, hwm in run.samples if hwm)
    launched = run.launched
    step_times = benchlib.progress_times(run.lines)
    marks = sorted({args.steps * k // 10 // 10 * 10 for k in range(1, 11)} |
                   {args.baseline_step, args.steps})
    at_steps = {step: rss_at_step(samples, step_times, step) for step in marks
                if step in step_times}
    baseline, final = at_steps[args.baseline_step], at_steps[args.steps]
    return {
        "network": model_name, "dataset": dataset_name, "steps": args.steps,
        "baseline_step": args.baseline_step,
        "rss_mib_at_step": {step: rss / 1024 for step, rss in at_steps.items()},
        "growth": (final - baseline) / baseline,
        "peak_rss_mib": peak / 1024,
        "max_sampled_rss_mib": max(rss for _, rss in samples) / 1024,
        "samples": [(round(stamp - launched, 1), rss) for stamp, rss in samples],
        "seconds": samples[-1][0] - launched if samples else None,
    }


def measure(args, data_dirs, workdir):
    results = {}
    for key, model_name, dataset_name in benchlib.training_cases(args.models):
        results[key] = measure_model(model_name, dataset_name, args,
                                     data_dirs, workdir)
        print("%s: %+.2f%% from step %d to %d" % (
            key, 100 * results[key]["growth"], args.baseline_step,
            args.steps), flush=True)
    return results


def table(results):
    header = ["network / data, steps", "RSS at step %d (MiB)" %
              next(iter(results.values()))["baseline_step"],
              "RSS at last step (MiB)", "growth", "peak RSS (MiB)",
              "RSS every 10% of the run (MiB)"]
    rows = []
    for result in results.values():
        by_step = result["rss_mib_at_step"]
        rows.append([
            "%s / %s, %d" % (result["network"], result["dataset"],
                             result["steps"]),
            "%.0f" % by_step[result["baseline_step"]],
            "%.0f" % by_step[result["steps"]],
            "%+.1f%% (%s)" % (100 * result["growth"],
                              "ok" if result["growth"] < TARGET_GROWTH
                              else "over 5%"),
            "%.0f" % result["peak_rss_mib"],
            " ".join("%d:%.0f" % (step, rss)
                     for step, rss in sorted(by_step.items()))])
    return benchlib.markdown_table(header, rows)


def main():
    parser = benchlib.argument_parser(__doc__.split("\n")[0], 1)
    parser.add_argument("--models", default="lenet,cifarnet",
                        help="networks, each on its default data set or as "
                        "network:dataset_name (see train_throughput.py)")
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--baseline_step", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=1.0,
                        help="seconds between RSS samples")
    args = parser.parse_args()
    if args.steps % 100 or args.baseline_step % 10 or \
            args.baseline_step >= args.steps:
        parser.error("--steps must be a multiple of 100 and above "
                     "--baseline_step, a multiple of 10")
    benchlib.run_benchmark(
        args, "memory",
        lambda data_dirs, workdir: measure(args, data_dirs, workdir), table)


if __name__ == "__main__":
    main()
