"""Evaluates a TF-Slim image classifier's checkpoints: `python eval.py --flags`.

Accepts the flags of TF-Slim's `eval_image_classifier.py` with the same
meaning (except --quantize), plus slimtrain's additions (`python eval.py
--helpfull`). After `python train.py`, `python eval.py` alone evaluates its
latest checkpoint on the held-out digits; `--checkpoint_dir=DIR` names another
train dir, whose train_config.json supplies the model and data settings.
With --eval_interval_secs it evaluates each new checkpoint until training
finishes. Results go to <checkpoint dir>/eval (WORKSPACE.md, "The eval dir").
"""

import os

# Keep TensorFlow's C++ start-up chatter (INFO and WARNING) off stderr; it
# must be set before `import slimtrain`, which imports TensorFlow.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app  # noqa: E402

from slimtrain import cli  # noqa: E402
from slimtrain.evaluation.config import EvalConfig  # noqa: E402
from slimtrain.evaluation.loop import run_evaluation  # noqa: E402

cli.define_flags(EvalConfig)


@cli.entry_point
def main(argv):
    del argv  # entry_point refuses positional arguments
    run_evaluation(cli.config_from_flags(EvalConfig))  # it validates


if __name__ == "__main__":
    app.run(main)
