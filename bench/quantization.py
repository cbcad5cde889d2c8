"""Full-integer TFLite models against float ones, and the cost of QAT.

    python bench/quantization.py [--repeats 3] [--models lenet,cifarnet,...]
        [--json F] [--markdown F]

For each network (LeNet, CifarNet, mobilenet_v1 at --mobilenet_size with
--mobilenet_depth; its batch norms' decay 0.99, so that the moving
statistics settle within a short run), on the built-in digits (the only
labelled images slimtrain ships; each network's evaluation preprocessing
makes them its input size and channels), each step in a fresh child:

1. train a float checkpoint for --float_steps, then fine-tune it
   quantization-aware (slimtrain.compute.quantize, quant_delay 0) for
   --qat_steps: contrib.quantize's recommended use;
2. convert: the float TFLite model; post-training int8 of the float
   checkpoint, calibrated on --calibration_examples training images; int8
   of the quantization-aware checkpoint. For each: its size, its accuracy
   on the 360 test digits, and its top-1 agreement with its reference (the
   float graph, or the fake-quant graph);
3. latency: each file in the TFLite interpreter with one thread per core,
   20 warm-up calls then 200 (batch 1) or 40 (batch 32), the median call;
   the files run in a rotating order each round, and the int8/float ratios
   are taken within each round;
4. training cost: --timing_steps float and quantization-aware training
   steps (after --warmup_steps) in alternating children, batch 32, the same
   in-memory batches; the QAT/float ratio of the median step time, within
   each round.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

MODELS = ("lenet", "cifarnet", "mobilenet_v1")
FILES = ("float", "post_training_int8", "quantization_aware_int8")
BATCH_SIZES = (1, 32)
CALLS = {1: 200, 32: 40}
WARMUP_CALLS = 20
BATCH = 32


def parse_args():
    parser = benchlib.argument_parser(__doc__.splitlines()[0], 3)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--float_steps", type=int, default=600)
    parser.add_argument("--qat_steps", type=int, default=300)
    parser.add_argument("--calibration_examples", type=int, default=200)
    parser.add_argument("--timing_steps", type=int, default=50)
    parser.add_argument("--warmup_steps", type=int, default=10)
    parser.add_argument("--mobilenet_size", type=int, default=128)
    parser.add_argument("--mobilenet_depth", type=float, default=0.5)
    parser.add_argument("--child", choices=("train", "convert", "latency"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--quantize", action="store_true",
                        help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--init", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--float_checkpoint", help=argparse.SUPPRESS)
    parser.add_argument("--qat_checkpoint", help=argparse.SUPPRESS)
    return parser.parse_args()


# ------------------------------------------------------------------ parent

def measure(args, workdir):
    """{model: {"files": ..., "latency": rounds, "training": rounds}}."""
    results = {}
    for model in args.models.split(","):
        folder = workdir.run_dir(model)
        float_checkpoint = train(args, model, folder, args.float_steps)
        qat_checkpoint = train(args, model, folder, args.qat_steps,
                               quantize=True, init=float_checkpoint)
        files = child(args, "convert", model, "--out", folder,
                      "--float_checkpoint", float_checkpoint,
                      "--qat_checkpoint", qat_checkpoint)

        def run_file(name):
            figures = child(args, "latency", model, "--out",
                            files[name]["path"])
            return figures["latency_ms@1"], {
                "%s@32" % name: figures["latency_ms@32"]}

        timing = workdir.run_dir(model + "-timing")

        def run_training(variant):
            figures = child(args, "train", model, "--out", timing,
                            "--steps", str(args.warmup_steps +
                                           args.timing_steps),
                            *(["--quantize"] if variant == "qat" else []))
            return figures["ms_per_step"], {}

        results[model] = {
            "files": files,
            "latency": benchlib.run_rounds(model, args.repeats, FILES,
                                           run_file),
            "training": benchlib.run_rounds(model + " training", args.repeats,
                                            ("float", "qat"), run_training)}
    return results


def train(args, model, folder, steps, quantize=False, init=None):
    """Trains in a child; returns the checkpoint it saved."""
    extra = ["--quantize"] if quantize else []
    if init:
        extra += ["--init", init]
    return child(args, "train", model, "--out", folder, "--steps", str(steps),
                 *extra)["checkpoint"]


def child(args, mode, model, *extra):
    """Runs this script as a child in `mode`; returns its result."""
    return benchlib.ChildRun([
        benchlib.PYTHON, os.path.abspath(__file__), "--child", mode,
        "--model", model, "--warmup_steps", str(args.warmup_steps),
        "--calibration_examples", str(args.calibration_examples),
        "--mobilenet_size", str(args.mobilenet_size),
        "--mobilenet_depth", str(args.mobilenet_depth)] + list(extra)
    ).result()


def table(results):
    """One row per model and file; then the training cost per model."""
    rows = []
    for model, result in results.items():
        float_latency = {batch: benchlib.median(
            [r["float" if batch == 1 else "float@32"]
             for r in result["latency"]]) for batch in BATCH_SIZES}
        for name in FILES:
            figures = result["files"][name]
            cells = [model, name, "%.2f MB" % (figures["bytes"] / 1e6),
                     "%.1f%%" % (100 * figures["accuracy"]),
                     "%.1f%%" % (100 * figures["agreement"])]
            for batch in BATCH_SIZES:
                key = name if batch == 1 else "%s@32" % name
                latency = benchlib.median([r[key] for r in result["latency"]])
                ratios = benchlib.paired_ratios(
                    result["latency"], "float" if batch == 1 else "float@32",
                    key)
                cells.append("%.3f ms (float / this **%.2f**, %s)" % (
                    latency, benchlib.median(ratios),
                    benchlib.spread(ratios)) if name != "float" else
                    "%.3f ms" % float_latency[batch])
            rows.append(cells)
    files = benchlib.markdown_table(
        ["network", "TFLite file", "size", "accuracy (360 test digits)",
         "top-1 agreement with its reference", "latency, batch 1",
         "latency, batch 32"], rows)
    rows = []
    for model, result in results.items():
        ratios = benchlib.paired_ratios(result["training"], "qat", "float")
        rows.append([model] + ["%.1f ms" % benchlib.median(
            [r[variant] for r in result["training"]])
            for variant in ("float", "qat")] + [
            benchlib.ratio_cell(ratios, digits=2)])
    training = benchlib.markdown_table(
        ["network", "float training step", "quantization-aware step",
         "QAT / float step time"], rows)
    return files + "\n\n" + training


# ---------------------------------------------------------------- children

def network(args, model, images, is_training):
    """The logits of `model` on `images`."""
    import tf_slim as slim

    from nets import mobilenet_v1, nets_factory

    if model == "mobilenet_v1":
        with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(
                is_training=is_training, batch_norm_decay=0.99)):
            return mobilenet_v1.mobilenet_v1(
                images, num_classes=10, is_training=is_training,
                depth_multiplier=args.mobilenet_depth)[0]
    return nets_factory.get_network_fn(model, 10, is_training=is_training)(
        images)[0]


def digits(args, model, split):
    """The digits through `model`'s evaluation preprocessing (NumPy)."""
    import numpy as np
    import tensorflow as tf

    from nets import nets_factory
    from slimtrain.data.datasets import dataset_factory
    from slimtrain.data.preprocessing import preprocessing_factory

    size = (args.mobilenet_size if model == "mobilenet_v1" else
            nets_factory.get_network_fn(model, 10).default_image_size)
    channels = 1 if model == "lenet" else 3
    preprocess = preprocessing_factory.get_preprocessing(model,
                                                         is_training=False)
    dataset = dataset_factory.get_dataset("digits", split).make_dataset().map(
        lambda image, label: (preprocess(
            tf.image.grayscale_to_rgb(image) if channels == 3 else image,
            size, size), label))
    images, labels = zip(*dataset.as_numpy_iterator())
    return np.stack(images), np.array(labels)


def train_child(args):
    """Trains, saves a checkpoint; prints the median ms per step."""
    import numpy as np
    import tensorflow.compat.v1 as tf
    import tf_slim as slim

    from slimtrain.compute import quantize

    images, labels = digits(args, args.model, "train")
    with tf.Graph().as_default() as graph:
        tf.set_random_seed(0)
        inputs = tf.placeholder(tf.float32, (None,) + images.shape[1:])
        targets = tf.placeholder(tf.int64, [None])
        tf.losses.sparse_softmax_cross_entropy(
            targets, network(args, args.model, inputs, True))
        global_step = tf.train.get_or_create_global_step()
        if args.quantize:
            quantize.rewrite(graph, quantize.QuantizeOptions(
                is_training=True, quant_delay=0))
        train_op = slim.learning.create_train_op(
            tf.losses.get_total_loss(), tf.train.AdamOptimizer(1e-3))
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            if args.init:
                tf.train.Saver(slim.get_model_variables()).restore(
                    session, args.init)
            order = np.random.RandomState(0)
            times = []
            for _ in range(args.steps):
                batch = order.randint(0, len(images), BATCH)
                start = time.perf_counter()
                session.run(train_op, {inputs: images[batch],
                                       targets: labels[batch]})
                times.append(time.perf_counter() - start)
            folder = os.path.join(args.out,
                                  "qat" if args.quantize else "float")
            os.makedirs(folder, exist_ok=True)
            checkpoint = tf.train.Saver().save(
                session, os.path.join(folder, "model.ckpt"),
                global_step=global_step)
    benchlib.print_result({
        "checkpoint": checkpoint,
        "ms_per_step": 1000 * benchlib.median(times[args.warmup_steps:])})


def convert_child(args):
    """Writes the three TFLite files; prints their sizes and accuracy."""
    import tensorflow.compat.v1 as tf

    from slimtrain.compute import quantize
    from slimtrain.export import int8_tflite

    train_images, _ = digits(args, args.model, "train")
    test_images, test_labels = digits(args, args.model, "test")
    calibration = train_images[:args.calibration_examples]
    files = {}
    for name, checkpoint in (("float", args.float_checkpoint),
                             ("post_training_int8", args.float_checkpoint),
                             ("quantization_aware_int8", args.qat_checkpoint)):
        with tf.Graph().as_default() as graph:
            images = tf.placeholder(tf.float32,
                                    (None,) + test_images.shape[1:],
                                    name="input")
            logits = tf.identity(network(args, args.model, images, False),
                                 name="logits")
            probabilities = tf.nn.softmax(logits, name="probabilities")
            if name == "quantization_aware_int8":
                quantize.rewrite(graph, quantize.QuantizeOptions(
                    is_training=False))
            with tf.Session() as session:
                tf.train.Saver().restore(session, checkpoint)
                reference = session.run(logits, {images: test_images})
                tower = (session, images, logits, probabilities)
                if name == "float":
                    model = tf.lite.TFLiteConverter.from_session(
                        session, [images], [logits, probabilities]).convert()
                elif name == "post_training_int8":
                    model = int8_tflite.convert_post_training(
                        *tower, lambda: [calibration])
                else:
                    model = int8_tflite.convert_quantization_aware(*tower)
        files[name] = write_and_score(args.out, name, model, test_images,
                                      test_labels, reference)
    benchlib.print_result(files)


def write_and_score(folder, name, model, images, labels, reference):
    """Writes `model`; returns its path, size, accuracy and agreement."""
    import numpy as np

    path = os.path.join(folder, name + ".tflite")
    with open(path, "wb") as handle:
        handle.write(model)
    logits = tflite_runner(path).run(images)["logits"]
    return {"path": path, "bytes": len(model),
            "accuracy": float(np.mean(np.argmax(logits, 1) == labels)),
            "agreement": float(np.mean(np.argmax(logits, 1) ==
                                       np.argmax(reference, 1)))}


def tflite_runner(path):
    """The runner of an int8 file, or of a float one."""
    from slimtrain.export import runners
    from slimtrain.export.int8_runner import Int8TFLiteRunner

    if "int8" in os.path.basename(path):
        return Int8TFLiteRunner(path, num_threads=os.cpu_count())
    return runners.TFLiteRunner(path, num_threads=os.cpu_count())


def latency_child(args):
    """Times one TFLite file at each batch size; prints the medians."""
    import numpy as np

    runner = tflite_runner(args.out)
    images, _ = digits(args, args.model, "test")
    figures = {}
    for batch in BATCH_SIZES:
        chunk = images[:batch]
        for _ in range(WARMUP_CALLS):
            runner.run(chunk)
        times = []
        for _ in range(CALLS[batch]):
            start = time.perf_counter()
            runner.run(chunk)
            times.append(time.perf_counter() - start)
        figures["latency_ms@%d" % batch] = 1000 * float(np.median(times))
    benchlib.print_result(figures)


def main():
    args = parse_args()
    if args.child:
        {"train": train_child, "convert": convert_child,
         "latency": latency_child}[args.child](args)
        return
    machine = benchlib.run_header(args)
    with benchlib.Workdir(args.workdir) as workdir, \
            benchlib.LoadMonitor() as load:
        results = measure(args, workdir)
    output = {"machine": machine, "load": load.summary(), "results": results}
    benchlib.finish(args, "quantization", output, table(results) + "\n\n" +
                    benchlib.load_note(output["load"], machine))


if __name__ == "__main__":
    main()
