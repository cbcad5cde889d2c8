"""The small files slimtrain keeps in a train dir about its run.

- `train_config.json`: every setting of the run, written at its start
  (`write_run_config`) so a run can be reproduced, and read back by
  evaluation, export and prediction (`read_run_config`, `open_run`);
- `TRAINING_FINISHED`: written when training reached its last step
  (`mark_finished`), removed when a new run starts (`clear_finished`),
  read by a continuous evaluation to know when to stop (`finished_step`).

Both are written atomically (a temporary name, then a rename), through
`write_guard`: a failed write is one line and leaves the old file.
"""

import dataclasses
import json
import os
import time

from slimtrain.errors import ConfigError
from slimtrain.rundir.layout import CONFIG_FILENAME, FINISHED_MARKER
from slimtrain.rundir.write_guard import write_errors, write_file


def write_run_config(config, train_dir):
    """Writes the dataclass `config` as JSON into `train_dir`; returns the path."""
    path = os.path.join(train_dir, CONFIG_FILENAME)
    _write_json(path, dataclasses.asdict(config), indent=2)
    return path


def read_run_config(train_dir):
    """The settings train_config.json records, as a dict; None without one.

    Raises:
      ConfigError: the file is there but unreadable.
    """
    path = os.path.join(train_dir, CONFIG_FILENAME)
    if not os.path.exists(path):
        return None
    try:
        with open(path) as handle:
            values = json.load(handle)
    except (OSError, ValueError) as error:
        raise ConfigError("%s is unreadable (%s): delete it or train again "
                          "into a fresh --train_dir." % (path, error)) from None
    if not isinstance(values, dict):
        raise ConfigError("%s holds no settings: delete it or train again "
                          "into a fresh --train_dir." % path)
    return values


def mark_finished(train_dir, global_step):
    """Leaves the marker saying training reached its last step."""
    _write_json(os.path.join(train_dir, FINISHED_MARKER), {
        "global_step": int(global_step),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")})


def clear_finished(train_dir):
    """Removes the marker of an earlier run, if there is one."""
    marker = os.path.join(train_dir, FINISHED_MARKER)
    if os.path.exists(marker):
        with write_errors(train_dir):
            os.remove(marker)


def finished_step(train_dir):
    """The global step training finished at, or None while it has not."""
    marker = os.path.join(train_dir, FINISHED_MARKER)
    try:
        with open(marker) as handle:
            return json.load(handle)["global_step"]
    except (OSError, ValueError, KeyError):
        return None


def _write_json(path, value, indent=None):
    write_file(path, json.dumps(value, indent=indent, sort_keys=True) + "\n")
