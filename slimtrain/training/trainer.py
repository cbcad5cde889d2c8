"""The training harness: a scenario's model trained by `slim.learning.train`.

`train(config)` builds the graph the way TF-Slim's `train_image_classifier.py`
does (data set -> tf.data pipeline -> the scenario's model, by default the
zoo classifier: network under its arg_scope -> slim losses -> learning rate
-> optimizer -> slim's `create_train_op`) and hands it to
`slim.learning.train`, which owns the session, the Supervisor and the final
checkpoint. The scenario (`slimtrain.scenarios`, --scenario) builds
only the model; everything else here is the same for every scenario.

What slimtrain adds around slim's loop:
- `step_runner` and `hooks`: one `session.run` per step that also
  fetches the summaries due at that step, step and timed checkpoints on the
  training thread, progress lines (the Supervisor's own summary and
  checkpoint threads are off: they pulled batches from the input and wrote
  checkpoints from a second thread);
- `divergence`: loss and gradients checked before the update, and the
  --on_nan policy;
- `input_position`: the input stream's position in every checkpoint, so a
  resumed run goes on with exactly the examples an uninterrupted one would;
- `stop_signals`: SIGTERM and SIGINT end the run after the current step,
  with a checkpoint;
- `sync_replicas`: a sync-replica run that ends cleanly;
- `train_ops`: one op per kind of step, from the scenario's updates and
  schedule;
- `clones`: --num_clones replicas of the classifier in one process.
The program (`slimtrain.commands.train`) makes a TF_CONFIG task of a
cluster a chief or worker first (`slimtrain.distributed.roles`).
Bad settings are found before the train dir is touched.
"""

import os
import warnings

import tensorflow.compat.v1 as tf
import tf_slim as slim
from absl import logging

from slimtrain.compute.placement import (clone_device, device,
                                         variables_device)
from slimtrain.data import record_check
from slimtrain.data.datasets import dataset_factory
from slimtrain.data.input_pipeline import build_input_dataset, new_stream_seed
from slimtrain.errors import ConfigError, StoppedBySignal
from slimtrain.rundir import checkpoint_files, run_files
from slimtrain.rundir.checkpoint_reading import global_step_of
from slimtrain.rundir.layout import checkpoint_prefix
from slimtrain.rundir.run_lock import RunLock
from slimtrain.rundir.write_guard import write_errors
from slimtrain.training.initialization import (check_resumable,
                                               make_fine_tune_init_fn)
from slimtrain.training.divergence import DivergencePolicy, all_finite
from slimtrain.training.input_checks import log_start, warn_about_input
from slimtrain.training.master import wait_for_master
from slimtrain.training.input_position import InputPosition, read_position
from slimtrain.scenarios.api import RunInfo
from slimtrain.scenarios.registry import load_scenario
from slimtrain.training.hooks.checkpoints import (CheckpointHook,
                                                  CheckpointListener)
from slimtrain.training.hooks.progress import ProgressHook
from slimtrain.training.hooks.summaries import SummaryHook
from slimtrain.training.hooks.tracing import TracingHook
from slimtrain.training.step_runner import StepRunner
from slimtrain.training.stop_signals import StopSignals
from slimtrain.training.train_ops import build_step_schedule


def train(config, scenario=None, hooks=(), on_cluster_error=None):
    """Trains `config.scenario` on `config.dataset_name`; returns the last loss.

    Returns None without training when the train dir's checkpoint already
    reached --max_number_of_steps.

    Args:
      config: the run's `TrainConfig`; with --master, this task's session
        target (a TF_CONFIG task's own server, which the program starts:
        `slimtrain.distributed.roles`).
      scenario: the `Scenario` config.scenario names, when the caller has
        loaded it already (train.py does); None: it is loaded here.
      hooks: `hooks.Hook`s of the caller, run before slimtrain's own at
        every phase (so a stop one requests is seen by the checkpoint and
        progress hooks of that step); those that are `CheckpointListener`s
        also hear of the checkpoint hook's saves. Evaluation during
        training is one (`evaluation.during_training.train_and_evaluate`).
      on_cluster_error: None, or fn(error) called with an UnavailableError
        or DeadlineExceededError of a step or save: a task of the cluster
        went away. It may end the process with one line
        (`distributed.failures.failure_handler`); if it returns, the error
        is raised.

    Raises:
      ConfigError: for any setting, data set or checkpoint that cannot work;
        raised before anything is written to `config.train_dir`.
      DivergedError: the loss or a gradient became NaN or Inf (and
        --on_nan=rollback, if given, ran out of rollbacks).
      StoppedBySignal: SIGTERM or SIGINT stopped the run, after saving.
    """
    config.validate()
    if scenario is None:
        scenario = load_scenario(config.scenario, config.scenario_options)
    wait_for_master(config.master)
    if config.evaluates and config.task == 0 and not any(
            isinstance(hook, CheckpointListener) for hook in hooks):
        raise ConfigError(
            "--eval_every_n_steps/--eval_every_secs need the evaluation "
            "hook: train with slimtrain.evaluation.during_training."
            "train_and_evaluate (as train.py does).")
    lock = RunLock(config.train_dir)  # taken once the checks have passed
    try:
        return _train(config, scenario, list(hooks), on_cluster_error, lock)
    finally:
        lock.release()


def _train(config, scenario, hooks, on_cluster_error, lock):
    """`train` for a chief or worker, with the run lock (taken when the
    train dir exists or is created, released when this returns)."""
    is_chief = config.task == 0
    resume_from = _open_train_dir(config, is_chief, lock)
    if resume_from and _already_trained(config, resume_from, is_chief):
        return None
    with StopSignals() as stop_signals, tf.Graph().as_default():
        if config.seed is not None:
            tf.set_random_seed(config.seed)
        input_seed, start_position = _input_start(config, resume_from)
        model = build_model(config, input_seed=input_seed,
                            start_position=start_position, scenario=scenario)
        init_fn = _choose_initialization(config, resume_from,
                                         model["variables_to_restore"])
        summary_op = tf.summary.merge_all()
        position = model["input_position"]
        saved_variables = tf.global_variables()
        if position is not None and (resume_from is None or
                                     read_position(resume_from) is not None):
            saved_variables += position.variables
        saver = checkpoint_files.make_saver(
            config.max_checkpoints_to_keep,
            config.keep_checkpoint_every_n_hours, saved_variables)

        # Only the chief writes into the (possibly shared) train dir.
        summary_writer = None
        if is_chief:
            _start_run(config, lock)
            # No graph here: the Supervisor adds it (and the meta graph)
            # to this writer once the session is ready; a second copy
            # would cost ~1 s of serializing a deep network's graph.
            summary_writer = tf.summary.FileWriter(config.train_dir)
        step_runner = StepRunner(
            schedule=model["schedule"],
            hooks=hooks + _own_hooks(config, is_chief, model, saver,
                                     summary_writer, summary_op,
                                     saved_variables, hooks),
            max_steps=config.max_number_of_steps,
            stop_signals=stop_signals,
            divergence=DivergencePolicy(
                config.on_nan, config.max_nan_rollbacks, saver,
                config.train_dir, model["global_step"], position),
            input_position=position,
            last_step_op=(model["sync_optimizer"].close_token_queue_op
                          if model["sync_optimizer"] and is_chief else None))
        with warnings.catch_warnings():
            # slim stops the Supervisor, then leaving its managed session
            # stops it again, writing a STOP record to the closed writer.
            warnings.filterwarnings(
                "ignore", message="Attempting to use a closed FileWriter")
            try:
                total_loss = _run_slim_training(
                    config, model, step_runner, init_fn, summary_writer, saver,
                    is_chief)
            except (tf.errors.DataLossError,
                    tf.errors.InvalidArgumentError) as error:
                if not record_check.is_input_error(error):
                    raise
                raise record_check.input_failure(
                    error, model["dataset"]) from None
            except (tf.errors.UnavailableError,
                    tf.errors.DeadlineExceededError) as error:
                # A task of the cluster went away during a step or a save.
                if on_cluster_error is not None:
                    on_cluster_error(error)
                raise
    if step_runner.stopped_by is not None:
        raise StoppedBySignal(step_runner.stopped_by, step_runner.last_step)
    if is_chief and (step_runner.reached_last_step or
                     step_runner.stop_requested):
        final = tf.train.latest_checkpoint(config.train_dir)
        for hook in hooks:
            hook.finish(final, step_runner.last_step)
        run_files.mark_finished(config.train_dir, step_runner.last_step)
    return total_loss


def _open_train_dir(config, is_chief, lock):
    """Returns the checkpoint to resume from (None: start fresh).

    The chief takes the run `lock` of a train dir that exists, removes the
    leftovers of interrupted saves and repairs the checkpoint state file
    (`checkpoint_files.prepare_for_resume`); other workers only look. A
    train dir that does not exist yet is created and locked only by
    `_start_run`, once every check has passed.
    """
    if not os.path.isdir(config.train_dir):
        return None
    if not is_chief:
        return checkpoint_files.newest_complete(config.train_dir)
    lock.acquire()
    with write_errors(config.train_dir):
        return checkpoint_files.prepare_for_resume(config.train_dir)


def _start_run(config, lock):
    """Creates and locks the train dir if needed, records the config and
    clears an earlier run's finished marker."""
    lock.acquire()
    with write_errors(config.train_dir):
        run_files.write_run_config(config, config.train_dir)
        run_files.clear_finished(config.train_dir)


def _already_trained(config, checkpoint, is_chief):
    """Whether `checkpoint` already reached --max_number_of_steps; says so."""
    step = global_step_of(checkpoint)
    if not config.max_number_of_steps or step < config.max_number_of_steps:
        return False
    logging.info("Already trained to step %d (--max_number_of_steps=%d): "
                 "nothing to do; raise --max_number_of_steps to train "
                 "further.", step, config.max_number_of_steps)
    if is_chief and run_files.finished_step(config.train_dir) is None:
        run_files.mark_finished(config.train_dir, step)
    return True


def _input_start(config, resume_from):
    """Returns (input seed, examples to skip) for this run's input stream.

    A resumed single-worker run continues its checkpoint's stream. A new
    run takes --seed, or a new random seed. With several workers, each
    worker reads its own stream (the seed folded with its task id) from the
    start of a new epoch order: their positions are not saved.
    """
    if config.worker_replicas > 1:
        seed = new_stream_seed() if config.seed is None else config.seed
        return seed * 1009 + config.task, 0
    saved = read_position(resume_from) if resume_from else None
    if saved is None:
        if resume_from:
            logging.warning(
                "%s holds no input position (an older slimtrain wrote it): "
                "the input starts a new epoch order.", resume_from)
        seed = new_stream_seed() if config.seed is None else config.seed
        return seed, 0
    seed, examples = saved
    if config.seed is not None and config.seed != seed:
        logging.warning("--seed=%d differs from the seed of %s (%d): the "
                        "input starts a new order.", config.seed, resume_from,
                        seed)
        return config.seed, 0
    if not config.exact_resume:
        return seed, 0
    logging.info("The input resumes at example %d of its stream.", examples)
    return seed, examples


def _own_hooks(config, is_chief, model, saver, summary_writer, summary_op,
               saved_variables, hooks):
    """slimtrain's hooks around each step: summaries, checkpoints (telling
    the listeners among `hooks`) and traces on the chief, progress lines
    everywhere."""
    own = []
    if is_chief:
        if summary_op is not None:
            own.append(SummaryHook(
                summary_writer, summary_op, _scalar_summaries(),
                every_steps=config.save_summaries_steps,
                every_secs=config.save_summaries_secs))
        own.append(CheckpointHook(
            saver, checkpoint_prefix(config.train_dir),
            every_steps=config.save_interval_steps,
            every_secs=config.save_interval_secs,
            variables_finite=all_finite(saved_variables),
            listeners=[hook for hook in hooks
                       if isinstance(hook, CheckpointListener)]))
        if config.trace_every_n_steps:
            own.append(TracingHook(config.trace_every_n_steps, summary_writer,
                                   config.train_dir))
    own.append(ProgressHook(model["schedule"], config.log_every_n_steps,
                            config.batch_size * config.num_clones,
                            config.max_number_of_steps))
    return own


def _run_slim_training(config, model, step_runner, init_fn, summary_writer,
                       saver, is_chief):
    """Hands the built graph to `slim.learning.train`; returns the last loss.

    The Supervisor gets no summary op and no checkpoint interval: the step
    runner fetches the summaries with each step and saves the checkpoints on
    the training thread. It keeps `global_step/sec` (every
    --save_summaries_secs; it reads only the global step) and the final save.

    The chief's Supervisor gets no ready op: the chief initializes every
    variable, or restores every one from a checkpoint whose variables were
    checked (`initialization.check_resumable`), so checking afterwards that
    none is uninitialized (`report_uninitialized_variables` over all of
    them, ~2 s for resnet_v1_152) would only repeat that. Other workers keep
    slim's: it is how they wait for the chief.
    """
    readiness = {"ready_op": None} if is_chief else {}
    return slim.learning.train(
        # The step runner picks each step's op from the schedule.
        model["train_op"],
        logdir=config.train_dir,
        train_step_fn=step_runner,
        train_step_kwargs={},
        master=config.master,
        is_chief=is_chief,
        global_step=model["global_step"],
        number_of_steps=config.max_number_of_steps or None,
        init_fn=init_fn,
        summary_op=None,
        summary_writer=summary_writer,
        save_summaries_secs=config.save_summaries_secs,
        save_interval_secs=0,
        startup_delay_steps=config.startup_delay_steps * config.task,
        saver=saver,
        sync_optimizer=model["sync_optimizer"],
        session_config=session_config(config),
        **readiness)


def build_model(config, input_seed=None, start_position=0, scenario=None):
    """Builds input, the scenario's model and the step ops; returns the pieces.

    Args:
      config: the run's TrainConfig.
      input_seed: the input stream's seed (default: --seed, or random).
      start_position: the examples of the stream to skip (a resumed run's).
      scenario: the `Scenario` to train (default: the one --scenario names).

    Returns:
      A dict: schedule (a `train_ops.StepSchedule`: the op that trains each
      global step; running one trains a step, advances the input position
      and returns the step's loss), train_op (the op of step 1: the only
      one unless the scenario has a schedule), global_step, sync_optimizer (or None),
      input_position (an `InputPosition`, or None with several workers),
      dataset, and variables_to_restore (the fine-tuning candidates, None:
      the model variables).
    """
    if scenario is None:
        scenario = load_scenario(config.scenario, config.scenario_options)
    with device(variables_device(config)):
        global_step = tf.train.get_or_create_global_step()
    dataset = dataset_factory.get_dataset(
        config.dataset_name, config.dataset_split_name, config.dataset_dir)
    run = RunInfo.create(config, dataset, is_training=True,
                         global_step=global_step)
    preprocessing_fn, image_size = scenario.input_preprocessing(run)
    if input_seed is None:
        input_seed = new_stream_seed() if config.seed is None else config.seed
    record_check.check_first_records(dataset)
    model = scenario.describe(config)
    warn_about_input(config, dataset, image_size, model)
    log_start(config, dataset, image_size, model)

    with tf.device("/cpu:0"):
        batches = build_input_dataset(
            dataset, preprocessing_fn, image_size=image_size,
            batch_size=config.batch_size, is_training=True,
            labels_offset=config.labels_offset,
            num_readers=config.num_readers,
            num_preprocessing_threads=config.num_preprocessing_threads,
            seed=input_seed, start_position=start_position)
        iterator = tf.data.make_one_shot_iterator(batches)
        clone_batches = [iterator.get_next()
                         for _ in range(config.num_clones)]
        # Each step takes one batch per clone.
        position = (InputPosition(input_seed, start_position,
                                  config.batch_size * config.num_clones)
                    if config.worker_replicas == 1 else None)

    if config.num_clones > 1:  # the clones place themselves
        train_step = scenario.build_train_step(clone_batches, run)
    else:
        with device(variables_device(config)), device(clone_device(config, 0)):
            train_step = scenario.build_train_step(clone_batches, run)
    with device(variables_device(config)):
        schedule, sync_optimizer = build_step_schedule(
            train_step, config, global_step=global_step,
            num_samples=dataset.num_samples,
            batch=[tensor for batch in clone_batches for tensor in batch],
            input_position=position)
    return {"schedule": schedule,
            "train_op": schedule.step_ops[0].train_op,
            "global_step": global_step,
            "sync_optimizer": sync_optimizer, "input_position": position,
            "dataset": dataset,
            "variables_to_restore": train_step.variables_to_restore}


def _choose_initialization(config, resume_from, variables_to_restore):
    """Returns slim's init_fn, after saying which checkpoint the run starts from.

    A checkpoint already in the train dir wins over --checkpoint_path: it is
    this run's own progress, and restoring the fine-tuning source over it
    would throw that progress away. TF-Slim made the same choice silently
    (tensorflow/models#975); slimtrain says so.

    Args:
      variables_to_restore: the variables fine-tuning may restore (None: the
        model variables), before --checkpoint_exclude_scopes.
    """
    if resume_from:
        check_resumable(resume_from, tf.global_variables())
        ignored = (" (--checkpoint_path=%s is not used: the train dir's own "
                   "checkpoint wins)" % config.checkpoint_path
                   if config.checkpoint_path else "")
        logging.info("Resuming from %s%s.", resume_from, ignored)
        return None
    if config.checkpoint_path:
        return make_fine_tune_init_fn(
            config.checkpoint_path, config.checkpoint_exclude_scopes,
            config.ignore_missing_vars, candidates=variables_to_restore)
    return None


def _scalar_summaries():
    """The summaries written every --save_summaries_steps: all but histograms.

    A histogram of a large tensor costs more than a training step of a small
    network (LeNet's fc3 weights alone take several steps' time), so the
    histograms are written only with the timed summaries (as TF-Slim does)
    and after the last step (see hooks.summaries.SummaryHook).
    """
    scalars = [summary for summary in tf.get_collection(tf.GraphKeys.SUMMARIES)
               if summary.op.type != "HistogramSummary"]
    return tf.summary.merge(scalars) if scalars else None


def session_config(config):
    """The session's ConfigProto: thread counts, GPU memory growth, device
    filters, and the graph optimization a training step needs.

    With parameter servers, the session sees only them and this worker
    (as tf.estimator does): a worker then neither waits for the other
    workers to start nor depends on them while it trains.

    Grappler optimizes the graph of each new kind of `session.run` (the
    variable initialization, the first step, the first step without
    summaries, ...), about half of a deep network's first step. Two
    settings cut that time and compute the same values
    (tests/test_training.py):
    - one pass instead of TensorFlow's default two. The second finds next
      to nothing (for resnet_v1_152's first step it merges 4% of the nodes
      as duplicates and rewrites no computation), yet takes about a third
      of the optimization time;
    - in a local session on a machine without a GPU, no layout
      optimizer. It converts layouts for GPUs only: without one it
      returns the graph as it was (TensorFlow's default
      `cpu_layout_conversion`), after 0.5 s of analysing resnet_v1_152's
      first step. A session of a cluster keeps it: its tasks may have
      GPUs this process cannot see. (The memory optimizer, 0.7 s there,
      stays: on a CPU it still rewrites large sums into accumulations
      when a graph's estimated memory nears the machine's.)
    """
    proto = tf.ConfigProto(
        allow_soft_placement=True,
        intra_op_parallelism_threads=config.num_intra_threads,
        inter_op_parallelism_threads=config.num_inter_threads)
    rewrite_options = proto.graph_options.rewrite_options
    rewrite_options.meta_optimizer_iterations = rewrite_options.ONE
    if not config.master and not tf.config.list_physical_devices("GPU"):
        rewrite_options.layout_optimizer = rewrite_options.OFF
    proto.gpu_options.allow_growth = config.gpu_memory_growth
    if config.num_ps_tasks:
        proto.device_filters.extend(
            ["/job:ps", "/job:worker/task:%d" % config.task])
    return proto


