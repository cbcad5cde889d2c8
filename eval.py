"""Evaluates a TF-Slim image classifier's checkpoints: `python eval.py --flags`.

Accepts the flags of TF-Slim's `eval_image_classifier.py` with the same
meaning (except --quantize), plus slimtrain's additions (`python eval.py
--helpfull`). After `python train.py`, `python eval.py` alone evaluates its
latest checkpoint on the held-out digits; `--checkpoint_dir=DIR` names another
train dir, whose train_config.json supplies the model and data settings.
With --eval_interval_secs it evaluates each new checkpoint until training
finishes. Results go to <checkpoint dir>/eval (WORKSPACE.md, "The eval dir").
"""

from slimtrain import cli
from slimtrain.evaluation.config import EvalConfig
from slimtrain.evaluation.loop import run_evaluation

cli.define_flags(EvalConfig)


@cli.entry_point
def main(argv):
    del argv  # entry_point refuses positional arguments
    run_evaluation(cli.config_from_flags(EvalConfig))  # it validates


if __name__ == "__main__":
    cli.run(main, EvalConfig, __doc__, graph_only=True)
