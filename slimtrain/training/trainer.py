"""The training harness: a scenario's model trained by `slim.learning.train`.

`train(config)` runs in four phases:

1. prepare the run dir (`run_start.prepare_run`): the run lock, the
   checkpoint to resume from, the input stream's seed and position;
2. build the graph (`graph.build_train_graph`: input -> the scenario's
   model -> slim's `create_train_op`, as TF-Slim's
   `train_image_classifier.py` builds it), then how it is initialized
   (resumed or fine-tuned, `initialization`) and saved;
3. run: the graph, a `StepRunner` with its hooks, handed to
   `slim.learning.train`, which owns the session, the Supervisor and the
   final checkpoint;
4. finish: a stop signal raises `StoppedBySignal`; a run that ended by
   itself gives its hooks the final checkpoint and is marked finished.

What slimtrain adds around slim's loop:
- `step_runner` and `hooks`: one `session.run` per step that also fetches
  what the hooks want (the summaries due at that step), step and timed
  checkpoints on the training thread, progress lines (the Supervisor's own
  summary and checkpoint threads are off: they pulled batches from the
  input and wrote checkpoints from a second thread); the caller's hooks
  too (evaluation during training, `evaluation.during_training`);
- `divergence`: loss and gradients checked before the update, and the
  --on_nan policy;
- `input_position`: the input stream's position in every checkpoint, so a
  resumed run goes on with exactly the examples an uninterrupted one would;
- `stop_signals`: SIGTERM and SIGINT end the run after the current step,
  with a checkpoint;
- `sync_replicas`: a sync-replica run that ends cleanly.
Bad settings are found before the train dir is touched. The program
(`slimtrain.commands.train`) makes a TF_CONFIG task of a cluster a chief or
worker first (`slimtrain.distributed.roles`).
"""

import shlex
import warnings

import tensorflow.compat.v1 as tf
import tf_slim as slim
from absl import logging

from slimtrain.compat import supervisor_graph_in_binary
from slimtrain.compute import precision
from slimtrain.data import record_check
from slimtrain.errors import StoppedBySignal
from slimtrain.rundir import run_files
from slimtrain.rundir.checkpoint_saver import make_saver
from slimtrain.rundir.layout import GRAPH_FILENAME, checkpoint_prefix
from slimtrain.rundir.run_lock import RunLock
from slimtrain.rundir.write_guard import event_file_errors
from slimtrain.scenarios.registry import load_scenario
from slimtrain.training.divergence import DivergencePolicy, all_finite
from slimtrain.training.graph import build_train_graph
from slimtrain.training.hooks.checkpoints import CheckpointHook, CheckpointListener
from slimtrain.training.hooks.hparams import HParamsHook, hparams_api
from slimtrain.training.hooks.progress import ProgressHook
from slimtrain.training.hooks.session_run_hooks import (
    as_hooks,
    hooks_from_factories,
    resolve_factories,
    set_up,
)
from slimtrain.training.hooks.summaries import SummaryHook
from slimtrain.training.hooks.tracing import TracingHook
from slimtrain.training.initialization import choose_init_fn
from slimtrain.training.input_position import read_position
from slimtrain.training.master import wait_for_master
from slimtrain.training.run_start import prepare_run, start_writing
from slimtrain.training.session import session_config
from slimtrain.training.step_runner import StepRunner
from slimtrain.training.stop_signals import StopSignals

# How the run's last line says to evaluate it unless the caller names
# another command: the installed `slimtrain eval`.
INSTALLED_EVAL_COMMAND = "slimtrain eval"


def train(config, scenario=None, hooks=(), on_cluster_error=None,
          on_second_signal=None, eval_command=None):
    """Trains `config.scenario` on `config.dataset_name`; returns the last loss.

    Returns None without training when the train dir's checkpoint already
    reached --max_number_of_steps.

    Args:
      config: the run's `TrainConfig`; with --master, this task's session
        target (a TF_CONFIG task's own server, which the program starts:
        `slimtrain.distributed.roles`).
      scenario: the `Scenario` config.scenario names, when the caller has
        loaded it already (train.py does); None: it is loaded here.
      hooks: `hooks.Hook`s (or TensorFlow `SessionRunHook`s) of the caller,
        run with the scenario's (`Scenario.hooks`) and --hooks' before
        slimtrain's own at every phase (so a stop one requests is seen by
        the checkpoint and progress hooks of that step); those that are
        `CheckpointListener`s also hear of the checkpoint hook's saves.
        Evaluation during training is one
        (`evaluation.during_training.train_and_evaluate`).
      on_cluster_error: None, or fn(error) called with an UnavailableError
        or DeadlineExceededError of a step or save: a task of the cluster
        went away. It may end the process with one line
        (`distributed.failures.failure_handler`); if it returns, the error
        is raised.
      on_second_signal: None, or fn(signum) called when a second SIGTERM or
        SIGINT arrives (the first stops the run after its step): it ends
        the process at once (`stop_signals.StopSignals`).
      eval_command: the command the run's last line tells the user to
        evaluate it with (a checkout's train.py: `python eval.py`); None:
        `INSTALLED_EVAL_COMMAND`. A scenario without an evaluation names
        TensorBoard instead.

    Raises:
      ConfigError: for any setting, data set or checkpoint that cannot work;
        raised before anything is written to `config.train_dir`.
      DivergedError: the loss or a gradient became NaN or Inf (and
        --on_nan=rollback, if given, ran out of rollbacks).
      StoppedBySignal: SIGTERM or SIGINT stopped the run, after saving.
      ValueError: the config evaluates during training and no evaluation
        hook was given (a caller's mistake: see `hooks`).
    """
    config.validate()
    precision.check_supported(config.mixed_precision, config.clone_on_cpu)
    if scenario is None:
        scenario = load_scenario(config.scenario, config.scenario_options)
    hooks = as_hooks(hooks)
    factories = resolve_factories(config.hooks)
    if config.evaluates and config.task == 0 and not any(
            isinstance(hook, CheckpointListener) for hook in hooks):
        raise ValueError(
            "--eval_every_n_steps/--eval_every_secs need the evaluation "
            "hook: train with slimtrain.evaluation.during_training."
            "train_and_evaluate (as train.py does).")
    wait_for_master(config.master)
    lock = RunLock(config.train_dir)  # taken once the checks have passed
    try:
        start = prepare_run(config, lock)
        if start is None:
            return None
        with StopSignals(on_second_signal) as stop_signals, \
                tf.Graph().as_default():
            if config.seed is not None:
                tf.set_random_seed(config.seed)
            graph = build_train_graph(config, scenario, start.input_seed,
                                      start.start_position)
            hooks += as_hooks(scenario.hooks(graph.run))
            hooks += hooks_from_factories(factories)
            set_up(hooks)  # before the chief writes anything
            init_fn = choose_init_fn(config, start.resume_from,
                                     graph.variables_to_restore)
            saved_variables = _saved_variables(graph, start.resume_from)
            saver = make_saver(
                config.max_checkpoints_to_keep,
                config.keep_checkpoint_every_n_hours, saved_variables)
            runner, total_loss = _run(config, graph, hooks, stop_signals,
                                      init_fn, saver, saved_variables,
                                      lock, on_cluster_error)
        _finish(config, runner, hooks,
                (eval_command or INSTALLED_EVAL_COMMAND)
                if scenario.evaluates else None)
        return total_loss
    finally:
        lock.release()


def _saved_variables(graph, resume_from):
    """What every checkpoint saves: the global variables, and the input
    position unless the run resumes a checkpoint without one."""
    saved = tf.global_variables()
    position = graph.input_position
    if position is not None and (resume_from is None or
                                 read_position(resume_from) is not None):
        saved += position.variables
    return saved


def _run(config, graph, hooks, stop_signals, init_fn, saver,
         saved_variables, lock, on_cluster_error):
    """Phase 3: the steps; returns (the `StepRunner`, the last loss).

    Only the chief writes into the (possibly shared) train dir, and only
    from here on (`run_start.start_writing`). What TensorFlow writes there
    (checkpoints, events, the graph) goes through `write_guard`: a full
    disk or a train dir that became unwritable ends the run in one line,
    and an event file is left without a partial record.
    """
    if config.task == 0:
        start_writing(config, lock, graph.dataset.labels_to_names)
    with event_file_errors(config.train_dir):
        return _run_steps(config, graph, hooks, stop_signals, init_fn, saver,
                          saved_variables, on_cluster_error)


def _run_steps(config, graph, hooks, stop_signals, init_fn, saver,
               saved_variables, on_cluster_error):
    """Phase 3 from the summary writer on (see `_run`)."""
    is_chief = config.task == 0
    summary_writer = None
    if is_chief:
        # No graph here: the Supervisor adds it (and the meta graph) to
        # this writer once the session is ready; a second copy would cost
        # ~1 s of serializing a deep network's graph.
        summary_writer = tf.summary.FileWriter(config.train_dir)
    own_hooks = _own_hooks(config, graph, saver, summary_writer,
                           saved_variables, hooks)
    for hook in own_hooks:
        hook.setup()
    runner = StepRunner(
        schedule=graph.schedule,
        hooks=hooks + own_hooks,
        max_steps=config.max_number_of_steps,
        stop_signals=stop_signals,
        divergence=DivergencePolicy(
            config.on_nan, config.max_nan_rollbacks, saver, config.train_dir,
            graph.global_step, graph.input_position),
        input_position=graph.input_position,
        last_step_op=(graph.sync_optimizer.close_token_queue_op
                      if graph.sync_optimizer and is_chief else None))
    with warnings.catch_warnings():
        # slim stops the Supervisor, then leaving its managed session stops
        # it again, writing a STOP record to the closed writer.
        warnings.filterwarnings("ignore",
                                message="Attempting to use a closed FileWriter")
        try:
            total_loss = _run_slim_training(config, graph, runner, init_fn,
                                            summary_writer, saver)
        except record_check.INPUT_ERRORS as error:
            if not record_check.is_input_error(error):
                raise
            raise record_check.input_failure(error, graph.dataset) from None
        except (tf.errors.UnavailableError,
                tf.errors.DeadlineExceededError) as error:
            # A task of the cluster went away during a step or a save.
            if on_cluster_error is not None:
                on_cluster_error(error)
            raise
    return runner, total_loss


def _finish(config, runner, hooks, eval_command):
    """Phase 4: a stop signal raises; a run that ended by itself (its last
    step, or a stop a hook requested) hands its final checkpoint to the
    hooks, is marked finished and says so, with what to run next (chief
    only; `eval_command` as `end_line` takes it)."""
    if runner.stopped_by is not None:
        raise StoppedBySignal(runner.stopped_by, runner.last_step)
    if config.task == 0 and (runner.reached_last_step or
                             runner.stop_requested):
        final = tf.train.latest_checkpoint(config.train_dir)
        for hook in hooks:
            hook.finish(final, runner.last_step)
        run_files.mark_finished(config.train_dir, runner.last_step)
        logging.info(end_line(config.train_dir, runner.last_step,
                              eval_command))


def end_line(train_dir, step, eval_command):
    """The run's last line: its step, its train dir and the command that
    evaluates it, `eval_command` (None, for a scenario without an
    evaluation: the one that shows it)."""
    quoted = shlex.quote(train_dir)
    next_command = ("evaluate it: %s --checkpoint_dir=%s" % (eval_command,
                                                             quoted)
                    if eval_command else
                    "view it: tensorboard --logdir %s" % quoted)
    return "Trained to step %d in %s; %s" % (step, train_dir, next_command)


def _own_hooks(config, graph, saver, summary_writer, saved_variables, hooks):
    """slimtrain's hooks around each step: summaries, checkpoints (telling
    the listeners among `hooks`), traces and, with TensorBoard installed,
    the HParams dashboard's summary on the chief; progress lines
    everywhere."""
    own = []
    if config.task == 0:
        if hparams_api() is not None:
            own.append(HParamsHook(summary_writer, config))
        if graph.summary_op is not None:
            own.append(SummaryHook(
                summary_writer, graph.summary_op, graph.scalar_summary_op,
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
    own.append(ProgressHook(graph.schedule, config.log_every_n_steps,
                            config.examples_per_worker_step,
                            config.max_number_of_steps,
                            graph.main_loss_name))
    return own


def _run_slim_training(config, graph, step_runner, init_fn, summary_writer,
                       saver):
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

    The Supervisor writes the graph into the train dir in binary
    (`compat.supervisor_graph_in_binary`), not as seconds of text.
    """
    is_chief = config.task == 0
    readiness = {"ready_op": None} if is_chief else {}
    with supervisor_graph_in_binary(GRAPH_FILENAME):
        return slim.learning.train(
            # The step runner picks each step's op from the schedule.
            graph.train_op,
            logdir=config.train_dir,
            train_step_fn=step_runner,
            train_step_kwargs={},
            master=config.master,
            is_chief=is_chief,
            global_step=graph.global_step,
            number_of_steps=config.max_number_of_steps or None,
            init_fn=init_fn,
            summary_op=None,
            summary_writer=summary_writer,
            save_summaries_secs=config.save_summaries_secs,
            save_interval_secs=0,
            startup_delay_steps=config.startup_delay_steps * config.task,
            saver=saver,
            sync_optimizer=graph.sync_optimizer,
            session_config=session_config(config),
            **readiness)
