"""Divergence: no NaN or Inf ever reaches a variable update or a checkpoint.

TF-Slim's `check_numerics` checks the loss only, and after the update is
applied, so a finite loss with an Inf gradient wrote NaN weights that a
checkpoint could then save. Here:

- `guard_gradients` makes the update wait for a check of the loss and of
  every gradient (of their sums, `sums_finite`, which is cheap): a
  non-finite step fails inside its own `session.run`
  before any weight, optimizer slot or the global step is changed (batch
  norm's moving statistics, updated by the forward pass, may be; a failed
  run never saves, and a rollback restores them);
- `check_variables_finite` runs before every checkpoint, for an update that
  overflowed from finite values;
- `DivergencePolicy` decides what a non-finite step does: fail (the
  default: one line, exit status 3, the newest checkpoint is the last
  finite one) or roll back to the newest checkpoint and go on, a bounded
  number of times (as Orbit's NaN recovery does).
"""

import tensorflow.compat.v1 as tf
from absl import logging

from slimtrain.errors import DivergedError

NON_FINITE_MESSAGE = "slimtrain: the loss or a gradient is NaN or Inf"
# What TensorFlow says when a histogram summary meets a NaN or an Inf: in
# the run of a step that diverged, its error may come before the check's
# (or, with --check_numerics=false, instead of it).
NON_FINITE_HISTOGRAM_MESSAGES = ("Nan in summary histogram",
                                 "Infinity in summary histogram",
                                 "Infinity in Histogram")


def all_finite(tensors):
    """A bool tensor: whether every element of the float `tensors` is finite."""
    checks = [tf.reduce_all(tf.is_finite(tensor)) for tensor in tensors
              if tensor.dtype.is_floating]
    return tf.reduce_all(tf.stack(checks)) if checks else tf.constant(True)


def sums_finite(tensors):
    """A bool tensor: whether the sum of the float `tensors`' sums is finite.

    It is False whenever an element is NaN or Inf (any sum with one is NaN
    or Inf), and also when finite elements sum beyond float32's range
    (about 3.4e38), values every optimizer's update would overflow on
    anyway. The check of every training step: a sum reads each tensor once,
    where `all_finite` also writes and reads a boolean copy of it
    (bench/guard_costs.py measures what the guard costs a step). An exact
    fallback for the sums that overflow (a cond checking the elements)
    made the guard slower to build for deep networks, time every run's
    start pays.
    """
    sums = [tf.cast(tf.reduce_sum(tensor), tf.float32) for tensor in tensors
            if tensor.dtype.is_floating]
    return tf.is_finite(tf.add_n(sums)) if sums else tf.constant(True)


def guard_gradients(total_loss, grads_and_vars, loss_scale=None):
    """Returns `grads_and_vars` whose gradients wait for a finiteness check.

    Anything that uses the returned gradients (the optimizer's update, the
    global step increment) runs only if the loss and all gradients are
    finite (`sums_finite`); otherwise the step fails with
    NON_FINITE_MESSAGE.

    With `loss_scale` (the current scale of float16's dynamic loss scaling,
    `compute.precision.loss_scaled`), gradients that are not finite fail
    the step only once the scale is down to 1: above it they are an
    overflow of the scaled loss, a step the loss scaler skips (no variable
    changes) while it halves the scale. A non-finite loss always fails.
    """
    gradients = [grad for grad, _ in grads_and_vars if grad is not None]
    values = [grad.values if isinstance(grad, tf.IndexedSlices) else grad
              for grad in gradients]
    if loss_scale is None:
        finite = sums_finite([total_loss] + values)
    else:
        finite = tf.logical_and(
            sums_finite([total_loss]),
            tf.logical_or(sums_finite(values), tf.greater(loss_scale, 1.0)))
    check = tf.debugging.Assert(finite, [NON_FINITE_MESSAGE],
                                name="finite_check")
    with tf.control_dependencies([check]):
        return [(_identity(grad), var) if grad is not None else (grad, var)
                for grad, var in grads_and_vars]


def _identity(grad):
    if isinstance(grad, tf.IndexedSlices):
        return tf.IndexedSlices(tf.identity(grad.values), grad.indices,
                                grad.dense_shape)
    return tf.identity(grad)


def check_variables_finite(sess, variables_finite, step):
    """Raises DivergedError if a variable to be saved is NaN or Inf.

    Args:
      variables_finite: `all_finite` of the saved variables (reads no input).
    """
    if not sess.run(variables_finite):
        raise DivergedError(
            "a variable became NaN or Inf at global step %d (an update "
            "overflowed): lower --learning_rate or set --clip_gradient_norm; "
            "nothing of that step was saved." % step)


class DivergencePolicy:
    """What a step that failed its finiteness check does: fail or roll back."""

    def __init__(self, on_nan, max_rollbacks, saver, train_dir, global_step,
                 input_position=None):
        """Args:
          on_nan: "fail" or "rollback".
          max_rollbacks: how many rollbacks a run may make before it fails.
          saver, train_dir: restore the newest checkpoint of the train dir.
          global_step: the global step variable, read after a restore.
          input_position: the run's `InputPosition`: the input goes on from
            where it is (not from the checkpoint's position), so the batches
            that diverged are not trained again.
        """
        self._on_nan = on_nan
        self._max_rollbacks = max_rollbacks
        self._saver = saver
        self._train_dir = train_dir
        self._global_step = global_step
        self._input_position = input_position
        self.rollbacks = 0

    def handle(self, sess, error, step):
        """Deals with the InvalidArgumentError `error` of training `step`.

        Returns:
          The global step after a rollback.

        Raises:
          DivergedError: the step diverged and may not roll back.
          tf.errors.InvalidArgumentError: `error`, if it is not a divergence.
        """
        if not any(message in error.message for message in
                   (NON_FINITE_MESSAGE,) + NON_FINITE_HISTOGRAM_MESSAGES):
            raise error
        if self._input_position is not None:
            self._input_position.advanced()  # the failed step took a batch
        latest = tf.train.latest_checkpoint(self._train_dir)
        if self._on_nan == "rollback":
            if latest is not None and self.rollbacks < self._max_rollbacks:
                return self._roll_back(sess, latest, step)
            reason = (" (no checkpoint to roll back to yet)" if latest is None
                      else " (after %d rollbacks)" % self.rollbacks)
            fix = ""
        else:
            reason, fix = "", ", or pass --on_nan=rollback"
        saved = ("no checkpoint was saved before it" if latest is None else
                 "%s holds the last finite weights" % latest)
        raise DivergedError(
            "the loss or a gradient became NaN or Inf at global step %d%s: "
            "lower --learning_rate or set --clip_gradient_norm%s; %s."
            % (step, reason, fix, saved)) from None

    def _roll_back(self, sess, checkpoint, step):
        """Restores `checkpoint`; the input goes on from where it is."""
        self.rollbacks += 1
        self._saver.restore(sess, checkpoint)
        if self._input_position is not None:
            self._input_position.write(sess)
        logging.warning(
            "The loss or a gradient became NaN or Inf at step %d: rolled back "
            "to %s (rollback %d of --max_nan_rollbacks=%d); the input goes on "
            "with the next batch.", step, checkpoint, self.rollbacks,
            self._max_rollbacks)
        return int(sess.run(self._global_step))
