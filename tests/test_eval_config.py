"""EvalConfig: flag parity with eval_image_classifier.py, train-dir defaults."""

import dataclasses

import pytest

from slimtrain import cli, settings
from slimtrain.errors import ConfigError
from slimtrain.evaluation.config import DEFAULTS_CHANGED, EvalConfig
from slimtrain.evaluation.run_settings import with_train_defaults
from slimtrain.export.config import ExportConfig
from slimtrain.scenarios.classifier import METRIC_NAMES
from slimtrain.training.config import TrainConfig

# Every flag of research/slim's eval_image_classifier.py: (type, default).
REFERENCE_FLAGS = {
    "batch_size": (int, 100), "max_num_batches": (int, None),
    "master": (str, ""), "checkpoint_path": (str, "/tmp/tfmodel/"),
    "eval_dir": (str, "/tmp/tfmodel/"), "num_preprocessing_threads": (int, 4),
    "dataset_name": (str, "imagenet"), "dataset_split_name": (str, "test"),
    "dataset_dir": (str, None), "labels_offset": (int, 0),
    "model_name": (str, "inception_v3"), "preprocessing_name": (str, None),
    "moving_average_decay": (float, None), "eval_image_size": (int, None),
    "use_grayscale": (bool, False), "quantize": (bool, False),
}

_FLAG_TYPE = {str: "string", int: "int", float: "float", bool: "bool"}


@pytest.fixture
def parsed(parse_flags):
    return lambda *argv: parse_flags(EvalConfig, *argv)


def test_every_reference_flag_has_its_type_and_default(parsed):
    values = parsed()
    for name, (flag_type, default) in REFERENCE_FLAGS.items():
        assert values[name].flag_type() == _FLAG_TYPE[flag_type], name
        if name in DEFAULTS_CHANGED:
            assert DEFAULTS_CHANGED[name] == default, name
            assert values[name].default is None, name
        else:
            assert values[name].default == default, name


def test_quantize_defaults_to_how_the_run_trained(parsed):
    # None: as the train dir's run trained (research/slim's default, False,
    # where the run trained in float).
    assert parsed()["quantize"].default is None
    assert cli.config_from_flags(EvalConfig, parsed("--quantize")).quantize
    float_run, quantized_run = TrainConfig(), TrainConfig(quantize_delay=0)
    assert not with_train_defaults(EvalConfig(), float_run).quantize
    assert not with_train_defaults(EvalConfig(), None).quantize
    assert with_train_defaults(EvalConfig(), quantized_run).quantize
    assert not with_train_defaults(EvalConfig(quantize=False),
                                   quantized_run).quantize


def test_flags_become_a_config(parsed):
    values = parsed("--checkpoint_dir=runs/a", "--nouse_grayscale",
                    "--eval_interval_secs=0", "--max_number_of_evaluations=3")
    config = cli.config_from_flags(EvalConfig, values).validate()
    assert config.use_grayscale is False
    assert config.continuous and config.max_number_of_evaluations == 3
    assert config.resolved_eval_dir == "runs/a/eval"
    assert cli.config_from_flags(EvalConfig, parsed()).continuous is False


def test_train_dir_settings_fill_what_is_not_given():
    trained = TrainConfig(
        model_name="cifarnet", dataset_name="cifar10", dataset_dir="/data/c",
        preprocessing_name="inception", labels_offset=1, train_image_size=30,
        use_grayscale=True, moving_average_decay=0.99)
    config = with_train_defaults(EvalConfig(), trained)
    assert (config.model_name, config.dataset_name, config.dataset_dir) == (
        "cifarnet", "cifar10", "/data/c")
    assert (config.preprocessing_name, config.labels_offset,
            config.eval_image_size, config.use_grayscale,
            config.moving_average_decay) == ("inception", 1, 30, True, 0.99)
    assert config.dataset_split_name is None  # chosen with the data set

    given = with_train_defaults(
        EvalConfig(model_name="lenet", dataset_name="mnist", labels_offset=0,
                   use_grayscale=False, moving_average_decay=0), trained)
    assert (given.model_name, given.dataset_name, given.labels_offset,
            given.use_grayscale, given.moving_average_decay) == (
                "lenet", "mnist", 0, False, 0)
    assert given.dataset_dir is None  # cifar10's folder is not mnist's


def test_without_a_train_config_the_defaults_are_train_py_s():
    config = with_train_defaults(EvalConfig(), None)
    assert (config.model_name, config.dataset_name, config.labels_offset,
            config.use_grayscale) == ("lenet", "digits", 0, False)
    assert config.moving_average_decay is None
    assert config.source.path == "train_logs"
    assert config.resolved_eval_dir == "train_logs/eval"


def test_a_checkpoint_file_is_evaluated_into_its_folder():
    config = EvalConfig(checkpoint_path="runs/a/model.ckpt-5")
    assert config.train_dir == "runs/a"
    assert config.resolved_eval_dir == "runs/a/eval"
    assert config.source.flag == "--checkpoint_path"
    assert EvalConfig(checkpoint_path="model.ckpt-5").train_dir == "."


@pytest.mark.parametrize("settings", [
    dict(max_num_batches=0), dict(eval_image_size=-1),
    dict(num_preprocessing_threads=0), dict(labels_offset=-1),
    dict(eval_interval_secs=-1), dict(eval_interval_secs=1, timeout=0),
    dict(eval_interval_secs=1, max_number_of_evaluations=0),
    dict(moving_average_decay=1.5), dict(max_number_of_evaluations=2),
])
def test_impossible_settings_are_refused(settings):
    with pytest.raises(ConfigError):
        EvalConfig(**settings).validate()


def test_the_help_names_the_classifiers_metrics_and_where_defaults_come_from():
    fields = {field.name: field for field in dataclasses.fields(EvalConfig)}
    best = settings.flag_help(EvalConfig, fields["keep_best_checkpoint_by"])
    for name in METRIC_NAMES:
        assert name in best, name
    assert settings.flag_help(EvalConfig, fields["model_name"]).endswith(
        "Default: the train dir's, else 'lenet'.")
    train_fields = {field.name: field
                    for field in dataclasses.fields(TrainConfig)}
    assert "train dir" not in settings.flag_help(
        TrainConfig, train_fields["model_name"])
    assert "scenario" not in {field.name for field in
                              dataclasses.fields(ExportConfig)}
