"""The training graph: input, the scenario's model and the step ops.

`build_train_graph(config, scenario, input_seed, start_position)` builds, in
the default graph, what research/slim's `train_image_classifier.py` builds:
data set -> tf.data training stream -> the scenario's model (by default the
zoo classifier: network under its arg_scope -> slim losses) -> learning
rate -> optimizer -> slim's `create_train_op`, one op per kind of step
(`train_ops`), with the input position advanced by every step. It returns
the pieces as a `TrainGraph`. With --quantize_delay the scenario's model is
rewritten for quantization-aware training (`compute.quantize`) after it is
built and before its gradients are: batch norms folded, weights and
activations fake-quantized, their ranges in variables that every
checkpoint holds.

Before building, it reads the split's first records (`record_check`),
warns about a wasteful input and logs the run's start line
(`input_checks`), so a bad data set fails before anything is written.
"""

import dataclasses
from typing import Any, Optional, Sequence

import tensorflow.compat.v1 as tf
from absl import logging

from slimtrain.compute import quantize
from slimtrain.compute.placement import clone_device, device, variables_device
from slimtrain.data import record_check
from slimtrain.data.datasets import dataset_factory
from slimtrain.data.input_pipeline import stream_seed, training_stream
from slimtrain.errors import ConfigError
from slimtrain.scenarios.api import RunInfo
from slimtrain.training.input_checks import log_start, warn_about_input
from slimtrain.training.input_position import InputPosition
from slimtrain.training.train_ops import StepSchedule, build_step_schedule


@dataclasses.dataclass(frozen=True)
class TrainGraph:
    """What `build_train_graph` built.

    Attributes:
      schedule: the `StepSchedule`: the op that trains each global step
        (running one trains a step, advances the input position and
        returns the step's loss).
      global_step: the global step variable.
      sync_optimizer: the `SyncReplicasOptimizer`, or None.
      input_position: the `InputPosition`, or None with several workers.
      dataset: the `DatasetSplit` trained on.
      variables_to_restore: the variables fine-tuning may restore (None:
        the model variables).
      summary_op: every summary merged, or None.
      scalar_summary_op: the summaries but histograms, or None.
      run: the `RunInfo` the scenario was built with.
      main_loss_name: what progress lines call the loss without its
        regularization (`Scenario.main_loss_name`).
    """

    schedule: StepSchedule
    global_step: Any
    sync_optimizer: Any
    input_position: Optional[InputPosition]
    dataset: Any
    variables_to_restore: Optional[Sequence[Any]]
    summary_op: Any
    scalar_summary_op: Any
    run: RunInfo
    main_loss_name: str

    @property
    def train_op(self):
        """The op of step 1: the only one unless the scenario schedules."""
        return self.schedule.step_ops[0].train_op


def build_train_graph(config, scenario, input_seed=None, start_position=0):
    """Builds the training graph in the default graph (module doc).

    Args:
      config: the run's TrainConfig.
      scenario: the `Scenario` to train.
      input_seed: the input stream's seed (`stream_seed(--seed)` if None).
      start_position: the examples of the stream to skip (a resumed run's).

    Returns:
      A `TrainGraph`.

    Raises:
      ConfigError: a data set, network or setting that cannot work.
    """
    with device(variables_device(config)):
        global_step = tf.train.get_or_create_global_step()
    dataset = dataset_factory.get_dataset(
        config.dataset_name, config.dataset_split_name, config.dataset_dir,
        validation_fraction=config.validation_fraction,
        split_seed=config.split_seed)
    run = RunInfo.create(config, dataset, is_training=True,
                         global_step=global_step)
    preprocessing_fn, image_size = scenario.input_preprocessing(run)
    if input_seed is None:
        input_seed = stream_seed(config.seed)
    record_check.check_first_records(dataset)
    model = scenario.describe(config)
    warn_about_input(config, dataset, image_size, model)
    log_start(config, dataset, image_size, model)

    with tf.device("/cpu:0"):
        batches = training_stream(
            dataset, preprocessing_fn, image_size=image_size,
            batch_size=config.batch_size, labels_offset=config.labels_offset,
            num_readers=config.num_readers,
            num_preprocessing_threads=config.num_preprocessing_threads,
            seed=input_seed, start_position=start_position)
        iterator = tf.data.make_one_shot_iterator(batches)
        clone_batches = [iterator.get_next()
                         for _ in range(config.num_clones)]
        position = (InputPosition(input_seed, start_position,
                                  config.examples_per_worker_step)
                    if config.worker_replicas == 1 else None)

    if config.num_clones > 1:  # the clones place themselves
        train_step = scenario.build_train_step(clone_batches, run)
    else:
        with device(variables_device(config)), device(clone_device(config, 0)):
            train_step = scenario.build_train_step(clone_batches, run)
    if config.quantizes:
        quantize_for_training(config, model)
    with device(variables_device(config)):
        schedule, sync_optimizer = build_step_schedule(
            train_step, config, global_step=global_step,
            num_samples=dataset.num_samples,
            batch=[tensor for batch in clone_batches for tensor in batch],
            input_position=position)
    return TrainGraph(
        schedule=schedule, global_step=global_step,
        sync_optimizer=sync_optimizer, input_position=position,
        dataset=dataset,
        variables_to_restore=train_step.variables_to_restore,
        summary_op=tf.summary.merge_all(),
        scalar_summary_op=_scalar_summaries(), run=run,
        main_loss_name=scenario.main_loss_name)


def quantize_for_training(config, model):
    """Rewrites the model in the default graph for quantization-aware
    training as --quantize_delay and --freeze_bn_delay say; logs one line.

    Args:
      config: the run's TrainConfig.
      model: what is trained, for messages (`Scenario.describe`).

    Raises:
      ConfigError: the model has no layer to quantize, or the scenario
        built training ops itself (the rewrite must precede the gradients).
    """
    options = quantize.QuantizeOptions(
        is_training=True, quant_delay=config.quantize_delay,
        freeze_bn_delay=config.freeze_bn_delay)
    try:
        summary = quantize.rewrite(tf.get_default_graph(), options)
    except ValueError as error:
        raise ConfigError("--quantize_delay=%d cannot rewrite %s: %s" % (
            config.quantize_delay, model, error)) from None
    if not summary.layers:
        raise ConfigError(
            "--quantize_delay=%d: %s has no convolution or fully connected "
            "layer with variable weights to quantize: train it with "
            "--quantize_delay=-1." % (config.quantize_delay, model))
    freeze = ("" if config.freeze_bn_delay is None else
              ", batch norms frozen from step %d" % config.freeze_bn_delay)
    logging.info("Quantization-aware training from global step %d%s: %s.",
                 config.quantize_delay, freeze, summary.describe())


def _scalar_summaries():
    """The summaries written every --save_summaries_steps: all but histograms.

    A histogram of a large tensor costs more than a training step of a small
    network (LeNet's fc3 weights alone take several steps' time), so the
    histograms are written only with the timed summaries (as TF-Slim does)
    and after the last step (see hooks.summaries.SummaryHook).
    """
    scalars = [summary for summary in tf.get_collection(tf.GraphKeys.SUMMARIES)
               if summary.op.type != "HistogramSummary"]
    return tf.summary.merge(scalars) if scalars else None
