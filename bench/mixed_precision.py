"""bfloat16 against float32: train.py's speed and accuracy, per network.

    python bench/mixed_precision.py [--repeats 3] [--models lenet,...]
        [--allow_emulated] [--json F] [--markdown F]

For LeNet (28 px), CifarNet (32 px), resnet_v1_50 (64 px) and
mobilenet_v1 (96 px), all on the MNIST-sized IDX digits (real labels, so
that accuracy means something; the 28 px images are resized to each
network's input), each round runs train.py in a fresh process, in a
rotating order:

  float32           train.py's defaults (RMSProp, batch --batch_size);
  bfloat16          the same with --mixed_precision=bfloat16 (depthwise
                    convolutions kept float32: slimtrain's default);
  bfloat16_all      (networks with depthwise convolutions only) the same
                    with every op the rewrite can convert in bfloat16
                    (TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_ALLOWLIST_REMOVE
                    set empty), to show what keeping them float32 is worth.

Examples/sec is steady state, from the progress lines at the end of the
warm-up steps and of the last measured step. Each run trains a fixed
number of steps (warm-up + measured + 10) and its final checkpoint is then
evaluated by eval.py in float32 on the first 2,000 test images: the
accuracy after that many steps, in each precision.

bfloat16 needs a CPU with AMX or AVX512-BF16 (train.py refuses it
elsewhere). On another CPU this script says so and exits with status 2,
unless --allow_emulated: then bfloat16 runs emulated
(SLIMTRAIN_ALLOW_EMULATED_BFLOAT16=1, TF_ENABLE_ONEDNN_OPTS=1), many times
slower, which checks the script but measures nothing of use.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

from slimtrain.compute.cpu_features import (  # noqa: E402
    BFLOAT16_CPU_FLAGS,
    has_bfloat16_instructions,
)

# network: (image size, batch size, warm-up steps, measured steps, whether
# it has depthwise convolutions).
NETWORKS = {
    "lenet": (28, 32, 30, 300, False),
    "cifarnet": (32, 32, 20, 200, False),
    "resnet_v1_50": (64, 16, 10, 40, False),
    "mobilenet_v1": (96, 32, 10, 60, True),
}
DATASET = "mnist_idx"
LOG_EVERY = 10
EVAL_BATCHES = 20  # of 100 test images
EMULATION_ENV = {"SLIMTRAIN_ALLOW_EMULATED_BFLOAT16": "1",
                 "TF_ENABLE_ONEDNN_OPTS": "1"}


def steps_of(model_name, args):
    """(warm-up steps, measured steps) of a network: NETWORKS', or the
    command line's."""
    _, _, warmup, steps, _ = NETWORKS[model_name]
    return args.warmup_steps or warmup, args.steps or steps


def run_variant(variant, model_name, data_dirs, workdir, env, args):
    """One training run and its evaluation: (examples/sec, accuracy)."""
    size, batch_size, _, _, _ = NETWORKS[model_name]
    warmup, steps = steps_of(model_name, args)
    total = warmup + steps
    train_dir = workdir.run_dir(model_name + "-" + variant)
    flags = ["--train_dir=" + train_dir, "--model_name=" + model_name,
             "--train_image_size=%d" % size, "--batch_size=%d" % batch_size,
             "--max_number_of_steps=%d" % (total + LOG_EVERY),
             "--log_every_n_steps=%d" % LOG_EVERY]
    flags += benchlib.dataset_flags(DATASET, data_dirs)
    variant_env = dict(env)
    if variant != "float32":
        flags.append("--mixed_precision=bfloat16")
    if variant == "bfloat16_all":
        variant_env[
            "TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_ALLOWLIST_REMOVE"] = ""
    run = benchlib.ChildRun([benchlib.PYTHON, benchlib.TRAIN_PY] + flags,
                            env=variant_env)
    times = benchlib.progress_times(run.lines)
    rate = benchlib.rate(times, warmup, total, batch_size)
    eval_dir = os.path.join(train_dir, "eval")
    benchlib.ChildRun([benchlib.PYTHON, benchlib.EVAL_PY,
                       "--checkpoint_dir=" + train_dir,
                       "--eval_dir=" + eval_dir, "--dataset_split_name=test",
                       "--batch_size=100",
                       "--max_num_batches=%d" % EVAL_BATCHES])
    with open(os.path.join(eval_dir, "results.jsonl")) as handle:
        accuracy = json.loads(handle.readline())["metrics"]["Accuracy"]
    return rate, accuracy


def measure(args, data_dirs, workdir):
    env = EMULATION_ENV if args.allow_emulated and not has_bfloat16_instructions() \
        else {}
    results = {"emulated": bool(env), "networks": {}}
    for model_name in args.models.split(","):
        variants = ["float32", "bfloat16"]
        if NETWORKS[model_name][4]:
            variants.append("bfloat16_all")

        def run(variant, model_name=model_name):
            rate, accuracy = run_variant(variant, model_name, data_dirs,
                                         workdir, env, args)
            return rate, {"accuracy:" + variant: accuracy}

        rounds = benchlib.run_rounds(model_name, args.repeats, variants, run)
        size, batch_size, _, _, _ = NETWORKS[model_name]
        warmup, steps = steps_of(model_name, args)
        result = {"image_size": size, "batch_size": batch_size,
                  "steps": warmup + steps + LOG_EVERY,
                  "examples_per_sec": {}, "accuracy": {}, "ratios": {},
                  "rounds": rounds}
        for variant in variants:
            result["examples_per_sec"][variant] = benchlib.median(
                [r[variant] for r in rounds])
            result["accuracy"][variant] = benchlib.median(
                [r["accuracy:" + variant] for r in rounds])
            if variant != "float32":
                values = benchlib.paired_ratios(rounds, variant, "float32")
                result["ratios"][variant] = {
                    "median": benchlib.median(values), "all": values}
        results["networks"][model_name] = result
    return results


def table(results):
    """The Markdown table, and which networks bfloat16 makes slower."""
    header = ["network (input, batch, steps)", "float32 ex/s",
              "bfloat16 ex/s", "bfloat16 / float32", "accuracy float32",
              "accuracy bfloat16", "bfloat16, depthwise too / float32"]
    rows, slower = [], []
    for name, result in results["networks"].items():
        rates, accuracy = result["examples_per_sec"], result["accuracy"]
        ratio = result["ratios"]["bfloat16"]
        every = result["ratios"].get("bfloat16_all")
        rows.append([
            "%s (%d px, %d, %d)" % (name, result["image_size"],
                                    result["batch_size"], result["steps"]),
            "%.0f" % rates["float32"], "%.0f" % rates["bfloat16"],
            benchlib.ratio_cell(ratio["all"], digits=2, unit="x"),
            "%.3f" % accuracy["float32"], "%.3f" % accuracy["bfloat16"],
            benchlib.ratio_cell(every["all"], digits=2, unit="x", bold=False)
            if every else "-"])
        if ratio["median"] < 1:
            slower.append("%s (%.2fx)" % (name, ratio["median"]))
    lines = [benchlib.markdown_table(header, rows), ""]
    lines.append("Slower in bfloat16 than in float32: %s." % (
        ", ".join(slower) if slower else "none"))
    if results["emulated"]:
        lines.append("EMULATED: this CPU has no bfloat16 instructions; the "
                     "bfloat16 figures measure emulation, not bfloat16.")
    return "\n".join(lines)


def main():
    parser = benchlib.argument_parser(__doc__.split("\n")[0], 3)
    parser.add_argument("--models", default=",".join(NETWORKS))
    parser.add_argument("--allow_emulated", action="store_true",
                        help="on a CPU without bfloat16 instructions, run "
                        "bfloat16 emulated (to check the script) instead of "
                        "refusing")
    parser.add_argument("--warmup_steps", type=int, default=None,
                        help="for every network (a multiple of 10); "
                        "default: each network's own")
    parser.add_argument("--steps", type=int, default=None,
                        help="measured steps, for every network (a multiple "
                        "of 10); default: each network's own")
    args = parser.parse_args()
    for value in (args.warmup_steps, args.steps):
        if value is not None and value % LOG_EVERY:
            parser.error("--warmup_steps and --steps must be multiples of %d"
                         % LOG_EVERY)
    for name in args.models.split(","):
        if name not in NETWORKS:
            parser.error("unknown network %r: use some of %s"
                         % (name, ", ".join(NETWORKS)))
    if not has_bfloat16_instructions() and not args.allow_emulated:
        print("This CPU has no bfloat16 instructions (%s): train.py refuses "
              "--mixed_precision=bfloat16 here, so there is nothing to "
              "measure (--allow_emulated runs it emulated, to check this "
              "script)." % " or ".join(BFLOAT16_CPU_FLAGS), file=sys.stderr)
        sys.exit(2)
    benchlib.run_benchmark(
        args, "mixed_precision",
        lambda data_dirs, workdir: measure(args, data_dirs, workdir), table)


if __name__ == "__main__":
    main()
