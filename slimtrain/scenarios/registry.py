"""Finds the scenario --scenario names: a built-in name or the user's own.

    --scenario=classifier                  the built-in image classifier
    --scenario=multi_head | gan            the built-in examples
    --scenario=package.module:attribute    a `Scenario` subclass (or
                                           instance) of the user's module

A user's module is imported as Python imports it; the programs add the
directory they are run from to the end of the path (`slimtrain.cli.run`),
so a module there is found. --scenario_options='name=value,...' are passed
to the scenario class as keyword arguments; each value is read as a Python
literal (a number, True/False, a quoted string) or else kept as text.

Every way this can fail (an unknown name, a module that does not import, a
missing attribute, an object that is not a scenario, an option the class
does not take) is one ConfigError line naming what was tried and why.
"""

import ast
import dataclasses
import importlib
import inspect

from slimtrain.errors import ConfigError
from slimtrain.scenarios.api import Scenario
from slimtrain.settings import split_comma_list

CLASSIFIER = "classifier"

BUILT_IN = {
    CLASSIFIER: "slimtrain.scenarios.classifier:ClassifierScenario",
    "multi_head": "slimtrain.scenarios.multi_head:MultiHeadScenario",
    "gan": "slimtrain.scenarios.gan:GanScenario",
}


def load_scenario(spec, options=None):
    """Returns the `Scenario` instance --scenario=`spec` names.

    Args:
      spec: a name of BUILT_IN, or 'package.module:attribute'.
      options: the --scenario_options text, 'name=value,...' (or None).

    Raises:
      ConfigError: the scenario cannot be found or built.
    """
    target = BUILT_IN.get(spec, spec)
    module_name, sep, attribute = target.partition(":")
    if not sep or not module_name or not attribute:
        raise ConfigError(
            "--scenario=%s is neither a built-in scenario (%s) nor "
            "'package.module:attribute': name one of those." %
            (spec, ", ".join(BUILT_IN)))
    found = getattr(_import(spec, module_name), attribute, None)
    if found is None:
        raise ConfigError("--scenario=%s: module %s has no attribute %r: name "
                          "the Scenario subclass it defines." %
                          (spec, module_name, attribute))
    keywords = parse_options(options)
    if isinstance(found, Scenario):
        if keywords:
            raise ConfigError(
                "--scenario_options=%s: --scenario=%s names an instance, which "
                "takes no options: name its class, or drop the options." %
                (options, spec))
        return found
    if not (inspect.isclass(found) and issubclass(found, Scenario)):
        raise ConfigError(
            "--scenario=%s names %r, which is not a Scenario: subclass "
            "slimtrain.scenarios.Scenario (docs/SCENARIOS.md)." %
            (spec, found))
    try:
        inspect.signature(found).bind(**keywords)
        return found(**keywords)
    except (TypeError, ValueError) as error:
        raise ConfigError("--scenario_options=%s does not fit scenario %s "
                          "(%s): use the options its __init__ takes%s." % (
                              options, spec, error, _takes(found))) from None


def with_scenario_defaults(config, given, scenario):
    """Returns `config` with its scenario's `flag_defaults` applied.

    Args:
      config: a `TrainConfig` made from the flags.
      given: the names of the flags given on the command line, which keep
        their values.
      scenario: the `Scenario` that config.scenario names (`load_scenario`).

    Raises:
      ConfigError: the scenario names a flag train.py does not have.
    """
    known = {field.name for field in dataclasses.fields(config)}
    unknown = sorted(set(scenario.flag_defaults) - known)
    if unknown:
        raise ConfigError(
            "scenario %s sets defaults for %s, which train.py does not have: "
            "name flags of `python train.py --help` in its flag_defaults."
            % (scenario.name, ", ".join("--" + name for name in unknown)))
    return dataclasses.replace(config, **{
        name: value for name, value in scenario.flag_defaults.items()
        if name not in given})


def parse_options(text):
    """'steps=2,name=x' -> {'steps': 2, 'name': 'x'}; None or '' -> {}."""
    options = {}
    for item in split_comma_list(text):
        key, sep, value = item.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ConfigError(
                "--scenario_options has a malformed entry %r: write "
                "name=value pairs separated by commas, e.g. "
                "'discriminator_steps=2'." % item)
        try:
            options[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            options[key.strip()] = value.strip()
    return options


def _import(spec, module_name):
    """Imports `module_name`; a ConfigError says why it does not import."""
    try:
        return importlib.import_module(module_name)
    except Exception as error:  # whatever the user's module raised
        raise ConfigError("--scenario=%s: module %s does not import (%s: %s): "
                          "fix it, or check the name." % (
                              spec, module_name, type(error).__name__,
                              error)) from None


def _takes(scenario_class):
    """' (name, other)' listing a scenario class's options, or ''."""
    names = list(inspect.signature(scenario_class).parameters)
    return " (%s)" % ", ".join(names) if names else " (none)"
