"""Which tasks of a cluster still answer, and how long the others have not.

TensorFlow's gRPC runtime has no notion of a task that left: a session
waiting on a dead task's queue or variable waits forever (a dead
parameter server, a sync-replica worker that no longer sends gradients).
slimtrain watches instead: every task opens a TCP connection to the
servers it depends on about once a second. A process that died leaves its
port closed (the connection is refused at once); a machine that vanished
lets the connection time out. A peer that has not answered for
`timeout_secs` since it last did has stopped answering. A peer never seen
is given `startup_secs` from the start of watching, since cluster managers
start tasks minutes apart.

A process that is alive but wedged (stopped with SIGSTOP, for instance)
still accepts connections, so it is not caught here.
"""

import socket
import time

# How often peers are probed, in seconds.
PROBE_INTERVAL_SECS = 1.0

# How long a peer that never answered may take to start, in seconds: long
# enough for a cluster manager to schedule a pod and pull its image.
STARTUP_SECS = 600.0


def answers(address, timeout_secs=2.0):
    """Whether a TCP connection to 'host:port' is accepted."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)),
                                      timeout=timeout_secs):
            return True
    except OSError:
        return False


class Liveness:
    """Probes a set of addresses and remembers when each last answered.

    Args:
      addresses: {name: 'host:port'}; the names appear in messages.
      timeout_secs: how long a peer that answered before may be silent.
      startup_secs: how long a peer that never answered may take to start.
      probe: the function probing one address (answers).
    """

    def __init__(self, addresses, timeout_secs, startup_secs=STARTUP_SECS,
                 probe=answers):
        self._addresses = dict(addresses)
        self._timeout = timeout_secs
        self._startup = max(startup_secs, timeout_secs)
        self._probe = probe
        self._started = time.monotonic()
        self._last_seen = dict.fromkeys(self._addresses)
        self._answered = dict.fromkeys(self._addresses, False)

    @property
    def names(self):
        return list(self._addresses)

    def poll(self):
        """Probes every address once; returns the names that stopped answering."""
        now = time.monotonic()
        silent = []
        for name, address in self._addresses.items():
            self._answered[name] = self._probe(
                address, timeout_secs=min(2.0, self._timeout))
            if self._answered[name]:
                self._last_seen[name] = now
                continue
            seen = self._last_seen[name]
            if seen is None:
                if now - self._started > self._startup:
                    silent.append(name)
            elif now - seen > self._timeout:
                silent.append(name)
        return silent

    def answered_last(self, name):
        """Whether `name` answered the latest probe."""
        return self._answered[name]

    def ever_seen(self, name):
        """Whether `name` has answered at least once."""
        return self._last_seen[name] is not None

    def silent_for(self, name):
        """Seconds since `name` last answered (or since watching began)."""
        seen = self._last_seen[name]
        return time.monotonic() - (self._started if seen is None else seen)
