"""Classifies image files: `python predict.py IMAGE... --model=DIR`.

The program lives in `slimtrain/commands/predict.py`; `--help` lists its flags.
"""

from slimtrain.commands import predict

if __name__ == "__main__":
    predict.run()
