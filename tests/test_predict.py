"""predict.py on image files, with an export dir and with a train dir.

Its probabilities for the PNG of a held-out digit must be those of the
checkpoint's evaluation graph on that digit (parity.reference_outputs),
whichever kind of folder --model names, and so must those of the same
digit as an RGB BMP and a GIF; a JPEG file in RGB (the model is grayscale)
is classified too; unreadable files get one error line each and cost no
other file its result. A digit at 224 pixels gets a note (LeNet's
preprocessing would crop it), and with --resize is classified as the digit.
"""

import json
import struct
from concurrent import futures

import numpy as np
import pytest
import tensorflow as tf

from slimtrain.data.datasets import dataset_factory
from slimtrain.export.model import decode_image, resolve_model
from slimtrain.export.parity import reference_outputs
from slimtrain.rundir.checkpoint_reading import resolve_checkpoint
from slimtrain.rundir.opened_run import open_run
from slimtrain.rundir.run_source import RunSource
from tests.export_helpers import exported_run, run_script

COUNT = 4


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return exported_run(tmp_path_factory)


def bmp_bytes(image):
    """A 24- or 32-bit BMP of a uint8 [H, W, 3 or 4] RGB(A) image (rows
    bottom-up, BGR(A), each padded to 4 bytes)."""
    height, width, channels = image.shape
    stored = image[..., [2, 1, 0, 3][:channels]]
    row_bytes = (channels * width + 3) // 4 * 4
    rows = b"".join(stored[y].tobytes().ljust(row_bytes, b"\0")
                    for y in reversed(range(height)))
    return (b"BM" + struct.pack("<IHHI", 54 + len(rows), 0, 0, 54) +
            struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8 * channels,
                        0, len(rows), 2835, 2835, 0, 0) + rows)


def gif_bytes(gray):
    """A GIF of a uint8 [H, W] image with a 256-grey palette.

    The LZW codes are the pixels themselves, 9 bits each, with a clear code
    every 100 pixels, so the code table never needs a wider code.
    """
    height, width = gray.shape
    pixels = gray.reshape(-1).tolist()
    codes = []
    for start in range(0, len(pixels), 100):
        codes += [256] + pixels[start:start + 100]  # 256: clear
    codes.append(257)  # end of information
    bits = sum(code << (9 * index) for index, code in enumerate(codes))
    data = bits.to_bytes((9 * len(codes) + 7) // 8, "little")
    blocks = b"".join(bytes([len(data[i:i + 255])]) + data[i:i + 255]
                      for i in range(0, len(data), 255))
    palette = b"".join(bytes([value] * 3) for value in range(256))
    return (b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF7, 0, 0) +
            palette + b"," + struct.pack("<HHHHB", 0, 0, width, height, 0) +
            b"\x08" + blocks + b"\x00;")


def test_every_format_decodes_to_the_models_channels():
    """`decode_image` of PNG, BMP (24 and 32 bits) and GIF files, to the
    one channel of a grayscale model and the three of an RGB one; the
    files hold the same pixels, so each decodes to the same image."""
    rgb = np.random.RandomState(0).randint(0, 256, (5, 7, 3)).astype(np.uint8)
    grey = tf.image.rgb_to_grayscale(rgb).numpy()
    rgba = np.concatenate([rgb, np.full((5, 7, 1), 200, np.uint8)], -1)
    color_files = [tf.io.encode_png(rgb).numpy(), bmp_bytes(rgb),
                   bmp_bytes(rgba)]
    grey_files = [tf.io.encode_png(grey).numpy(), gif_bytes(grey[..., 0])]
    for data in color_files:
        np.testing.assert_array_equal(decode_image(data, 3), rgb)
    # PNG's own decoder makes grey its way; BMP is converted as TensorFlow
    # does: at most one level apart.
    for data in color_files:
        assert np.abs(decode_image(data, 1).numpy().astype(int) -
                      grey.astype(int)).max() <= 1
    for data in grey_files:
        np.testing.assert_array_equal(decode_image(data, 1), grey)
        np.testing.assert_array_equal(decode_image(data, 3),
                                      np.repeat(grey, 3, -1))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """PNG and RGB JPEG files of the first held-out digits, the first as an
    RGB BMP, a GIF and at 224 pixels, a file that is not an image, and a
    path that does not exist."""
    folder = tmp_path_factory.mktemp("images")
    split = dataset_factory.get_dataset("digits", "test")
    pngs, jpegs = [], []
    for index, (image, label) in enumerate(split.make_dataset().take(COUNT)):
        pngs.append(folder / ("digit%d_%d.png" % (index, label)))
        pngs[-1].write_bytes(tf.io.encode_png(image).numpy())
        jpegs.append(folder / ("digit%d_%d.jpg" % (index, label)))
        jpegs[-1].write_bytes(tf.io.encode_jpeg(
            tf.image.grayscale_to_rgb(image), quality=100).numpy())
    image, _ = next(iter(split.make_dataset()))
    bmp, gif = folder / "digit0.bmp", folder / "digit0.gif"
    bmp.write_bytes(bmp_bytes(tf.image.grayscale_to_rgb(image).numpy()))
    gif.write_bytes(gif_bytes(image.numpy()[..., 0]))
    # A larger PNG than the model's input: preprocessing crops it.
    large = folder / "large.png"
    padded = tf.pad(image, [[6, 6], [4, 4], [0, 0]])
    large.write_bytes(tf.io.encode_png(padded).numpy())
    # The digit as a photo of it might be: 224 pixels, smooth.
    photo = folder / "digit0_224px.png"
    photo.write_bytes(tf.io.encode_png(tf.cast(tf.round(tf.image.resize(
        image, [224, 224])), tf.uint8)).numpy())
    broken = folder / "notes.png"
    broken.write_text("not an image")
    return {"png": [str(p) for p in pngs], "jpeg": [str(p) for p in jpegs],
            "bmp": str(bmp), "gif": str(gif), "large": str(large),
            "photo": str(photo), "broken": str(broken),
            "missing": str(folder / "missing.jpg")}


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
                        files["bmp"], files["gif"], files["photo"], "--json",
                        "--model=%s" % run["export_dir"]],
        "train_dir_json": [*files["png"], files["bmp"], files["gif"],
                           "--json", "--model=%s" % run["train_dir"]],
        "text_with_bad_files": [files["png"][0], files["broken"],
                                files["bmp"], files["missing"],
                                files["png"][1],
                                "--model=%s" % run["export_dir"]],
        "resize_json": [files["photo"], files["png"][0], "--resize", "--json",
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


def assert_scores_as_first_digit(prediction, reference, atol=1e-4):
    top = [entry["class"] for entry in prediction["predictions"]]
    assert top[0] == np.argmax(reference.probabilities[0])
    np.testing.assert_allclose(top_probabilities(prediction)[top],
                               reference.probabilities[0][top], atol=atol)


def test_a_larger_image_is_cropped_to_the_model(outputs, files, reference):
    # LeNet's preprocessing crops the 40x36 image back to the 28x28 digit
    # padded into it, so it scores as that digit's PNG.
    prediction = parse_json(outputs["export_json"])[2 * COUNT]
    assert prediction["image"] == files["large"]
    assert_scores_as_first_digit(prediction, reference)


@pytest.mark.parametrize("case", ["export_json", "train_dir_json"])
def test_bmp_and_gif_files_score_as_the_png(outputs, files, reference, case):
    # An RGB BMP and a GIF of a grey digit decode to the PNG's pixels for
    # the grayscale model (TensorFlow's BMP and GIF decoders give RGB only).
    predictions = {p["image"]: p for p in parse_json(outputs[case])}
    for path in (files["bmp"], files["gif"]):
        assert_scores_as_first_digit(predictions[path], reference)


def test_an_image_lenet_would_crop_gets_a_note_and_resize_scales_it(
        outputs, files, reference):
    notes = [line for line in outputs["export_json"].stderr.splitlines()
             if line.startswith("note: ")]
    assert notes == [
        "note: %s is 36x40 pixels; lenet's preprocessing crops it to its "
        "central 28x28, keeping its scale, so the answer may be wrong: pass "
        "--resize to scale it to 28x28 instead." % files["large"],
        "note: %s is 224x224 pixels; lenet's preprocessing crops it to its "
        "central 28x28, keeping its scale, so the answer may be wrong: pass "
        "--resize to scale it to 28x28 instead." % files["photo"]]
    resized, png = parse_json(outputs["resize_json"])
    assert "note: " not in outputs["resize_json"].stderr
    assert (resized["image"], png["image"]) == (files["photo"], files["png"][0])
    assert_scores_as_first_digit(png, reference)
    # Scaled down from the smooth 224-pixel copy, the digit differs from the
    # 28-pixel original by the blur of two resizes only.
    assert_scores_as_first_digit(resized, reference, atol=0.1)


def test_bad_files_get_one_line_each_and_exit_1(outputs, files):
    result = outputs["text_with_bad_files"]
    assert result.returncode == 1, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines()
              if line.startswith("error: ")]
    assert errors == [
        "error: %s cannot be decoded as an image (Unknown image file "
        "format. One of JPEG, JPEG XL, PNG, GIF, BMP, WebP required.)."
        % files["broken"],
        "error: %s cannot be read (No such file or directory)."
        % files["missing"]]
    lines = result.stdout.splitlines()
    assert [line for line in lines if not line.startswith(" ")] == [
        files["png"][0], files["bmp"], files["png"][1]]
    assert len(lines) == 18  # the image and its top 5, three times
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
