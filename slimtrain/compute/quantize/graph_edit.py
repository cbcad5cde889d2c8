"""Rewires a built graph in place: the one graph edit the rewrite needs.

research/slim calls `create_training_graph` after the network and its losses
exist and before the optimizer: the quantized computation must replace the
float one under the ops already built (the losses, the summaries, the
batch-norm updates), without rebuilding them. TensorFlow has no public API
for that. `tf.contrib.quantize` used `Operation._update_input`, which
TensorFlow 2.21 still has (it edits the C graph through
`TF_UpdateEdge`); `reroute` is the only place slimtrain calls it, and it
names the missing method if a later TensorFlow drops it.

Rewiring is allowed until the graph first runs in a session: the rewrite
runs before any session is created, as contrib's did.
"""

import tensorflow.compat.v1 as tf


def reroute(old, new, consumers=None):
    """Makes `consumers` read `new` wherever they read `old`.

    Args:
      old: the tensor consumers read now.
      new: a tensor of the same dtype and a compatible shape.
      consumers: the ops to rewire; None means every consumer of `old`
        (computed before any rewiring, so ops that `new` itself is built
        from and that read `old` must be excluded by passing the list).

    Returns:
      The number of inputs rewired.

    Raises:
      RuntimeError: this TensorFlow lacks `Operation._update_input`.
    """
    if consumers is None:
        consumers = old.consumers()
    count = 0
    for consumer in consumers:
        if not hasattr(consumer, "_update_input"):
            raise RuntimeError(
                "tf.Operation._update_input is missing in TensorFlow %s: the "
                "quantization rewrite cannot rewire the graph in place; use "
                "TensorFlow 2.21 or report it." % tf.version.VERSION)
        for index, tensor in enumerate(consumer.inputs):
            if tensor is old:
                # pylint: disable-next=protected-access
                consumer._update_input(index, new)
                count += 1
    return count


def sole_consumer(tensor):
    """The one op reading `tensor`, or None when it has no or several."""
    consumers = tensor.consumers()
    return consumers[0] if len(consumers) == 1 else None
