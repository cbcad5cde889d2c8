"""Evaluates a TF-Slim image classifier's checkpoints: `python eval.py --flags`.

The program lives in `slimtrain/commands/evaluate.py`; `--help` lists its flags.
"""

from slimtrain.commands import evaluate

if __name__ == "__main__":
    evaluate.run()
