"""Synchronous replicas for `slim.learning.train` that shut down in seconds.

With `sync_optimizer=`, slim starts the SyncReplicasOptimizer's chief queue
runner under the Supervisor's coordinator. After the last step that runner
is blocked taking gradients no worker will send, so the Supervisor waits its
120 s stop grace period and then raises "Coordinator stopped with threads
still running: QueueRunnerThread-sync_token_q-..." (tensorflow#13779,
#20833). Here the chief queue runner is started detached from the
coordinator: the Supervisor does not wait for it, and it ends when the
session closes, which cancels the blocked take. Everything else (token
queue, local-step init, init tokens) stays slim's and TensorFlow's own.
"""

import tensorflow.compat.v1 as tf


class DetachedQueueRunner(tf.train.QueueRunner):
    """A QueueRunner whose threads the coordinator does not join.

    Its threads are daemons that stop when their session is closed or
    their queue is closed (both end the loop quietly).
    """

    def create_threads(self, sess, coord=None, daemon=False, start=False):
        del coord, daemon  # never registered with a coordinator; daemons
        return super().create_threads(sess, coord=None, daemon=True,
                                      start=start)


class SyncReplicasOptimizer(tf.train.SyncReplicasOptimizer):
    """tf.train.SyncReplicasOptimizer whose chief queue runner is detached."""

    def get_chief_queue_runner(self):
        runner = super().get_chief_queue_runner()
        return DetachedQueueRunner(
            queue=runner.queue, enqueue_ops=runner.enqueue_ops,
            queue_closed_exception_types=(tf.errors.OutOfRangeError,
                                          tf.errors.CancelledError))


def make_sync_optimizer(optimizer, config, variable_averages=None,
                        variables_to_average=None):
    """Wraps `optimizer` for --sync_replicas, as train_image_classifier.py does."""
    return SyncReplicasOptimizer(
        opt=optimizer,
        replicas_to_aggregate=config.replicas_to_aggregate,
        total_num_replicas=config.worker_replicas,
        variable_averages=variable_averages,
        variables_to_average=variables_to_average)
