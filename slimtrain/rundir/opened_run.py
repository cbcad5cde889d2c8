"""A trained run opened to be evaluated, exported or served: `open_run`.

eval.py, export.py and predict.py name a run the same way (--checkpoint_dir,
a train dir; or --checkpoint_path, a checkpoint prefix or its directory;
predict.py's --model) and describe its model the same way: each model
setting the user gives wins, every other one is what train_config.json
recorded for the run, and where there is none, train.py's default
(`RunSettings.trained`). `open_run` does that once for all three:

    source = RunSource.from_flags(config.checkpoint_dir, config.checkpoint_path)
    run = open_run(source, given=config.model_settings(),
                   image_size=config.eval_image_size)
    run.settings.model_name, run.image_size, run.checkpoint()
"""

import dataclasses
import os
from typing import Optional

from slimtrain.errors import ConfigError
from slimtrain.rundir.checkpoint_reading import resolve_checkpoint
from slimtrain.rundir.run_files import read_run_config
from slimtrain.rundir.run_source import RunSource
from slimtrain.settings import RunSettings


@dataclasses.dataclass(frozen=True)
class OpenedRun:
    """A trained run and the settings to rebuild its model.

    Attributes:
      source: the `RunSource` it was opened from.
      settings: the `RunSettings`, filled in (see the module doc).
      image_size: the image size given, else the run's --train_image_size;
        None: the network's default.
    """

    source: RunSource
    settings: RunSettings
    image_size: Optional[int]

    @property
    def train_dir(self):
        return self.source.train_dir

    def checkpoint(self):
        """The checkpoint to use: the prefix named, or the directory's newest
        complete one (`resolve_checkpoint`); raises ConfigError if none."""
        return resolve_checkpoint(self.source.path, self.source.flag)


def open_run(source, given=None, image_size=None):
    """Opens the run of `source` with the settings the user `given`.

    Args:
      source: a `RunSource`.
      given: the user's settings: any object with some of RunSettings'
        fields (an EvalConfig, an ExportConfig; None fields: unset), or None.
      image_size: the image size the user set, or None.

    Returns:
      An `OpenedRun`.

    Raises:
      ConfigError: the train dir does not exist, or its train_config.json
        is unreadable.
    """
    train_dir = source.train_dir
    if not os.path.isdir(train_dir):
        raise ConfigError(
            "%s=%s: there is no directory %s: point it at train.py's "
            "--train_dir (or a checkpoint in it), or run train.py first."
            % (source.flag, source.path, train_dir))
    filled, image_size = merge_settings(given, read_run_config(train_dir),
                                        image_size)
    return OpenedRun(source, RunSettings(**filled), image_size)


def merge_settings(given, recorded, image_size=None):
    """The settings to rebuild a run's model with (see the module doc).

    Args:
      given: the user's settings: any object with some of RunSettings'
        fields (None fields, or fields it lacks: unset), or None.
      recorded: the run's recorded settings (`read_run_config`: a dict of
        train.py's flags), or None.
      image_size: the image size the user set, or None.

    Returns:
      ({RunSettings field name: value} with every unset field filled in,
      the image size: the given one, else the run's --train_image_size,
      else None).
    """
    names = [field.name for field in dataclasses.fields(RunSettings)]
    user = {name: getattr(given, name, None) for name in names}
    trained = dataclasses.asdict(RunSettings.trained())
    trained.update({name: recorded[name] for name in names
                    if recorded and name in recorded})
    filled = {name: trained[name] if user[name] is None else user[name]
              for name in names}
    # The options and the data belong to the scenario and the data set the
    # run trained: they are taken only with them.
    if user["scenario"] not in (None, trained["scenario"]):
        filled["scenario_options"] = user["scenario_options"]
    if user["dataset_dir"] is None and (
            filled["dataset_name"] != trained["dataset_name"]):
        filled["dataset_dir"] = None
    if image_size is None and recorded is not None:
        image_size = recorded.get("train_image_size")
    return filled, image_size
