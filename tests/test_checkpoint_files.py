"""A train dir's checkpoints found by their files: copies, moves, torn saves,
damaged bytes.

Every case starts from a real 20-step run (checkpoints 5, 10, 15, 20),
damages a copy of it the way the issue describes (cp -r, mv, a truncated
.data, a deleted .index, garbage in the state file, leftovers of a killed
save, flipped bytes, a zero-filled page, a garbage data file or index) and
trains, evaluates, exports or serves it in-process.
"""

import logging
import os
import shutil

import pytest
import tensorflow.compat.v1 as tf

from slimtrain.errors import ConfigError
from slimtrain.evaluation.config import EvalConfig
from slimtrain.evaluation.loop import run_evaluation
from slimtrain.export.config import ExportConfig
from slimtrain.export.exporter import run_export
from slimtrain.export.predictor import CheckpointModel
from slimtrain.rundir import checkpoint_files, checkpoint_reading
from slimtrain.training.trainer import train
from tests.training_helpers import checkpoint_steps, small_config

_base = {}


@pytest.fixture
def run_copy(tmp_path_factory, tmp_path):
    """A copy of a finished 20-step run, checkpointed every 5 steps."""
    if "dir" not in _base:
        base = tmp_path_factory.mktemp("base_run")
        train(small_config(base, save_interval_steps=5))
        _base["dir"] = str(base)
    copy = tmp_path / "run"
    shutil.copytree(_base["dir"], copy)
    return str(copy)


def snapshot(directory):
    """{name: (size, mtime)} of every file in `directory`."""
    return {name: (os.path.getsize(os.path.join(directory, name)),
                   os.path.getmtime(os.path.join(directory, name)))
            for name in os.listdir(directory)}


def write_absolute_state(train_dir, owner_dir):
    """The state file an older slimtrain wrote: absolute paths into
    `owner_dir` (the dir it was trained in)."""
    names = ["model.ckpt-%d" % step for step in (5, 10, 15, 20)]
    tf.train.update_checkpoint_state(
        train_dir, os.path.join(owner_dir, names[-1]),
        all_model_checkpoint_paths=[os.path.join(owner_dir, name)
                                    for name in names])


def skipped_warnings(caplog):
    """The warnings naming skipped checkpoints or a damaged state file."""
    return [record.getMessage() for record in caplog.records
            if record.levelno >= logging.WARNING and
            record.getMessage().startswith("Skipped in ")]


def test_a_copied_dir_resumes_from_its_own_checkpoints_only(
        run_copy, tmp_path, caplog):
    # The original, as an older slimtrain left it: absolute paths.
    write_absolute_state(run_copy, run_copy)
    copy = str(tmp_path / "copy")
    shutil.copytree(run_copy, copy)
    before = snapshot(run_copy)
    with caplog.at_level(logging.INFO):
        train(small_config(copy, max_number_of_steps=40,
                           save_interval_steps=5, max_checkpoints_to_keep=3))
    assert snapshot(run_copy) == before  # nothing read-modified or deleted
    repaired = [record.getMessage() for record in caplog.records
                if "absolute paths" in record.getMessage()]
    assert len(repaired) == 1 and copy in repaired[0]
    resumed = [record.getMessage() for record in caplog.records
               if record.getMessage().startswith("Resuming from")]
    assert resumed == ["Resuming from %s/model.ckpt-20." % copy]
    assert checkpoint_steps(copy) == [30, 35, 40]
    state = open(os.path.join(copy, "checkpoint")).read()
    assert tmp_path.anchor not in state.replace('"model.ckpt', "")


def test_a_moved_dir_resumes(run_copy, tmp_path):
    write_absolute_state(run_copy, run_copy)
    moved = str(tmp_path / "moved")
    os.rename(run_copy, moved)
    train(small_config(moved, max_number_of_steps=25, save_interval_steps=5))
    assert checkpoint_steps(moved)[-1] == 25


def test_a_torn_newest_checkpoint_is_skipped_with_one_warning(
        run_copy, caplog):
    data = os.path.join(run_copy, "model.ckpt-20.data-00000-of-00001")
    with open(data, "r+b") as handle:
        handle.truncate(os.path.getsize(data) // 2)
    with caplog.at_level(logging.INFO):
        assert checkpoint_files.newest_complete(run_copy).endswith("ckpt-15")
    [warning] = skipped_warnings(caplog)
    assert "model.ckpt-20" in warning and "torn" in warning
    assert "using model.ckpt-15" in warning
    caplog.clear()
    with caplog.at_level(logging.INFO):
        train(small_config(run_copy, max_number_of_steps=25,
                           save_interval_steps=5))
    assert any(record.getMessage().endswith("model.ckpt-15.")
               for record in caplog.records)
    assert checkpoint_steps(run_copy)[-1] == 25
    assert checkpoint_files.checkpoint_problem(
        os.path.join(run_copy, "model.ckpt-20")) is None  # saved again


def test_a_missing_index_is_skipped(run_copy, caplog):
    os.remove(os.path.join(run_copy, "model.ckpt-20.index"))
    with caplog.at_level(logging.WARNING):
        checkpoint = checkpoint_reading.resolve_checkpoint(run_copy)
    assert checkpoint.endswith("model.ckpt-15")
    [warning] = skipped_warnings(caplog)
    assert "model.ckpt-20 (its .index file is missing)" in warning


@pytest.mark.parametrize("content", [
    bytes(range(256)),  # binary: not UTF-8
    b"",                # empty
])
def test_a_damaged_state_file_is_set_aside(run_copy, content, caplog):
    with open(os.path.join(run_copy, "checkpoint"), "wb") as handle:
        handle.write(content)
    with caplog.at_level(logging.WARNING):
        assert checkpoint_files.prepare_for_resume(run_copy).endswith(
            "model.ckpt-20")
    [warning] = skipped_warnings(caplog)
    assert "state file" in warning and "checkpoint.old" in warning
    assert checkpoint_steps(run_copy) == [5, 10, 15, 20]
    with open(os.path.join(run_copy, "checkpoint.old"), "rb") as handle:
        assert handle.read() == content  # kept for inspection


def test_garbage_in_the_state_file_never_loses_progress(
        run_copy, caplog, monkeypatch):
    with open(os.path.join(run_copy, "checkpoint"), "w") as handle:
        handle.write("this is not a checkpoint state\n")  # a ParseError
    monkeypatch.chdir(os.path.dirname(run_copy))  # a relative --train_dir
    with caplog.at_level(logging.INFO):
        train(small_config(os.path.basename(run_copy), max_number_of_steps=25,
                           save_interval_steps=5))
    [warning] = skipped_warnings(caplog)
    assert "state file" in warning and "checkpoint.old" in warning
    assert any(record.getMessage().startswith("Resuming from") and
               record.getMessage().endswith("model.ckpt-20.")
               for record in caplog.records)
    assert checkpoint_steps(run_copy)[-1] == 25


def test_leftovers_of_an_interrupted_save_are_removed(run_copy):
    leftovers = ["model.ckpt-25.index.tempstate123",
                 "model.ckpt-25.data-00000-of-00001.tempstate456",
                 "checkpoint.tmp0a1b2c", "model.ckpt-25.meta.tmp99"]
    for name in leftovers:
        with open(os.path.join(run_copy, name), "wb") as handle:
            handle.write(b"x" * 1000)
    os.makedirs(os.path.join(run_copy, "model.ckpt-25_temp"))
    assert checkpoint_files.prepare_for_resume(run_copy).endswith("ckpt-20")
    remaining = set(os.listdir(run_copy))
    assert not remaining & set(leftovers + ["model.ckpt-25_temp"])
    assert "model.ckpt-20.index" in remaining


def test_with_no_complete_checkpoint_a_run_starts_fresh_and_keeps_files(
        run_copy, caplog):
    for step in (5, 10, 15, 20):
        os.remove(os.path.join(run_copy, "model.ckpt-%d.index" % step))
    with caplog.at_level(logging.WARNING):
        assert checkpoint_files.prepare_for_resume(run_copy) is None
    [warning] = skipped_warnings(caplog)
    assert "training starts from step 0" in warning
    assert "their files are kept in %s/damaged" % run_copy in warning
    assert os.path.exists(os.path.join(run_copy, "damaged",
                                       "model.ckpt-20.data-00000-of-00001"))
    assert not os.path.exists(os.path.join(run_copy, "checkpoint"))


DATA = "model.ckpt-20.data-00000-of-00001"


def flip_bytes(path):
    """Bit rot: a few bytes in the middle of the file inverted."""
    with open(path, "r+b") as handle:
        handle.seek(os.path.getsize(path) // 2)
        data = handle.read(8)
        handle.seek(-len(data), os.SEEK_CUR)
        handle.write(bytes(byte ^ 0xFF for byte in data))


def zero_a_page(path):
    """A power loss: a page of the file reads back as zeros."""
    with open(path, "r+b") as handle:
        handle.seek(os.path.getsize(path) // 2 // 4096 * 4096)
        handle.write(bytes(4096))


def garble(path):
    """Garbage of the file's own size."""
    size = os.path.getsize(path)
    with open(path, "wb") as handle:
        handle.write(os.urandom(size))


DAMAGES = {
    "flipped data bytes": (DATA, flip_bytes),
    "a zero-filled data page": (DATA, zero_a_page),
    "a garbage data file": (DATA, garble),
    "a garbage index": ("model.ckpt-20.index", garble),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_damaged_bytes_are_found_by_reading_the_data(run_copy, damage):
    name, damage_file = DAMAGES[damage]
    path = os.path.join(run_copy, name)
    size = os.path.getsize(path)
    damage_file(path)
    assert os.path.getsize(path) == size  # the torn-save check cannot tell
    prefix = os.path.join(run_copy, "model.ckpt-20")
    problem = checkpoint_files.checkpoint_problem(prefix)
    assert problem and "\n" not in problem, problem
    assert checkpoint_files.checkpoint_problem(
        os.path.join(run_copy, "model.ckpt-15")) is None


def test_a_damaged_newest_checkpoint_is_moved_aside_and_training_resumes(
        run_copy, caplog):
    """Flipped bytes in a full-size newest checkpoint: train.py resumes from
    the one before, with one warning, and keeps the damaged files in
    damaged/ (its own step-20 save would replace them)."""
    flip_bytes(os.path.join(run_copy, DATA))
    with open(os.path.join(run_copy, DATA), "rb") as handle:
        damaged_bytes = handle.read()
    with caplog.at_level(logging.INFO):
        train(small_config(run_copy, max_number_of_steps=25,
                           save_interval_steps=5))
    [warning] = skipped_warnings(caplog)
    assert ("model.ckpt-20 (its data does not read back (" in warning and
            "using model.ckpt-15 instead (their files are kept in %s/damaged)"
            % run_copy in warning), warning
    assert any(record.getMessage() == "Resuming from %s/model.ckpt-15." %
               run_copy for record in caplog.records)
    assert sorted(os.listdir(os.path.join(run_copy, "damaged"))) == [
        DATA, "model.ckpt-20.index", "model.ckpt-20.meta"]
    with open(os.path.join(run_copy, "damaged", DATA), "rb") as handle:
        assert handle.read() == damaged_bytes
    assert checkpoint_steps(run_copy)[-2:] == [20, 25]
    assert checkpoint_files.checkpoint_problem(
        os.path.join(run_copy, "model.ckpt-20")) is None  # saved again
    # Damaged again later: kept beside the first, not over it.
    zero_a_page(os.path.join(run_copy, "model.ckpt-25.data-00000-of-00001"))
    checkpoint_files.prepare_for_resume(run_copy)
    assert os.path.exists(os.path.join(run_copy, "damaged",
                                       "model.ckpt-25.index"))


def test_eval_export_and_predict_skip_a_damaged_checkpoint(run_copy, caplog):
    zero_a_page(os.path.join(run_copy, DATA))
    before = sorted(os.listdir(run_copy))
    with caplog.at_level(logging.WARNING):
        [result] = run_evaluation(EvalConfig(checkpoint_dir=run_copy,
                                             eval_dir=run_copy + "-eval",
                                             max_num_batches=1))
        exported = run_export(ExportConfig(
            checkpoint_dir=run_copy, output_dir=run_copy + "-export",
            formats="frozen", parity_examples=4))
        model = CheckpointModel(run_copy)
    assert result.global_step == 15
    assert exported["global_step"] == 15
    assert len(skipped_warnings(caplog)) == 3
    assert all("model.ckpt-20 (its data does not read back" in warning and
               warning.endswith("using model.ckpt-15 instead (the damaged "
                                "files are kept).")
               for warning in skipped_warnings(caplog))
    assert model.input_shape == [None, 28, 28, 1]
    assert sorted(os.listdir(run_copy)) == before  # readers move nothing


def test_continuous_evaluation_skips_a_checkpoint_that_fails_to_restore(
        run_copy, caplog):
    garble(os.path.join(run_copy, DATA))  # the one the state file names
    with caplog.at_level(logging.WARNING):
        assert run_evaluation(EvalConfig(checkpoint_dir=run_copy,
                                         eval_interval_secs=1)) == []
    [skipped] = [record.getMessage() for record in caplog.records
                 if record.getMessage().startswith("Skipping ")]
    assert skipped.startswith("Skipping %s/model.ckpt-20: it cannot be "
                              "restored (its data does not read back ("
                              % run_copy), skipped


def test_a_damaged_checkpoint_named_or_alone_is_one_line(run_copy, tmp_path,
                                                         caplog):
    flip_bytes(os.path.join(run_copy, DATA))
    with pytest.raises(ConfigError) as named:
        run_evaluation(EvalConfig(
            checkpoint_path=os.path.join(run_copy, "model.ckpt-20"),
            eval_dir=str(tmp_path / "eval")))
    assert str(named.value).startswith(
        "--checkpoint_path=%s/model.ckpt-20 cannot be restored (its data "
        "does not read back (" % run_copy)
    assert not (tmp_path / "eval").exists()
    for step in (5, 10, 15):
        flip_bytes(os.path.join(run_copy, "model.ckpt-%d.data-00000-of-00001"
                                % step))
    with pytest.raises(ConfigError, match="holds no checkpoint that can be "
                       "restored"):
        run_evaluation(EvalConfig(checkpoint_dir=run_copy))
    caplog.clear()
    with caplog.at_level(logging.WARNING), pytest.raises(
            ConfigError, match="holds no checkpoint to evaluate"):
        run_evaluation(EvalConfig(checkpoint_dir=run_copy,
                                  eval_all_checkpoints=True))
    [warning] = skipped_warnings(caplog)
    assert all("model.ckpt-%d (its data does not read back" % step in warning
               for step in (5, 10, 15, 20))


def test_eval_uses_the_newest_complete_checkpoint(run_copy, caplog):
    data = os.path.join(run_copy, "model.ckpt-20.data-00000-of-00001")
    with open(data, "r+b") as handle:
        handle.truncate(100)
    with caplog.at_level(logging.WARNING):
        [result] = run_evaluation(EvalConfig(checkpoint_dir=run_copy,
                                             max_num_batches=1))
    assert result.global_step == 15
    assert len(skipped_warnings(caplog)) == 1


def test_eval_of_a_torn_checkpoint_is_one_line_and_writes_nothing(
        run_copy, tmp_path):
    data = os.path.join(run_copy, "model.ckpt-20.data-00000-of-00001")
    with open(data, "r+b") as handle:
        handle.truncate(100)
    eval_dir = tmp_path / "eval"
    with pytest.raises(ConfigError, match="model.ckpt-20 cannot be restored"):
        run_evaluation(EvalConfig(
            checkpoint_path=os.path.join(run_copy, "model.ckpt-20"),
            eval_dir=str(eval_dir)))
    assert not eval_dir.exists()


def test_the_saver_writes_relative_paths(run_copy):
    with open(os.path.join(run_copy, "checkpoint")) as handle:
        state = handle.read()
    assert 'model_checkpoint_path: "model.ckpt-20"' in state
    assert os.sep not in state


def test_a_dir_whose_checkpoint_has_no_step_is_found_by_its_state_file(
        tmp_path):
    """A Saver called without global_step (or a model-zoo folder with a
    state file) writes `model.ckpt`: --checkpoint_path=DIR still finds it."""
    with tf.Graph().as_default():
        tf.Variable([1.0, 2.0], name="weights")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"))
    assert checkpoint_reading.resolve_checkpoint(str(tmp_path)) == str(
        tmp_path / "model.ckpt")
    os.remove(tmp_path / "model.ckpt.index")  # torn: refused as before
    with pytest.raises(ConfigError, match="holds no checkpoint"):
        checkpoint_reading.resolve_checkpoint(str(tmp_path))
