"""The run lock: one training run at a time writes a train dir.

`RunLock(train_dir)` is an exclusive `flock` on `train.lock` in the train
dir, held from `acquire()` until `release()`. The OS releases it when the
process dies, however it dies, so a crash or `kill -9` leaves no stale
lock. The file records who holds it (pid, host, since when) for the
message a second run gets.
"""

import fcntl
import os
import socket
import time

from slimtrain.errors import ConfigError
from slimtrain.rundir.layout import LOCK_FILENAME
from slimtrain.rundir.write_guard import write_errors


class RunLock:
    """The lock of one train dir, taken by the run that trains it."""

    def __init__(self, train_dir):
        self.train_dir = train_dir
        self._handle = None

    @property
    def held(self):
        """Whether this object holds the lock."""
        return self._handle is not None

    def acquire(self):
        """Creates the train dir if needed and takes its lock; a no-op when
        this object holds it already.

        Raises:
          ConfigError: another process (or another RunLock) holds the lock,
            naming its pid, host and start time; or the dir cannot be
            created or written.
        """
        if self.held:
            return self
        with write_errors(self.train_dir):
            os.makedirs(self.train_dir, exist_ok=True)
            path = os.path.join(self.train_dir, LOCK_FILENAME)
            handle = open(path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise ConfigError(
                "--train_dir=%s is in use by another training run (%s; see "
                "%s): wait for it to end or stop it, or train into another "
                "--train_dir." % (self.train_dir, holder, path)) from None
        with write_errors(self.train_dir):
            handle.seek(0)
            handle.truncate()
            handle.write("pid %d on %s since %s\n" % (
                os.getpid(), socket.gethostname(),
                time.strftime("%Y-%m-%d %H:%M:%S %Z")))
            handle.flush()
        self._handle = handle
        return self

    def release(self):
        """Releases the lock (closing its file); a no-op when not held."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
