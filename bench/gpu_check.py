"""GPU readiness: float32, float16 and bfloat16, one and two clones, at once.

    python bench/gpu_check.py [--json F] [--markdown F] [--cpu]

For the day a GPU is lent: on a machine whose TensorFlow sees a GPU, trains
CifarNet (32 px, batch 128) and resnet_v1_50 (112 px, batch 32) on the
built-in digits with train.py, each variant once, in a fresh process:

  float32           train.py's defaults;
  float16           --mixed_precision=float16 (the CUDA rewrite and dynamic
                    loss scaling);
  bfloat16          --mixed_precision=bfloat16, which train.py refuses on a
                    GPU (it is the CPU's oneDNN rewrite): the table shows its
                    one line;
  float32, 2 clones --num_clones=2 (clone 1 asks for GPU:1; with one GPU,
                    TensorFlow's soft placement puts it elsewhere).

Steps per session.run are not built (on a CPU they gained 0-5 %,
measured on the project's Intel machines on 2026-12-06, and without a GPU
there was nothing to decide them on), so the table says so instead of
measuring them.

It prints one table: steady-state examples/sec (from the progress lines,
after 20 warm-up steps) and the ratio to float32, and ends in about 5
minutes (well under 10): no data set is made, the digits ship with
slimtrain. Without a GPU it says so in one line and exits with status 2;
--cpu runs the same variants on the CPU with a few small steps, to check
the script (float16 is then refused, as on any CPU).
"""

import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

# network: (image size, batch size, warm-up steps, measured steps) on a
# GPU, and with --cpu.
NETWORKS = {"cifarnet": ((32, 128, 20, 200), (32, 8, 10, 20)),
            "resnet_v1_50": ((112, 32, 20, 100), (32, 2, 10, 10))}
# The whole run stops starting train.py runs after this long, and each run
# is stopped when it passes the time left: the script ends within 10 min.
BUDGET_SECS = 540
VARIANTS = (("float32", []),
            ("float16", ["--mixed_precision=float16"]),
            ("bfloat16", ["--mixed_precision=bfloat16"]),
            ("float32, 2 clones", ["--num_clones=2"]))
LOG_EVERY = 10


def visible_gpus():
    """The GPUs TensorFlow sees, as [(name, description)], asked of a child
    process (this one never imports TensorFlow)."""
    run = benchlib.ChildRun([benchlib.PYTHON, "-c", (
        "import json, tensorflow as tf; print(%r + json.dumps("
        "[(d.name, tf.config.experimental.get_device_details(d)"
        ".get('device_name', '')) for d in "
        "tf.config.list_physical_devices('GPU')]))"
        % benchlib.RESULT_PREFIX)])
    return [tuple(gpu) for gpu in run.result()]


def run_variant(model_name, flags, settings, workdir, deadline):
    """One train.py run: (examples/sec, None), or (None, why there is no
    figure: train.py's error line, or the time budget)."""
    left = deadline - time.time()
    if left < 30:
        return None, "not run: the 10-minute budget was spent"
    size, batch_size, warmup, steps = settings
    total = warmup + steps
    run = benchlib.ChildRun(
        [benchlib.PYTHON, benchlib.TRAIN_PY,
         "--train_dir=" + workdir.run_dir(model_name),
         "--model_name=" + model_name, "--train_image_size=%d" % size,
         "--batch_size=%d" % batch_size,
         "--max_number_of_steps=%d" % (total + LOG_EVERY),
         "--log_every_n_steps=%d" % LOG_EVERY] + flags, check=False,
        timeout=left)
    if run.ended - run.launched >= left:
        return None, "stopped: it ran past the 10-minute budget"
    if run.returncode != 0:
        errors = re.findall(r"^error: (.*)$", run.output, re.M)
        if run.returncode == 2 and errors:
            return None, errors[-1]
        raise RuntimeError("train.py failed with status %d:\n%s" % (
            run.returncode, run.output[-4000:]))
    times = benchlib.progress_times(run.lines)
    return benchlib.rate(times, warmup, total, batch_size), None


def measure(on_cpu, workdir, started):
    deadline = started + BUDGET_SECS
    results = {}
    for model_name, (gpu_settings, cpu_settings) in NETWORKS.items():
        settings = cpu_settings if on_cpu else gpu_settings
        rows = {}
        for variant, flags in VARIANTS:
            rate, refused = run_variant(model_name, flags, settings, workdir,
                                        deadline)
            rows[variant] = {"examples_per_sec": rate, "refused": refused}
            print("%s %s: %s" % (model_name, variant, refused or
                                 "%.1f examples/sec" % rate), flush=True)
        results[model_name] = {"settings": settings, "variants": rows}
    return results


def table(results, gpus):
    header = ["network (input, batch)", "variant", "examples/sec",
              "/ float32", "note"]
    rows = []
    for model_name, result in results.items():
        size, batch_size, _, _ = result["settings"]
        base = result["variants"]["float32"]["examples_per_sec"]
        for variant, values in result["variants"].items():
            rate = values["examples_per_sec"]
            rows.append(["%s (%d px, %d)" % (model_name, size, batch_size),
                         variant, "%.1f" % rate if rate else "-",
                         "**%.2fx**" % (rate / base) if rate and base else "-",
                         values["refused"] or ""])
        rows.append(["%s (%d px, %d)" % (model_name, size, batch_size),
                     "steps per session.run", "-", "-",
                     "not built (no flag): one step per session.run"])
    devices = ", ".join("%s (%s)" % gpu for gpu in gpus) or "none: the CPU"
    return benchlib.markdown_table(header, rows) + "\n\nGPUs: %s." % devices


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cpu", action="store_true",
                        help="without a GPU, run the variants on the CPU "
                        "with a few small steps (checks the script only)")
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--json", default=None)
    parser.add_argument("--markdown", default=None)
    args = parser.parse_args()
    started = time.time()
    gpus = visible_gpus()
    if not gpus and not args.cpu:
        print("No GPU: TensorFlow sees none on this machine, so there is "
              "nothing to measure (--cpu checks the script on the CPU).",
              file=sys.stderr)
        sys.exit(2)
    with benchlib.Workdir(args.workdir) as workdir:
        results = measure(not gpus, workdir, started)
    output = {"gpus": gpus, "results": results,
              "seconds": time.time() - started}
    benchlib.finish(args, "gpu_check", output, table(results, gpus) +
                    "\n\nTook %.0f s." % (time.time() - started))


if __name__ == "__main__":
    main()
