"""Trains a TF-Slim image classifier, or another scenario: `python train.py --flags`.

The program lives in `slimtrain/commands/train.py`; `--help` lists its flags.
"""

from slimtrain.commands import train

if __name__ == "__main__":
    train.run()
