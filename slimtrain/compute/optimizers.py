"""The optimizers of `train_image_classifier.py`, from their flag values."""

import tensorflow.compat.v1 as tf


def configure_optimizer(config, learning_rate):
    """Returns the `tf.compat.v1.train.Optimizer` named by `config.optimizer`.

    The hyper-parameters come from the same flags as in TF-Slim's
    `train_image_classifier.py` (adam_beta1, rmsprop_decay, opt_epsilon, ...).
    The name is validated by `TrainConfig.validate`.
    """
    name = config.optimizer
    if name == "adadelta":
        return tf.train.AdadeltaOptimizer(
            learning_rate, rho=config.adadelta_rho, epsilon=config.opt_epsilon)
    if name == "adagrad":
        return tf.train.AdagradOptimizer(
            learning_rate,
            initial_accumulator_value=config.adagrad_initial_accumulator_value)
    if name == "adam":
        return tf.train.AdamOptimizer(
            learning_rate, beta1=config.adam_beta1, beta2=config.adam_beta2,
            epsilon=config.opt_epsilon)
    if name == "ftrl":
        return tf.train.FtrlOptimizer(
            learning_rate,
            learning_rate_power=config.ftrl_learning_rate_power,
            initial_accumulator_value=config.ftrl_initial_accumulator_value,
            l1_regularization_strength=config.ftrl_l1,
            l2_regularization_strength=config.ftrl_l2)
    if name == "momentum":
        return tf.train.MomentumOptimizer(
            learning_rate, momentum=config.momentum, name="Momentum")
    if name == "rmsprop":
        return tf.train.RMSPropOptimizer(
            learning_rate, decay=config.rmsprop_decay,
            momentum=config.rmsprop_momentum, epsilon=config.opt_epsilon)
    if name == "sgd":
        return tf.train.GradientDescentOptimizer(learning_rate)
    raise ValueError("unknown optimizer %r" % name)
