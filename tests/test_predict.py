"""predict.py on image files, with an export dir and with a train dir.

Its probabilities for the PNG of a held-out digit must be those of the
checkpoint's evaluation graph on that digit (parity.reference_outputs),
whichever kind of folder --model names; a JPEG file in RGB (the model is
grayscale) is classified too; unreadable files get one error line each.
"""

import json
from concurrent import futures

import numpy as np
import pytest
import tensorflow as tf

from slimtrain.data.datasets import dataset_factory
from slimtrain.export.model import resolve_model
from slimtrain.export.parity import reference_outputs
from slimtrain.rundir.checkpoint_reading import resolve_checkpoint
from slimtrain.rundir.opened_run import open_run
from slimtrain.rundir.run_source import RunSource
from tests.export_helpers import exported_run, run_script

COUNT = 4


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return exported_run(tmp_path_factory)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """PNG and RGB JPEG files of the first held-out digits, a file that is
    not an image, and a path that does not exist."""
    folder = tmp_path_factory.mktemp("images")
    split = dataset_factory.get_dataset("digits", "test")
    pngs, jpegs = [], []
    for index, (image, label) in enumerate(split.make_dataset().take(COUNT)):
        pngs.append(folder / ("digit%d_%d.png" % (index, label)))
        pngs[-1].write_bytes(tf.io.encode_png(image).numpy())
        jpegs.append(folder / ("digit%d_%d.jpg" % (index, label)))
        jpegs[-1].write_bytes(tf.io.encode_jpeg(
            tf.image.grayscale_to_rgb(image), quality=100).numpy())
    # A larger PNG than the model's input: preprocessing crops it.
    image, _ = next(iter(split.make_dataset()))
    large = folder / "large.png"
    padded = tf.pad(image, [[6, 6], [4, 4], [0, 0]])
    large.write_bytes(tf.io.encode_png(padded).numpy())
    broken = folder / "notes.png"
    broken.write_text("not an image")
    return {"png": [str(p) for p in pngs], "jpeg": [str(p) for p in jpegs],
            "large": str(large),
            "broken": str(broken), "missing": str(folder / "missing.jpg")}


@pytest.fixture(scope="module")
def reference(run):
    """The checkpoint's evaluation graph on the same digits."""
    opened = open_run(RunSource(run["train_dir"], "--model"))
    split = dataset_factory.get_dataset("digits", "test")
    return reference_outputs(
        resolve_model(opened, split), split,
        resolve_checkpoint(run["train_dir"]), opened.settings.moving_average_decay,
        COUNT)


@pytest.fixture(scope="module")
def outputs(run, files, tmp_path_factory):
    """predict.py's runs, side by side: {case: CompletedProcess}."""
    empty = tmp_path_factory.mktemp("empty")
    cases = {
        "no_image": ["--model=%s" % run["export_dir"]],
        "no_model": [files["png"][0], "--model=%s" % empty],
        "export_json": [*files["png"], *files["jpeg"], files["large"],
                        "--json",
                        "--model=%s" % run["export_dir"]],
        "train_dir_json": [*files["png"], "--json",
                           "--model=%s" % run["train_dir"]],
        "text_with_bad_files": [files["png"][0], files["broken"],
                                files["missing"], files["png"][1],
                                "--model=%s" % run["export_dir"]],
    }
    with futures.ThreadPoolExecutor(len(cases)) as pool:
        results = pool.map(lambda args: run_script("predict.py", *args),
                           cases.values())
    return dict(zip(cases, results))


def parse_json(result):
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines()
            if line.startswith("{")]


def top_probabilities(prediction, num_classes=10):
    row = np.zeros(num_classes)
    for entry in prediction["predictions"]:
        row[entry["class"]] = entry["probability"]
    return row


@pytest.mark.parametrize("case", ["export_json", "train_dir_json"])
def test_png_probabilities_are_the_checkpoints(outputs, files, reference,
                                              case):
    predictions = parse_json(outputs[case])[:COUNT]
    assert [p["image"] for p in predictions] == files["png"]
    for prediction, expected in zip(predictions, reference.probabilities):
        assert len(prediction["predictions"]) == 5
        top = [entry["class"] for entry in prediction["predictions"]]
        assert top == list(np.argsort(-expected, kind="stable")[:5])
        np.testing.assert_allclose(
            top_probabilities(prediction)[top], expected[top], atol=1e-4)


def test_rgb_jpeg_files_are_classified(outputs, files, reference):
    predictions = parse_json(outputs["export_json"])[COUNT:2 * COUNT]
    assert [p["image"] for p in predictions] == files["jpeg"]
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven",
             "eight", "nine"]
    for prediction in predictions:
        for entry in prediction["predictions"]:
            assert entry["name"] == names[entry["class"]]
        probabilities = [e["probability"] for e in prediction["predictions"]]
        assert probabilities == sorted(probabilities, reverse=True)
        assert 0.0 < sum(probabilities) <= 1.0 + 1e-5
    # Quality 100 keeps the digits' top class on most of them.
    agree = [p["predictions"][0]["class"] == expected
             for p, expected in zip(predictions,
                                    np.argmax(reference.probabilities, 1))]
    assert sum(agree) >= COUNT - 1


def test_a_larger_image_is_cropped_to_the_model(outputs, files, reference):
    # LeNet's preprocessing crops the 40x36 image back to the 28x28 digit
    # padded into it, so it scores as that digit's PNG.
    [prediction] = parse_json(outputs["export_json"])[2 * COUNT:]
    assert prediction["image"] == files["large"]
    top = [entry["class"] for entry in prediction["predictions"]]
    np.testing.assert_allclose(top_probabilities(prediction)[top],
                               reference.probabilities[0][top], atol=1e-4)


def test_bad_files_get_one_line_each_and_exit_1(outputs, files):
    result = outputs["text_with_bad_files"]
    assert result.returncode == 1, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines()
              if line.startswith("error: ")]
    assert errors == [
        "error: %s is not a JPEG, PNG, GIF or BMP image." % files["broken"],
        "error: %s cannot be read (No such file or directory)."
        % files["missing"]]
    lines = result.stdout.splitlines()
    assert [line for line in lines if not line.startswith(" ")] == [
        files["png"][0], files["png"][1]]
    assert len(lines) == 12  # the image and its top 5, twice
    assert lines[1].split()[0].isdigit() and len(lines[1].split()) == 3


@pytest.mark.parametrize("case, message", [
    ("no_image", "no image given"),
    ("no_model", "holds neither an export"),
])
def test_bad_usage_ends_in_one_line(outputs, case, message):
    result = outputs[case]
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and message in last
    assert "Traceback" not in result.stderr
