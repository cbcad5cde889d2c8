"""Inference latency and throughput: export.py's files vs the checkpoint.

    python bench/export_latency.py [--repeats 3] [--json F] [--markdown F]

Trains a LeNet checkpoint (on the MNIST-sized IDX files) and a CifarNet
checkpoint (on the CIFAR-10-sized batches) with train.py, exports each with
export.py (which checks every file against the checkpoint), then each round
runs, in a rotating order, each in a fresh process:

  session      the checkpoint graph in a TF1 session: the inference graph
               export.py builds (placeholder `input` -> network), the
               checkpoint restored, `session.run(probabilities)` fed a
               NumPy batch: what a research/slim user ran;
  saved_model  the SavedModel's `predict_images` signature, loaded with
               `tf.saved_model.load` in TF 2 eager code, called on a tensor;
  tflite       model.tflite in the TFLite interpreter (ai-edge-litert when
               installed, else tf.lite.Interpreter), resized to the batch,
               with one thread per core (TensorFlow's sessions and eager
               functions use every core by default; the interpreter's own
               default is fewer); an int8 model (export.json says so) with
               its input quantized and outputs dequantized
               (`int8_runner.tflite_runner`).

All three take the same preprocessed float32 images (decoding is left
out: it is the same work whichever file runs the network). Each process
times batch 1 and batch 32: 20 warm-up calls, then 300 calls (batch 1) or
60 (batch 32); the median call is the latency, and batch size / median call
the throughput. Ratios to `session` are taken within each round; the median
is reported.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from eval_throughput import train_checkpoint  # noqa: E402

EXPORT_PY = os.path.join(benchlib.REPO_ROOT, "export.py")
VARIANTS = ("session", "saved_model", "tflite")
BATCH_SIZES = (1, 32)
CALLS = {1: 300, 32: 60}
WARMUP_CALLS = 20


def measure(data_dirs, workdir, repeats):
    """{model: summary} over `repeats` rounds of every variant."""
    results = {}
    for model_name in benchlib.MODELS:
        train_dir = train_checkpoint(model_name, data_dirs, workdir)
        export_dir = os.path.join(train_dir, "export")
        benchlib.ChildRun([benchlib.PYTHON, EXPORT_PY,
                           "--checkpoint_dir=" + train_dir,
                           "--output_dir=" + export_dir])

        def run_variant(variant):
            figures = benchlib.ChildRun([
                benchlib.PYTHON, os.path.abspath(__file__), "--child",
                variant, "--train_dir", train_dir, "--export_dir",
                export_dir]).result()
            main = figures.pop("examples_per_sec@32")
            return main, {"%s:%s" % (name, variant): value
                          for name, value in figures.items()}

        rounds = benchlib.run_rounds(model_name, repeats, VARIANTS,
                                     run_variant)
        results[model_name] = summarize(rounds)
    return results


def summarize(rounds):
    """Medians of each figure and the paired ratios to `session`."""
    figures = {}
    for variant in VARIANTS:
        for batch in BATCH_SIZES:
            for name in ("latency_ms@%d" % batch, "examples_per_sec@%d" % batch):
                key = (variant if name == "examples_per_sec@32"
                       else "%s:%s" % (name, variant))
                figures["%s %s" % (variant, name)] = benchlib.median(
                    [r[key] for r in rounds])
    ratios = {}
    for variant in VARIANTS[1:]:
        for batch in BATCH_SIZES:
            key = "%s/session@%d" % (variant, batch)
            if batch == 32:
                values = benchlib.paired_ratios(rounds, variant, "session")
            else:
                values = benchlib.paired_ratios(
                    rounds, "examples_per_sec@1:" + variant,
                    "examples_per_sec@1:session")
            ratios[key] = {"median": benchlib.median(values), "all": values}
    return {"figures": figures, "ratios": ratios, "rounds": rounds}


def table(results):
    """Latency and throughput per model, variant and batch; the ratios."""
    rows = []
    for model_name, result in results.items():
        figures = result["figures"]
        for batch in BATCH_SIZES:
            rows.append(["%s, batch %d" % (model_name, batch)] + [
                "%.3f ms (%.0f/s)" % (
                    figures["%s latency_ms@%d" % (variant, batch)],
                    figures["%s examples_per_sec@%d" % (variant, batch)])
                for variant in VARIANTS] + [
                benchlib.ratio_cell(
                    result["ratios"]["%s/session@%d" % (variant, batch)]
                    ["all"], digits=2) for variant in VARIANTS[1:]])
    return benchlib.markdown_table(
        ["median latency per call (examples/sec)", "session (checkpoint)",
         "SavedModel", "TFLite", "SavedModel / session, examples/sec",
         "TFLite / session, examples/sec"], rows)


def child(variant, train_dir, export_dir):
    """Times one variant at each batch size; prints its figures."""
    import numpy as np

    run, input_shape = load_variant(variant, train_dir, export_dir)
    figures = {}
    for batch in BATCH_SIZES:
        images = np.random.default_rng(0).uniform(
            -1, 1, [batch] + input_shape[1:]).astype(np.float32)
        for _ in range(WARMUP_CALLS):
            run(images)
        times = []
        for _ in range(CALLS[batch]):
            start = time.perf_counter()
            run(images)
            times.append(time.perf_counter() - start)
        call = benchlib.median(times)
        figures["latency_ms@%d" % batch] = 1000.0 * call
        figures["examples_per_sec@%d" % batch] = batch / call
    benchlib.print_result(figures)


def load_variant(variant, train_dir, export_dir):
    """(fn(images) -> probabilities, input shape) of one variant."""
    from slimtrain.export import runners, writers
    from slimtrain.export.int8_runner import tflite_runner
    from slimtrain.export.predictor import CheckpointModel

    if variant == "session":
        model = CheckpointModel(train_dir)
        return model.probabilities_of_images, model.input_shape
    if variant == "saved_model":
        runner = runners.SavedModelRunner(
            os.path.join(export_dir, writers.SAVED_MODEL_DIRNAME),
            writers.IMAGES_SIGNATURE)
    else:
        runner = tflite_runner(export_dir, num_threads=os.cpu_count())
    input_shape = writers.read_description(export_dir)["input"]["shape"]
    return (lambda images: runner.run(images)["probabilities"]), input_shape


def main():
    parser = benchlib.argument_parser(__doc__.splitlines()[0], 3)
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--train_dir", help=argparse.SUPPRESS)
    parser.add_argument("--export_dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.train_dir, args.export_dir)
        return
    benchlib.run_benchmark(
        args, "export_latency",
        lambda data_dirs, workdir: measure(data_dirs, workdir, args.repeats),
        table)


if __name__ == "__main__":
    main()
