"""The ops that train: a scenario's `TrainStep` made into one op per step.

For each group of updates a step runs (`TrainStep.groups`), one op that
- computes each update's gradients with `slim.learning.create_train_op`,
  through the run's transforms: --gradient_multipliers,
  --clip_gradient_norm and, with --check_numerics, the finiteness check
  that fails the step before any variable changes (`divergence`);
- applies them with the update's optimizer, by default one made from the
  flags for each update (--optimizer, --learning_rate and its schedule),
  with dynamic loss scaling for --mixed_precision=float16
  (`compute.precision.loss_scaled`: a step whose gradients overflow is
  skipped and does not count as a global step) and wrapped for
  --sync_replicas;
- runs the update ops, and the --moving_average_decay averages of the model
  variables;
- adds one to the global step, once, and advances the input position;
- takes the step's batch, whether or not its updates read it, so that
  every step consumes exactly one batch per clone;
- returns the sum of the group's losses.

`StepSchedule` says which op trains which global step.
"""

import dataclasses
from typing import Optional

import tensorflow.compat.v1 as tf
import tf_slim as slim

from slimtrain.compute import precision
from slimtrain.compute.learning_rate import configure_learning_rate
from slimtrain.compute.optimizers import configure_optimizer
from slimtrain.errors import ConfigError
from slimtrain.settings import split_comma_list
from slimtrain.training.config import parse_gradient_multipliers
from slimtrain.training.divergence import guard_gradients
from slimtrain.training.scopes import top_scopes, unmatched_scope
from slimtrain.training.sync_replicas import make_sync_optimizer


@dataclasses.dataclass(frozen=True)
class StepOp:
    """One kind of step.

    Attributes:
      train_op: running it trains one step; it returns the step's loss.
      step_after_train: the global step read after the update (fetching
        the variable itself may race with the update).
      regularization: the part of the step's loss that is regularization
        losses (weight decay), or None when it includes none; computed by
        the step's own forward pass, so fetching it with the step costs
        only a few scalar additions.
    """

    train_op: tf.Tensor
    step_after_train: tf.Tensor
    regularization: Optional[tf.Tensor] = None


class StepSchedule:
    """Which `StepOp` trains each global step: the scenario's schedule."""

    def __init__(self, step_ops):
        self.step_ops = list(step_ops)

    def for_step(self, step):
        """The `StepOp` that trains global step `step` (counted from 1)."""
        return self.step_ops[(step - 1) % len(self.step_ops)]


def build_step_schedule(train_step, config, *, global_step, num_samples,
                        batch, input_position=None):
    """Builds the step ops of `train_step`; returns (StepSchedule, sync optimizer).

    Args:
      train_step: the scenario's `TrainStep`.
      config: the run's TrainConfig.
      global_step: the run's global step variable.
      num_samples: the examples of the data set split (epochs of the
        learning-rate schedule).
      batch: the tensors of the step's batch (every clone's).
      input_position: the run's `InputPosition`, or None.

    Returns:
      (a `StepSchedule`, the `SyncReplicasOptimizer` or None).

    Raises:
      ConfigError: a flag that cannot apply to the scenario's updates.
    """
    groups = train_step.groups()
    if config.sync_replicas and (len(groups) > 1 or len(groups[0]) > 1):
        raise ConfigError(
            "--sync_replicas aggregates one optimizer's gradients, and this "
            "scenario runs %d updates: train it without --sync_replicas."
            % len(train_step.updates))
    for name, loss in sorted(train_step.losses.items()):
        tf.summary.scalar("losses/" + name, loss)
    learning_rate = configure_learning_rate(config, num_samples, global_step)
    tf.summary.scalar("learning_rate", learning_rate)
    optimizers, loss_scales, sync_optimizer, extra_update_ops = _optimizers(
        train_step.updates, config, learning_rate, global_step)
    trained = _trainable_variables(config.trainable_scopes)
    variables = {update.name: _variables_of(update, trained)
                 for update in train_step.updates}
    multipliers = _gradient_multipliers(
        config.gradient_multipliers,
        {var for chosen in variables.values() for var in chosen})

    def group_op(group):
        train_ops = [slim.training.create_train_op(
            update.loss, optimizers[update.name],
            global_step=global_step if len(group) == 1 else None,
            update_ops=_update_ops(update) + extra_update_ops,
            variables_to_train=variables[update.name],
            transform_grads_fn=_transform_gradients(
                config, update.loss, multipliers, loss_scales.get(update.name)),
            summarize_gradients=config.summarize_gradients,
            # Each clone's backward pass runs on its own device.
            colocate_gradients_with_ops=config.num_clones > 1,
            check_numerics=False)  # slim's check comes after the update
            for update in group]
        return _step_op(train_ops, global_step, batch, input_position,
                        _regularization_in([update.loss for update in group]))

    built = {}
    step_ops = []
    for group in groups:
        key = tuple(update.name for update in group)
        if key not in built:
            built[key] = group_op(group)
        step_ops.append(built[key])
    return StepSchedule(step_ops), sync_optimizer


def _optimizers(updates, config, learning_rate, global_step):
    """Each update's optimizer, and what the moving averages add.

    Returns:
      ({update name: optimizer}: the update's own, or one made from the
      flags, loss-scaled for --mixed_precision=float16 and wrapped for
      --sync_replicas; {update name: its loss scale tensor}, with float16
      only; the SyncReplicasOptimizer or None; the ops that update the
      --moving_average_decay averages, unless the sync optimizer applies
      them on the chief).
    """
    averages = (tf.train.ExponentialMovingAverage(
        config.moving_average_decay, global_step)
        if config.moving_average_decay else None)
    optimizers, loss_scales, sync_optimizer = {}, {}, None
    for update in updates:
        optimizer = update.optimizer or configure_optimizer(config,
                                                            learning_rate)
        if config.mixed_precision == precision.FLOAT16:
            optimizer, loss_scales[update.name] = precision.loss_scaled(
                optimizer)
        if config.sync_replicas:
            # The sync optimizer applies the moving averages on the chief.
            optimizer = sync_optimizer = make_sync_optimizer(
                optimizer, config, variable_averages=averages,
                variables_to_average=slim.get_model_variables())
        optimizers[update.name] = optimizer
    extra_update_ops = []
    if averages is not None and not config.sync_replicas:
        extra_update_ops.append(averages.apply(slim.get_model_variables()))
    return optimizers, loss_scales, sync_optimizer, extra_update_ops


def _update_ops(update):
    """The update's own update ops, or the graph's UPDATE_OPS (slim's
    default, e.g. batch norm's moving statistics)."""
    if update.update_ops is None:
        return list(tf.get_collection(tf.GraphKeys.UPDATE_OPS))
    return list(update.update_ops)


def _step_op(train_ops, global_step, batch, input_position,
             regularization=None):
    """One `StepOp` from the train ops of a step's updates.

    The step's loss is the sum of theirs. Several updates add one to the
    global step once, after all of them (one update's create_train_op does
    it itself). The step takes its batch whether or not the updates read
    it, and advances the input position.
    """
    train_op = train_ops[0]
    if len(train_ops) > 1:
        train_op = tf.add_n(train_ops)
        with tf.control_dependencies([train_op]):
            increment = global_step.assign_add(1)
        with tf.control_dependencies([increment]):
            train_op = tf.identity(train_op)
    after = list(batch)
    if input_position is not None:
        after.append(input_position.advance_op)
    with tf.control_dependencies(after):
        train_op = tf.identity(train_op)
    with tf.control_dependencies([train_op]):
        step_after_train = global_step.read_value()
    return StepOp(train_op, step_after_train, regularization)


def _regularization_in(losses):
    """The sum of the graph's regularization losses that `losses` include
    (each loss's, added up), or None when they include none.

    Which ones a loss includes is read off the graph: those its value is
    computed from. A scenario may add all of them (the classifier's
    `tf.losses.get_total_loss`), those of its scope (multi_head's heads),
    or none.
    """
    wanted = {tensor.op: tensor
              for tensor in tf.losses.get_regularization_losses()}
    found = []
    for loss in losses:
        seen, pending = set(), [loss.op]
        while pending and wanted:
            op = pending.pop()
            if op in seen:
                continue
            seen.add(op)
            if op in wanted:
                found.append(wanted[op])
            else:
                pending.extend(tensor.op for tensor in op.inputs)
    if not found:
        return None
    with tf.name_scope("regularization_part"):
        return tf.add_n(found)


def _transform_gradients(config, loss, multipliers, loss_scale=None):
    """slim's gradient transform: multipliers, clipping, finiteness check
    (aware of the steps float16's `loss_scale` skips)."""

    def transform(grads_and_vars):
        if multipliers:
            with tf.name_scope("multiply_grads"):
                grads_and_vars = slim.learning.multiply_gradients(
                    grads_and_vars, multipliers)
        if config.clip_gradient_norm > 0:
            with tf.name_scope("clip_grads"):
                grads_and_vars = slim.learning.clip_gradient_norms(
                    grads_and_vars, config.clip_gradient_norm)
        if config.check_numerics:
            grads_and_vars = guard_gradients(loss, grads_and_vars,
                                             loss_scale)
        return grads_and_vars

    return transform


def _variables_of(update, trained):
    """The variables `update` trains: its own, within --trainable_scopes."""
    candidates = (tf.trainable_variables() if update.variables is None
                  else list(update.variables))
    chosen = [var for var in candidates if var in trained]
    if not chosen:
        raise ConfigError(
            "update %r trains no variable within --trainable_scopes: widen "
            "the scopes to cover some of %s." % (
                update.name, ", ".join(top_scopes(candidates))))
    return chosen


def _trainable_variables(trainable_scopes):
    """All trainable variables, or those under the --trainable_scopes."""
    scopes = split_comma_list(trainable_scopes)
    if not scopes:
        return set(tf.trainable_variables())
    variables = set()
    for scope in scopes:
        found = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope)
        if not found:
            raise unmatched_scope("--trainable_scopes", scope,
                                  tf.trainable_variables(),
                                  what="trainable variable")
        variables.update(found)
    return variables


def _gradient_multipliers(text, variables_to_train):
    """Maps each variable under a --gradient_multipliers scope to its factor."""
    multipliers = {}
    for scope, factor in parse_gradient_multipliers(text).items():
        matched = [var for var in variables_to_train
                   if var.op.name.startswith(scope)]
        if not matched:
            raise unmatched_scope("--gradient_multipliers", scope,
                                  variables_to_train,
                                  what="variable being trained")
        multipliers.update(dict.fromkeys(matched, factor))
    return multipliers
