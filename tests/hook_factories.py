"""Hooks as a user gives them: --hooks factories and a scenario's hooks().

tests/test_hooks.py trains with them through train.py. The custom hook
records what it saw in a JSON file named by SLIMTRAIN_TEST_HOOK_RECORD, the
ProfilerHook writes into SLIMTRAIN_TEST_PROFILE_DIR.
"""

import json
import os

import tensorflow.compat.v1 as tf

from slimtrain.scenarios.classifier import ClassifierScenario
from slimtrain.training.hooks import Hook


class RecordingHook(tf.train.SessionRunHook):
    """A hook of the user's own: fetches the global step and the total loss
    with each step, and writes what it saw when the run ends."""

    def __init__(self, path):
        self._path = path
        self._seen = {"begin": 0, "sessions": 0, "steps": [], "losses": [],
                      "end": 0}

    def begin(self):
        self._seen["begin"] += 1
        self._step = tf.train.get_global_step()
        self._loss = tf.losses.get_total_loss()

    def after_create_session(self, session, coord):
        del session, coord
        self._seen["sessions"] += 1

    def before_run(self, run_context):
        return tf.train.SessionRunArgs({"step": self._step,
                                        "loss": self._loss})

    def after_run(self, run_context, run_values):
        self._seen["steps"].append(int(run_values.results["step"]))
        self._seen["losses"].append(float(run_values.results["loss"]))

    def end(self, session):
        self._seen["end"] += 1
        with open(self._path, "w") as handle:
            json.dump(self._seen, handle)


def standard_hooks():
    """TensorFlow's StopAtStepHook, LoggingTensorHook and ProfilerHook."""
    return [
        tf.train.StopAtStepHook(last_step=6),
        tf.train.LoggingTensorHook(
            {"logged_loss": tf.losses.get_total_loss()}, every_n_iter=2),
        tf.train.ProfilerHook(save_steps=4, output_dir=os.environ[
            "SLIMTRAIN_TEST_PROFILE_DIR"]),
    ]


def missing_tensor_hook():
    """A LoggingTensorHook given a tensor name the graph does not have."""
    return tf.train.LoggingTensorHook(["no_such_tensor:0"], every_n_iter=1)


def broken_factory():
    """A factory whose own code fails."""
    raise RuntimeError("the factory's own bug")


class CoordinatorStop(tf.train.SessionRunHook):
    """Stops the run through its coordinator after `steps` steps, as a hook
    in a MonitoredSession may."""

    def __init__(self, steps):
        self._steps = steps
        self._coord = None

    def after_create_session(self, session, coord):
        del session
        self._coord = coord

    def after_run(self, run_context, run_values):
        self._steps -= 1
        if self._steps == 0:
            self._coord.request_stop()


def nan_hook():
    """TensorFlow's NanTensorHook on the total loss."""
    return tf.train.NanTensorHook(tf.losses.get_total_loss())


class CountingStepHook(Hook):
    """A slimtrain Hook: counts the steps it was called after."""

    def __init__(self):
        self.steps = 0

    def after_step(self, context, values):
        self.steps += 1


class HookedClassifier(ClassifierScenario):
    """The classifier, with the user's recording hook (`Scenario.hooks`)."""

    def hooks(self, run):
        del run
        return [RecordingHook(os.environ["SLIMTRAIN_TEST_HOOK_RECORD"])]
