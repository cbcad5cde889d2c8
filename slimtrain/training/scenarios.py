"""The earlier home of `slimtrain.scenarios`, kept so that scenario modules
written as `from slimtrain.training.scenarios import Scenario, TrainStep,
Update` still import. New code imports `slimtrain.scenarios`."""

from slimtrain.scenarios import RunInfo, Scenario, TrainStep, Update

__all__ = ["RunInfo", "Scenario", "TrainStep", "Update"]
