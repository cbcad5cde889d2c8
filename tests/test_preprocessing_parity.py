"""slimtrain's preprocessing against research/slim's, written out in NumPy.

The references below follow research/slim's preprocessing modules (2020-07-30)
and the TF 1 ops they call, step by step: TF 1's bilinear resize samples
source pixel `out * in_size / out_size` (no half-pixel centres,
align_corners=False), `central_crop` keeps int((side - side * f) / 2) pixels
off each end, VGG resizes the smaller side to rint(side * scale), and so on.
They never call slimtrain, so a drift of slimtrain's pixels from the model
zoo's shows here.

Evaluation must give the reference's pixels (to float rounding) for JPEG and
PNG images of many sizes and aspect ratios, grayscale and RGB, for every name
of the factory. Training draws random numbers, so each training output must
equal the reference for *some* admissible random choice (crop offset, resize
side or method, flip, brightness and contrast), and the choices seen over
fixed seeds must cover the admissible ones.
"""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from slimtrain.data.preprocessing import inception_preprocessing, preprocessing_factory

# research/slim's preprocessing_factory, as a table of this test's own: which
# family of preprocessing each name uses. slimtrain's extra MobileNet v1
# width names follow their network (Inception's).
_RESEARCH_SLIM_FAMILIES = {
    "cifarnet": "cifarnet", "lenet": "lenet",
    **dict.fromkeys((
        "inception", "inception_v1", "inception_v2", "inception_v3",
        "inception_v4", "inception_resnet_v2", "mobilenet_v1",
        "mobilenet_v1_075", "mobilenet_v1_050", "mobilenet_v1_025",
        "mobilenet_v2", "mobilenet_v2_035", "mobilenet_v2_140",
        "mobilenet_v3_small", "mobilenet_v3_large",
        "mobilenet_v3_small_minimalistic", "mobilenet_v3_large_minimalistic",
        "mobilenet_edgetpu", "mobilenet_edgetpu_075", "nasnet_mobile",
        "nasnet_large", "pnasnet_mobile", "pnasnet_large"), "inception"),
    **dict.fromkeys((
        "resnet_v1_50", "resnet_v1_101", "resnet_v1_152", "resnet_v1_200",
        "resnet_v2_50", "resnet_v2_101", "resnet_v2_152", "resnet_v2_200",
        "vgg", "vgg_a", "vgg_16", "vgg_19"), "vgg"),
}
_VGG_MEANS = np.array([123.68, 116.78, 103.94], np.float32)
_GRAY_WEIGHTS = np.array([0.2989, 0.5870, 0.1140], np.float32)


# ----------------------------------------------------------------------------
# The TF 1 operations research/slim uses, in NumPy.

def tf1_resize_bilinear(image, out_height, out_width):
    """TF 1 resize_bilinear(align_corners=False, half_pixel_centers=False)."""
    image = image.astype(np.float32)

    def grid(in_size, out_size):
        scale = np.float32(in_size) / np.float32(out_size)
        position = np.arange(out_size, dtype=np.float32) * scale
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, in_size - 1)
        return low, high, (position - low).astype(np.float32)

    y_low, y_high, y_lerp = grid(image.shape[0], out_height)
    x_low, x_high, x_lerp = grid(image.shape[1], out_width)
    x_lerp = x_lerp[np.newaxis, :, np.newaxis]
    top = image[y_low][:, x_low] + (
        image[y_low][:, x_high] - image[y_low][:, x_low]) * x_lerp
    bottom = image[y_high][:, x_low] + (
        image[y_high][:, x_high] - image[y_high][:, x_low]) * x_lerp
    return top + (bottom - top) * y_lerp[:, np.newaxis, np.newaxis]


def tf1_resize_nearest(image, out_height, out_width):
    """TF 1 resize_nearest_neighbor(align_corners=False): floor(out * scale)."""
    rows = np.minimum(np.floor(np.arange(out_height, dtype=np.float32) *
                               np.float32(image.shape[0] / out_height)),
                      image.shape[0] - 1).astype(np.int64)
    cols = np.minimum(np.floor(np.arange(out_width, dtype=np.float32) *
                               np.float32(image.shape[1] / out_width)),
                      image.shape[1] - 1).astype(np.int64)
    return image[rows][:, cols].astype(np.float32)


def central_crop(image, fraction):
    """tf.image.central_crop for a static shape."""
    height, width = image.shape[:2]
    top = int((height - height * fraction) / 2)
    left = int((width - width * fraction) / 2)
    return image[top:height - top, left:width - left]


def crop_or_pad(image, target_height, target_width):
    """tf.image.resize_with_crop_or_pad: centred crop, then centred zero pad."""
    height, width, channels = image.shape
    top, left = max((height - target_height) // 2, 0), max(
        (width - target_width) // 2, 0)
    image = image[top:top + target_height, left:left + target_width]
    padded = np.zeros((target_height, target_width, channels), image.dtype)
    pad_top = max((target_height - height) // 2, 0)
    pad_left = max((target_width - width) // 2, 0)
    padded[pad_top:pad_top + image.shape[0],
           pad_left:pad_left + image.shape[1]] = image
    return padded


def to_grayscale(image):
    """tf.image.rgb_to_grayscale."""
    return (image.astype(np.float32) @ _GRAY_WEIGHTS)[..., np.newaxis]


def standardize(image):
    """tf.image.per_image_standardization."""
    image = image.astype(np.float64)
    deviation = max(image.std(), 1.0 / np.sqrt(image.size))
    return (image - image.mean()) / deviation


def vgg_resized(image, smallest_side):
    """research/slim's _aspect_preserving_resize (on float 0-255 values)."""
    height, width = (np.float32(side) for side in image.shape[:2])
    scale = np.float32(smallest_side) / min(height, width)
    return tf1_resize_bilinear(image, int(np.rint(height * scale)),
                               int(np.rint(width * scale)))


# ----------------------------------------------------------------------------
# research/slim's evaluation preprocessing, per family.

def reference_eval(family, image, height, width, use_grayscale=False):
    """research/slim's preprocess_image(is_training=False) of uint8 `image`."""
    if family == "lenet" or family == "cifarnet":
        image = image.astype(np.float32)
        if use_grayscale:
            image = to_grayscale(image)
        image = crop_or_pad(image, height, width)
        return (standardize(image) if family == "cifarnet"
                else (image - 128.0) / 128.0)
    if image.shape[-1] == 1:  # research/slim's decoders give RGB (channels=3)
        image = np.repeat(image, 3, axis=-1)
    if family == "inception":
        image = image.astype(np.float32) / 255.0
        if use_grayscale:
            image = to_grayscale(image)
        image = tf1_resize_bilinear(central_crop(image, 0.875), height, width)
        return (image - 0.5) * 2.0
    assert family == "vgg" and not use_grayscale
    image = vgg_resized(image, 256)
    top = (image.shape[0] - height) // 2
    left = (image.shape[1] - width) // 2
    return image[top:top + height, left:left + width] - _VGG_MEANS


# ----------------------------------------------------------------------------
# Inputs: real JPEG and PNG files, decoded as the data sets decode them.

def _smooth_image(height, width, channels, seed):
    """A photo-like image: a smooth gradient plus texture, uint8."""
    rng = np.random.RandomState(seed)
    rows = np.linspace(0, 1, height)[:, None, None]
    cols = np.linspace(0, 1, width)[None, :, None]
    phase = rng.uniform(0, 6, (1, 1, channels))
    image = (127 + 80 * np.sin(3 * rows + 5 * cols + phase) +
             rng.normal(0, 25, (height, width, channels)))
    return np.clip(image, 0, 255).astype(np.uint8)


# (height, width, channels, format): tall, wide, square, tiny, odd sizes.
_IMAGE_SPECS = [
    (333, 500, 3, "jpeg"), (500, 333, 3, "png"), (256, 256, 3, "jpeg"),
    (240, 320, 1, "png"), (301, 257, 1, "jpeg"), (97, 413, 3, "png"),
    (28, 28, 1, "png"), (41, 23, 3, "jpeg"),
]


def _decoded(spec, seed):
    height, width, channels, file_format = spec
    pixels = _smooth_image(height, width, channels, seed)
    encode = tf.io.encode_jpeg if file_format == "jpeg" else tf.io.encode_png
    return tf.io.decode_image(encode(pixels), channels=channels,
                              expand_animations=False).numpy()


_IMAGES = [_decoded(spec, seed) for seed, spec in enumerate(_IMAGE_SPECS)]

# Output sizes per family: the networks' own, plus a non-square one where
# research/slim supports it (its LeNet and CifarNet swap height and width).
_EVAL_SIZES = {"lenet": [(28, 28)], "cifarnet": [(32, 32)],
               "inception": [(299, 299), (224, 160)],
               "vgg": [(224, 224), (200, 240)]}
# The largest difference float rounding explains, on each family's scale.
_TOLERANCE = {"lenet": 1e-6, "cifarnet": 1e-4, "inception": 1e-5,
              "vgg": 1e-3}


def _slimtrain(name, image, height, width, is_training=False, **kwargs):
    fn = preprocessing_factory.get_preprocessing(
        name, is_training, use_grayscale=kwargs.pop("use_grayscale", False))
    return fn(tf.constant(image), height, width, **kwargs).numpy()


def _assert_same_pixels(name, image, height, width, use_grayscale=False):
    family = _RESEARCH_SLIM_FAMILIES[name]
    expected = reference_eval(family, image, height, width, use_grayscale)
    actual = _slimtrain(name, image, height, width,
                        use_grayscale=use_grayscale)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0,
                               atol=_TOLERANCE[family])


def test_the_reference_resize_has_no_half_pixel_centres():
    # Doubling [0, 10] without half-pixel centres samples 0, 0.5, 1, 1.5:
    # 0, 5, 10, 10. Half-pixel centres would give 0, 2.5, 7.5, 10.
    image = np.array([0.0, 10.0], np.float32).reshape(1, 2, 1)
    np.testing.assert_allclose(tf1_resize_bilinear(image, 1, 4).ravel(),
                               [0, 5, 10, 10])
    np.testing.assert_allclose(tf1_resize_nearest(image, 1, 4).ravel(),
                               [0, 0, 10, 10])


def test_factory_names_are_research_slims():
    assert set(preprocessing_factory.PREPROCESSING_MODULES) == set(
        _RESEARCH_SLIM_FAMILIES)


@pytest.mark.parametrize("family", ["lenet", "cifarnet", "inception", "vgg"])
def test_eval_pixels_match_research_slim_on_many_images(family):
    for image, (height, width) in itertools.product(_IMAGES,
                                                    _EVAL_SIZES[family]):
        _assert_same_pixels(family, image, height, width)


@pytest.mark.parametrize("family", ["lenet", "cifarnet", "inception"])
def test_eval_pixels_match_research_slim_in_grayscale(family):
    height, width = _EVAL_SIZES[family][0]
    for image in _IMAGES:
        if image.shape[-1] == 3 or family != "inception":
            _assert_same_pixels(family, image, height, width,
                                use_grayscale=image.shape[-1] == 3)


@pytest.mark.parametrize("name", sorted(_RESEARCH_SLIM_FAMILIES))
def test_eval_pixels_match_research_slim_for_every_name(name):
    height, width = _EVAL_SIZES[_RESEARCH_SLIM_FAMILIES[name]][0]
    index = sorted(_RESEARCH_SLIM_FAMILIES).index(name)
    for image in (_IMAGES[index % 4], _IMAGES[4 + index % 4]):
        _assert_same_pixels(name, image, height, width)


def test_inception_differs_from_half_pixel_resizing():
    # The bug this file guards against: TF 2's tf.image.resize gives other
    # pixels (issue 14 measured up to 0.069 on a 333x500 image).
    image = _IMAGES[0]
    cropped = central_crop(image.astype(np.float32) / 255.0, 0.875)
    half_pixel = (tf.image.resize(cropped, [299, 299]).numpy() - 0.5) * 2.0
    ours = _slimtrain("inception_v3", image, 299, 299)
    assert np.abs(ours - half_pixel).max() > 0.02


# ----------------------------------------------------------------------------
# Training: the output is the reference for some admissible random choice.

def _seeds(count):
    return [tf.constant([seed, 17]) for seed in range(count)]


def _flips(image):
    return (image, image[:, ::-1])


def test_vgg_training_resizes_crops_and_flips_as_research_slim():
    image = _smooth_image(13, 20, 3, seed=3)
    side_min, side_max, size = 10, 14, 8
    candidates = {}
    for side in range(side_min, side_max + 1):
        resized = vgg_resized(image, side)
        for top in range(resized.shape[0] - size + 1):
            for left in range(resized.shape[1] - size + 1):
                crop = resized[top:top + size, left:left + size]
                for flipped, output in enumerate(_flips(crop)):
                    candidates[(side, top, left, flipped)] = (
                        output - _VGG_MEANS)
    seen = set()
    for seed in _seeds(40):
        output = _slimtrain("vgg_16", image, size, size, is_training=True,
                            resize_side_min=side_min,
                            resize_side_max=side_max, seed=seed)
        matches = [choice for choice, expected in candidates.items()
                   if np.abs(output - expected).max() < 1e-3]
        assert matches, "no resize side, crop and flip explains the output"
        seen.update(matches)
    assert {side for side, _, _, _ in seen} == set(range(side_min,
                                                         side_max + 1))
    assert {flipped for _, _, _, flipped in seen} == {0, 1}
    assert len({(top, left) for _, top, left, _ in seen}) > 10


def test_cifarnet_training_pads_crops_and_flips_as_research_slim():
    # On an image whose channels are equal, brightness and contrast change
    # every pixel by the same affine map, which per-image standardization
    # undoes: the output is the standardized padded crop, possibly flipped.
    image = np.repeat(_smooth_image(32, 32, 1, seed=4), 3, axis=-1).astype(
        np.float32)
    padded = np.pad(image, [(4, 4), (4, 4), (0, 0)])
    seen = set()
    for seed in _seeds(30):
        output = _slimtrain("cifarnet", image.astype(np.uint8), 32, 32,
                            is_training=True, seed=seed)
        matches = [(top, left, flipped)
                   for top in range(9) for left in range(9)
                   for flipped, crop in enumerate(_flips(
                       padded[top:top + 32, left:left + 32]))
                   if np.abs(output - standardize(crop)).max() < 1e-3]
        assert matches, "no crop and flip explains the output"
        seen.update(matches)
    assert {flipped for _, _, flipped in seen} == {0, 1}
    assert len({(top, left) for top, left, _ in seen}) > 10


def _affine_fit(output, candidate):
    """(slope, offset, worst residual) of output ~ slope * candidate + offset."""
    design = np.stack([candidate.ravel(), np.ones(candidate.size)], axis=1)
    (slope, offset), *_ = np.linalg.lstsq(design, output.ravel(), rcond=None)
    residual = np.abs(design @ [slope, offset] - output.ravel()).max()
    return slope, offset, residual


def _gray_rgb(height, width, seed):
    """An RGB image whose channels are equal, values 0.4-0.6 of the range.

    Saturation and hue leave such an image alone and brightness and contrast
    move it by an affine map that never clips, so after a distortion the
    output is still an affine image of the resized input.
    """
    gray = np.random.RandomState(seed).uniform(0.4, 0.6, (height, width, 1))
    return np.repeat(np.round(gray * 255), 3, axis=-1).astype(np.uint8)


_TF1_RESIZES = {
    "bilinear": tf1_resize_bilinear, "nearest": tf1_resize_nearest,
    # TF 1's bicubic and area resizes, from the TF 1 API itself (their
    # NumPy forms would be long); the reference test above pins its grid.
    "bicubic": lambda image, h, w: tf.compat.v1.image.resize_bicubic(
        image[np.newaxis], [h, w], align_corners=False)[0].numpy(),
    "area": lambda image, h, w: tf.compat.v1.image.resize_area(
        image[np.newaxis], [h, w], align_corners=False)[0].numpy(),
}


@pytest.mark.parametrize("fast_mode", [True, False])
def test_inception_training_resizes_and_distorts_as_research_slim(fast_mode):
    image = _gray_rgb(13, 17, seed=5)
    height, width = 10, 12
    scaled = image.astype(np.float32) / 255.0
    candidates = {(method, flipped): output
                  for method, resize in _TF1_RESIZES.items()
                  for flipped, output in enumerate(
                      _flips(resize(scaled, height, width)))}
    methods, flips = set(), set()
    for seed in _seeds(24):
        output = _slimtrain("inception_v3", image, height, width,
                            is_training=True, fast_mode=fast_mode,
                            crop_image=False, seed=seed)
        output = output / 2.0 + 0.5
        fits = {choice: _affine_fit(output, candidate)
                for choice, candidate in candidates.items()}
        (method, flipped), (slope, offset, residual) = min(
            fits.items(), key=lambda item: item[1][2])
        assert residual < 1e-4, "no TF 1 resize explains the output"
        if fast_mode:  # brightness (and saturation) only
            assert abs(slope - 1.0) < 1e-4 and abs(offset) <= 32 / 255 + 1e-4
        else:  # and contrast
            assert 0.5 - 1e-4 <= slope <= 1.5 + 1e-4
        methods.add(method)
        flips.add(flipped)
    assert methods == ({"bilinear"} if fast_mode else set(_TF1_RESIZES))
    assert flips == {0, 1}


def test_inception_training_crop_is_a_distorted_box_of_the_image():
    image = _gray_rgb(12, 10, seed=6)
    scaled = image.astype(np.float32) / 255.0
    height, width = 6, 6
    boxes = [(top, left, box_height, box_width)
             for box_height in range(1, 13) for box_width in range(1, 11)
             for top in range(13 - box_height)
             for left in range(11 - box_width)]
    candidates = {(box, flipped): output for box in boxes
                  for flipped, output in enumerate(_flips(tf1_resize_bilinear(
                      scaled[box[0]:box[0] + box[2], box[1]:box[1] + box[3]],
                      height, width)))}
    areas = set()
    for seed in _seeds(8):
        output = _slimtrain("inception_v3", image, height, width,
                            is_training=True, seed=seed) / 2.0 + 0.5
        # Fast mode: brightness moves every pixel by one offset.
        matches = [box for (box, _), candidate in candidates.items()
                   if np.ptp(output - candidate) < 1e-4]
        assert matches, "no crop box explains the output"
        _, _, box_height, box_width = matches[0]
        # research/slim's box: at least 10% of the image (min_object_covered
        # of the whole-image box) and a width/height ratio near 0.75-1.33
        # (the sampler rounds the sides to whole pixels).
        assert box_height * box_width >= 0.1 * 120
        assert 0.5 <= box_width / box_height <= 2.0
        areas.add(box_height * box_width)
    assert len(areas) > 3


# research/slim's distort_color: the colour operations of each ordering.
_COLOR_ORDERINGS = {
    True: [("brightness", "saturation"), ("saturation", "brightness")],
    False: [("brightness", "saturation", "hue", "contrast"),
            ("saturation", "brightness", "contrast", "hue"),
            ("contrast", "hue", "brightness", "saturation"),
            ("hue", "saturation", "contrast", "brightness")],
}


@pytest.mark.parametrize("fast_mode", [True, False])
def test_inception_colour_orderings_are_research_slims(fast_mode):
    for ordering, expected in enumerate(_COLOR_ORDERINGS[fast_mode]):
        graph = tf.Graph()
        with graph.as_default():
            image = tf.compat.v1.placeholder(tf.float32, [8, 8, 3])
            inception_preprocessing.distort_color(
                image, ordering, fast_mode=fast_mode, seed=tf.constant([1, 2]))
        applied = [operation.name.split("adjust_")[1].split("/")[0]
                   for operation in graph.get_operations()
                   if operation.type in ("AddV2", "AdjustSaturation",
                                         "AdjustHue", "AdjustContrastv2")
                   and "adjust_" in operation.name]
        assert tuple(applied) == expected
