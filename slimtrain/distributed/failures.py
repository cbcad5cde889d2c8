"""Which task of the cluster a failed call is about, in one line.

A step or a save that fails because a task of the cluster went away raises
TensorFlow's UnavailableError or DeadlineExceededError, whose message can
name several tasks. `describe_cluster_failure` names the one that failed;
`failure_handler` makes it the `on_cluster_error` action `train()` takes.
"""

import re

from slimtrain.errors import EXIT_CLUSTER_FAILURE

# A task named in TensorFlow's error messages; group 1 marks the peer of a
# failed call.
_TASK_IN_ERROR = re.compile(
    r"(remote target )?/job:(\w+)/replica:\d+/task:(\d+)")


def describe_cluster_failure(error, cluster):
    """One line naming the task an UnavailableError or DeadlineExceeded is about.

    For the training loop: catch tf.errors.UnavailableError and
    tf.errors.DeadlineExceededError around a step and report this line.

    TensorFlow's message can name several tasks: the one reporting the error
    ("From /job:worker/replica:0/task:0:", often this task itself) and the
    peer a call failed on ("... from remote target /job:ps/replica:0/task:0
    while calling ..."). The line names the first remote target, or else the
    first task named, leaving out this task's own server. Returns None when
    the error names no other task of `cluster`.
    """
    spec, own = cluster.cluster_spec(), cluster.server_job()
    remote, named = [], []
    for match in _TASK_IN_ERROR.finditer(
            getattr(error, "message", str(error))):
        job, index = match.group(2), int(match.group(3))
        if job in spec and index < len(spec[job]) and (job, index) != own:
            (remote if match.group(1) else named).append((job, index))
    tasks = remote + named
    if not tasks:
        return None
    job, index = tasks[0]
    return "%s stopped answering (%s); %s stops." % (
        cluster.describe(job, index), type(error).__name__, cluster.name)


def failure_handler(cluster, end_process):
    """The `on_cluster_error` action of a training task of `cluster`.

    It ends the process through `end_process(status, message)` with
    EXIT_CLUSTER_FAILURE and one line, when the error names a task of the
    cluster; otherwise it returns and the error is raised as it is. The
    step it came from would never return, so the process cannot end
    otherwise.
    """

    def handle(error):
        line = describe_cluster_failure(error, cluster)
        if line:
            end_process(EXIT_CLUSTER_FAILURE, "cluster failure: %s" % line)

    return handle
