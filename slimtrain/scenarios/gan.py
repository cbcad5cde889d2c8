"""Built-in scenario `gan`: a DCGAN, two optimizers, alternating updates.

    python train.py --scenario=gan
    python train.py --scenario=gan --scenario_options=discriminator_steps=2

The zoo's DCGAN (`nets.dcgan`, slim layers) at 32x32 pixels: the generator
turns noise into images (tanh, so in [-1, 1] like LeNet's preprocessing of
the data), the discriminator tells them from the data set's images. Each
has its own optimizer; a step trains one of them:
`discriminator_steps` discriminator steps, then one generator step, over
and over (the schedule follows the global step, so a resumed run goes on in
rhythm). Every step takes one batch of real images.

The losses are the standard non-saturating ones (the discriminator's
sigmoid cross-entropy on real and generated images; the generator's on its
images labelled real). The noise is drawn statelessly from the global step,
so a resumed run draws what an uninterrupted one would. Generated samples
are written as the image summary `generated`.

Unless their flags are given, the run uses DCGAN's optimizer: Adam at a
fixed 0.0002 with beta1 0.5.
"""

import tensorflow.compat.v1 as tf

from nets import dcgan
from slimtrain.errors import ConfigError
from slimtrain.scenarios.api import Scenario, TrainStep, Update

GENERATOR_SCOPE = "Generator"
DISCRIMINATOR_SCOPE = "Discriminator"
# Mixed into the noise's seed, with the global step; --seed replaces it.
NOISE_SEED = 1234
SAMPLES_SHOWN = 8


class GanScenario(Scenario):
    """DCGAN generator and discriminator trained in turns."""

    name = "gan"
    preprocessing_name = "lenet"  # scales to [-1, 1), pads with black
    image_size = 32
    flag_defaults = {"optimizer": "adam", "learning_rate": 0.0002,
                     "adam_beta1": 0.5, "opt_epsilon": 1e-8,
                     "learning_rate_decay_type": "fixed"}

    def __init__(self, discriminator_steps=1, noise_dims=64, depth=64):
        """Args:
          discriminator_steps: discriminator steps per generator step.
          noise_dims: the length of the generator's noise vector.
          depth: the networks' base number of channels.
        """
        for option, value in (("discriminator_steps", discriminator_steps),
                              ("noise_dims", noise_dims), ("depth", depth)):
            if not isinstance(value, int) or value < 1:
                raise ValueError("%s=%r must be a positive integer"
                                 % (option, value))
        self.discriminator_steps = discriminator_steps
        self.noise_dims = noise_dims
        self.depth = depth

    def build_train(self, images, labels, run):
        del labels  # unconditional
        batch_size, size, width, channels = images.shape.as_list()
        if size != width or size < 8 or size & (size - 1):
            raise ConfigError(
                "scenario gan takes square images of a power-of-2 size of at "
                "least 8 (DCGAN's), not %dx%d: pass --train_image_size=32 or "
                "leave it unset." % (size, width))
        seed = NOISE_SEED if run.config.seed is None else run.config.seed
        noise = tf.random.stateless_normal(
            [batch_size, self.noise_dims],
            seed=tf.stack([tf.cast(run.global_step, tf.int64),
                           tf.constant(seed, tf.int64)]))
        generated = self.generate(noise, size, channels, is_training=True)
        real_logits, _ = dcgan.discriminator(
            images, depth=self.depth, is_training=True,
            scope=DISCRIMINATOR_SCOPE)
        fake_logits, _ = dcgan.discriminator(
            generated, depth=self.depth, is_training=True, reuse=True,
            scope=DISCRIMINATOR_SCOPE)
        discriminator_loss = tf.add(
            tf.losses.sigmoid_cross_entropy(tf.ones_like(real_logits),
                                            real_logits),
            tf.losses.sigmoid_cross_entropy(tf.zeros_like(fake_logits),
                                            fake_logits),
            name="discriminator_loss")
        generator_loss = tf.losses.sigmoid_cross_entropy(
            tf.ones_like(fake_logits), fake_logits, scope="generator_loss")
        tf.summary.image("generated", (generated[:SAMPLES_SHOWN] + 1.0) / 2.0,
                         max_outputs=SAMPLES_SHOWN)
        return TrainStep(
            updates=[_update("discriminator", discriminator_loss,
                             DISCRIMINATOR_SCOPE),
                     _update("generator", generator_loss, GENERATOR_SCOPE)],
            schedule=([["discriminator"]] * self.discriminator_steps +
                      [["generator"]]),
            losses={"discriminator": discriminator_loss,
                    "generator": generator_loss})

    def generate(self, noise, size, channels, is_training):
        """Images in [-1, 1] from `noise` [batch, noise_dims]."""
        logits, _ = dcgan.generator(
            noise, depth=self.depth, final_size=size, num_outputs=channels,
            is_training=is_training, scope=GENERATOR_SCOPE)
        return tf.tanh(logits)


def _update(name, loss, scope):
    """An update of the variables, and batch norm statistics, of `scope`."""
    return Update(name, loss, variables=tf.trainable_variables(scope),
                  update_ops=tf.get_collection(tf.GraphKeys.UPDATE_OPS, scope))
