"""--dataset_name=visualwakewords and `slimtrain.convert --input_format=coco`.

A tiny COCO-style folder (two instances files, a few JPEGs) is converted
into research/slim's Visual Wake Words layout and read back: labels from
the foreground class and the small-object threshold, the record keys
research/slim's script wrote, and the one-line refusals.
"""

import json

import numpy as np
import pytest
import tensorflow as tf

from slimtrain import convert
from slimtrain.data.datasets import converters, dataset_factory
from slimtrain.errors import ConfigError
from tests.test_convert import parsed_flags

# (file name, height, width, [(category id, bbox x, y, w, h, area)]):
# 1 = person, 18 = dog. The threshold is 0.005 of the image's area.
TRAIN = [("a.jpg", 20, 30, [(1, 2, 3, 10, 8, 60.0)]),        # person: 1
         ("b.jpg", 24, 16, [(1, 0, 0, 2, 1, 1.5)]),          # too small: 0
         ("c.jpg", 18, 18, [(18, 1, 1, 9, 9, 70.0)]),        # a dog: 0
         ("d.jpg", 16, 22, [])]                              # nothing: 0
VAL = [("e.jpg", 12, 14, [(1, 4, 2, 6, 6, 30.0), (18, 0, 0, 3, 3, 9.0)]),
       ("f.jpg", 15, 10, [])]
LABELS = {"a.jpg": 1, "b.jpg": 0, "c.jpg": 0, "d.jpg": 0, "e.jpg": 1,
          "f.jpg": 0}


def write_coco_folder(folder, splits=(("train2017", TRAIN),
                                      ("val2017", VAL))):
    """COCO's layout: annotations/instances_<name>.json and <name>/."""
    (folder / "annotations").mkdir(parents=True)
    image_id = 0
    for name, images in splits:
        (folder / name).mkdir()
        coco = {"images": [], "annotations": [],
                "categories": [{"id": 1, "name": "person"},
                               {"id": 18, "name": "dog"}]}
        for file_name, height, width, objects in images:
            image_id += 1
            pixels = np.random.RandomState(image_id).randint(
                0, 255, [height, width, 3]).astype(np.uint8)
            (folder / name / file_name).write_bytes(
                tf.io.encode_jpeg(pixels).numpy())
            coco["images"].append({"id": image_id, "file_name": file_name,
                                   "height": height, "width": width})
            for category, x, y, w, h, area in objects:
                coco["annotations"].append({
                    "id": len(coco["annotations"]) + 1, "image_id": image_id,
                    "category_id": category, "bbox": [x, y, w, h],
                    "area": area})
        (folder / "annotations" / ("instances_%s.json" % name)).write_text(
            json.dumps(coco))


def convert_coco_folder(input_dir, output_dir, *argv):
    """Runs the converter's command on a COCO folder; returns its status."""
    return convert.run(parsed_flags(
        "--input_format=coco", "--input_dir=%s" % input_dir,
        "--output_dir=%s" % output_dir, *argv))


def test_coco_folder_converts_to_visualwakewords_records(tmp_path, capsys):
    write_coco_folder(tmp_path / "coco")
    status = convert_coco_folder(tmp_path / "coco", tmp_path / "vww",
                                 "--num_shards=2")
    assert status == 0
    assert "train: 4 examples, val: 2 examples" in capsys.readouterr().out
    assert sorted(path.name for path in (tmp_path / "vww").iterdir()) == [
        "labels.txt", "split_sizes.txt",
        "train.record-00000-of-00002", "train.record-00001-of-00002",
        "val.record-00000-of-00002", "val.record-00001-of-00002"]

    for split_name, images in (("train", TRAIN), ("val", VAL)):
        split = dataset_factory.get_dataset("visualwakewords", split_name,
                                            str(tmp_path / "vww"))
        assert split.num_samples == len(images)
        assert split.num_classes == 2
        assert split.labels_to_names == {0: "background", 1: "person"}
        read = {(image.shape[0], image.shape[1]): label for image, label in
                split.make_dataset().as_numpy_iterator()}
        assert read == {(height, width): LABELS[name]
                        for name, height, width, _ in images}

    # research/slim's keys; the kept person's box, normalized.
    record = next(iter(tf.data.TFRecordDataset(
        str(tmp_path / "vww" / "val.record-00000-of-00002"))))
    features = tf.train.Example.FromString(record.numpy()).features.feature
    assert features["image/filename"].bytes_list.value == [b"e.jpg"]
    assert features["image/source_id"].bytes_list.value == [b"5"]
    np.testing.assert_allclose(
        [features["image/object/bbox/" + key].float_list.value[0]
         for key in ("xmin", "xmax", "ymin", "ymax")],
        [4 / 14, 10 / 14, 2 / 12, 8 / 12], rtol=1e-6)
    assert features["image/object/area"].float_list.value == [30.0]
    assert len(features["image/key/sha256"].bytes_list.value[0]) == 64


def test_another_foreground_class_and_threshold(tmp_path):
    write_coco_folder(tmp_path / "coco")
    sizes = converters.convert_coco(
        str(tmp_path / "coco"), str(tmp_path / "vww"), foreground_class="dog",
        small_object_area_threshold=0.2, num_shards=1)
    assert sizes == {"train": 4, "val": 2}
    split = dataset_factory.get_dataset("visualwakewords", "train",
                                        str(tmp_path / "vww"))
    assert split.labels_to_names == {0: "background", 1: "dog"}
    # c.jpg's dog covers 70 / 324 > 0.2 of it; e.jpg's 9 / 168 does not.
    labels = sorted(label for _, label in
                    split.make_dataset().as_numpy_iterator())
    assert labels == [0, 0, 0, 1]


def test_coco_conversion_refuses_bad_input_in_one_line(tmp_path, capsys):
    write_coco_folder(tmp_path / "coco")
    status = convert_coco_folder(tmp_path / "coco", tmp_path / "out",
                                 "--dataset_name=vww")
    assert status == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--dataset_name does not apply" in error

    with pytest.raises(ConfigError, match="has no category named 'cat' "
                       r"\(it has dog, person\)"):
        converters.convert_coco(str(tmp_path / "coco"), str(tmp_path / "o1"),
                                foreground_class="cat")
    (tmp_path / "coco" / "annotations" / "instances_val2017.json").rename(
        tmp_path / "coco" / "annotations" / "instances_train2014.json")
    with pytest.raises(ConfigError, match="instances_train2014.json, "
                       "instances_train2017.json for the 'train' split"):
        converters.convert_coco(str(tmp_path / "coco"), str(tmp_path / "o2"))

    wrong_size = tmp_path / "sizes"
    write_coco_folder(wrong_size, splits=(
        ("train2014", [("a.jpg", 20, 30, [])]),
        ("val2014", [("b.jpg", 12, 14, [])])))
    (wrong_size / "val2014" / "b.jpg").write_bytes(
        (wrong_size / "train2014" / "a.jpg").read_bytes())
    with pytest.raises(ConfigError, match="is 20x30 pixels, and its "
                       "annotations say 12x14"):
        converters.convert_coco(str(wrong_size), str(tmp_path / "o3"))
    assert not any(path.name.startswith("o") for path in tmp_path.iterdir())

    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "train.record-00000-of-00001").write_bytes(b"")
    with pytest.raises(ConfigError, match="already holds a converted data "
                       "set"):
        converters.convert_coco(str(wrong_size), str(tmp_path / "full"))


def test_missing_records_name_the_coco_converter(tmp_path):
    (tmp_path / "unrelated.txt").write_text("x")
    with pytest.raises(ConfigError, match=r"val.record-\* .*`python -m "
                       "slimtrain.convert --input_format=coco`"):
        dataset_factory.get_dataset("visualwakewords", "val", str(tmp_path))
