"""TensorBoard's HParams dashboard: runs compared side by side.

When TensorBoard is installed (`pip install slimtrain[tensorboard]`), the
chief of every run writes the run's hparams into the train dir's events at
its start: the flags that define what it learns (`run_hparams`: model,
data, optimization and learning-rate flags, and those that change the
examples of an update), as TensorBoard's own `hparams_pb` makes them. Each
run is then a session of the HParams dashboard, which takes as metrics the
last value of every scalar series of the run and of its `eval/` folder:
among them `eval/<metric>` in `eval`, the final evaluation's (slim's
evaluation writes them, during training or by eval.py), and
`best/<metric>` in `eval`, the best checkpoint's (`BEST_TAG`, written by
the evaluation that keeps `best/`:
`slimtrain.evaluation.loop.ResultRecorder`).

No experiment summary is written: TensorBoard then builds the experiment
from all the runs under its logdir (each hparam's type, and whether it
differs between runs) and finds the metrics of every scenario, where an
experiment written by each run would make it show the first run's only.

`tensorboard --logdir` over the folder holding several train dirs lists
every run with its flags and metrics. Without TensorBoard (`hparams_api()`
is None) nothing of this is written and nothing fails.
"""

import dataclasses
import time

from slimtrain import settings
from slimtrain.training.hooks.base import Hook

# The --help groups whose flags define what a run learns, less those of
# them that change only its speed or its input's start after a resume...
DEFINING_GROUPS = (settings.MODEL, settings.DATA, settings.OPTIMIZATION,
                   settings.LEARNING_RATE)
NOT_DEFINING = ("num_readers", "num_preprocessing_threads", "exact_resume")
# ... and the flags of other groups that change what an update computes:
# the examples it takes (distribution) and its arithmetic (precision).
ALSO_DEFINING = ("num_clones", "worker_replicas", "sync_replicas",
                 "replicas_to_aggregate", "mixed_precision")
# The scalar holding the best checkpoint's value of a metric, in eval/.
BEST_TAG = "best/%s"


def hparams_api():
    """TensorBoard's hparams summary module, or None without TensorBoard."""
    try:
        from tensorboard.plugins.hparams import summary_v2
    except ImportError:
        return None
    return summary_v2


def run_hparams(config):
    """{flag: value} of the `TrainConfig` fields that define the run (see
    DEFINING_GROUPS), leaving out those that are None."""
    return {field.name: getattr(config, field.name)
            for field in dataclasses.fields(config)
            if getattr(config, field.name) is not None and
            field.name not in NOT_DEFINING and
            (settings.group_of(field) in DEFINING_GROUPS or
             field.name in ALSO_DEFINING)}


class HParamsHook(Hook):
    """Writes the run's hparams (module doc) once, in the run's graph
    set-up, into the train dir's events."""

    def __init__(self, summary_writer, config):
        """
        Args:
          summary_writer: the run's FileWriter of the train dir.
          config: the run's `TrainConfig`.
        """
        self._writer = summary_writer
        self._config = config

    def setup(self):
        summary = hparams_api().hparams_pb(run_hparams(self._config),
                                           start_time_secs=time.time())
        # Serialized: TensorBoard's Summary class is its own copy of
        # TensorFlow's, and the writer takes the bytes of either.
        self._writer.add_summary(summary.SerializeToString())
        self._writer.flush()
