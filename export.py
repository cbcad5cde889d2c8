"""Exports a TF-Slim image classifier: `python export.py --flags`.

The program lives in `slimtrain/commands/export.py`; `--help` lists its flags.
"""

from slimtrain.commands import export

if __name__ == "__main__":
    export.run()
