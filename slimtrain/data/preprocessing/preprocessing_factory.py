"""Maps a network name to its preprocessing, as research/slim's factory does.

Names of networks slimtrain does not (yet) provide are listed too, so that
a preprocessing can be chosen by the network it was made for.
"""

from slimtrain.data.preprocessing import (
    cifarnet_preprocessing,
    inception_preprocessing,
    lenet_preprocessing,
    vgg_preprocessing,
)
from slimtrain.errors import ConfigError

_INCEPTION_NAMES = (
    "inception", "inception_v1", "inception_v2", "inception_v3",
    "inception_v4", "inception_resnet_v2",
    "mobilenet_v1", "mobilenet_v1_075", "mobilenet_v1_050",
    "mobilenet_v1_025",
    "mobilenet_v2", "mobilenet_v2_035", "mobilenet_v2_140",
    "mobilenet_v3_small", "mobilenet_v3_large",
    "mobilenet_v3_small_minimalistic", "mobilenet_v3_large_minimalistic",
    "mobilenet_edgetpu", "mobilenet_edgetpu_075",
    "nasnet_mobile", "nasnet_large", "pnasnet_mobile", "pnasnet_large",
)
_VGG_NAMES = (
    "resnet_v1_50", "resnet_v1_101", "resnet_v1_152", "resnet_v1_200",
    "resnet_v2_50", "resnet_v2_101", "resnet_v2_152", "resnet_v2_200",
    "vgg", "vgg_a", "vgg_16", "vgg_19",
)

PREPROCESSING_MODULES = {
    "cifarnet": cifarnet_preprocessing,
    "lenet": lenet_preprocessing,
    **dict.fromkeys(_INCEPTION_NAMES, inception_preprocessing),
    **dict.fromkeys(_VGG_NAMES, vgg_preprocessing),
}

# The modules whose training preprocessing also takes an image's encoded
# bytes and decodes them itself (Inception: only the crop's window of a JPEG).
ENCODED_TRAINING_INPUT_MODULES = (inception_preprocessing,)

# The modules whose evaluation preprocessing centrally crops or zero-pads an
# image to the output size, keeping its scale, where the others resize it:
# they are made for images of the data set's own size.
CROP_OR_PAD_EVAL_MODULES = (cifarnet_preprocessing, lenet_preprocessing)


def get_preprocessing(name, is_training=False, use_grayscale=False):
    """Returns preprocessing_fn(image, output_height, output_width, **kwargs).

    Args:
      name: a network name, a key of PREPROCESSING_MODULES.
      is_training: return the training variant (random distortions) instead
        of the evaluation one.
      use_grayscale: make the output one channel.

    The returned function preprocesses one unbatched [H, W, C] image; its
    keyword arguments go to the module's `preprocess_image` (e.g. `seed`,
    a [2] int tensor that makes the training distortions repeatable). It
    builds graph ops only, so it works inside `tf.data.Dataset.map` and in
    TF1-style graphs.

    Its attribute `accepts_encoded_images` says whether it also takes, in
    place of the image, the image's encoded bytes (a string scalar, decoded
    as RGB): true for Inception's training preprocessing, which then decodes
    only the crop's window of a JPEG. The input pipeline reads it.

    Raises:
      ConfigError: for an unknown name.
    """
    if name not in PREPROCESSING_MODULES:
        raise ConfigError("Unknown preprocessing name %r; valid names: %s."
                          % (name, ", ".join(sorted(PREPROCESSING_MODULES))))
    module = PREPROCESSING_MODULES[name]

    def preprocessing_fn(image, output_height, output_width, **kwargs):
        return module.preprocess_image(
            image, output_height, output_width, is_training=is_training,
            use_grayscale=use_grayscale, **kwargs)

    preprocessing_fn.accepts_encoded_images = (
        is_training and module in ENCODED_TRAINING_INPUT_MODULES)
    return preprocessing_fn


def crops_or_pads(name):
    """Whether the evaluation preprocessing `name` (a key of
    PREPROCESSING_MODULES) crops or pads an image to the output size instead
    of resizing it (LeNet's and CifarNet's): a 224-pixel photo then loses
    all but its central 28 pixels."""
    return PREPROCESSING_MODULES.get(name) in CROP_OR_PAD_EVAL_MODULES
