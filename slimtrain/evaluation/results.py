"""What one evaluation of one checkpoint found, and where it is recorded.

Each evaluated checkpoint gives one `EvalResult`. It is appended as one JSON
line to `results.jsonl` in the eval dir (a machine-readable history that
survives restarts: later evaluations append) and printed as a short table.
The TensorBoard summaries are written separately, by slim's
`SummaryAtEndHook`, under the tags `eval/<metric name>`.
"""

import dataclasses
import json
import os
from typing import Dict

from absl import logging

from slimtrain.rundir.layout import RESULTS_FILENAME
from slimtrain.rundir.write_guard import append_line


@dataclasses.dataclass(frozen=True)
class EvalResult:
    """The metrics of one checkpoint on one data set split.

    Attributes:
      checkpoint_path: the checkpoint prefix evaluated.
      global_step: the training step the checkpoint was saved at.
      dataset_name, dataset_split_name: what it was evaluated on.
      examples: how many examples were evaluated (each counted once).
      metrics: metric name -> value, e.g. {"Accuracy": 0.93, ...}.
      wall_time: when the evaluation finished, in seconds since the epoch.
      eval_secs: how long it took, from restoring to the last batch.
    """

    checkpoint_path: str
    global_step: int
    dataset_name: str
    dataset_split_name: str
    examples: int
    metrics: Dict[str, float]
    wall_time: float
    eval_secs: float


def append_result(eval_dir, result):
    """Appends `result` as one JSON line to the eval dir's results file; a
    failed append is one line and leaves the file as it was
    (`write_guard.append_line`)."""
    path = os.path.join(eval_dir, RESULTS_FILENAME)
    append_line(path, json.dumps(dataclasses.asdict(result), sort_keys=True))
    return path


def read_results(eval_dir):
    """Returns the `EvalResult`s of the eval dir's results file, in order.

    A missing file gives []. A line that is not a whole result (the last
    one, when a process died while appending it) is skipped with a warning.
    """
    path = os.path.join(eval_dir, RESULTS_FILENAME)
    if not os.path.exists(path):
        return []
    results = []
    with open(path) as handle:
        for number, line in enumerate(handle, 1):
            try:
                results.append(EvalResult(**json.loads(line)))
            except (ValueError, TypeError):
                logging.warning("Skipping line %d of %s: not a result.",
                                number, path)
    return results


def format_table(result):
    """Returns a few human-readable lines describing `result`."""
    lines = ["%s (global step %d) on %s/%s: %d examples in %.1f s" % (
        os.path.basename(result.checkpoint_path), result.global_step,
        result.dataset_name, result.dataset_split_name, result.examples,
        result.eval_secs)]
    width = max(len(name) for name in result.metrics)
    for name, value in result.metrics.items():
        lines.append("  %-*s  %.4f" % (width, name, value))
    return "\n".join(lines)
