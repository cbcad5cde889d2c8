"""Scenarios: what the harness trains and evaluates (docs/SCENARIOS.md).

    from slimtrain.scenarios import Scenario, TrainStep, Update

- `api`: what a scenario is (`Scenario`, `TrainStep`, `Update`, `RunInfo`).
- `registry`: finds the scenario --scenario names, built in or the user's.
- `classifier` (the default; with its metric names), `multi_head` and
  `gan`: the built-in scenarios; `clones`: the classifier's --num_clones
  replicas, as research/slim's model_deploy builds them.

A scenario builds only the model, its losses and its metrics; the harness
(training, evaluation) does everything else.

May import: slimtrain.compute, slimtrain.data, slimtrain.errors,
slimtrain.settings, nets, TensorFlow and tf-slim. Training, evaluation and
export build on it.
"""

from slimtrain.scenarios.api import RunInfo, Scenario, TrainStep, Update

__all__ = ["RunInfo", "Scenario", "TrainStep", "Update"]
