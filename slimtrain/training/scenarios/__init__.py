"""Training scenarios: what the harness trains (docs/SCENARIOS.md).

    from slimtrain.training.scenarios import Scenario, TrainStep, Update

`api` defines a scenario; `registry` finds the one --scenario names;
`classifier` (the default), `multi_head` and `gan` are the built-in ones.
"""

from slimtrain.training.scenarios.api import (RunInfo, Scenario, TrainStep,
                                              Update)

__all__ = ["RunInfo", "Scenario", "TrainStep", "Update"]
