"""Hands out the seeds of an image's stateless random ops."""

import tensorflow as tf


class SeedStream:
    """Derives distinct stateless-op seeds from one per-image seed.

    Each `next()` folds a new counter value into the base seed, so the ops of
    one image draw independent numbers, and the same base seed always gives
    the same numbers. Without a base seed, one is drawn at random (once per
    image, when the graph runs).
    """

    def __init__(self, seed=None):
        if seed is None:
            seed = tf.random.uniform([2], maxval=2**31 - 1, dtype=tf.int32)
        self._seed = tf.convert_to_tensor(seed)
        self._count = 0

    def next(self):
        """Returns a new [2] int seed for one stateless random op."""
        self._count += 1
        return tf.random.experimental.stateless_fold_in(self._seed, self._count)

    def uniform_int(self, minval, maxval):
        """Returns a random int32 scalar in [minval, maxval)."""
        return tf.random.stateless_uniform([], self.next(), minval=minval,
                                           maxval=maxval, dtype=tf.int32)
