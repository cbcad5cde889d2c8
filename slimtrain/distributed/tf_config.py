"""The cluster a task belongs to, read from the `TF_CONFIG` environment variable.

Kubeflow's TFJob, Vertex AI and `tf.distribute` hand every task of a job the
same JSON, differing only in `task`:

  {"cluster": {"chief": ["host0:2222"], "worker": ["host1:2222"],
               "ps": ["host2:2222"], "evaluator": ["host3:2222"]},
   "task": {"type": "worker", "index": 0}}

`Cluster.from_tf_config` turns it into a plain object and answers what
train.py needs: the task's role, its place among the training tasks, the
number of workers and parameter servers, and the `ClusterSpec` of the
TensorFlow servers.

slimtrain's training tasks form one TensorFlow job named "worker" (the job
`replica_device_setter` and `--task` address): the chief, when the cluster
names one, is task 0 and `worker[i]` is task i + 1; without a chief,
`worker[0]` is the chief. The evaluator takes part in no server: it reads
checkpoints from the shared train dir.
"""

import dataclasses
import json
import os

from slimtrain.errors import ConfigError

ENV_VAR = "TF_CONFIG"
TRAINING_ROLES = ("chief", "worker")
ROLES = ("chief", "worker", "ps", "evaluator")


@dataclasses.dataclass(frozen=True)
class Cluster:
    """One task's view of its cluster.

    Attributes:
      jobs: {role: [host:port, ...]} as TF_CONFIG lists them.
      task_type: this task's role, one of ROLES.
      task_index: this task's index within its role.
    """

    jobs: dict
    task_type: str
    task_index: int

    @classmethod
    def from_tf_config(cls, text):
        """Parses TF_CONFIG's JSON text; raises ConfigError if it cannot work."""
        try:
            value = json.loads(text)
        except ValueError as error:
            raise ConfigError("%s is not valid JSON (%s): set it as TFJob "
                              "writes it, or unset it." % (ENV_VAR, error)
                              ) from None
        if not isinstance(value, dict):
            raise ConfigError("%s must be a JSON object with 'cluster' and "
                              "'task'." % ENV_VAR)
        jobs = value.get("cluster") or {}
        task = value.get("task") or {}
        if not isinstance(jobs, dict) or not isinstance(task, dict):
            raise ConfigError("%s's 'cluster' and 'task' must be JSON objects."
                              % ENV_VAR)
        unknown = sorted(set(jobs) - set(ROLES))
        if unknown:
            raise ConfigError("%s names the job(s) %s: slimtrain knows %s."
                              % (ENV_VAR, ", ".join(unknown), ", ".join(ROLES)))
        for role, hosts in jobs.items():
            if (not isinstance(hosts, list) or
                    not all(isinstance(host, str) and ":" in host
                            for host in hosts)):
                raise ConfigError("%s's cluster.%s must be a list of "
                                  "'host:port' strings." % (ENV_VAR, role))
        if len(jobs.get("chief", [])) > 1:
            raise ConfigError("%s lists %d chiefs: a cluster has at most one."
                              % (ENV_VAR, len(jobs["chief"])))
        if not jobs.get("chief") and not jobs.get("worker"):
            raise ConfigError("%s's cluster has no 'chief' and no 'worker': "
                              "name at least one training task." % ENV_VAR)
        task_type = task.get("type")
        task_index = task.get("index", 0)
        if task_type not in ROLES:
            raise ConfigError("%s's task.type is %r: use one of %s."
                              % (ENV_VAR, task_type, ", ".join(ROLES)))
        if not isinstance(task_index, int) or task_index < 0:
            raise ConfigError("%s's task.index is %r: use an integer >= 0."
                              % (ENV_VAR, task_index))
        count = len(jobs.get(task_type, []))
        if task_type != "evaluator" and task_index >= count:
            raise ConfigError("%s's task is %s:%d, but cluster.%s lists %d "
                              "address(es)." % (ENV_VAR, task_type, task_index,
                                                task_type, count))
        return cls(jobs={role: list(hosts) for role, hosts in jobs.items()},
                   task_type=task_type, task_index=task_index)

    @classmethod
    def from_environment(cls, environ=None):
        """The cluster TF_CONFIG describes, or None when it is unset or empty."""
        text = (os.environ if environ is None else environ).get(ENV_VAR, "")
        return cls.from_tf_config(text) if text.strip() else None

    @property
    def name(self):
        """'worker:1', the task as TF_CONFIG names it (used in every message)."""
        return "%s:%d" % (self.task_type, self.task_index)

    @property
    def training_hosts(self):
        """Addresses of the training tasks, chief first: the 'worker' job."""
        return self.jobs.get("chief", []) + self.jobs.get("worker", [])

    @property
    def ps_hosts(self):
        return self.jobs.get("ps", [])

    @property
    def trains(self):
        """Whether this task runs the training loop (chief or worker)."""
        return self.task_type in TRAINING_ROLES

    @property
    def training_task(self):
        """This task's index in the 'worker' job (train.py's --task)."""
        if not self.trains:
            raise ValueError("%s is not a training task" % self.name)
        if self.task_type == "chief":
            return 0
        return self.task_index + len(self.jobs.get("chief", []))

    def server_job(self):
        """(job name, task index) of this task's TensorFlow server."""
        if self.task_type == "ps":
            return "ps", self.task_index
        return "worker", self.training_task

    def cluster_spec(self):
        """The {job: [host:port]} dict every server of the job is given."""
        spec = {"worker": self.training_hosts}
        if self.ps_hosts:
            spec["ps"] = self.ps_hosts
        return spec

    def host_of(self, job, index):
        """The address of task `index` of the server job `job`."""
        return self.cluster_spec()[job][index]

    def describe(self, job, index):
        """'worker:1 (host:port)', in TF_CONFIG's own names."""
        if job == "worker":
            chiefs = len(self.jobs.get("chief", []))
            if index < chiefs:
                role, role_index = "chief", 0
            else:
                role, role_index = "worker", index - chiefs
        else:
            role, role_index = job, index
        return "%s:%d (%s)" % (role, role_index, self.host_of(job, index))

    def apply_to(self, config):
        """Returns `config` with --task, --worker_replicas and --num_ps_tasks set.

        A flag given a value other than its default that disagrees with
        TF_CONFIG is a contradiction: ConfigError names both. --master is
        left for the caller, which points it at this task's own server.
        """
        derived = {"task": self.training_task,
                   "worker_replicas": len(self.training_hosts),
                   "num_ps_tasks": len(self.ps_hosts)}
        defaults = {field.name: field.default
                    for field in dataclasses.fields(type(config))}
        for name, value in derived.items():
            given = getattr(config, name)
            if given != defaults[name] and given != value:
                raise ConfigError(
                    "--%s=%s contradicts %s, which makes it %s for %s: drop "
                    "--%s or fix %s." % (name, given, ENV_VAR, value,
                                         self.name, name, ENV_VAR))
        if config.master:
            raise ConfigError(
                "--master=%s contradicts %s, which starts this task's own "
                "server: drop --master or unset %s." % (config.master, ENV_VAR,
                                                        ENV_VAR))
        return dataclasses.replace(config, **derived)
