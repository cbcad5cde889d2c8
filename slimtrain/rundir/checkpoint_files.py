"""The checkpoints of a train dir, found by their files.

TensorFlow finds "the latest checkpoint" through the `checkpoint` state
file, which has three weaknesses for a train dir: it stores absolute paths
(a copied dir reads, and its retention deletes, the original's checkpoints;
a moved dir points nowhere), it may name a checkpoint whose save was torn
(a kill or a full disk during the save) or whose bytes were damaged since
(bit rot, zero-filled pages after a power loss), and a damaged state file
makes the run start over from step 0. This module instead looks at the
files:

- `find_checkpoints(dir)`: every checkpoint prefix with a step (`model.ckpt-N`)
  that has an `.index` or `.data-*` file, newest step first: the one rule
  by which slimtrain lists a dir's checkpoints.
- `checkpoint_problem(prefix)`: why a checkpoint cannot be restored, or
  None when it can: its files (`torn_problem`: a missing `.index` or data
  shard, an unreadable index, data shards shorter than the tensors the
  index lists), then its data (`data_problem`: every tensor read back and
  checked against the checksum its index holds, as a restore would).
- `newest_complete(dir)`: the newest checkpoint that can be restored, after
  one warning naming every newer checkpoint skipped and a damaged state
  file; `complete_in_step_order(dir)`: all that can be restored, oldest
  first, after one warning naming those skipped.
- `prepare_for_resume(dir)` (train.py, while it holds the run lock): removes
  the leftovers of interrupted saves, picks the newest checkpoint that can
  be restored, moves the newer ones that cannot into the dir's `damaged/`
  folder (`set_aside`: the run would save over them), and rewrites the
  state file with paths relative to the dir, naming only this dir's
  complete checkpoints, so that slim's Supervisor restores that one and the
  Saver's retention deletes only files of this dir.

Checkpoint files that cannot be restored are never deleted: they are
reported, and kept for the user to inspect (moved aside by train.py, left
in place by the programs that only read: eval.py, export.py, predict.py).

The data check reads the whole checkpoint: per program start only the
checkpoint chosen (older ones are read only when a newer one failed;
eval.py --eval_all_checkpoints reads each one); the restore that follows
reads the same bytes again, then from the page cache. It costs about what
the restore costs.
"""

import glob
import os
import re
import shutil

import numpy as np
import tensorflow.compat.v1 as tf
from absl import logging
from google.protobuf import text_format
from tensorflow.python.training import checkpoint_state_pb2

from slimtrain.errors import first_line
from slimtrain.rundir.layout import (
    CONFIG_FILENAME,
    DAMAGED_SUBDIR,
    FINISHED_MARKER,
    STATE_FILENAME,
)
from slimtrain.rundir.write_guard import TEMP_SUFFIX, write_file

_STEP_PREFIX = re.compile(r"^(?P<prefix>.+-(?P<step>\d+))"
                          r"\.(?:index|data-\d{5}-of-(?P<shards>\d{5}))$")
# Left behind by a save that did not finish: TensorFlow's bundle writer
# writes "<file>.tempstate<random>" and renames it; a sharded save writes
# into "<prefix>_temp/"; the state and meta graph files are written as
# "<file>.tmp<uuid>" and renamed, as slimtrain's own small files are
# (`write_guard.write_file`).
_LEFTOVER_PATTERNS = ("*.tempstate*", "*-[0-9]*_temp", STATE_FILENAME + ".tmp*",
                      "*.meta.tmp*", CONFIG_FILENAME + TEMP_SUFFIX,
                      FINISHED_MARKER + TEMP_SUFFIX)


def find_checkpoints(directory):
    """Returns the checkpoint prefixes of `directory`, newest step first.

    A prefix counts when any of its `.index` or `.data-*` files exists, so
    a checkpoint with a missing index is found (and reported) too.
    """
    steps = {}
    for name in tf.io.gfile.listdir(directory):
        match = _STEP_PREFIX.match(name)
        if match:
            steps[os.path.join(directory, match.group("prefix"))] = int(
                match.group("step"))
    return sorted(steps, key=lambda prefix: steps[prefix], reverse=True)


def checkpoint_step(prefix):
    """The global step in a checkpoint prefix's name (model.ckpt-N -> N)."""
    return int(prefix.rsplit("-", 1)[1])


def checkpoint_problem(prefix):
    """Why checkpoint `prefix` cannot be restored, or None when it can: the
    problem of its files (`torn_problem`), else of its data
    (`data_problem`)."""
    return torn_problem(prefix) or data_problem(prefix)


def data_problem(prefix):
    """Why the data of checkpoint `prefix` does not read back, or None.

    Reads every tensor through TensorFlow's checkpoint reader, which checks
    each one against the CRC32C checksum the index records for it: flipped
    bits, zero-filled pages or garbage of the right size fail as they
    would in a restore. One tensor is held in memory at a time.
    """
    try:
        reader = tf.train.NewCheckpointReader(prefix)
        for name in reader.get_variable_to_dtype_map():
            reader.get_tensor(name)
    except (tf.errors.OpError, ValueError) as error:
        return "its data does not read back (%s)" % first_line(error)
    return None


def torn_problem(prefix):
    """Why the files of checkpoint `prefix` are incomplete, or None.

    Checks that the index is there and readable, that every data shard it
    names is there, and that the shards hold at least the bytes of the
    tensors the index lists (a truncated data file fails this). Reading
    only the index, it is cheap however large the checkpoint.
    """
    if not tf.io.gfile.exists(prefix + ".index"):
        return "its .index file is missing"
    try:
        reader = tf.train.NewCheckpointReader(prefix)
        shapes = reader.get_variable_to_shape_map()
        dtypes = reader.get_variable_to_dtype_map()
    except (tf.errors.OpError, ValueError) as error:
        return "its index is unreadable (%s)" % first_line(error)
    shards = tf.io.gfile.glob(glob.escape(prefix) + ".data-?????-of-?????")
    if not shards:
        return "its .data file is missing"
    expected_count = int(shards[0].rsplit("-of-", 1)[1])
    if len(shards) != expected_count:
        return "it has %d of its %d .data files" % (len(shards),
                                                    expected_count)
    expected_bytes = sum(
        int(np.prod(shape)) * dtypes[name].size for name, shape in
        shapes.items() if dtypes[name] != tf.string)
    found_bytes = sum(tf.io.gfile.stat(shard).length for shard in shards)
    if found_bytes < expected_bytes:
        return ("its .data holds %d of the %d bytes its index lists (a torn "
                "save)" % (found_bytes, expected_bytes))
    return None


def read_state(directory):
    """Reads `directory`'s state file.

    Returns:
      (state, problem): the `CheckpointState` proto, or None when there is
      no state file or it is damaged; and a description of the damage
      (None when the file is absent or fine).
    """
    path = os.path.join(directory, STATE_FILENAME)
    if not tf.io.gfile.exists(path):
        return None, None
    with tf.io.gfile.GFile(path, "rb") as handle:
        content = handle.read()
    state = checkpoint_state_pb2.CheckpointState()
    try:
        text_format.Parse(content.decode("utf-8"), state)
    except (UnicodeDecodeError, text_format.ParseError) as error:
        return None, "the state file %s is damaged (%s)" % (
            path, first_line(error))
    if not state.model_checkpoint_path:
        return None, "the state file %s names no checkpoint" % path
    return state, None


def newest_complete(directory):
    """Returns the newest checkpoint of `directory` that can be restored
    (`checkpoint_problem`), or None.

    Warns once, in one line, naming each newer checkpoint skipped and why,
    and a damaged state file.
    """
    _, state_problem = read_state(directory)
    chosen, skipped = _newest_complete_and_skipped(directory)
    _warn_skipped(directory, chosen, skipped, state_problem)
    return chosen


def complete_in_step_order(directory):
    """Returns every checkpoint of `directory` that can be restored
    (`checkpoint_problem`), oldest step first.

    Warns once, in one line, naming each checkpoint skipped and why.
    """
    complete, skipped = [], []
    for prefix in reversed(find_checkpoints(directory)):
        problem = checkpoint_problem(prefix)
        if problem is None:
            complete.append(prefix)
        else:
            skipped.append(_describe(prefix, problem))
    if skipped:
        logging.warning("Skipped in %s: %s; the damaged files are kept.",
                        directory, "; ".join(skipped))
    return complete


def _newest_complete_and_skipped(directory):
    """(The newest checkpoint that can be restored or None, [(prefix,
    problem)] of the newer ones that cannot)."""
    skipped = []
    for prefix in find_checkpoints(directory):
        problem = checkpoint_problem(prefix)
        if problem is None:
            return prefix, skipped
        skipped.append((prefix, problem))
    return None, skipped


def _describe(prefix, problem):
    return "%s (%s)" % (os.path.basename(prefix), problem)


def _warn_skipped(directory, chosen, skipped, state_problem,
                  when_none_left="none is left to use",
                  kept="the damaged files are kept"):
    problems = [_describe(prefix, problem) for prefix, problem in skipped]
    if state_problem:
        problems.append(state_problem)
    if not problems:
        return
    outcome = ("using %s instead" % os.path.basename(chosen) if chosen else
               "no complete checkpoint is left: %s" % when_none_left)
    if skipped:
        outcome += " (%s)" % kept
    logging.warning("Skipped in %s: %s; %s.", directory, "; ".join(problems),
                    outcome)


def prepare_for_resume(train_dir):
    """Makes `train_dir`'s checkpoints safe to resume from; returns the
    checkpoint to resume from, or None to start fresh.

    Call it only while holding the run lock (`run_lock.RunLock`): it
    removes the leftovers of interrupted saves, which a running save would
    still be writing. The newer checkpoints that cannot be restored are
    moved into `damaged/` (the run will save those steps again). It then
    rewrites the state file, when needed, so that it names, by paths
    relative to `train_dir`, the complete checkpoints of this dir with the
    chosen one as the latest: the state file of a copied or moved dir, or
    of one written by an older slimtrain, named absolute paths elsewhere
    (one line says it was repaired).
    """
    remove_interrupted_saves(train_dir)
    state, state_problem = read_state(train_dir)
    if state_problem:
        path = os.path.join(train_dir, STATE_FILENAME)
        tf.io.gfile.rename(path, path + ".old", overwrite=True)
        state_problem += " (kept as %s.old)" % STATE_FILENAME
    chosen, skipped = _newest_complete_and_skipped(train_dir)
    for prefix, _ in skipped:
        set_aside(prefix)
    _warn_skipped(train_dir, chosen, skipped, state_problem,
                  when_none_left="training starts from step 0",
                  kept="their files are kept in %s" % os.path.join(
                      train_dir, DAMAGED_SUBDIR))
    wanted = _state_names(train_dir, state, chosen)
    current = list(state.all_model_checkpoint_paths) if state else []
    if state and wanted and current == wanted and (
            state.model_checkpoint_path == wanted[-1]):
        return chosen
    if state and any(os.path.isabs(path) for path in current +
                     [state.model_checkpoint_path]):
        logging.warning(
            "%s named checkpoints by absolute paths (%s, ...): rewritten with "
            "paths inside %s, so this run reads and deletes only its own "
            "checkpoints.", os.path.join(train_dir, STATE_FILENAME),
            state.model_checkpoint_path, train_dir)
    write_state(train_dir, wanted)
    return chosen


def _state_names(train_dir, state, chosen):
    """The names the state file should list, oldest first, ending at
    `chosen`: those it lists already (by base name, so the paths of a copied
    dir's original map to this dir's files) that are complete and not newer
    than `chosen`, or, without a readable state file, every complete one."""
    if chosen is None:
        return []
    if state:
        candidates = {os.path.join(train_dir, os.path.basename(path))
                      for path in state.all_model_checkpoint_paths}
    else:
        candidates = set(find_checkpoints(train_dir))
    # Only the files are checked: these are listed for retention, and
    # reading each one's data on every resume would cost more than it saves.
    candidates = {prefix for prefix in candidates
                  if checkpoint_step(prefix) < checkpoint_step(chosen) and
                  tf.io.gfile.exists(prefix + ".index") and
                  torn_problem(prefix) is None}
    candidates.add(chosen)
    return [os.path.basename(prefix)
            for prefix in sorted(candidates, key=checkpoint_step)]


def write_state(directory, names):
    """Writes the state file naming checkpoints `names` (relative to
    `directory`, oldest first; the last is the latest).

    With no names, an existing state file is renamed to `checkpoint.old`
    (kept, not deleted), so that nothing restores a checkpoint that cannot
    be restored.
    """
    path = os.path.join(directory, STATE_FILENAME)
    if not names:
        if tf.io.gfile.exists(path):
            tf.io.gfile.rename(path, path + ".old", overwrite=True)
        return
    state = checkpoint_state_pb2.CheckpointState(
        model_checkpoint_path=names[-1], all_model_checkpoint_paths=names)
    write_file(path, text_format.MessageToString(state))


def set_aside(prefix):
    """Moves the files of checkpoint `prefix` into the `damaged/` folder of
    its directory, keeping their names (numbered `model.ckpt-N.1`, ... when
    that folder has a checkpoint of the name already); returns the new
    prefix."""
    directory, name = os.path.split(prefix)
    folder = os.path.join(directory, DAMAGED_SUBDIR)
    os.makedirs(folder, exist_ok=True)
    files = glob.glob(glob.escape(prefix) + ".*")
    suffixes = [path[len(prefix):] for path in files]
    target, number = os.path.join(folder, name), 0
    while any(os.path.lexists(target + suffix) for suffix in suffixes):
        number += 1
        target = os.path.join(folder, "%s.%d" % (name, number))
    for path, suffix in zip(files, suffixes):
        os.replace(path, target + suffix)
    return target


def remove_interrupted_saves(train_dir, log=True):
    """Removes what interrupted saves left in `train_dir`; returns the
    names removed (logged in one line, with `log`)."""
    removed = []
    for pattern in _LEFTOVER_PATTERNS:
        for path in glob.glob(os.path.join(glob.escape(train_dir), pattern)):
            if os.path.isdir(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
            removed.append(os.path.basename(path))
    if removed and log:
        logging.info("Removed %d leftover(s) of interrupted saves from %s: "
                     "%s.", len(removed), train_dir, ", ".join(sorted(removed)))
    return removed
