"""Inference throughput of nets.eager against the graph-mode Session.

    python bench/eager_inference.py [--repeats 3] [--json F] [--markdown F]

For LeNet (28x28x1, batch 100), CifarNet (32x32x3, batch 100) and Inception
v3 (299x299x3, batch 4), each round runs, in a rotating order, each in a
fresh process, on the same random batch (a NumPy array, converted or fed on
every call as a caller's data would be) and freshly initialized weights:

  session    the network built by nets_factory in a tf.Graph, and a bare
             `session.run(logits, {images: batch})` loop: TF-Slim's way;
  module     `nets.eager.network(...)` called from eager code,
             `module(batch)`: the module runs its traced graph function;
  function   the module inside the caller's own `tf.function`;
  op_by_op   the module under `tf.config.run_functions_eagerly(True)`, so
             TF-Slim's Python runs op by op on every call.

Examples/sec is counted over the timed calls after the warm-up calls (which
include building, tracing and graph optimization); the ratios to `session`
are taken within each round, and their median is reported.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

VARIANTS = ("session", "module", "function", "op_by_op")
RATIOS = tuple((variant, "session") for variant in VARIANTS[1:])
# model -> (image shape, batch size, timed calls)
MODELS = {
    "lenet": ((28, 28, 1), 100, 200),
    "cifarnet": ((32, 32, 3), 100, 100),
    "inception_v3": ((299, 299, 3), 4, 10),
}
WARMUP_CALLS = 3


def worker(variant, model_name):
    """Runs in the child: times `variant` and prints the result line."""
    import numpy as np
    import tensorflow as tf

    from nets import eager, nets_factory

    shape, batch_size, calls = MODELS[model_name]
    batch = np.random.RandomState(0).uniform(
        -1, 1, (batch_size,) + shape).astype(np.float32)
    num_classes = 1001 if model_name == "inception_v3" else 10
    if variant == "session":
        graph = tf.Graph()
        with graph.as_default():
            images = tf.compat.v1.placeholder(tf.float32, batch.shape)
            logits, _ = nets_factory.get_network_fn(
                model_name, num_classes)(images)
            init = tf.compat.v1.global_variables_initializer()
        session = tf.compat.v1.Session(graph=graph)
        session.run(init)

        def infer():
            return session.run(logits, {images: batch})
    else:
        module = eager.network(model_name, num_classes)
        module.build(batch.shape)
        call = tf.function(module) if variant == "function" else module
        tf.config.run_functions_eagerly(variant == "op_by_op")

        def infer():
            return call(batch)[0].numpy()

    for _ in range(WARMUP_CALLS):
        infer()
    start = time.time()
    for _ in range(calls):
        infer()
    benchlib.print_result({"start": start, "end": time.time(),
                           "examples": calls * batch_size})


def measure_variant(model_name, variant):
    run = benchlib.ChildRun([benchlib.PYTHON, os.path.abspath(__file__),
                             "--worker", variant, model_name])
    result = run.result()
    elapsed = result["end"] - result["start"]
    cpu = run.cpu_seconds_between(result["start"], result["end"])
    return (result["examples"] / elapsed,
            {"cpu:" + variant: 1000.0 * cpu / result["examples"]})


def measure(args):
    results = {}
    for model_name in args.models:
        rounds = benchlib.run_rounds(
            model_name, args.repeats, VARIANTS,
            lambda variant, name=model_name: measure_variant(name, variant))
        results[model_name] = dict(
            benchlib.throughput_summary(rounds, VARIANTS, RATIOS),
            model=model_name, batch_size=MODELS[model_name][1])
    return results


def table(results):
    return benchlib.throughput_tables(
        results, lambda r: "%s, batch %d" % (r["model"], r["batch_size"]),
        [(v, v) for v in VARIANTS],
        [("%s/session" % v, "%s / session" % v) for v in VARIANTS[1:]])


def main():
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2], sys.argv[3])
        return
    parser = benchlib.argument_parser(__doc__.split("\n")[0], 3)
    parser.add_argument("--models", nargs="+", default=list(MODELS),
                        choices=list(MODELS))
    args = parser.parse_args()
    machine = benchlib.run_header(args)
    with benchlib.LoadMonitor() as load:
        results = measure(args)
    output = {"machine": machine, "load": load.summary(), "results": results}
    benchlib.finish(args, "eager_inference", output,
                    table(results) + "\n\n" +
                    benchlib.load_note(output["load"], machine))


if __name__ == "__main__":
    main()
