"""The child processes of the benchmarks: `python bench/workers.py MODE ...`.

Each mode measures one thing in a fresh process and prints one
BENCH_RESULT line of JSON (benchlib.ChildRun.result reads it):

  limit        the bare loop: the graph train.py builds (slimtrain.training.graph's
               own builder: same network, loss, learning rate, optimizer and
               train op), run as `session.run(train_op)` fed (feed_dict on
               the input iterator's outputs) from batches already in memory;
               with --input=pipeline, reading its own tf.data input instead.
  keras        the same network written with tf.keras (bench/keras_models.py),
               trained with `Model.fit` on the same in-memory batches.
  input        the training or evaluation tf.data input alone, as the
               harness builds it, drained with `session.run(get_next)`.
  eval_limit   the graph eval.py builds (slimtrain.evaluation.evaluator's own
               builder), its metric update ops run in a bare loop fed from
               in-memory batches (or, with --input=pipeline, its tf.data
               input).
  train_probe  runs train.py with the given flags and prints the time its
               first training step ended, with the times its start-up
               phases ended (for the start-up benchmark).
  bare_start   the start-up a bare script pays for the same first step:
               import TensorFlow, tf-slim and the network, build the
               network on a batch of random images at its default size,
               the same losses (weight decay, auxiliary head), learning
               rate and RMSProp, initialize the variables and run one
               training step; prints when each phase ended.

The in-memory batches are made by the harness's own input pipeline before
the clock starts, so all sides see the same preprocessed data. The graphs
come from slimtrain's own builders, `graph.build_train_graph` and
`CheckpointEvaluator.build_graph`, so that they are the harness's graphs
exactly, not copies of them.
"""

import argparse
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def _train_config(args, train_dir=None):
    from slimtrain.training.config import TrainConfig

    return TrainConfig(
        train_dir=train_dir or "unused", model_name=args.model_name,
        dataset_name=args.dataset_name, dataset_dir=args.dataset_dir,
        batch_size=args.batch_size,
        max_number_of_steps=args.steps).validate()


def _iterator_outputs(graph):
    """The (images, labels) tensors of the graph's one input iterator."""
    ops = [op for op in graph.get_operations() if op.type == "IteratorGetNext"]
    if len(ops) != 1:
        raise RuntimeError("expected one IteratorGetNext op, found %d"
                           % len(ops))
    return ops[0].outputs[0], ops[0].outputs[1]


def limit(args):
    import tensorflow.compat.v1 as tf

    from slimtrain.scenarios.registry import load_scenario
    from slimtrain.training.graph import build_train_graph
    from slimtrain.training.session import session_config

    config = _train_config(args)
    with tf.Graph().as_default() as graph:
        model = build_train_graph(config, load_scenario(config.scenario))
        images, labels = _iterator_outputs(graph)
        with tf.Session(config=session_config(config)) as sess:
            sess.run([tf.global_variables_initializer(),
                      tf.local_variables_initializer()])
            train_op = model.train_op
            times = []
            if args.input == "pipeline":
                graph.finalize()
                for _ in range(args.steps):
                    sess.run(train_op)
                    times.append(time.time())
            else:
                batches = [sess.run([images, labels])
                           for _ in range(args.steps)]
                graph.finalize()
                for image_batch, label_batch in batches:
                    sess.run(train_op, feed_dict={images: image_batch,
                                                  labels: label_batch})
                    times.append(time.time())
    benchlib.print_result({"step_end_times": times})


class _StepTimer:
    """Keras callback recording when each training batch ended."""

    def __new__(cls):
        import keras

        class StepTimer(keras.callbacks.Callback):
            # Safe to run off the main thread: Keras then keeps its default
            # (asynchronous) callback dispatch, as in a run without it.
            async_safe = True

            def __init__(self):
                super().__init__()
                self.times = []

            def on_train_batch_end(self, batch, logs=None):
                self.times.append(time.time())

        return StepTimer()


def keras_fit(args):
    import keras
    import keras_models
    import numpy as np
    import tensorflow as tf

    from slimtrain.compute.learning_rate import epochs_to_steps

    config = _train_config(args)
    split, batches = _eager_training_batches(config, args.steps)
    x = np.concatenate([images for images, _ in batches])
    y = np.concatenate([labels for _, labels in batches])
    image_size = x.shape[1]
    model = keras_models.BUILDERS[config.model_name](
        split.num_classes, config.weight_decay, image_size=image_size,
        channels=x.shape[3])
    # train.py's default schedule and optimizer (rmsprop, exponential decay).
    schedule = keras.optimizers.schedules.ExponentialDecay(
        config.learning_rate,
        epochs_to_steps(config.num_epochs_per_decay, split.num_samples, config),
        config.learning_rate_decay_factor, staircase=True)
    optimizer = keras.optimizers.RMSprop(
        schedule, rho=config.rmsprop_decay, momentum=config.rmsprop_momentum,
        epsilon=config.opt_epsilon)
    model.compile(optimizer=optimizer,
                  loss=keras.losses.SparseCategoricalCrossentropy(
                      from_logits=True))
    timer = _StepTimer()
    model.fit(x, y, batch_size=config.batch_size, epochs=1, shuffle=False,
              verbose=0, callbacks=[timer])
    benchlib.print_result({"step_end_times": timer.times,
                           "jit_compile": bool(model.jit_compile),
                           "tensorflow": tf.__version__})


def _eager_training_batches(config, count):
    """`count` training batches from the harness's pipeline, as numpy."""
    from nets import nets_factory
    from slimtrain.data.datasets import dataset_factory
    from slimtrain.data.input_pipeline import training_stream
    from slimtrain.data.preprocessing import preprocessing_factory

    split = dataset_factory.get_dataset(config.dataset_name, "train",
                                        config.dataset_dir)
    image_size = nets_factory.get_network_fn(
        config.model_name, split.num_classes).default_image_size
    dataset = training_stream(
        split, preprocessing_factory.get_preprocessing(config.model_name,
                                                       is_training=True),
        image_size=image_size, batch_size=config.batch_size,
        num_readers=config.num_readers,
        num_preprocessing_threads=config.num_preprocessing_threads)
    return split, list(dataset.take(count).as_numpy_iterator())


def input_only(args):
    """Drains the harness's input pipeline; examples/sec and CPU per example."""
    import tensorflow.compat.v1 as tf

    from nets import nets_factory
    from slimtrain.data.datasets import dataset_factory
    from slimtrain.data.input_pipeline import evaluation_pass, training_stream
    from slimtrain.data.preprocessing import preprocessing_factory
    from slimtrain.training.session import session_config

    config = _train_config(args)
    training_input = args.split == "train"
    with tf.Graph().as_default():
        split = dataset_factory.get_dataset(args.dataset_name, args.split,
                                            args.dataset_dir)
        image_size = nets_factory.get_network_fn(
            args.model_name, split.num_classes).default_image_size
        preprocessing_fn = preprocessing_factory.get_preprocessing(
            args.model_name, is_training=training_input)
        build = training_stream if training_input else evaluation_pass
        batches = build(
            split, preprocessing_fn, image_size=image_size,
            batch_size=args.batch_size, num_readers=config.num_readers,
            num_preprocessing_threads=config.num_preprocessing_threads)
        if not training_input:
            batches = batches.repeat()  # passes over the split, back to back
        images, _ = tf.data.make_one_shot_iterator(batches).get_next()
        with tf.Session(config=session_config(config)) as sess:
            for _ in range(args.warmup_batches):
                sess.run(images)
            start, cpu_start = time.time(), _cpu_seconds()
            examples = 0
            while time.time() - start < args.seconds:
                examples += len(sess.run(images))
            elapsed, cpu = time.time() - start, _cpu_seconds() - cpu_start
    benchlib.print_result({"examples": examples, "elapsed": elapsed,
                           "cpu_seconds": cpu,
                           "examples_per_sec": examples / elapsed,
                           "cpu_ms_per_1000_examples": 1e6 * cpu / examples})


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def eval_limit(args):
    import tensorflow.compat.v1 as tf

    from slimtrain.evaluation.config import EvalConfig
    from slimtrain.evaluation.evaluator import CheckpointEvaluator

    config = EvalConfig(
        checkpoint_path=args.checkpoint, model_name=args.model_name,
        dataset_name=args.dataset_name, dataset_dir=args.dataset_dir,
        dataset_split_name=args.split, batch_size=args.batch_size,
        num_preprocessing_threads=args.num_preprocessing_threads,
        labels_offset=0, use_grayscale=False).validate()
    evaluator = CheckpointEvaluator(config)
    with tf.Graph().as_default() as graph:
        model = evaluator.build_graph()
        images, labels = _iterator_outputs(graph)
        saver = tf.train.Saver(model["variables_to_restore"])
        updates = list(model["updates"].values())
        with tf.Session(config=tf.ConfigProto(
                allow_soft_placement=True)) as sess:
            saver.restore(sess, args.checkpoint)
            sess.run(tf.local_variables_initializer())
            times = []
            if args.input == "pipeline":
                graph.finalize()
                for _ in range(evaluator.num_batches):
                    sess.run(updates)
                    times.append(time.time())
            else:
                batches = [sess.run([images, labels])
                           for _ in range(evaluator.num_batches)]
                graph.finalize()
                for image_batch, label_batch in batches:
                    sess.run(updates, feed_dict={images: image_batch,
                                                 labels: label_batch})
                    times.append(time.time())
            values = sess.run(model["values"])
    benchlib.print_result({"batch_end_times": times,
                           "metrics": {k: float(v) for k, v in values.items()}})


def train_probe(train_py, train_args):
    """Runs train.py; prints when its first training step and its start-up
    phases ended.

    The phases are read off public functions train.py calls in order, each
    wrapped to note the time (a phase whose function a checkout does not
    call is left out): `trainer.build_train_graph` (`trainer.build_model`
    before it; the whole graph but the
    saver, summary writer and checks), the first `tf.losses.get_total_loss`
    (the network and its losses built), slim's `create_train_op`
    (gradients and optimizer), the Supervisor's construction and its
    session manager's `prepare_session` (session, variable initialization),
    and the step runner's first call. With --train_py, that train.py (of
    another checkout) runs, with its own slimtrain. Every other argument
    goes to train.py unchanged.
    """
    import runpy

    train_py = train_py or benchlib.TRAIN_PY
    sys.path.insert(0, os.path.dirname(os.path.abspath(train_py)))
    import tensorflow.compat.v1 as tf
    import tf_slim as slim
    from tensorflow.python.training import session_manager

    from slimtrain.training import step_runner, trainer

    stamps = {"imported": time.time()}

    def noting(owner, name, start=None, end=None):
        """Notes when the first call of owner.name starts and ends."""
        original = getattr(owner, name, None)
        if original is None:
            return

        def wrapper(*call_args, **kwargs):
            if start and start not in stamps:
                stamps[start] = time.time()
            outcome = original(*call_args, **kwargs)
            if end and end not in stamps:
                stamps[end] = time.time()
            return outcome

        setattr(owner, name, wrapper)

    noting(trainer, "build_train_graph", end="build_end")
    noting(trainer, "build_model", end="build_end")
    noting(tf.losses, "get_total_loss", end="forward_built")
    noting(slim.training, "create_train_op", "train_op_start",
           "train_op_built")
    noting(tf.train.Supervisor, "__init__", "supervisor_start")
    noting(session_manager.SessionManager, "prepare_session",
           end="session_ready")
    original_call = step_runner.StepRunner.__call__

    def call(self, *call_args):
        if "first_step_start" not in stamps:
            stamps["first_step_start"] = time.time()
        outcome = original_call(self, *call_args)
        if "first_step_end" not in stamps:
            stamps["first_step_end"] = time.time()
            benchlib.print_result(stamps)
        return outcome

    step_runner.StepRunner.__call__ = call
    sys.argv = [train_py] + train_args
    runpy.run_path(train_py, run_name="__main__")


def bare_start(args):
    """A bare script's start-up to its first training step (see doc)."""
    import tensorflow.compat.v1 as tf

    from nets import nets_factory
    stamps = {"imported": time.time()}
    num_classes = 10  # the built-in digits' classes, as train.py trains
    with tf.Graph().as_default():
        global_step = tf.train.get_or_create_global_step()
        network_fn = nets_factory.get_network_fn(
            args.model_name, num_classes, weight_decay=0.00004,
            is_training=True)
        size = network_fn.default_image_size
        images = tf.random.uniform([args.batch_size, size, size, 3], -1, 1)
        labels = tf.random.uniform([args.batch_size], 0, num_classes,
                                   tf.int32)
        logits, end_points = network_fn(images)
        one_hot = tf.one_hot(labels, num_classes)
        if "AuxLogits" in end_points:
            tf.losses.softmax_cross_entropy(one_hot, end_points["AuxLogits"],
                                            weights=0.4)
        tf.losses.softmax_cross_entropy(one_hot, logits)
        total_loss = tf.losses.get_total_loss()
        stamps["forward_built"] = time.time()
        learning_rate = tf.train.exponential_decay(
            0.01, global_step, 1000, 0.94, staircase=True)
        optimizer = tf.train.RMSPropOptimizer(learning_rate, decay=0.9,
                                              momentum=0.9, epsilon=1.0)
        with tf.control_dependencies(tf.get_collection(
                tf.GraphKeys.UPDATE_OPS)):
            train_op = optimizer.minimize(total_loss, global_step=global_step)
        stamps["graph_built"] = time.time()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            stamps["initialized"] = time.time()
            sess.run(train_op)
            stamps["first_step_end"] = time.time()
    benchlib.print_result(stamps)


def main():
    if sys.argv[1:2] == ["train_probe"]:
        # Every flag but --train_py is train.py's (--model_name included).
        probe = argparse.ArgumentParser(allow_abbrev=False)
        probe.add_argument("--train_py", default=None,
                           help="the train.py to run (default: this "
                           "checkout's)")
        probe_args, train_args = probe.parse_known_args(sys.argv[2:])
        return train_probe(probe_args.train_py, train_args)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["limit", "keras", "input",
                                         "eval_limit", "bare_start"])
    parser.add_argument("--model_name", default="lenet")
    parser.add_argument("--dataset_name", default="digits")
    parser.add_argument("--dataset_dir", default=None)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=100,
                        help="training steps (limit, keras)")
    parser.add_argument("--split", default="train", help="input: which "
                        "split (train: training input; else evaluation "
                        "input); eval_limit: the split evaluated")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup_batches", type=int, default=20)
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--num_preprocessing_threads", type=int, default=4,
                        help="eval_limit: eval.py's flag of that name")
    parser.add_argument("--input", choices=["memory", "pipeline"],
                        default="memory", help="limit, eval_limit: feed "
                        "batches already in memory (the limit), or read them "
                        "through the graph's own tf.data input (to tell the "
                        "input's cost from the harness's)")
    args = parser.parse_args()
    return {"limit": limit, "keras": keras_fit, "input": input_only,
            "eval_limit": eval_limit, "bare_start": bare_start}[args.mode](args)


if __name__ == "__main__":
    main()
