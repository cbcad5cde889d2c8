"""The run directory: what a train dir holds, and how it is read and written.

- `layout`: the name of every file and folder of a train dir (WORKSPACE.md's
  table, in code).
- `checkpoint_files`: a dir's checkpoints found by their files (one rule
  lists them; torn or damaged ones skipped, and moved aside by train.py;
  the state file repaired; relative paths).
- `checkpoint_saver`: the run's Saver (relative paths, retention, failed
  saves removed).
- `checkpoint_reading`: which checkpoint a path names, what it holds, and
  how it fits a graph.
- `run_files`: train_config.json and the TRAINING_FINISHED marker.
- `run_lock`: one training run at a time per train dir.
- `write_guard`: every write (whole files atomically, appended lines, the
  writes of TensorFlow's writers), and a failed one as one line.
- `run_source`: which run a program names (--checkpoint_dir,
  --checkpoint_path, --model); `opened_run`: `open_run`, that run opened
  to be evaluated, exported or served, with its recorded settings.

May import: slimtrain.errors, slimtrain.settings, TensorFlow and tf-slim.
Training, evaluation, export and distributed build on it.
"""
