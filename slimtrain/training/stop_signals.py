"""SIGTERM and SIGINT as requests to stop training after the current step.

Schedulers stop jobs with SIGTERM (Kubernetes, Slurm, preemptible VMs) and
people with Ctrl-C (SIGINT). `StopSignals` turns the first such signal into
a flag that the step runner reads after each step, so the run ends with a
checkpoint of that step and flushed events; a second signal ends the
process at once, through the action the program gives (train.py's exits
with status 128 + the signal's number), else as an unhandled one would.
"""

import os
import signal
import threading

from absl import logging

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopSignals:
    """A context manager that records the first stop signal it receives.

    Attributes:
      received: the number of the first signal received, or None.

    Handlers can only be installed from the main thread; elsewhere (e.g. a
    training call in a worker thread) signals keep their default behaviour.
    """

    def __init__(self, on_second_signal=None):
        """Args:
          on_second_signal: fn(signum) for a second signal, which ends the
            process at once (train.py's program: exit status 128 + signum);
            None: the signal's default action (the process is killed by
            it).
        """
        self.received = None
        self._on_second_signal = on_second_signal
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()
        return False

    def _handle(self, signum, frame):
        del frame
        if self.received is not None:  # the second signal: end now
            if self._on_second_signal is not None:
                self._on_second_signal(signum)
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.received = signum
        logging.warning("%s received: stopping after the current step (send "
                        "it again to stop at once).",
                        signal.Signals(signum).name)
