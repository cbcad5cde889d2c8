"""Several clones of the model in one process (--num_clones), as research/slim does.

research/slim's `model_deploy` trains N replicas ("clones") of the network
in one process, on N GPUs or all on the CPU (--clone_on_cpu). `build_clones`
keeps its semantics:

- clone i is built under the name scope `clone_i` on its device
  (`compute.placement.clone_device`), on its own batch of --batch_size;
  clones after the first reuse the first one's variables;
- variables live on the CPU, or on the parameter servers with
  --num_ps_tasks (`compute.placement.variables_device`);
- each clone's loss is the sum of the losses created in its scope, scaled
  by 1/N; the regularization losses are added once; so the gradient of the
  total, which sums the clones' gradients, equals that of one clone fed all
  N batches at once (for a network without batch norm or dropout);
- the batch-norm update ops are those of the first clone only (as in
  research/slim: the moving statistics follow the first clone's batch);
- the summaries: each clone's loss (`clone_i/clone_loss`), the
  regularization loss once, and the end points of the first clone.

The trainer computes the gradients of the returned total with
`colocate_gradients_with_ops=True`, so each clone's backward pass runs on
its clone's device and the sum is formed where each variable lives, as
`model_deploy`'s summed clone gradients are.
"""

import collections

import tensorflow.compat.v1 as tf
import tf_slim as slim

from slimtrain.compute.losses import add_cross_entropy_losses
from slimtrain.compute.placement import clone_device, device, variables_device

Clones = collections.namedtuple(
    "Clones", ["total_loss", "end_points", "update_ops"])


def build_clones(config, batches, network_fn, num_classes):
    """Builds one clone per batch; returns their total loss and first clone's parts.

    Args:
      config: the run's TrainConfig (task, --num_ps_tasks, --clone_on_cpu,
        --label_smoothing).
      batches: one (images, labels) pair per clone.
      network_fn: the network, as `nets_factory.get_network_fn` returns it.
      num_classes: the number of classes the logits cover.

    Returns:
      Clones(total_loss, end_points of the first clone, its update ops).
    """
    num_clones = len(batches)
    clone_losses = []
    first_scope = first_end_points = None
    for index, (images, labels) in enumerate(batches):
        with tf.name_scope("clone_%d" % index) as scope, \
                device(clone_device(config, index)), \
                slim.arg_scope([slim.model_variable, slim.variable],
                               device=variables_device(config)), \
                tf.variable_scope(tf.get_variable_scope(),
                                  reuse=True if index else None):
            logits, end_points = network_fn(images)
            add_cross_entropy_losses(logits, end_points, labels, num_classes,
                                     config.label_smoothing)
            clone_loss = tf.div(tf.add_n(tf.losses.get_losses(scope=scope)),
                                float(num_clones), name="clone_loss")
        tf.summary.scalar("%sclone_loss" % scope, clone_loss)
        clone_losses.append(clone_loss)
        if first_scope is None:
            first_scope, first_end_points = scope, end_points
    regularization = tf.losses.get_regularization_losses()
    if regularization:
        clone_losses.append(tf.add_n(regularization,
                                     name="regularization_loss"))
    total_loss = tf.add_n(clone_losses, name="total_loss_value")
    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS, first_scope)
    return Clones(total_loss, first_end_points, update_ops)
