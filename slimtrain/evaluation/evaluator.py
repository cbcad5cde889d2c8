"""Evaluates one checkpoint of a scenario, by default an image classifier.

`CheckpointEvaluator(config)` resolves the names in an `EvalConfig`
(scenario, data set split, network, preprocessing) once, so that a bad name
fails before anything is written. Each `evaluate(checkpoint, eval_dir)` then
builds the graph of `eval_image_classifier.py` (tf.data input -> the
scenario's model for evaluation, for the classifier the network with
is_training=False -> `slim.metrics` streaming metrics -> `eval/<name>`
summaries), checks the checkpoint against it by name and shape, and runs
`slim.evaluation.evaluate_once`. With --quantize the model is rewritten
into its fake-quant graph once built (`compute.quantize`, as
eval_image_classifier.py's create_eval_graph did), and its ranges are
restored from the checkpoint by their own names.

Each example of the split is counted exactly once: the evaluation input is
one pass in file order whose last batch may be partial, and slim runs
ceil(num_samples / batch_size) batches (or --max_num_batches), stopping
early at the end of the data.

The graph is rebuilt for every checkpoint because the MonitoredSession that
`evaluate_once` opens finalizes its graph, and each call adds its own saver
and eval-step ops; rebuilding also gives each evaluation a fresh input pass.

The classifier's metrics, and their summary tags under "eval/" (another
scenario names its own, `Scenario.build_eval`; Examples is always added):
  Accuracy                 top-1 accuracy (as eval_image_classifier.py)
  Recall_5                 whether the label is in the top 5 (as
                           eval_image_classifier.py); only with more than 5
                           classes
  Mean_Per_Class_Accuracy  accuracy averaged over the classes
                           (`tf.metrics.mean_per_class_accuracy`: a class
                           with no example evaluated counts as 0)
  Loss                     mean softmax cross-entropy of the logits, without
                           label smoothing or regularization
  Examples                 the number of examples evaluated
"""

import math
import os
import time

import tensorflow.compat.v1 as tf
import tf_slim as slim
from absl import logging

from slimtrain.compute import precision, quantize
from slimtrain.data import record_check
from slimtrain.data.datasets import dataset_factory
from slimtrain.data.input_pipeline import evaluation_pass
from slimtrain.errors import ConfigError
from slimtrain.evaluation.results import EvalResult
from slimtrain.rundir import checkpoint_files, checkpoint_reading
from slimtrain.rundir.write_guard import event_file_errors, write_errors
from slimtrain.scenarios.api import RunInfo
from slimtrain.scenarios.registry import CLASSIFIER, load_scenario

EXAMPLES = "Examples"


class CheckpointEvaluator:
    """Evaluates checkpoints of one model on one data set split.

    Attributes:
      split: the `DatasetSplit` evaluated.
      num_batches: batches run per evaluation.
      expected_examples: the examples those batches hold, by the split's size.
      metric_names: the metrics the scenario measures (Examples, always
        measured too, is not one to keep best/ by).
    """

    def __init__(self, config, scenario=None):
        """Resolves `config`'s names; raises ConfigError for a bad one, or
        for a --mixed_precision this machine cannot run.

        Args:
          config: a validated `EvalConfig` whose model and data settings are
            filled in (`evaluation.run_settings.with_run_defaults`).
          scenario: the `Scenario` config.scenario names, when the caller
            has it already (training does); None: it is loaded here.
        """
        self._config = config
        precision.check_supported(config.mixed_precision)
        self._scenario = scenario or load_scenario(
            config.scenario or CLASSIFIER, config.scenario_options)
        if not self._scenario.evaluates:
            raise ConfigError(
                "scenario %s defines no evaluation (Scenario.build_eval): "
                "there is nothing to measure; give it a build_eval "
                "(docs/SCENARIOS.md), or look at its training summaries in "
                "TensorBoard." % self._scenario.name)
        self.split = dataset_factory.open_split(
            config.dataset_name, config.dataset_split_name, config.dataset_dir,
            validation_fraction=config.validation_fraction,
            split_seed=config.split_seed)
        self.metric_names = tuple(self._scenario.metric_names)
        self._preprocessing_fn, self._image_size = (
            self._scenario.input_preprocessing(self._run_info(None)))
        full_pass = math.ceil(self.split.num_samples / config.batch_size)
        self.num_batches = min(full_pass, config.max_num_batches or full_pass)
        self.expected_examples = min(self.split.num_samples,
                                     self.num_batches * config.batch_size)

    def evaluate(self, checkpoint, eval_dir, skip_damaged=False):
        """Evaluates `checkpoint`, writing its summaries into `eval_dir`.

        The eval dir is created only once the checkpoint is known to fit the
        model.

        Args:
          skip_damaged: a checkpoint that cannot be restored (its data is
            damaged: `checkpoint_files.checkpoint_problem`) is skipped with
            a warning instead of being an error (the modes that evaluate
            every checkpoint of a directory).

        Returns:
          An `EvalResult`, or None when the checkpoint was deleted (by the
          trainer keeping only its newest checkpoints) before it could be
          restored, or (with `skip_damaged`) is damaged.

        Raises:
          ConfigError: the checkpoint lacks variables of the model or holds
            them with other shapes, or cannot be restored.
        """
        with tf.Graph().as_default():
            model = self.build_graph()
            start = time.time()
            created = None
            try:
                self._check_checkpoint(checkpoint,
                                       model["variables_to_restore"])
                created = make_eval_dir(eval_dir)
                logging.info("Evaluating %s on %d batches%s.", checkpoint,
                             self.num_batches, model["quantized"])
                with event_file_errors(eval_dir):
                    values = slim.evaluation.evaluate_once(
                        master=self._config.master,
                        checkpoint_path=checkpoint,
                        logdir=eval_dir,
                        num_evals=self.num_batches,
                        eval_op=list(model["updates"].values()),
                        final_op={"metrics": model["values"],
                                  "global_step": model["global_step"]},
                        summary_op=model["summary_op"],
                        variables_to_restore=model["variables_to_restore"],
                        session_config=precision.configure_session(
                            tf.ConfigProto(allow_soft_placement=True),
                            self._config.mixed_precision))
            except ConfigError:
                remove_if_empty(created)
                raise
            except (ValueError, tf.errors.OpError) as error:
                remove_if_empty(created)
                if record_check.is_input_error(error):
                    raise record_check.input_failure(error, self.split) from None
                if tf.train.checkpoint_exists(checkpoint):
                    problem = checkpoint_files.checkpoint_problem(checkpoint)
                    if problem and skip_damaged:
                        logging.warning("Skipping %s: it cannot be restored "
                                        "(%s); its files are kept.",
                                        checkpoint, problem)
                        return None
                    if problem:
                        raise ConfigError(
                            "checkpoint %s cannot be restored (%s): evaluate "
                            "its directory, whose newest complete checkpoint "
                            "is then used." % (checkpoint, problem)) from None
                    raise
                logging.warning(
                    "Skipping %s: it was deleted before it could be restored "
                    "(the trainer keeps only its newest checkpoints; raise "
                    "its --max_checkpoints_to_keep to evaluate them all).",
                    checkpoint)
                return None
        return self._result(checkpoint, values, start)

    def build_graph(self):
        """Builds input, model and metrics in the default graph."""
        config = self._config
        global_step = tf.train.get_or_create_global_step()
        with tf.device("/cpu:0"):
            batches = evaluation_pass(
                self.split, self._preprocessing_fn,
                batch_size=config.batch_size,
                image_size=self._image_size,
                labels_offset=config.labels_offset,
                num_preprocessing_threads=config.num_preprocessing_threads)
            images, labels = tf.data.make_one_shot_iterator(batches).get_next()
        metrics = dict(self._scenario.build_eval(
            images, labels, self._run_info(global_step)))
        quantized = ""
        if config.quantize:  # the metrics now read the fake-quant outputs
            quantized = ", quantized (%s)" % quantize.rewrite(
                tf.get_default_graph(),
                quantize.QuantizeOptions(is_training=False)).describe()
        metrics[EXAMPLES] = slim.metrics.count(labels)
        values, updates = slim.metrics.aggregate_metric_map(metrics)
        summaries = [tf.summary.scalar("eval/%s" % name, value, collections=[])
                     for name, value in sorted(values.items())]
        return {
            "global_step": global_step,
            "values": values,
            "updates": updates,
            "summary_op": tf.summary.merge(summaries),
            "quantized": quantized,
            "variables_to_restore": checkpoint_reading.variables_to_restore(
                config.moving_average_decay),
        }

    def _check_checkpoint(self, checkpoint, variables_to_restore):
        """Raises ConfigError unless `checkpoint` holds every variable."""
        if self._config.quantize and not quantize.holds_ranges(checkpoint):
            raise ConfigError(
                "checkpoint %s holds no quantization ranges (its run trained "
                "without --quantize_delay): evaluate it with --noquantize, or "
                "train with --quantize_delay." % checkpoint)
        _, missing, mismatched = checkpoint_reading.compare_with_checkpoint(
            variables_to_restore, checkpoint_reading.read_shapes(
                checkpoint, flag=self._config.source.flag))
        if not missing and not mismatched:
            return
        averages_only = all(name.endswith("/ExponentialMovingAverage")
                            for name in missing) and not mismatched
        if averages_only:
            fix = ("it holds no moving averages: pass --moving_average_decay=0 "
                   "to evaluate the raw weights")
        else:
            fix = ("evaluate it with the --scenario, --model_name, "
                   "--dataset_name and --labels_offset it was trained with")
        raise ConfigError(
            "checkpoint %s does not fit %s with %d classes (it %s): %s."
            % (checkpoint, self._scenario.describe(self._config),
               self._run_info(None).num_classes,
               checkpoint_reading.describe_misfit(missing, mismatched), fix))

    def _run_info(self, global_step):
        return RunInfo.create(self._config, self.split, is_training=False,
                              global_step=global_step)

    def _result(self, checkpoint, values, start):
        now = time.time()
        metrics = {name: float(value)
                   for name, value in sorted(values["metrics"].items())}
        examples = int(metrics.pop(EXAMPLES))
        if examples != self.expected_examples:
            logging.warning(
                "Evaluated %d examples, but %s/%s should hold %d for %d "
                "batches of %d: its recorded size is wrong.", examples,
                self.split.name, self.split.split_name, self.expected_examples,
                self.num_batches, self._config.batch_size)
        return EvalResult(
            checkpoint_path=checkpoint,
            global_step=int(values["global_step"]),
            dataset_name=self.split.name,
            dataset_split_name=self.split.split_name,
            examples=examples, metrics=metrics,
            wall_time=now, eval_secs=now - start)


def make_eval_dir(eval_dir):
    """Creates `eval_dir` if needed; returns it when this call created it
    (for `remove_if_empty`), else None.

    Raises:
      ConfigError: it is not a directory or cannot be written.
    """
    if os.path.isdir(eval_dir):
        return None
    with write_errors(eval_dir):
        os.makedirs(eval_dir)
    return eval_dir


def remove_if_empty(directory):
    """Removes `directory` (from `make_eval_dir`) when an evaluation that
    failed left nothing in it; None does nothing."""
    if directory and os.path.isdir(directory) and not os.listdir(directory):
        os.rmdir(directory)
