"""The default training scenario: one classifier, one loss, `slim.learning.train`.

`train(config)` builds the graph the way TF-Slim's `train_image_classifier.py`
does (data set -> tf.data pipeline -> network under its arg_scope -> slim
losses -> learning rate -> optimizer -> `slim.learning.create_train_op`) and
hands it to `slim.learning.train`, which owns the session, the Supervisor,
timed checkpoints and timed summaries.

What slimtrain adds around slim's loop lives in `slimtrain.training.step_runner` (the
`train_step_fn`: step-based checkpoints and scalar summaries, progress lines
with examples/sec and ETA) and `slimtrain.training.sync_replicas` (a sync-replica run
that ends cleanly). `--num_clones` builds the model through
`slimtrain.training.clones`; TF_CONFIG makes the process one task of a
cluster (`slimtrain.distributed.cluster_task`). Bad settings are found
before the train dir is touched.
"""

import contextlib
import os
import warnings

import tensorflow.compat.v1 as tf
import tf_slim as slim
from absl import logging

from slimtrain.training import checkpoints, workspace
from slimtrain.compute.classifier import resolve_classifier
from slimtrain.training.config import parse_gradient_multipliers, split_scopes
from slimtrain.data.datasets import dataset_factory
from slimtrain.distributed.cluster_task import (join_as_training_task,
                                                run_service_task)
from slimtrain.distributed.tf_config import Cluster
from slimtrain.errors import ConfigError
from slimtrain.data.input_pipeline import build_input_dataset
from slimtrain.compute.learning_rate import configure_learning_rate
from slimtrain.compute.losses import add_classification_losses, add_loss_summaries
from slimtrain.compute.optimizers import configure_optimizer
from slimtrain.training.clones import build_clones
from slimtrain.training.step_runner import StepRunner
from slimtrain.training.sync_replicas import make_sync_optimizer

# The message of the check_numerics op `slim.learning.create_train_op` adds.
NAN_LOSS_MESSAGE = "LossTensor is inf or nan"


def train(config):
    """Trains `config.model_name` on `config.dataset_name`; returns the last loss.

    With TF_CONFIG set, the process becomes the task it names
    (`slimtrain.distributed.cluster_task`): the chief and workers train
    here; a ps or evaluator task runs its role and returns None.

    Raises:
      ConfigError: for any setting, data set or checkpoint that cannot work;
        raised before anything is written to `config.train_dir`.
    """
    config.validate()
    cluster = Cluster.from_environment()  # TF_CONFIG: docs/DISTRIBUTED.md
    if cluster is not None and not cluster.trains:
        return run_service_task(cluster, config)  # a ps or the evaluator
    if cluster is not None:
        config = join_as_training_task(cluster, config)
    is_chief = config.task == 0
    with tf.Graph().as_default() as graph:
        if config.seed is not None:
            tf.set_random_seed(config.seed)
        model = build_model(config)
        resume_from = tf.train.latest_checkpoint(config.train_dir)
        init_fn = _choose_initialization(config, resume_from)
        summary_op = tf.summary.merge_all()
        step_summary_op = _scalar_summaries()

        # Only the chief writes into the (possibly shared) train dir.
        summary_writer = None
        if is_chief:
            workspace.start_run(config)
            summary_writer = tf.summary.FileWriter(config.train_dir,
                                                   graph=graph)
        saver = tf.train.Saver(
            max_to_keep=config.max_checkpoints_to_keep,
            keep_checkpoint_every_n_hours=config.keep_checkpoint_every_n_hours)
        sync_optimizer = model["sync_optimizer"]
        step_runner = StepRunner(
            config, is_chief=is_chief, saver=saver,
            summary_writer=summary_writer, summary_op=summary_op,
            step_summary_op=step_summary_op,
            step_after_train=model["step_after_train"],
            last_step_op=(sync_optimizer.close_token_queue_op
                          if sync_optimizer and is_chief else None))
        with warnings.catch_warnings():
            # slim stops the Supervisor, then leaving its managed session
            # stops it again, writing a STOP record to the closed writer.
            warnings.filterwarnings(
                "ignore", message="Attempting to use a closed FileWriter")
            try:
                total_loss = _run_slim_training(
                    config, model, step_runner, init_fn, summary_op,
                    summary_writer, saver, is_chief)
            except tf.errors.InvalidArgumentError as error:
                if NAN_LOSS_MESSAGE not in error.message:
                    raise
                raise ConfigError(
                    "the loss became NaN or Inf after global step %s: lower "
                    "--learning_rate or set --clip_gradient_norm; running "
                    "again resumes from the last checkpoint in %s." %
                    (step_runner.last_step, config.train_dir)) from None
        if is_chief and step_runner.reached_last_step:
            workspace.mark_finished(config.train_dir, step_runner.last_step)
        return total_loss


def _run_slim_training(config, model, step_runner, init_fn, summary_op,
                       summary_writer, saver, is_chief):
    """Hands the built graph to `slim.learning.train`; returns the last loss."""
    return slim.learning.train(
        model["train_op"],
        logdir=config.train_dir,
        train_step_fn=step_runner,
        master=config.master,
        is_chief=is_chief,
        global_step=model["global_step"],
        number_of_steps=config.max_number_of_steps or None,
        log_every_n_steps=config.log_every_n_steps,
        init_fn=init_fn,
        summary_op=summary_op,
        summary_writer=summary_writer,
        save_summaries_secs=config.save_summaries_secs,
        save_interval_secs=config.save_interval_secs,
        startup_delay_steps=config.startup_delay_steps * config.task,
        saver=saver,
        sync_optimizer=model["sync_optimizer"],
        session_config=session_config(config),
        trace_every_n_steps=config.trace_every_n_steps)


def build_model(config):
    """Builds input, network, losses and train op; returns the pieces by name."""
    with _variables_device(config):
        global_step = tf.train.get_or_create_global_step()
    dataset = dataset_factory.get_dataset(
        config.dataset_name, config.dataset_split_name, config.dataset_dir)
    num_classes, network_fn, preprocessing_fn = resolve_classifier(
        config, dataset, is_training=True, weight_decay=config.weight_decay)
    image_size = config.train_image_size or network_fn.default_image_size

    with tf.device("/cpu:0"):
        batches = build_input_dataset(
            dataset, preprocessing_fn, image_size=image_size,
            batch_size=config.batch_size, is_training=True,
            labels_offset=config.labels_offset,
            num_readers=config.num_readers,
            num_preprocessing_threads=config.num_preprocessing_threads,
            seed=config.seed)
        iterator = tf.data.make_one_shot_iterator(batches)
        clone_batches = [iterator.get_next()
                         for _ in range(config.num_clones)]

    if config.num_clones > 1:
        clones = build_clones(config, clone_batches, network_fn, num_classes)
        total_loss, end_points = clones.total_loss, clones.end_points
        update_ops = list(clones.update_ops)
    else:
        images, labels = clone_batches[0]
        with _variables_device(config), _clone_device(config):
            logits, end_points = network_fn(images)
            total_loss = add_classification_losses(
                logits, end_points, labels, num_classes,
                config.label_smoothing)
        update_ops = list(tf.get_collection(tf.GraphKeys.UPDATE_OPS))
    _add_model_summaries(end_points)
    add_loss_summaries(total_loss)

    with _variables_device(config):
        model_variables = slim.get_model_variables()
        averages = (tf.train.ExponentialMovingAverage(
            config.moving_average_decay, global_step)
            if config.moving_average_decay else None)
        learning_rate = configure_learning_rate(
            config, dataset.num_samples, global_step)
        tf.summary.scalar("learning_rate", learning_rate)
        optimizer = configure_optimizer(config, learning_rate)
        if config.sync_replicas:
            # The sync optimizer applies the moving averages on the chief.
            optimizer = make_sync_optimizer(
                optimizer, config, variable_averages=averages,
                variables_to_average=model_variables)
        if averages is not None and not config.sync_replicas:
            update_ops.append(averages.apply(model_variables))
        variables_to_train = _variables_to_train(config.trainable_scopes)
        train_op = slim.learning.create_train_op(
            total_loss, optimizer, global_step=global_step,
            update_ops=update_ops,
            variables_to_train=variables_to_train,
            clip_gradient_norm=config.clip_gradient_norm,
            summarize_gradients=config.summarize_gradients,
            # Each clone's backward pass runs on its own device.
            colocate_gradients_with_ops=config.num_clones > 1,
            gradient_multipliers=_gradient_multipliers(
                config.gradient_multipliers, variables_to_train),
            check_numerics=config.check_numerics)
    with tf.control_dependencies([train_op]):
        step_after_train = global_step.read_value()
    return {"train_op": train_op, "global_step": global_step,
            "step_after_train": step_after_train,
            "sync_optimizer": optimizer if config.sync_replicas else None}


def _choose_initialization(config, resume_from):
    """Returns slim's init_fn, after saying which checkpoint the run starts from.

    A checkpoint already in the train dir wins over --checkpoint_path: it is
    this run's own progress, and restoring the fine-tuning source over it
    would throw that progress away. TF-Slim made the same choice silently
    (tensorflow/models#975); slimtrain says so.
    """
    if resume_from:
        checkpoints.check_resumable(resume_from, tf.global_variables())
        ignored = (" (--checkpoint_path=%s is not used: the train dir's own "
                   "checkpoint wins)" % config.checkpoint_path
                   if config.checkpoint_path else "")
        logging.info("Resuming from %s%s.", resume_from, ignored)
        return None
    if config.checkpoint_path:
        return checkpoints.make_fine_tune_init_fn(
            config.checkpoint_path, config.checkpoint_exclude_scopes,
            config.ignore_missing_vars)
    return None


def _variables_to_train(trainable_scopes):
    """All trainable variables, or those under the --trainable_scopes."""
    scopes = split_scopes(trainable_scopes)
    if not scopes:
        return tf.trainable_variables()
    variables = []
    for scope in scopes:
        found = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope)
        if not found:
            raise ConfigError(
                "--trainable_scopes names %r, which holds no trainable "
                "variable: use scopes such as %s." %
                (scope, _top_scopes(tf.trainable_variables())))
        variables.extend(found)
    return variables


def _gradient_multipliers(text, variables_to_train):
    """Maps each variable under a --gradient_multipliers scope to its factor."""
    multipliers = {}
    for scope, factor in parse_gradient_multipliers(text).items():
        matched = [var for var in variables_to_train
                   if var.op.name.startswith(scope)]
        if not matched:
            raise ConfigError(
                "--gradient_multipliers names %r, which holds no variable being "
                "trained: use scopes such as %s." %
                (scope, _top_scopes(variables_to_train)))
        multipliers.update({var: factor for var in matched})
    return multipliers or None


def _add_model_summaries(end_points):
    """Activation histograms and sparsity per end point, weight histograms.

    Weight histograms are tagged 'variables/<name>': a tag equal to the
    variable's own op name would be made unique as '<name>_1'.
    """
    for name, activation in end_points.items():
        tf.summary.histogram("activations/" + name, activation)
        tf.summary.scalar("sparsity/" + name, tf.nn.zero_fraction(activation))
    for variable in slim.get_model_variables():
        tf.summary.histogram("variables/" + variable.op.name, variable)


def _scalar_summaries():
    """The summaries written every --save_summaries_steps: all but histograms.

    A histogram of a large tensor costs more than a training step of a small
    network (LeNet's fc3 weights alone take several steps' time), so the
    histograms are written only with the timed summaries (as TF-Slim does)
    and after the last step (see StepRunner).
    """
    scalars = [summary for summary in tf.get_collection(tf.GraphKeys.SUMMARIES)
               if summary.op.type != "HistogramSummary"]
    return tf.summary.merge(scalars) if scalars else None


def _clone_device(config):
    """Places the model on the CPU for --clone_on_cpu."""
    return tf.device("/cpu:0") if config.clone_on_cpu else contextlib.nullcontext()


def _variables_device(config):
    """Places variables on parameter servers when --num_ps_tasks > 0."""
    if not config.num_ps_tasks:
        return contextlib.nullcontext()
    return tf.device(tf.train.replica_device_setter(
        ps_tasks=config.num_ps_tasks,
        worker_device="/job:worker/task:%d" % config.task))


def session_config(config):
    """The session's ConfigProto: thread counts, GPU memory growth, device filters.

    With parameter servers, the session sees only them and this worker
    (as tf.estimator does): a worker then neither waits for the other
    workers to start nor depends on them while it trains.
    """
    proto = tf.ConfigProto(
        allow_soft_placement=True,
        intra_op_parallelism_threads=config.num_intra_threads,
        inter_op_parallelism_threads=config.num_inter_threads)
    proto.gpu_options.allow_growth = config.gpu_memory_growth
    if config.num_ps_tasks:
        proto.device_filters.extend(
            ["/job:ps", "/job:worker/task:%d" % config.task])
    return proto


def _top_scopes(variables):
    scopes = sorted({os.path.dirname(var.op.name) for var in variables})
    return ", ".join(scopes[:5]) or "(none)"
