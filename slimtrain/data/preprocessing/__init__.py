"""Image preprocessing with TF-Slim's module names and functions.

`preprocessing_factory.get_preprocessing(name, is_training)` returns
fn(image, output_height, output_width, **kwargs) for a network name; the
modules lenet_preprocessing, cifarnet_preprocessing, inception_preprocessing
and vgg_preprocessing each offer `preprocess_image`, `preprocess_for_train`
and `preprocess_for_eval` as research/slim's do.

Every random choice is a stateless op whose seed comes from an optional
per-image `seed` (a [2] integer tensor): given one, the output is a pure
function of (image, seed), which is what makes a parallel tf.data pipeline
repeatable; without one, a fresh random seed is drawn for each image.
"""
