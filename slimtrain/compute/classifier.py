"""The network and preprocessing of an image classifier, resolved by name.

Training and evaluation both turn a model name, a data set split, a labels
offset and a preprocessing name into a network function and a
preprocessing function. `resolve_classifier` does it for both, with the
same checks and the same one-line errors.
"""

from nets import nets_factory
from slimtrain.data.preprocessing import preprocessing_factory
from slimtrain.errors import ConfigError


def resolve_classifier(config, dataset, *, is_training, weight_decay=0.0):
    """Returns (num_classes, network_fn, preprocessing_fn).

    Args:
      config: a `TrainConfig` or `EvalConfig`; its model_name,
        labels_offset, preprocessing_name (None: the model's) and
        use_grayscale are used.
      dataset: the `DatasetSplit` the network reads.
      is_training: builds the network and preprocessing for training (else
        for evaluation).
      weight_decay: the network's L2 weight decay.

    Raises:
      ConfigError: an unknown model name, a video network, or a labels
        offset that leaves no classes of the data set.
    """
    if config.model_name not in nets_factory.networks_map:
        raise ConfigError("--model_name=%s is not known: use one of %s." % (
            config.model_name, ", ".join(sorted(nets_factory.networks_map))))
    if config.model_name in nets_factory.VIDEO_NETWORKS:
        raise ConfigError(
            "--model_name=%s takes video clips, and the image classifier "
            "trains and evaluates on images: use an image network, or build "
            "%s from `import nets` (docs/NETWORKS.md)." % (
                config.model_name, config.model_name))
    num_classes = classes_after_offset(config, dataset)
    network_fn = nets_factory.get_network_fn(
        config.model_name, num_classes=num_classes,
        weight_decay=weight_decay, is_training=is_training)
    preprocessing_fn = preprocessing_factory.get_preprocessing(
        config.preprocessing_name or config.model_name,
        is_training=is_training, use_grayscale=config.use_grayscale)
    return num_classes, network_fn, preprocessing_fn


def classes_after_offset(config, dataset):
    """The label values of `dataset` left after --labels_offset.

    Raises:
      ConfigError: the offset leaves none.
    """
    num_classes = dataset.num_classes - config.labels_offset
    if num_classes < 1:
        raise ConfigError(
            "--labels_offset=%d leaves no classes of the %d in %s: use a "
            "smaller offset." % (config.labels_offset, dataset.num_classes,
                                 dataset.name))
    return num_classes


def apply_network(network_fn, images, model_name, size_flag):
    """Returns network_fn(images), or a ConfigError for too small images.

    A network whose strided layers shrink an image below one pixel fails
    while its graph is built (a "negative dimension" ValueError deep inside
    TensorFlow); this names the flag that set the size instead.

    Args:
      size_flag: the flag that chose the image size, e.g.
        "--train_image_size", named in the error.
    """
    try:
        return network_fn(images)
    except ValueError as error:
        if "Negative dimension" not in str(error) and (
                "must be at least" not in str(error)):
            raise
    size = images.shape[1:3].as_list()
    raise ConfigError(
        "%s=%s is too small for %s: its layers shrink a %sx%s image below "
        "one pixel; use a larger size or leave the flag unset (the network's "
        "default is %s)." % (size_flag, size[0], model_name, size[0], size[1],
                             getattr(network_fn, "default_image_size", "?")))
