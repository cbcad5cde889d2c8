"""The ports of a cluster's TensorFlow servers: free ones for the launcher,
and one line for a server that cannot listen on its own.

A TensorFlow server listens on its port on every network interface, and
refuses to share it (no SO_REUSEPORT), so a port cannot be held for a
server by another process until the server binds it: the launcher picks
free ports (`free_ports`), and starts the cluster again on new ones when a
task reports that its port was taken in the meantime (`reports_port_in_use`).

`server_start_error` turns TensorFlow's "Could not start gRPC server", which
names neither the task nor the port, into a ConfigError that names both,
and says whether the port is in use (by another program, or by a second
task given the same address, such as two tasks told they are ps:0).
"""

import errno
import socket

from slimtrain.errors import ConfigError, first_line

# Part of the line a task prints when its server's port is in use.
PORT_IN_USE = "is already in use"


def free_ports(count):
    """`count` distinct ports free on every interface a moment ago.

    Each is bound (port 0: the system picks) and released again, so another
    process may take one before its server binds it.
    """
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def server_start_error(name, address, error):
    """The ConfigError for task `name`'s server that failed to start.

    Args:
      name: the task as its cluster names it, e.g. "ps:0".
      address: its "host:port" in the cluster.
      error: TensorFlow's error.

    The port is tried (bound on every interface and released) to tell why:
    in use, not allowed, or TensorFlow's own reason.
    """
    port = address.rpartition(":")[2]
    where = "%s cannot listen on port %s (%s in the cluster)" % (
        name, port, address)
    reason = _bind_failure(int(port)) if port.isdigit() else None
    if reason is not None and reason.errno == errno.EADDRINUSE:
        return ConfigError(
            "%s: the port %s, by another program or by another task given "
            "the same address (a second %s?): stop it, or give each task a "
            "port of its own." % (where, PORT_IN_USE, name))
    if reason is not None:
        return ConfigError("%s: %s: give it a port it may use."
                           % (where, reason.strerror or reason))
    return ConfigError("%s: TensorFlow says %r: check the address, or run "
                       "again." % (where, first_line(error)))


def reports_port_in_use(line):
    """Whether a task's error `line` says its server's port was in use."""
    return "cannot listen on port" in line and PORT_IN_USE in line


def _bind_failure(port):
    """The OSError binding `port` on every interface raises now, or None."""
    with socket.socket() as probe:
        try:
            probe.bind(("", port))
        except OSError as error:
            return error
    return None
