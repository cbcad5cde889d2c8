"""What one task of a TF_CONFIG cluster does, by its role.

`python train.py <flags>` with TF_CONFIG set becomes the task TF_CONFIG
names (`slimtrain.distributed.tf_config`); the program dispatches the role
(`slimtrain.commands.train`):

- chief and worker: `join_as_training_task` starts this task's TensorFlow
  server in the process, points --master at it, fills --task,
  --worker_replicas and --num_ps_tasks in, and starts a `TrainingWatch`;
  then train.py trains as with explicit flags.
- ps: `serve_as_parameter_server` serves variables until training has
  finished and the training tasks have left, then returns.
- evaluator: `evaluate_as_evaluator` evaluates each new checkpoint of the
  shared train dir, as `eval.py --eval_interval_secs=0`, until the final one.

How a task learns that training has finished: the global step lives on
ps:0 (`global_step.GlobalStep`); training has finished when it has reached
--max_number_of_steps. The chief's TRAINING_FINISHED marker is not used
for this (the ps and workers need no shared file system); only the
evaluator, which reads the train dir anyway, relies on it (`run_state`).

How failures end (docs/DISTRIBUTED.md, "When a task fails"): see
`watches` and `failures`. Every role takes the program's
`end_process(status, message)` action, which ends the process at once: the
thread that notices a failure cannot return to the program. A restarted
chief resumes from its last checkpoint.
"""

import dataclasses
import time

from absl import logging

from slimtrain.distributed.global_step import GlobalStep
from slimtrain.distributed.liveness import PROBE_INTERVAL_SECS, Liveness
from slimtrain.distributed.run_state import run_started
from slimtrain.distributed.servers import start_server
from slimtrain.distributed.watches import EvaluatorWatch, TrainingWatch
from slimtrain.errors import EXIT_CLUSTER_FAILURE, ConfigError
from slimtrain.evaluation.config import EvalConfig
from slimtrain.evaluation.loop import run_evaluation

# After training has finished and the chief has left, a parameter server
# waits this long at most for the other training tasks to leave: a worker
# still waiting for the model to be ready checks again after 30 s.
LEAVE_WAIT_SECS = 90.0


def join_as_training_task(cluster, config, end_process):
    """Makes this process the chief or a worker of `cluster`.

    Starts this task's TensorFlow server, points --master at it, fills
    --task, --worker_replicas and --num_ps_tasks in, and starts a
    `TrainingWatch` that ends the process through `end_process` when the
    cluster can no longer train.

    Returns:
      (the task's TrainConfig, its server: keep it for the life of the
      process).

    Raises:
      ConfigError: a flag contradicts TF_CONFIG, or the cluster cannot train.
    """
    config = cluster.apply_to(config).validate()
    if len(cluster.training_hosts) > 1 and not cluster.ps_hosts:
        raise ConfigError(
            "TF_CONFIG lists %d training tasks but no 'ps': each would train "
            "its own copy of the model; add a parameter server."
            % len(cluster.training_hosts))
    job, index = cluster.server_job()
    server = start_server(cluster.cluster_spec(), job, index, cluster.name)
    if cluster.ps_hosts:  # else this is the only task: nobody to watch
        TrainingWatch(cluster, config, server.target, end_process).start()
    return dataclasses.replace(config, master=server.target), server


def run_service_task(cluster, config, end_process):
    """Runs a ps or evaluator task to its end (see the module doc)."""
    if cluster.task_type == "ps":
        serve_as_parameter_server(cluster, config, end_process)
    else:
        evaluate_as_evaluator(cluster, config, end_process)


def serve_as_parameter_server(cluster, config, end_process):
    """Serves until training has finished and the training tasks have left.

    Returns normally once the chief has left after the global step reached
    --max_number_of_steps and the other training tasks have left too (or
    LEAVE_WAIT_SECS have passed). Ends the process through `end_process`
    when the chief stops answering before that.
    """
    timeout = config.cluster_timeout_secs
    job, index = cluster.server_job()
    server = start_server(cluster.cluster_spec(), job, index, cluster.name)
    global_step = GlobalStep(server.target, timeout)
    chief = cluster.describe("worker", 0)
    liveness = Liveness({cluster.describe("worker", i): address
                         for i, address in enumerate(cluster.training_hosts)},
                        timeout)
    while True:
        time.sleep(PROBE_INTERVAL_SECS)
        silent = liveness.poll()
        chief_left = (liveness.ever_seen(chief) and
                      not liveness.answered_last(chief))
        if chief_left and global_step.finished(config.max_number_of_steps):
            staying = [name for name in liveness.names
                       if liveness.answered_last(name)]
            if not staying:
                logging.info("Training has finished and every training task "
                             "has left; %s exits.", cluster.name)
                return
            if liveness.silent_for(chief) > max(timeout, LEAVE_WAIT_SECS):
                logging.warning("Training has finished; %s exits although %s "
                                "did not leave.", cluster.name,
                                ", ".join(staying))
                return
        elif chief in silent:
            end_process(
                EXIT_CLUSTER_FAILURE,
                "cluster failure: %s (the chief) stopped answering for %d s "
                "(--cluster_timeout_secs=%d) before training finished "
                "(global step %s of %s); %s stops." %
                (chief, liveness.silent_for(chief), timeout,
                 global_step.read(), config.max_number_of_steps or "unbounded",
                 cluster.name))


def evaluate_as_evaluator(cluster, config, end_process):
    """Evaluates each new checkpoint of the shared train dir until the last.

    Waits until the chief has started this run (its train_config.json is
    there, and a TRAINING_FINISHED marker of an earlier, shorter run is
    gone), then runs `run_evaluation` in continuous mode with the train
    dir's settings; it stops once training has finished and its final
    checkpoint is evaluated. Ends the process through `end_process` if the
    chief stops answering before it has marked training finished.
    """
    logging.info("%s evaluates the checkpoints of %s.", cluster.name,
                 config.train_dir)
    EvaluatorWatch(cluster, config, end_process).start()
    while not run_started(config):
        time.sleep(PROBE_INTERVAL_SECS)
    run_evaluation(EvalConfig(checkpoint_dir=config.train_dir,
                              eval_interval_secs=0))
