"""Trains a TF-Slim image classifier, or another scenario: `python train.py --flags`.

Accepts every flag of TF-Slim's `train_image_classifier.py` with the same
meaning, plus slimtrain's additions (`python train.py --helpfull`). With no
flags it trains LeNet on the built-in handwritten digits into ./train_logs.
--scenario trains multi_head, gan or a model of your own
(docs/SCENARIOS.md).
With TF_CONFIG set, it is the task of a cluster that TF_CONFIG names
(docs/DISTRIBUTED.md).
"""

import functools
import os
import sys

from slimtrain import cli
from slimtrain.training.config import TrainConfig


def main(argv, eval_command=None):
    """Trains as the flags say, or runs this task of a TF_CONFIG cluster.

    TensorFlow-heavy modules are imported here, after `cli.run` has set up
    quiet output. `eval_command` is what the run's last line tells the
    user to evaluate it with (`run`).
    """
    del argv  # cli.run refuses positional arguments
    from slimtrain.distributed import roles
    from slimtrain.distributed.failures import failure_handler
    from slimtrain.distributed.tf_config import Cluster
    from slimtrain.evaluation.during_training import train_and_evaluate
    from slimtrain.scenarios.registry import load_scenario, with_scenario_defaults

    config = cli.config_from_flags(TrainConfig)
    scenario = load_scenario(config.scenario, config.scenario_options)
    config = with_scenario_defaults(config, cli.explicitly_set(TrainConfig),
                                    scenario).validate()
    cluster = Cluster.from_environment()  # TF_CONFIG: docs/DISTRIBUTED.md
    if cluster is None:
        train_and_evaluate(config, scenario=scenario,
                           on_second_signal=stop_at_once,
                           eval_command=eval_command)
    elif not cluster.trains:  # a ps or the evaluator
        roles.run_service_task(cluster, config, end_process)
    else:
        # The server serves as long as this frame holds it: until training
        # has ended.
        config, _server = roles.join_as_training_task(cluster, config,
                                                      end_process)
        train_and_evaluate(
            config, scenario=scenario,
            on_cluster_error=failure_handler(cluster, end_process),
            on_second_signal=stop_at_once, eval_command=eval_command)


def stop_at_once(signum):
    """A second stop signal: the process ends now, with 128 + its number."""
    end_process(128 + signum)


def end_process(status, message=None):
    """Ends the process at once with `status`, after `message` on stderr.

    The cluster's roles call it from a thread that watches the other tasks,
    or from a step that failed because one went away, and the stop signals
    on a second signal: the main thread may be blocked in a step that will
    never return, or asked to stop at once, so the process cannot end by
    returning (`os._exit`; the only one in slimtrain).
    """
    if message:
        print(message, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def run(eval_command=None):
    """Runs train.py: `cli.run` with TrainConfig's flags; the run's last
    line names `eval_command` as the way to evaluate it (None: the
    installed `slimtrain eval`, as for the launcher's tasks)."""
    cli.run(functools.partial(main, eval_command=eval_command), TrainConfig,
            __doc__, graph_only=True)


if __name__ == "__main__":
    run()
