"""Trains a TF-Slim image classifier: `python train.py --flags`.

Accepts every flag of TF-Slim's `train_image_classifier.py` with the same
meaning, plus slimtrain's additions (`python train.py --helpfull`). With no
flags it trains LeNet on the built-in handwritten digits into ./train_logs.
"""

from absl import app

from slimtrain import cli
from slimtrain.config import TrainConfig
from slimtrain.errors import ConfigError

cli.define_flags(TrainConfig)


@cli.entry_point
def main(argv):
    if len(argv) > 1:
        raise ConfigError("unexpected arguments %s: every setting is a "
                              "--flag (see --helpfull)." % " ".join(argv[1:]))
    from slimtrain.training import train  # imports TensorFlow; after flags parse

    train(cli.config_from_flags(TrainConfig))


if __name__ == "__main__":
    app.run(main)
