"""Trains a TF-Slim image classifier, or another scenario: `python train.py --flags`.

Accepts every flag of TF-Slim's `train_image_classifier.py` with the same
meaning, plus slimtrain's additions (`python train.py --helpfull`). With no
flags it trains LeNet on the built-in handwritten digits into ./train_logs.
--scenario trains multi_head, gan or a model of your own
(docs/SCENARIOS.md).
With TF_CONFIG set, it is the task of a cluster that TF_CONFIG names
(docs/DISTRIBUTED.md).
"""

from slimtrain import cli
from slimtrain.training.config import TrainConfig


def main(argv):
    """Trains as the flags say (TensorFlow is imported here: see `run`)."""
    del argv  # cli.run refuses positional arguments
    from slimtrain.scenarios.registry import (load_scenario,
                                              with_scenario_defaults)
    from slimtrain.training.trainer import train

    config = cli.config_from_flags(TrainConfig)
    scenario = load_scenario(config.scenario, config.scenario_options)
    train(with_scenario_defaults(config, cli.explicitly_set(TrainConfig),
                                 scenario), scenario=scenario)


def run():
    """Runs train.py: `cli.run` with TrainConfig's flags."""
    cli.run(main, TrainConfig, __doc__, graph_only=True)
