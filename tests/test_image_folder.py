"""Training straight from a folder of photos: `--dataset_name=image_folder`.

The folders are digits of the built-in set written as JPEG, PNG, GIF and
BMP files of varying size, one sub-folder per class
(tests/test_datasets_writers.py). The TFRecord path's guarantees are
checked here for folders: the split is seeded and the same for training,
evaluation, export and `slimtrain convert`; seeded runs repeat and a
resumed run trains on exactly what an uninterrupted one does; unreadable
files stop a run before it writes anything, and a damaged image met later
ends it in one line naming the file. Runs through train.py hide tf_keras.
"""

import json
import os
import subprocess

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from slimtrain.data import record_check
from slimtrain.data.datasets import converters, dataset_factory, image_folder
from slimtrain.errors import ConfigError
from slimtrain.evaluation.config import EvalConfig
from slimtrain.evaluation.during_training import train_and_evaluate
from slimtrain.evaluation.loop import run_evaluation
from slimtrain.export.config import ExportConfig
from slimtrain.export.exporter import run_export
from slimtrain.training.trainer import train
from tests.test_datasets_writers import read_all, write_photo_folder
from tests.training_helpers import (
    PROCESS_DEADLINE_SECS,
    assert_same_variables,
    small_config,
    train_command,
)

FOLDER_SETTINGS = dict(dataset_name="image_folder", validation_fraction=0.25,
                       batch_size=4)
USER_SCENARIO = "tests.user_scenario:AlternatingScenario"


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """(folder, {path: (decoded image, class name)}): 3 classes of 8."""
    folder = tmp_path_factory.mktemp("photos")
    return str(folder), write_photo_folder(str(folder))


def test_every_format_is_read_and_the_seeded_split_is_converts(photos,
                                                               tmp_path):
    folder, written = photos
    splits = {name: dataset_factory.get_dataset(
        "image_folder", name, folder, validation_fraction=0.25, split_seed=3)
        for name in ("train", "validation")}
    assert {name: split.num_samples for name, split in splits.items()} == {
        "train": 18, "validation": 6}
    seen = {}
    for name, split in splits.items():
        assert split.labels_to_names == {0: "one", 1: "two", 2: "zero"}
        assert split.num_classes == 3 and split.image_shape == (None, None, 3)
        images, labels = read_all(split)
        for path, image, label in zip(split.files, images, labels):
            expected, class_name = written[path]
            np.testing.assert_array_equal(image, expected)
            assert split.labels_to_names[label] == class_name
            seen[path] = name
    assert sorted(seen) == sorted(written)
    assert {os.path.splitext(path)[1] for path in seen} == {
        ".jpg", ".png", ".gif", ".bmp"}

    # convert, with the same fraction and seed, holds out the same images.
    converters.convert_image_folder(folder, str(tmp_path / "records"),
                                    validation_fraction=0.25, seed=3,
                                    num_shards=1)
    records = dataset_factory.get_dataset("flowers", "validation",
                                          str(tmp_path / "records"))
    converted = sorted(image.tobytes() for image in read_all(records)[0])
    assert converted == sorted(written[path][0].tobytes()
                               for path in splits["validation"].files)

    # The split is a function of the folder, the fraction and the seed.
    again = dataset_factory.get_dataset("image_folder", "validation", folder,
                                        validation_fraction=0.25, split_seed=3)
    assert again.files == splits["validation"].files
    other = dataset_factory.get_dataset("image_folder", "validation", folder,
                                        validation_fraction=0.25, split_seed=4)
    assert set(other.files) != set(again.files)


def test_training_evaluates_exports_and_names_its_classes(photos, tmp_path):
    """Evaluation during training, eval.py and export all use the held-out
    split; training reads the encoded bytes (Inception's preprocessing
    decodes only its crop's window), evaluation decodes whole images."""
    folder, _ = photos
    train_dir = tmp_path / "run"
    config = small_config(train_dir, dataset_dir=folder, max_number_of_steps=8,
                          eval_every_n_steps=8, preprocessing_name="inception",
                          train_image_size=28, learning_rate=0.001,
                          **FOLDER_SETTINGS)
    train_and_evaluate(config)
    assert (train_dir / "labels.txt").read_text() == "0:one\n1:two\n2:zero\n"
    during, = [json.loads(line) for line in
               (train_dir / "eval" / "results.jsonl").read_text().splitlines()]
    assert (during["dataset_split_name"], during["examples"]) == (
        "validation", 6)
    after, = run_evaluation(EvalConfig(checkpoint_dir=str(train_dir)))
    assert (after.dataset_split_name, after.examples) == ("validation", 6)
    assert after.metrics == during["metrics"]

    run_export(ExportConfig(checkpoint_dir=str(train_dir),
                            formats="saved_model"))
    description = json.loads((train_dir / "export" / "export.json").read_text())
    assert description["dataset_name"] == "image_folder"
    assert {check["examples"] for check in description["parity"]} == {6}
    assert (train_dir / "export" / "labels.txt").read_text() == (
        "0:one\n1:two\n2:zero\n")


def test_seeded_runs_repeat_and_a_resumed_run_trains_what_a_straight_one_does(
        photos, tmp_path):
    """A scenario without dropout (whose masks a resumed run draws anew):
    6 steps, then a resume to 12, equal 12 steps straight, bit for bit; so
    does a second straight run with the same seed."""
    folder, _ = photos
    settings = dict(FOLDER_SETTINGS, dataset_dir=folder, scenario=USER_SCENARIO,
                    seed=7, save_interval_steps=6)
    for name in ("straight", "again"):
        train(small_config(tmp_path / name, max_number_of_steps=12, **settings))
    train(small_config(tmp_path / "resumed", max_number_of_steps=6,
                       **settings))
    train(small_config(tmp_path / "resumed", max_number_of_steps=12,
                       **settings))
    straight = str(tmp_path / "straight" / "model.ckpt-12")
    assert_same_variables(straight, str(tmp_path / "again" / "model.ckpt-12"))
    assert_same_variables(straight, str(tmp_path / "resumed" / "model.ckpt-12"))


def test_unreadable_files_stop_the_run_before_it_writes_anything(tmp_path):
    folder = tmp_path / "photos"
    write_photo_folder(str(folder), per_class=4)
    (folder / "one" / "saved_page.jpg").write_text("<html>not a photo</html>")
    os.symlink(folder / "gone.png", folder / "two" / "link.png")
    (folder / "zero" / "album.png").mkdir()
    with pytest.raises(ConfigError) as raised:
        train(small_config(tmp_path / "run", dataset_dir=str(folder),
                           **FOLDER_SETTINGS))
    assert str(raised.value) == (
        "3 image file(s) cannot be read: %(f)s/one/saved_page.jpg (not JPEG, "
        "PNG, GIF or BMP data); %(f)s/two/link.png (a link to a missing "
        "file); %(f)s/zero/album.png (not a regular file): remove or "
        "replace them, or fix their links or permissions." % {"f": folder})
    assert not (tmp_path / "run").exists()


def test_a_damaged_image_met_mid_run_ends_it_in_one_line_naming_it(tmp_path):
    """A PNG cut short keeps its signature, so the listing passes it; it is
    not among the split's first images, which are decoded before training;
    the step that reads it ends train.py with exit status 2 and one line."""
    folder = tmp_path / "photos"
    write_photo_folder(str(folder), per_class=6)
    train_files = dataset_factory.get_dataset(
        "image_folder", "train", str(folder), validation_fraction=0.25).files
    damaged = next(path for path in reversed(train_files)
                   if path.endswith(".png"))
    assert train_files.index(damaged) >= record_check.FIRST_RECORDS
    with open(damaged, "rb") as handle:
        data = handle.read()
    with open(damaged, "wb") as handle:
        handle.write(data[:len(data) // 2])

    result = subprocess.run(train_command(
        "--dataset_name=image_folder", "--dataset_dir=%s" % folder,
        "--validation_fraction=0.25", "--train_dir=%s" % (tmp_path / "run"),
        "--batch_size=4", "--max_number_of_steps=20", "--num_readers=1",
        "--save_summaries_steps=0"), capture_output=True, text=True,
        timeout=PROCESS_DEADLINE_SECS)
    assert result.returncode == 2, result.stderr[-3000:]
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error: %s cannot be read as an image of "
                           "image_folder (" % damaged), last
    assert last.endswith("): remove or replace it.")
    assert "Traceback" not in result.stderr


def test_a_file_gone_mid_run_is_named_too(tmp_path):
    folder = tmp_path / "photos"
    write_photo_folder(str(folder), per_class=2)
    split = dataset_factory.get_dataset("image_folder", "train", str(folder),
                                        validation_fraction=0.25)
    os.remove(split.files[-1])
    with tf.Graph().as_default():
        iterator = tf.data.make_one_shot_iterator(split.make_dataset())
        next_example = iterator.get_next()
        with tf.Session() as session, pytest.raises(
                record_check.INPUT_ERRORS) as raised:
            while True:
                session.run(next_example)
    assert record_check.is_input_error(raised.value)
    failure = record_check.input_failure(raised.value, split)
    assert str(failure).startswith(
        "%s cannot be read as an image of image_folder (" % split.files[-1])


def test_bad_folder_settings_are_one_line(photos):
    folder, _ = photos
    with pytest.raises(ConfigError, match=r"--validation_fraction=1.0 is out "
                       r"of range: use a fraction between 0 and 1"):
        small_config("unused", validation_fraction=1.0).validate()
    with pytest.raises(ConfigError, match="leaves a split empty"):
        dataset_factory.get_dataset("image_folder", "validation", folder,
                                    validation_fraction=0.01)
    with pytest.raises(ConfigError, match="pass --dataset_dir"):
        dataset_factory.default_num_classes("image_folder")
    assert image_folder.image_format(b"GIF87a...") == b"gif"
