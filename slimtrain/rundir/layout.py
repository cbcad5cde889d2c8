"""The names of everything in a train dir: WORKSPACE.md's table, in code.

A train dir (train.py's --train_dir, default `DEFAULT_TRAIN_DIR`) holds:

  train_config.json          CONFIG_FILENAME: the run's settings
                             (`run_files.write_run_config`), read back by
                             eval.py, export.py and predict.py (`open_run`)
  labels.txt                 LABELS_FILENAME: the data set's class names,
                             `id:name` lines (written by the trainer)
  train.lock                 LOCK_FILENAME: the run lock (`run_lock.RunLock`)
  checkpoint                 STATE_FILENAME: TensorFlow's checkpoint state
                             file, relative paths (`checkpoint_files`)
  model.ckpt-STEP.*          CHECKPOINT_BASENAME + "-STEP": the checkpoints
  events.out.tfevents.*      TensorBoard's events
  graph.pb                   GRAPH_FILENAME: the training graph, a binary
                             GraphDef with shapes (the Supervisor's)
  tf_trace-STEP.json         TRACE_FILENAME: Chrome traces (--trace_every_n_steps)
  TRAINING_FINISHED          FINISHED_MARKER: training reached its last step
                             (`run_files.mark_finished`)
  eval/                      EVAL_SUBDIR: eval.py's results (RESULTS_FILENAME)
                             and event files
  best/ -> best-step-STEP-*  BEST_LINK, BEST_FOLDER_PREFIX: the best
                             checkpoint so far, with BEST_FILENAME
  export/                    EXPORT_SUBDIR: export.py's default output
  damaged/                   DAMAGED_SUBDIR: checkpoints that cannot be
                             restored, moved aside by train.py
                             (`checkpoint_files.set_aside`)

Every module that reads or writes one of these takes its name from here.
"""

import os

DEFAULT_TRAIN_DIR = "train_logs"

CONFIG_FILENAME = "train_config.json"
LABELS_FILENAME = "labels.txt"
LOCK_FILENAME = "train.lock"
STATE_FILENAME = "checkpoint"
CHECKPOINT_BASENAME = "model.ckpt"
TRACE_FILENAME = "tf_trace-%d.json"
GRAPH_FILENAME = "graph.pb"
FINISHED_MARKER = "TRAINING_FINISHED"

EVAL_SUBDIR = "eval"
RESULTS_FILENAME = "results.jsonl"

BEST_LINK = "best"
BEST_FOLDER_PREFIX = "best-step-"
BEST_FILENAME = "best.json"

EXPORT_SUBDIR = "export"

DAMAGED_SUBDIR = "damaged"


def checkpoint_prefix(train_dir):
    """The prefix the Saver numbers a train dir's checkpoints from."""
    return os.path.join(train_dir, CHECKPOINT_BASENAME)


def eval_dir(train_dir):
    """Where eval.py writes by default: `<train dir>/eval`."""
    return os.path.join(train_dir, EVAL_SUBDIR)


def export_dir(train_dir):
    """Where export.py writes by default: `<train dir>/export`."""
    return os.path.join(train_dir, EXPORT_SUBDIR)
