"""Visual Wake Words: COCO images labelled "a person (or another class) is
in it", as research/slim's download_and_convert_visualwakewords made them.

research/slim (datasets/download_and_convert_visualwakewords_lib.py) labels
every image of a COCO instances file 1 when it holds at least one object of
the foreground class whose (segmentation) area is more than
`small_object_area_threshold` of the image's area, else 0; labels.txt reads
`0:background`, `1:<class>`. Each image becomes a tf.train.Example with the
keys that script wrote:

  image/encoded, image/format, image/class/label, image/height,
  image/width, image/filename, image/source_id, image/key/sha256,
  image/object/bbox/xmin|xmax|ymin|ymax (normalized), image/object/area

(the classifier reads the first three). This module reads the annotations
and builds the examples; `converters.convert_coco` writes the records.
"""

import collections
import dataclasses
import hashlib
import json
from typing import Tuple

import tensorflow as tf

from slimtrain.errors import ConfigError

# research/slim's defaults.
FOREGROUND_CLASS = "person"
SMALL_OBJECT_AREA_THRESHOLD = 0.005


@dataclasses.dataclass(frozen=True)
class LabelledImage:
    """One COCO image and its Visual Wake Words label.

    Attributes:
      image_id, file_name, height, width: from the COCO `images` entry.
      label: 1 when a large enough foreground object is in it, else 0.
      boxes: the foreground objects kept, as (x, y, width, height) in
        pixels (COCO's bbox).
      areas: their areas, in pixels.
    """

    image_id: int
    file_name: str
    height: int
    width: int
    label: int
    boxes: Tuple[Tuple[float, float, float, float], ...]
    areas: Tuple[float, ...]


def labels_to_names(foreground_class=FOREGROUND_CLASS):
    return {0: "background", 1: foreground_class}


def read_annotations(path, foreground_class=FOREGROUND_CLASS,
                     small_object_area_threshold=SMALL_OBJECT_AREA_THRESHOLD):
    """Labels every image of a COCO instances JSON file.

    Returns:
      [LabelledImage], in the order of the file's `images`.

    Raises:
      ConfigError: the file is not COCO instances JSON, or has no category
        named `foreground_class`.
    """
    try:
        with open(path) as handle:
            coco = json.load(handle)
        images, categories = coco["images"], coco["categories"]
        annotations = coco.get("annotations", [])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(
            "%s is not a COCO instances file (%s): give the instances_*.json "
            "of COCO's annotations." % (path, error)) from error
    category_ids = [category["id"] for category in categories
                    if category.get("name") == foreground_class]
    if not category_ids:
        raise ConfigError(
            "%s has no category named %r (it has %s): choose one of them "
            "with --foreground_class_of_interest." % (
                path, foreground_class, ", ".join(sorted(
                    str(category.get("name")) for category in categories))))
    objects = collections.defaultdict(list)
    for annotation in annotations:
        if annotation.get("category_id") == category_ids[0]:
            objects[annotation["image_id"]].append(annotation)
    labelled = []
    for image in images:
        area = float(image["height"] * image["width"])
        kept = [annotation for annotation in objects[image["id"]]
                if annotation["area"] / area > small_object_area_threshold]
        labelled.append(LabelledImage(
            image_id=image["id"], file_name=image["file_name"],
            height=image["height"], width=image["width"],
            label=1 if kept else 0,
            boxes=tuple(tuple(annotation["bbox"]) for annotation in kept),
            areas=tuple(float(annotation["area"]) for annotation in kept)))
    return labelled


def image_example(image, data, image_format):
    """The tf.train.Example of a LabelledImage whose file holds `data`."""
    def ints(*values):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=values))

    def floats(values):
        return tf.train.Feature(float_list=tf.train.FloatList(value=values))

    def strings(value):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))

    boxes = image.boxes
    return tf.train.Example(features=tf.train.Features(feature={
        "image/height": ints(image.height),
        "image/width": ints(image.width),
        "image/filename": strings(image.file_name.encode("utf8")),
        "image/source_id": strings(str(image.image_id).encode("utf8")),
        "image/key/sha256": strings(
            hashlib.sha256(data).hexdigest().encode("utf8")),
        "image/encoded": strings(data),
        "image/format": strings(image_format),
        "image/class/label": ints(image.label),
        "image/object/bbox/xmin": floats(
            [x / image.width for x, _, _, _ in boxes]),
        "image/object/bbox/xmax": floats(
            [(x + w) / image.width for x, _, w, _ in boxes]),
        "image/object/bbox/ymin": floats(
            [y / image.height for _, y, _, _ in boxes]),
        "image/object/bbox/ymax": floats(
            [(y + h) / image.height for _, y, _, h in boxes]),
        "image/object/area": floats(image.areas),
    }))
