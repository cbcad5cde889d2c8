"""TrainConfig: flag parity with train_image_classifier.py, validation, JSON."""

import dataclasses

import pytest

from nets import nets_factory
from slimtrain import cli, settings
from slimtrain.compute.classifier import resolve_classifier
from slimtrain.data.datasets import dataset_factory
from slimtrain.errors import ConfigError
from slimtrain.evaluation.config import EvalConfig
from slimtrain.export.config import ExportConfig, PredictConfig
from slimtrain.rundir.run_files import read_run_config, write_run_config
from slimtrain.settings import split_comma_list
from slimtrain.training.config import (
    DEFAULTS_CHANGED,
    TrainConfig,
    parse_gradient_multipliers,
)
from tests.training_helpers import recorded_config

# Every flag of research/slim's train_image_classifier.py: (type, default).
REFERENCE_FLAGS = {
    "master": (str, ""), "train_dir": (str, "/tmp/tfmodel/"),
    "num_clones": (int, 1), "clone_on_cpu": (bool, False),
    "worker_replicas": (int, 1), "num_ps_tasks": (int, 0),
    "num_readers": (int, 4), "num_preprocessing_threads": (int, 4),
    "log_every_n_steps": (int, 10), "save_summaries_secs": (int, 600),
    "save_interval_secs": (int, 600), "task": (int, 0),
    "weight_decay": (float, 0.00004), "optimizer": (str, "rmsprop"),
    "adadelta_rho": (float, 0.95),
    "adagrad_initial_accumulator_value": (float, 0.1),
    "adam_beta1": (float, 0.9), "adam_beta2": (float, 0.999),
    "opt_epsilon": (float, 1.0), "ftrl_learning_rate_power": (float, -0.5),
    "ftrl_initial_accumulator_value": (float, 0.1), "ftrl_l1": (float, 0.0),
    "ftrl_l2": (float, 0.0), "momentum": (float, 0.9),
    "rmsprop_momentum": (float, 0.9), "rmsprop_decay": (float, 0.9),
    "quantize_delay": (int, -1),
    "learning_rate_decay_type": (str, "exponential"),
    "learning_rate": (float, 0.01), "end_learning_rate": (float, 0.0001),
    "label_smoothing": (float, 0.0), "learning_rate_decay_factor": (float, 0.94),
    "num_epochs_per_decay": (float, 2.0), "sync_replicas": (bool, False),
    "replicas_to_aggregate": (int, 1), "moving_average_decay": (float, None),
    "dataset_name": (str, "imagenet"), "dataset_split_name": (str, "train"),
    "dataset_dir": (str, None), "labels_offset": (int, 0),
    "model_name": (str, "inception_v3"), "preprocessing_name": (str, None),
    "batch_size": (int, 32), "train_image_size": (int, None),
    "max_number_of_steps": (int, None), "use_grayscale": (bool, False),
    "checkpoint_path": (str, None), "checkpoint_exclude_scopes": (str, None),
    "trainable_scopes": (str, None), "ignore_missing_vars": (bool, False),
}

_FLAG_TYPE = {str: "string", int: "int", float: "float", bool: "bool"}


@pytest.fixture
def parsed(parse_flags):
    return lambda *argv: parse_flags(TrainConfig, *argv)


def test_every_reference_flag_has_its_type_and_default(parsed):
    values = parsed()
    for name, (flag_type, default) in REFERENCE_FLAGS.items():
        assert values[name].flag_type() == _FLAG_TYPE[flag_type], name
        if name in DEFAULTS_CHANGED:
            assert DEFAULTS_CHANGED[name] == default, name
        else:
            assert values[name].default == default, name


def test_changed_defaults_are_exactly_the_documented_ones():
    config = TrainConfig()
    for name, reference_default in DEFAULTS_CHANGED.items():
        assert getattr(config, name) != reference_default
    assert (config.model_name, config.dataset_name) == ("lenet", "digits")


def test_flags_become_a_config(parsed):
    values = parsed("--model_name=cifarnet", "--batch_size=7",
                    "--moving_average_decay=0.99", "--nosync_replicas")
    config = cli.config_from_flags(TrainConfig, values)
    assert (config.model_name, config.batch_size) == ("cifarnet", 7)
    assert config.moving_average_decay == 0.99
    assert cli.explicitly_set(TrainConfig, values) == {
        "model_name", "batch_size", "moving_average_decay", "sync_replicas"}


def test_flagfile(parsed, tmp_path):
    flagfile = tmp_path / "run.flags"
    flagfile.write_text("--optimizer=sgd\n--learning_rate=0.5\n")
    config = cli.config_from_flags(TrainConfig,
                                   parsed("--flagfile=%s" % flagfile))
    assert (config.optimizer, config.learning_rate) == ("sgd", 0.5)


@pytest.mark.parametrize("changes, flag", [
    ({"optimizer": "adamw"}, "--optimizer"),
    ({"learning_rate_decay_type": "step"}, "--learning_rate_decay_type"),
    ({"batch_size": 0}, "--batch_size"),
    ({"learning_rate": -1.0}, "--learning_rate"),
    ({"max_number_of_steps": -1}, "--max_number_of_steps"),
    ({"train_image_size": -5}, "--train_image_size"),
    ({"save_interval_steps": -1}, "--save_interval_steps"),
    ({"label_smoothing": 1.5}, "--label_smoothing"),
    ({"moving_average_decay": 1.0}, "--moving_average_decay"),
    ({"num_clones": 0}, "--num_clones"),
    ({"cluster_timeout_secs": 0}, "--cluster_timeout_secs"),
    ({"quantize_delay": -2}, "--quantize_delay"),
    ({"freeze_bn_delay": 5}, "--freeze_bn_delay"),
    ({"quantize_delay": 0, "freeze_bn_delay": -1}, "--freeze_bn_delay"),
    ({"task": 1}, "--task"),
    ({"sync_replicas": True, "startup_delay_steps": 5}, "--startup_delay_steps"),
    ({"learning_rate_decay_type": "cosine", "max_number_of_steps": None},
     "--learning_rate_decay_type"),
    ({"gradient_multipliers": "LeNet/fc4"}, "--gradient_multipliers"),
    ({"train_dir": ""}, "--train_dir"),
])
def test_bad_settings_name_their_flag(changes, flag):
    with pytest.raises(ConfigError) as raised:
        dataclasses.replace(TrainConfig(), **changes).validate()
    message = str(raised.value)
    assert flag in message and "\n" not in message


@pytest.mark.parametrize("config_class", [TrainConfig, EvalConfig,
                                          ExportConfig])
def test_every_float_flag_refuses_nan_and_infinity(config_class, parsed):
    """absl reads "nan", "inf" and "-inf" as floats; each float flag then
    fails validation with one line naming it."""
    float_fields = [field.name for field in dataclasses.fields(config_class)
                    if float in (field.type, *getattr(field.type, "__args__",
                                                      ()))]
    assert float_fields
    for name in float_fields:
        for text in ("nan", "inf", "-inf"):
            values = parsed("--%s=%s" % (name, text)) if (
                config_class is TrainConfig) else None
            value = values[name].value if values else float(text)
            config = dataclasses.replace(config_class(), **{name: value})
            with pytest.raises(ConfigError) as raised:
                config.validate()
            message = str(raised.value)
            assert message.startswith("--%s=%s is not a finite number" % (
                name, text)) and "\n" not in message


def test_quantization_aware_training_is_research_slims_flag_and_a_freeze():
    assert not TrainConfig().validate().quantizes  # -1: float
    assert TrainConfig(quantize_delay=0).validate().quantizes
    config = TrainConfig(quantize_delay=100, freeze_bn_delay=50).validate()
    assert config.quantizes and config.freeze_bn_delay == 50
    with pytest.raises(ConfigError, match="--freeze_bn_delay=5 applies to "
                       "quantization-aware training: add --quantize_delay"):
        TrainConfig(freeze_bn_delay=5).validate()


def test_scope_and_multiplier_parsing():
    assert split_comma_list(" a, b,,c ") == ["a", "b", "c"]
    assert split_comma_list(None) == []
    assert parse_gradient_multipliers("x/y=2, z=0.5") == {"x/y": 2.0, "z": 0.5}
    with pytest.raises(ConfigError):
        parse_gradient_multipliers("x=two")


def test_config_round_trips_through_the_train_dir(tmp_path):
    config = TrainConfig(model_name="cifarnet", seed=3, train_dir=str(tmp_path))
    write_run_config(config, str(tmp_path))
    assert recorded_config(str(tmp_path)) == config
    assert recorded_config(str(tmp_path / "elsewhere")) is None
    (tmp_path / "train_config.json").write_text("{not json")
    with pytest.raises(ConfigError, match="unreadable"):
        read_run_config(str(tmp_path))


def test_the_classifier_refuses_video_networks_in_one_line(tmp_path):
    dataset = dataset_factory.get_dataset("digits", "train", None)
    for name in nets_factory.VIDEO_NETWORKS:
        config = TrainConfig(train_dir=str(tmp_path), model_name=name)
        with pytest.raises(ConfigError, match="takes video clips"):
            resolve_classifier(config, dataset, is_training=True)


def test_every_flag_is_in_one_help_group():
    for config_class in (TrainConfig, EvalConfig, ExportConfig,
                         PredictConfig):
        for field in dataclasses.fields(config_class):
            assert settings.group_of(field) in settings.GROUPS, field.name
        text = cli.grouped_help(config_class, "summary")
        for field in dataclasses.fields(config_class):
            heading = "\n  --%s (default: " % field.name
            assert text.count(heading) == 1, field.name
