"""Trains a TF-Slim image classifier, or another scenario: `python train.py --flags`.

The program lives in `slimtrain/commands/train.py`; `--help` lists its flags.
"""

import os
import shlex

from slimtrain.commands import train


def eval_command():
    """`python eval.py`, with eval.py's path as seen from the working
    directory: the run's last line names the eval.py beside this file."""
    here = os.path.dirname(os.path.abspath(__file__))
    return "python " + shlex.quote(os.path.relpath(
        os.path.join(here, "eval.py")))


if __name__ == "__main__":
    train.run(eval_command=eval_command())
