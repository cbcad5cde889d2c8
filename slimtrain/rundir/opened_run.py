"""A trained run opened to be evaluated, exported or served: `open_run`.

eval.py, export.py and predict.py name a run the same way (--checkpoint_dir,
a train dir; or --checkpoint_path, a checkpoint prefix or its directory;
predict.py's --model) and describe its model the same way: each model
setting the user gives wins, every other one is what train_config.json
recorded for the run, and where there is none, train.py's default
(`ModelSettings.trained`). `open_run` does that once for all three:

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
from slimtrain.settings import ModelSettings


@dataclasses.dataclass(frozen=True)
class OpenedRun:
    """A trained run and the settings to rebuild its model.

    Attributes:
      source: the `RunSource` it was opened from.
      settings: the `ModelSettings`, filled in (see the module doc).
      image_size: the image size given, else the run's --train_image_size;
        None: the network's default.
    """

    source: RunSource
    settings: ModelSettings
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
      given: the `ModelSettings` the user set (None fields: unset).
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
    settings, image_size = merge_settings(
        given or ModelSettings(), read_run_config(train_dir), image_size)
    return OpenedRun(source, settings, image_size)


def merge_settings(given, recorded, image_size=None):
    """The settings to rebuild a run's model with (see the module doc).

    Args:
      given: the `ModelSettings` the user set (None fields: unset), or an
        object of a subclass (an `EvalConfig`).
      recorded: the run's recorded settings (`read_run_config`: a dict of
        train.py's flags), or None.
      image_size: the image size the user set, or None.

    Returns:
      (`given` with every unset ModelSettings field filled in, the image
      size: the given one, else the run's --train_image_size, else None).
    """
    trained = ModelSettings.trained()
    if recorded is not None:
        trained = dataclasses.replace(trained, **{
            name: recorded[name] for name in _setting_names()
            if name in recorded})
    filled = dataclasses.replace(given, **{
        name: getattr(trained, name) for name in _setting_names()
        if getattr(given, name) is None})
    # The options and the data belong to the scenario and the data set the
    # run trained: they are taken only with them.
    if given.scenario not in (None, trained.scenario):
        filled = dataclasses.replace(filled,
                                     scenario_options=given.scenario_options)
    if given.dataset_dir is None and filled.dataset_name != trained.dataset_name:
        filled = dataclasses.replace(filled, dataset_dir=None)
    if image_size is None and recorded is not None:
        image_size = recorded.get("train_image_size")
    return filled, image_size


def _setting_names():
    return [field.name for field in dataclasses.fields(ModelSettings)]
