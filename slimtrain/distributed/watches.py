"""The threads that end a task whose cluster can no longer go on.

Every task probes the servers it depends on (`liveness`). A training task
ends (`TrainingWatch`) when a parameter server, the chief, or (with
--sync_replicas) so many workers that --replicas_to_aggregate can no
longer be met have not answered for --cluster_timeout_secs, unless
training has already finished; asynchronous training goes on without a
dead non-chief worker, with a warning. The evaluator ends
(`EvaluatorWatch`) when the chief leaves before training has finished.

Their main thread may be blocked in a step that would never return, so a
watch ends the process through the `end_process(status, message)` action
it is given by the program (`slimtrain.commands.train`), which exits at
once.
"""

import atexit
import threading
import time

from absl import logging

from slimtrain.distributed.global_step import GlobalStep
from slimtrain.distributed.liveness import PROBE_INTERVAL_SECS, Liveness
from slimtrain.distributed.run_state import training_finished
from slimtrain.errors import EXIT_CLUSTER_FAILURE


class TrainingWatch(threading.Thread):
    """Ends a training task whose cluster can no longer train (module doc)."""

    def __init__(self, cluster, config, target, end_process):
        """Args:
          cluster: this task's `Cluster`.
          config: its TrainConfig (--cluster_timeout_secs, the steps).
          target: its server's target, to read the global step through.
          end_process: fn(status, message) ending the process at once.
        """
        super().__init__(name="slimtrain-cluster-watch", daemon=True)
        self._end_process = end_process
        self._cluster = cluster
        self._config = config
        self._task = config.task
        self._global_step = GlobalStep(target, config.cluster_timeout_secs)
        atexit.register(self._global_step.close)
        peers = {cluster.describe("ps", index): address
                 for index, address in enumerate(cluster.ps_hosts)}
        self._trainers = {cluster.describe("worker", index): address
                          for index, address
                          in enumerate(cluster.training_hosts)
                          if index != self._task}
        peers.update(self._trainers)
        self._chief = cluster.describe("worker", 0)
        self._ps0 = cluster.describe("ps", 0)
        self._liveness = Liveness(peers, config.cluster_timeout_secs)
        self._warned = set()

    def run(self):
        while True:
            time.sleep(PROBE_INTERVAL_SECS)
            silent = self._liveness.poll()
            if self._chief_left() and self._finished():
                # Nothing is left to do: a worker still waiting for the
                # model, or for its last step, would only wait longer.
                logging.info("Training has finished and the chief has left; "
                             "%s exits.", self._cluster.name)
                self._end_process(0, None)
            if not silent:
                continue
            if self._finished():
                return  # the others leave because training is done
            fatal = self._fatal(silent)
            if fatal:
                self._end_process(EXIT_CLUSTER_FAILURE,
                                  "cluster failure: %s" % fatal)
            for name in set(silent) - self._warned:
                self._warned.add(name)
                logging.warning(
                    "%s stopped answering %d s ago; asynchronous training "
                    "goes on without it.", name,
                    self._liveness.silent_for(name))

    def _chief_left(self):
        """Whether this is a worker whose chief was seen and has now gone."""
        return (self._task != 0 and self._liveness.ever_seen(self._chief) and
                not self._liveness.answered_last(self._chief))

    def _finished(self):
        """Whether the global step on ps:0 says training has finished."""
        return (self._liveness.answered_last(self._ps0) and
                self._global_step.finished(self._config.max_number_of_steps))

    def _fatal(self, silent):
        """The line saying why training cannot go on, or None."""
        timeout = self._config.cluster_timeout_secs
        for name in silent:
            if name not in self._trainers:
                return ("%s (a parameter server) stopped answering for %d s "
                        "(--cluster_timeout_secs=%d); %s stops." %
                        (name, self._liveness.silent_for(name), timeout,
                         self._cluster.name))
        if self._chief in silent:
            return ("%s (the chief) stopped answering for %d s "
                    "(--cluster_timeout_secs=%d); %s stops." %
                    (self._chief, self._liveness.silent_for(self._chief),
                     timeout, self._cluster.name))
        alive = len(self._trainers) + 1 - len(silent)
        needed = self._config.replicas_to_aggregate
        if self._config.sync_replicas and alive < needed:
            return ("%s stopped answering for %d s (--cluster_timeout_secs=%d):"
                    " %d training task(s) are left, fewer than "
                    "--replicas_to_aggregate=%d; %s stops." %
                    (", ".join(sorted(silent)),
                     max(self._liveness.silent_for(name) for name in silent),
                     timeout, alive, needed, self._cluster.name))
        return None


class EvaluatorWatch(threading.Thread):
    """Ends the evaluator if the chief leaves before training has finished."""

    def __init__(self, cluster, config, end_process):
        super().__init__(name="slimtrain-evaluator-watch", daemon=True)
        self._end_process = end_process
        self._cluster = cluster
        self._config = config
        self._chief = cluster.describe("worker", 0)
        self._liveness = Liveness({self._chief: cluster.training_hosts[0]},
                                  config.cluster_timeout_secs)

    def run(self):
        while True:
            time.sleep(PROBE_INTERVAL_SECS)
            silent = self._liveness.poll()
            if training_finished(self._config):
                return
            if silent:
                self._end_process(
                    EXIT_CLUSTER_FAILURE,
                    "cluster failure: %s (the chief) stopped answering for %d s "
                    "(--cluster_timeout_secs=%d) before training finished; "
                    "%s stops." % (self._chief,
                                   self._liveness.silent_for(self._chief),
                                   self._config.cluster_timeout_secs,
                                   self._cluster.name))
