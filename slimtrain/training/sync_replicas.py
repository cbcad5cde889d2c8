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

With several workers, the others would then wait forever for tokens the
chief no longer hands out; the chief closes the token queue after its last
step (`close_token_queue_op`), which ends their dequeue with OutOfRangeError,
the end-of-training signal slim's loop already handles.
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

    _detached_runner = None

    def get_chief_queue_runner(self):
        """The chief's queue runner, made once (after `apply_gradients`)."""
        if self._detached_runner is None:
            runner = super().get_chief_queue_runner()
            self._detached_runner = DetachedQueueRunner(
                queue=runner.queue, enqueue_ops=runner.enqueue_ops,
                queue_closed_exception_types=(tf.errors.OutOfRangeError,
                                              tf.errors.CancelledError))
        return self._detached_runner

    @property
    def close_token_queue_op(self):
        """Closes the token queue, releasing workers waiting on a token."""
        return self.get_chief_queue_runner().cancel_op


def make_sync_optimizer(optimizer, config, variable_averages=None,
                        variables_to_average=None):
    """Wraps `optimizer` for --sync_replicas, as train_image_classifier.py does."""
    return SyncReplicasOptimizer(
        opt=optimizer,
        replicas_to_aggregate=config.replicas_to_aggregate,
        total_num_replicas=config.worker_replicas,
        variable_averages=variable_averages,
        variables_to_average=variables_to_average)
