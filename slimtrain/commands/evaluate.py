"""Evaluates a TF-Slim image classifier's checkpoints: `python eval.py --flags`.

Accepts the flags of TF-Slim's `eval_image_classifier.py` with the same
meaning, plus slimtrain's additions (`python eval.py --helpfull`). After
`python train.py`, `python eval.py` alone evaluates its latest checkpoint on
the held-out digits; `--checkpoint_dir=DIR` names another train dir, whose
train_config.json supplies the model and data settings (and --quantize: a
run trained with --quantize_delay is evaluated as its fake-quant graph).
With --eval_interval_secs it evaluates each new checkpoint until training
finishes. Results go to <checkpoint dir>/eval (WORKSPACE.md, "The eval dir").
"""

from slimtrain import cli
from slimtrain.evaluation.config import EvalConfig


def main(argv):
    """Evaluates as the flags say (TensorFlow is imported here: see `run`)."""
    del argv  # cli.run refuses positional arguments
    from slimtrain.evaluation.loop import run_evaluation

    run_evaluation(cli.config_from_flags(EvalConfig))  # it validates


def run():
    """Runs eval.py: `cli.run` with EvalConfig's flags."""
    cli.run(main, EvalConfig, __doc__, graph_only=True)


if __name__ == "__main__":
    run()
