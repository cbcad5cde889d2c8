"""An `EvalConfig` completed from the run it evaluates.

- `with_run_defaults(config)`: eval.py's settings, with every model and
  data setting left unset taken from the train dir's train_config.json
  (`rundir.opened_run.open_run`), and --quantize, unset, true for a run
  trained with --quantize_delay;
- `with_train_defaults(config, train_config)`: the same from a
  `TrainConfig` in hand;
- `eval_config_for_training(train_config, ...)`: what
  `eval.py --checkpoint_dir=<train dir>` would use, for evaluating during
  training.
"""

import dataclasses

from slimtrain.evaluation.config import EvalConfig
from slimtrain.rundir.opened_run import merge_settings, open_run
from slimtrain.rundir.run_files import read_run_config


def eval_config_for_training(train_config, split_name=None, batch_size=None,
                             max_num_batches=None,
                             keep_best_checkpoint_by=None):
    """Returns the validated `EvalConfig` that evaluates a training run.

    What `eval.py --checkpoint_dir=<train dir>` would use, for evaluating
    from inside the training process: the model and data settings of
    `train_config`, the data set's held-out split unless `split_name` is
    given, results and summaries in `<train dir>/eval`.

    Args:
      train_config: the run's `TrainConfig`.
      split_name: the split to evaluate; None: `test`, else `validation`.
      batch_size: None: eval.py's default (100).
      max_num_batches: None: the whole split.
      keep_best_checkpoint_by: a metric name to keep `best/` by (see
        `evaluation.loop.ResultRecorder`); None: keep none.

    Raises:
      ConfigError: a value that cannot work (e.g. a batch size of 0).
    """
    config = EvalConfig(
        checkpoint_dir=train_config.train_dir,
        dataset_split_name=split_name,
        batch_size=(EvalConfig.batch_size if batch_size is None
                    else batch_size),
        max_num_batches=max_num_batches,
        num_preprocessing_threads=train_config.num_preprocessing_threads,
        keep_best_checkpoint_by=keep_best_checkpoint_by)
    return with_train_defaults(config, train_config).validate()


def with_train_defaults(config, train_config):
    """Returns `config` with its unset model and data settings filled in.

    Each setting left None takes the value of `train_config` (the run that
    wrote the checkpoints; may be None), else train.py's default, as
    `rundir.opened_run.merge_settings` says (--quantize: whether it trained
    quantization-aware); `dataset_split_name` stays None
    (the held-out split is chosen with the data set, see
    `dataset_factory.open_split`).
    """
    recorded = dataclasses.asdict(train_config) if train_config else None
    filled, image_size = merge_settings(config, recorded,
                                        config.eval_image_size)
    return _with_quantize_default(dataclasses.replace(
        config, eval_image_size=image_size, **filled), recorded)


def with_run_defaults(config):
    """`with_train_defaults` from the train_config.json of `config`'s train dir.

    Raises:
      ConfigError: the train dir (of --checkpoint_dir or --checkpoint_path)
        does not exist.
    """
    run = open_run(config.source, config, config.eval_image_size)
    return _with_quantize_default(dataclasses.replace(
        config, eval_image_size=run.image_size,
        **dataclasses.asdict(run.settings)), read_run_config(run.train_dir))


def _with_quantize_default(config, recorded):
    """`config` with --quantize as given, else as the run was trained.

    Args:
      config: an `EvalConfig`.
      recorded: the run's train.py flags (a dict), or None: not quantized.
    """
    if config.quantize is not None:
        return config
    delay = (recorded or {}).get("quantize_delay")
    return dataclasses.replace(config,
                               quantize=delay is not None and delay >= 0)
