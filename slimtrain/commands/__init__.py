"""The programs: what `slimtrain train`, `eval`, `export` and `predict`
(and `python train.py`, `eval.py`, `export.py`, `predict.py`) run.

Each module here is one program: its docstring is the summary `--help`
prints, its `main(argv)` the work, and `run()` starts it through
`slimtrain.cli.run` (flags from its config class, grouped --help, quiet
output, one-line errors); `python -m slimtrain.commands.NAME` runs it too.
The scripts at the repository's root are thin shims over `run()`.

- `dispatch`: the installed `slimtrain` command (and `python -m slimtrain`):
  a table of subcommands, each a module run as `python -m` runs it (these
  four, `slimtrain.convert`, `slimtrain.launch`, `slimtrain.legacy` and
  `slimtrain.upgrade`).

- `train`: a training run, or this task of a TF_CONFIG cluster (the
  cluster's roles are dispatched here, and only here may a task end its
  process at once: `slimtrain.distributed` asks for it through a callback).
- `evaluate`: eval.py.
- `export`: export.py.
- `predict`: predict.py.

A program imports TensorFlow-heavy modules inside `main`, after `cli.run`
has set up quiet output, so `--help` needs no TensorFlow.

May import: anything in slimtrain.
"""
