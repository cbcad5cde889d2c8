"""The job's global step, read from ps:0 by any task of the cluster.

The global step lives on ps:0 (`replica_device_setter` puts it there), so
every task can read it through its own server, whether or not it trains:
that is how a parameter server, a worker or the evaluator learns that
training has finished, with no shared file system.
"""

import threading

import tensorflow.compat.v1 as tf


class GlobalStep:
    """Reads the job's global step on ps:0 through a server, in a graph of its own.

    The variable is found by name in ps:0's resource manager, where the
    chief created it (`tf.train.get_or_create_global_step`).
    """

    def __init__(self, target, timeout_secs):
        self._target = target
        self._timeout_ms = int(timeout_secs * 1000)
        self._graph = tf.Graph()
        with self._graph.as_default(), tf.device("/job:ps/task:0"):
            self._value = tf.train.get_or_create_global_step().read_value()
        self._reader = None
        self._closed = False
        self._lock = threading.Lock()

    def read(self):
        """The global step, or None when it cannot be read within the timeout.

        Opening a session waits as long as ps:0 does not answer, so the read
        runs in a thread of its own and is given up after the timeout.
        """
        result = []
        with self._lock:
            if self._closed:
                return None
            reader = self._reader = threading.Thread(
                target=self._read_into, args=(result,), daemon=True)
            reader.start()
        reader.join(self._timeout_ms / 1000.0)
        return result[0] if result else None

    def close(self):
        """Lets a read in progress end; no read starts after this.

        For `atexit`: a daemon thread still inside TensorFlow when the
        interpreter shuts down aborts the process ("terminate called after
        throwing an instance of ''"), whatever its exit status was to be.
        """
        with self._lock:
            self._closed = True
            reader = self._reader
        if reader is not None:
            reader.join(self._timeout_ms / 1000.0)

    def _read_into(self, result):
        config = tf.ConfigProto(device_filters=["/job:ps/task:0"],
                                operation_timeout_in_ms=self._timeout_ms)
        try:
            with tf.Session(self._target, graph=self._graph,
                            config=config) as sess:
                result.append(int(sess.run(self._value)))
        except tf.errors.OpError:
            pass

    def finished(self, max_number_of_steps):
        """Whether the global step has reached --max_number_of_steps (> 0)."""
        step = self.read()
        return bool(max_number_of_steps) and step is not None and (
            step >= max_number_of_steps)
