"""Evaluates a TF-Slim image classifier's checkpoints: `python eval.py --flags`.

Accepts the flags of TF-Slim's `eval_image_classifier.py` with the same
meaning (except --quantize), plus slimtrain's additions (`python eval.py
--helpfull`). After `python train.py`, `python eval.py` alone evaluates its
latest checkpoint on the held-out digits; `--checkpoint_dir=DIR` names another
train dir, whose train_config.json supplies the model and data settings.
With --eval_interval_secs it evaluates each new checkpoint until training
finishes. Results go to <checkpoint dir>/eval (WORKSPACE.md, "The eval dir").
"""

from absl import app

from slimtrain import cli
from slimtrain.errors import ConfigError
from slimtrain.eval_config import EvalConfig

cli.define_flags(EvalConfig)


@cli.entry_point
def main(argv):
    if len(argv) > 1:
        raise ConfigError("unexpected arguments %s: every setting is a "
                          "--flag (see --helpfull)." % " ".join(argv[1:]))
    config = cli.config_from_flags(EvalConfig).validate()
    from slimtrain.eval_loop import run_evaluation  # imports TensorFlow

    run_evaluation(config)


if __name__ == "__main__":
    app.run(main)
