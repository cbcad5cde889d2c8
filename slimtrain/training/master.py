"""Checks that the TensorFlow server named by `--master` answers.

A session on a `grpc://host:port` master that nothing listens on waits
forever without a word (TensorFlow retries the connection silently). Before
a run builds its session, `wait_for_master` tries to open a TCP connection
to that address for a bounded time (servers of a cluster may still be
starting) and then gives up with one line.
"""

import socket
import time
import urllib.parse

from slimtrain.errors import ConfigError

# How long a run waits for its --master to accept a connection.
MASTER_WAIT_SECS = 30.0
_RETRY_SECS = 1.0


def wait_for_master(master, timeout_secs=MASTER_WAIT_SECS):
    """Returns once `master` accepts a TCP connection; a no-op for an
    in-process master ("" or "local").

    Raises:
      ConfigError: `master` is not grpc://host:port, or nothing accepted a
        connection there within `timeout_secs`.
    """
    if master in ("", "local"):
        return
    address = urllib.parse.urlsplit(master)
    try:
        port = address.port
    except ValueError:
        port = None
    if address.scheme != "grpc" or not address.hostname or port is None:
        raise ConfigError("--master=%s is not an address such as "
                          "grpc://host:2222: fix it, or leave it empty to "
                          "train in this process." % master)
    deadline = time.monotonic() + timeout_secs
    while True:
        try:
            with socket.create_connection((address.hostname, port),
                                          timeout=_RETRY_SECS):
                return
        except OSError as error:
            last_error = error
        if time.monotonic() >= deadline:
            break
        time.sleep(_RETRY_SECS)
    raise ConfigError(
        "--master=%s did not answer within %d s (%s): start its server "
        "(python -m slimtrain.distributed.server ...) or fix the address."
        % (master, timeout_secs, last_error.strerror or last_error))
