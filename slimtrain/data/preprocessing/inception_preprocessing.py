"""Inception preprocessing, also used by MobileNet, NASNet and PNASNet.

Training takes a random crop covering 5-100% of the image (aspect ratio
0.75-1.33, at least 10% of the given box), resizes it to the output size,
flips it left-right at random and jitters its colours; evaluation crops the
central 87.5% and resizes it. Both scale the result to [-1, 1]. These are the
operations, parameters and random choices of research/slim's
inception_preprocessing, and evaluation gives its pixels: resizing uses TF 1's
sampling grid (`tf.compat.v1.image.resize_*` with align_corners=False, i.e.
without the half-pixel centres of TF 2's `tf.image.resize`, which would shift
every image by up to half a pixel against what the model-zoo checkpoints
were trained and measured with). One-channel input is repeated into RGB
first, and `use_grayscale` turns the result into one channel.

Training also takes an image still encoded (its bytes, a string scalar), as
the input pipeline hands it over for JPEG data sets: the crop is then drawn
from the JPEG's header and only its window is decoded (`window_decoding`),
giving the pixels, and so the output, of the decoded image's path.
"""

import functools

import tensorflow as tf

from slimtrain.data.preprocessing.channels import to_grayscale, to_rgb
from slimtrain.data.preprocessing.random_seeds import SeedStream
from slimtrain.data.preprocessing.window_decoding import decode_whole, decode_window

# TF 1's four resize methods, in the order of its ResizeMethod enum (which
# research/slim draws an index into); fast mode uses the first only.
_RESIZE_METHODS = (tf.compat.v1.image.ResizeMethod.BILINEAR,
                   tf.compat.v1.image.ResizeMethod.NEAREST_NEIGHBOR,
                   tf.compat.v1.image.ResizeMethod.BICUBIC,
                   tf.compat.v1.image.ResizeMethod.AREA)


def apply_with_random_selector(x, func, num_cases, seed=None):
    """Returns func(x, case) for one case drawn from range(num_cases).

    `func` gets the case as a Python int, so each case builds its own ops;
    only the drawn case runs.
    """
    if num_cases == 1:
        return func(x, 0)
    selector = SeedStream(seed).uniform_int(0, num_cases)
    return tf.switch_case(selector, [functools.partial(func, x, case)
                                     for case in range(num_cases)])


def distort_color(image, color_ordering=0, fast_mode=True, scope=None,
                  seed=None):
    """Randomly changes the colours of an RGB float image in [0, 1].

    Args:
      image: a [H, W, 3] float image with values in [0, 1].
      color_ordering: 0-3, the order of the colour operations (they do not
        commute); fast mode knows orderings 0 and 1 only.
      fast_mode: use brightness and saturation only, skipping the slower
        hue and contrast changes.
      scope: optional name scope.
      seed: optional [2] int seed making the changes repeatable.
    Returns the changed image, clipped to [0, 1].
    """
    seeds = SeedStream(seed)
    brightness = functools.partial(tf.image.stateless_random_brightness,
                                   max_delta=32. / 255.)
    saturation = functools.partial(tf.image.stateless_random_saturation,
                                   lower=0.5, upper=1.5)
    hue = functools.partial(tf.image.stateless_random_hue, max_delta=0.2)
    contrast = functools.partial(tf.image.stateless_random_contrast,
                                 lower=0.5, upper=1.5)
    if fast_mode:
        orderings = ((brightness, saturation), (saturation, brightness))
    else:
        orderings = ((brightness, saturation, hue, contrast),
                     (saturation, brightness, contrast, hue),
                     (contrast, hue, brightness, saturation),
                     (hue, saturation, contrast, brightness))
    if not 0 <= color_ordering < len(orderings):
        raise ValueError("color_ordering must be in [0, %d] (fast_mode=%s)."
                         % (len(orderings) - 1, fast_mode))
    with tf.compat.v1.name_scope(scope, "distort_color", [image]):
        for operation in orderings[color_ordering]:
            image = operation(image, seed=seeds.next())
        return tf.clip_by_value(image, 0.0, 1.0)


def sample_crop_window(image_shape, bbox, min_object_covered=0.1,
                       aspect_ratio_range=(0.75, 1.33),
                       area_range=(0.05, 1.0), max_attempts=100, seed=None):
    """Draws Inception's random crop of an image of the given shape.

    Needs the shape only, so the crop of a JPEG can be drawn from its header
    before any pixel is decoded. Arguments as `distorted_bounding_box_crop`'s.

    Returns:
      (begin, size, distorted_bbox): int32 [3] each the first two, as
      `tf.slice` takes them; the crop's box, float [1, 1, 4].
    """
    return tf.image.stateless_sample_distorted_bounding_box(
        image_shape, bounding_boxes=bbox, seed=SeedStream(seed).next(),
        min_object_covered=min_object_covered,
        aspect_ratio_range=aspect_ratio_range, area_range=area_range,
        max_attempts=max_attempts, use_image_if_no_bounding_boxes=True)


def distorted_bounding_box_crop(image, bbox, min_object_covered=0.1,
                                aspect_ratio_range=(0.75, 1.33),
                                area_range=(0.05, 1.0), max_attempts=100,
                                scope=None, seed=None):
    """Returns (random crop of image, its box [1, 1, 4]) as Inception trains.

    Args:
      image: a [H, W, C] image.
      bbox: float [1, num_boxes, 4] boxes (ymin, xmin, ymax, xmax in [0, 1]);
        the crop covers at least `min_object_covered` of one of them.
      aspect_ratio_range, area_range: allowed width/height and share of the
        image of the crop.
      max_attempts: tries before falling back to the whole image.
      scope: optional name scope.
      seed: optional [2] int seed making the crop repeatable.
    """
    with tf.compat.v1.name_scope(scope, "distorted_bounding_box_crop",
                                 [image, bbox]):
        begin, size, distorted_bbox = sample_crop_window(
            tf.shape(image), bbox, min_object_covered, aspect_ratio_range,
            area_range, max_attempts, seed=seed)
        return tf.slice(image, begin, size), distorted_bbox


def _decode_for_train(encoded, bbox, random_crop, crop_seed):
    """The float RGB image (random crop) that training continues from, out
    of encoded bytes: of a JPEG only the crop's window is decoded."""
    if random_crop:
        def choose_window(image_shape):
            begin, size, _ = sample_crop_window(image_shape, bbox,
                                                seed=crop_seed)
            return begin, size

        image = decode_window(encoded, choose_window, channels=3)
    else:
        image = decode_whole(encoded, channels=3)
    return tf.image.convert_image_dtype(image, tf.float32)


def preprocess_for_train(image, height, width, bbox=None, fast_mode=True,
                         scope=None, random_crop=True, use_grayscale=False,
                         seed=None):
    """Returns a randomly distorted float32 [height, width, 3] image in [-1, 1].

    Args:
      image: a [H, W, C] image, C 1 or 3; integer types are taken as
        0..MAX, float32 as [0, 1]. Or a string scalar: the encoded bytes of
        an image (JPEG, PNG, GIF, BMP), decoded as RGB; of a JPEG only the
        random crop's window is decoded, with the same pixels.
      height, width: the output size.
      bbox: optional [1, num_boxes, 4] boxes guiding the crop; default the
        whole image.
      fast_mode: bilinear resizing and the first fast colour ordering only
        (otherwise one of TF 1's four resize methods and one of four colour
        orderings, each drawn per image).
      scope: optional name scope.
      random_crop: take the random crop (else resize the whole image).
      use_grayscale: return one channel.
      seed: optional [2] int seed making every random choice repeatable.
    """
    seeds = SeedStream(seed)
    with tf.compat.v1.name_scope(scope, "distort_image",
                                 [image, height, width, bbox]):
        if bbox is None:
            bbox = tf.constant([0.0, 0.0, 1.0, 1.0], tf.float32, [1, 1, 4])
        crop_seed = seeds.next() if random_crop else None
        image = tf.convert_to_tensor(image)
        if image.dtype == tf.string:
            image = _decode_for_train(image, bbox, random_crop, crop_seed)
        else:
            image = tf.image.convert_image_dtype(to_rgb(image), tf.float32)
            if random_crop:
                image, _ = distorted_bounding_box_crop(image, bbox,
                                                       seed=crop_seed)
        image.set_shape([None, None, 3])
        image = apply_with_random_selector(
            image,
            lambda x, case: tf.compat.v1.image.resize_images(
                x, [height, width], method=_RESIZE_METHODS[case],
                align_corners=False),
            num_cases=1 if fast_mode else len(_RESIZE_METHODS),
            seed=seeds.next())
        image = tf.image.stateless_random_flip_left_right(image,
                                                          seed=seeds.next())
        color_seed = seeds.next()
        image = apply_with_random_selector(
            image,
            lambda x, ordering: distort_color(x, ordering, fast_mode,
                                              seed=color_seed),
            num_cases=1 if fast_mode else 4, seed=seeds.next())
        if use_grayscale:
            image = to_grayscale(image)
        image.set_shape([height, width, 1 if use_grayscale else 3])
        return (image - 0.5) * 2.0


def preprocess_for_eval(image, height, width, central_fraction=0.875,
                        scope=None, central_crop=True, use_grayscale=False):
    """Returns the centre of the image resized, as float32 in [-1, 1].

    The resize is TF 1's bilinear one without half-pixel centres, so the
    pixels are research/slim's.

    Args:
      image: a [H, W, C] image, C 1 or 3 (see `preprocess_for_train`).
      height, width: the output size; if either is falsy the crop keeps its
        own size.
      central_fraction: the share of each side kept by the central crop.
      scope: optional name scope.
      central_crop: take the central crop at all.
      use_grayscale: return one channel (converted first, as research/slim
        does).
    """
    with tf.compat.v1.name_scope(scope, "eval_image", [image, height, width]):
        image = tf.image.convert_image_dtype(image, tf.float32)
        image = to_grayscale(image) if use_grayscale else to_rgb(image)
        if central_crop and central_fraction:
            image = tf.image.central_crop(image,
                                          central_fraction=central_fraction)
        if height and width:
            image = tf.compat.v1.image.resize_bilinear(
                image[tf.newaxis], [height, width], align_corners=False)[0]
        return (image - 0.5) * 2.0


def preprocess_image(image, height, width, is_training=False, bbox=None,
                     fast_mode=True, crop_image=True, use_grayscale=False,
                     seed=None):
    """Preprocesses for training or evaluation; see the two functions above.

    `crop_image` switches the random crop (training) or the central crop
    (evaluation); `bbox`, `fast_mode` and `seed` matter only in training.
    """
    if is_training:
        return preprocess_for_train(image, height, width, bbox, fast_mode,
                                    random_crop=crop_image,
                                    use_grayscale=use_grayscale, seed=seed)
    return preprocess_for_eval(image, height, width, central_crop=crop_image,
                               use_grayscale=use_grayscale)
