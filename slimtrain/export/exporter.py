"""Exports a checkpoint to every deployable format and proves each one.

`run_export(config)` is what `export.py` calls. With --output_file it writes
research/slim's architecture-only GraphDef (`architecture`). Otherwise it:

1. fills the model and data settings in from the train dir's
   train_config.json, as eval.py does, and resolves every name, the
   checkpoint and the held-out split before anything is written;
2. builds the inference graph (`model`; the fake-quant graph for a
   checkpoint of a quantization-aware run), restores the checkpoint into
   it (moving averages when the run kept them) and writes each format of
   --formats into a staging folder beside the output dir (with
   --tflite_quantize=int8 a full-integer TFLite model: with the ranges of
   a quantization-aware checkpoint, or calibrated on the training split,
   `calibration`);
3. runs every written file on held-out examples and compares it with the
   checkpoint's own evaluation graph (`parity`; an int8 model: its bound,
   `int8_parity`), printing one line per file; any file beyond its
   tolerance fails the export;
4. writes labels.txt (when the data set names its classes) and export.json,
   and only then moves the files into the output dir, export.json last.

A failure before the move leaves the output dir as it was (the staging
folder is removed); export.json, moved last, marks a complete, checked
export. A write that fails (a full disk) is one line (`write_guard`).
"""

import os
import shutil
import time

import tensorflow as tf
import tensorflow.compat.v1 as tf1

from slimtrain.compute import quantize
from slimtrain.data.datasets import dataset_factory
from slimtrain.errors import ConfigError
from slimtrain.export import int8_parity, parity, writers
from slimtrain.export.architecture import export_architecture
from slimtrain.export.int8_export import Int8Export
from slimtrain.export.int8_runner import Int8TFLiteRunner
from slimtrain.export.model import (
    INPUT_NAME,
    build_inference_graph,
    resolve_model,
    restore,
)
from slimtrain.export.runners import (
    FrozenGraphRunner,
    SavedModelRunner,
    TFLiteRunner,
    run_in_batches,
)
from slimtrain.rundir.opened_run import open_run
from slimtrain.rundir.write_guard import write_errors

FILENAMES = {
    "saved_model": writers.SAVED_MODEL_DIRNAME,
    "frozen": writers.FROZEN_FILENAME,
    "tflite": writers.TFLITE_FILENAME,
}


def run_export(config):
    """Exports as `config` says; returns the description it wrote.

    Returns:
      The `ArchitectureExport` of an --output_file export, else the dict
      written as export.json.

    Raises:
      ConfigError: a setting, data set, checkpoint or output path that
        cannot work, or (`parity.ParityError`) a file that does not compute
        what the checkpoint computes, or (`int8_parity.Int8ParityError`) an
        int8 model outside its bound. Nothing is written then.
    """
    config.validate()
    if config.architecture_only:
        result = export_architecture(config.with_architecture_defaults())
        print(result.describe(), flush=True)
        return result
    return export_checkpoint(config)


def export_checkpoint(config):
    """Steps 1-4 of the module docstring, for a validated `config`."""
    run = open_run(config.source, config, config.image_size)
    split = dataset_factory.open_split(
        run.settings.dataset_name, dataset_dir=run.settings.dataset_dir,
        validation_fraction=run.settings.validation_fraction,
        split_seed=run.settings.split_seed)
    spec = resolve_model(run, split)
    flag = run.source.flag
    checkpoint = run.checkpoint()
    decay = run.settings.moving_average_decay
    quantized = quantize.holds_ranges(checkpoint)
    if config.tflite_quantize == "dynamic" and quantized:
        raise ConfigError(
            "checkpoint %s is quantization-aware (trained with "
            "--quantize_delay), and TFLite's dynamic-range quantization "
            "leaves the weights of its fake-quant graph float: export it "
            "with --tflite_quantize=int8 (or none)." % checkpoint)
    int8 = Int8Export.plan(config, run, spec, quantized)
    output_dir = config.resolved_output_dir(run.train_dir)
    formats = config.format_list()
    staging = open_staging(output_dir)
    try:
        with write_errors(output_dir):  # a full disk: one line
            with tf.Graph().as_default():
                graph = build_inference_graph(spec, quantized)
                with tf1.Session() as session:
                    restore(session, checkpoint, spec, decay, flag)
                    write_formats(session, graph, staging, formats,
                                  config.tflite_quantize, int8)
            reference = parity.reference_outputs(
                spec, split, checkpoint, decay, config.parity_example_count,
                flag, quantized)
            results = check_files(staging, formats, reference,
                                  list(graph.image_outputs),
                                  config.tflite_quantize, int8)
            names = [FILENAMES[name] for name in formats]
            if spec.labels_to_names:
                writers.write_labels(os.path.join(staging, writers.LABELS_FILENAME),
                                     spec.labels_to_names)
                names.append(writers.LABELS_FILENAME)
            description = describe(config, spec, graph, checkpoint, decay,
                                   formats, results, int8)
            writers.write_description(
                os.path.join(staging, writers.DESCRIPTION_FILENAME), description)
            publish(staging, output_dir, names + [writers.DESCRIPTION_FILENAME])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print("Exported %s to %s: %s." % (checkpoint, output_dir, ", ".join(
        names)), flush=True)
    print("Preprocessed input (frozen graph, TFLite, predict_images): %s:0 "
          "%s; outputs %s." % (
        INPUT_NAME, graph.input_shape, ", ".join(
            "%s:0" % name for name in graph.image_outputs)), flush=True)
    if int8 is not None:
        print(int8.describe_model(), flush=True)
    return description


def write_formats(session, graph, folder, formats, tflite_quantize,
                  int8=None):
    """Writes each of `formats` from the restored session into `folder`;
    the TFLite model as `int8` says when it is an `Int8Export`."""
    for name in formats:
        path = os.path.join(folder, FILENAMES[name])
        if name == "saved_model":
            writers.write_saved_model(session, graph, path)
        elif name == "frozen":
            writers.write_frozen_graph(session, graph, path)
        elif int8 is not None:
            int8.write(session, graph, path)
        else:
            writers.write_tflite(session, graph, path, tflite_quantize)


def check_files(folder, formats, reference, output_names, tflite_quantize,
                int8=None):
    """Runs each written file on the reference examples, prints one line
    per file, and requires each to pass.

    Returns:
      One result per check, in order: a `parity.ParityResult` for each
      float or dynamic-range file (two for the SavedModel's signatures),
      an `int8_parity.Int8Parity` for an int8 model; each `describe`s
      itself in one line and gives export.json its record (`to_json`).

    Raises:
      ParityError: a float file beyond its tolerance.
      Int8ParityError: the int8 model outside its bound.
    """
    results = []
    for name in formats:
        path = os.path.join(folder, FILENAMES[name])
        if name == "saved_model":
            for signature, batch in (
                    (writers.SERVING_SIGNATURE, reference.encoded),
                    (writers.IMAGES_SIGNATURE, reference.images)):
                results.append(parity.compare(
                    "%s %s" % (FILENAMES[name], signature),
                    _run(SavedModelRunner(path, signature), batch),
                    reference))
        elif name == "frozen":
            runner = FrozenGraphRunner(path, output_names)
            results.append(parity.compare(
                FILENAMES[name], _run(runner, reference.images), reference))
            runner.close()
        elif int8 is not None:
            outputs = _run(Int8TFLiteRunner(path), reference.images)
            results.append(int8_parity.measure(
                FILENAMES[name], reference.logits, outputs["logits"],
                reference.labels, int8.bound))
        else:
            results.append(parity.compare(
                FILENAMES[name], _run(TFLiteRunner(path), reference.images),
                reference, checked=tflite_quantize == "none"))
    for result in results:
        print(result.describe(), flush=True)
    parity.require_parity([result for result in results
                           if isinstance(result, parity.ParityResult)])
    for result in results:
        if isinstance(result, int8_parity.Int8Parity):
            int8_parity.require(result)
    return results


def _run(runner, batch):
    """`runner` on `batch`, as many examples at a time as the reference."""
    return run_in_batches(runner, batch, parity.BATCH_SIZE)


def describe(config, spec, graph, checkpoint, decay, formats, results,
             int8=None):
    """The export.json dict: what was exported, how to feed it, the check."""
    reader = tf1.train.NewCheckpointReader(checkpoint)
    step = (int(reader.get_tensor("global_step"))  # None: a step-less one
            if reader.has_tensor("global_step") else None)
    files = {}
    for name in formats:
        files[name] = {"path": FILENAMES[name]}
    if "saved_model" in files:
        files["saved_model"].update(
            tags=[writers.SERVE_TAG],
            signatures={
                writers.SERVING_SIGNATURE: {
                    "inputs": {writers.IMAGE_BYTES_KEY: "string [None]"},
                    "outputs": sorted(graph.bytes_outputs)},
                writers.IMAGES_SIGNATURE: {
                    "inputs": {writers.IMAGES_KEY: "float32 %s" %
                               graph.input_shape},
                    "outputs": sorted(graph.image_outputs)}})
    if "tflite" in files:
        files["tflite"]["quantize"] = config.tflite_quantize
        if int8 is not None:
            files["tflite"]["int8"] = int8.to_json()
    return {
        "checkpoint": os.path.abspath(checkpoint),
        "global_step": step,
        "moving_average_decay": decay or None,
        "model_name": spec.model_name,
        "dataset_name": spec.dataset_name,
        "num_classes": spec.num_classes,
        "labels_offset": spec.labels_offset,
        "labels": writers.LABELS_FILENAME if spec.labels_to_names else None,
        "preprocessing_name": spec.preprocessing_name,
        "image_size": spec.image_size,
        "decode_channels": spec.decode_channels,
        "input": {"name": "%s:0" % INPUT_NAME, "dtype": "float32",
                  "shape": graph.input_shape},
        "outputs": {name: "%s:0" % name for name in graph.image_outputs},
        "files": files,
        "parity": [result.to_json() for result in results],
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def open_staging(output_dir):
    """Creates the staging folder beside `output_dir`; returns its path.

    Raises:
      ConfigError: the output dir's location is not writable.
    """
    staging = "%s.partial-%d" % (os.path.normpath(output_dir), os.getpid())
    try:
        if os.path.exists(output_dir) and not os.path.isdir(output_dir):
            raise NotADirectoryError("it is a file")
        os.makedirs(staging)
        probe = os.path.join(staging, "probe")
        open(probe, "w").close()
        os.remove(probe)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise ConfigError("--output_dir=%s cannot be written (%s): choose a "
                          "writable directory." % (output_dir, error.strerror
                                                   or error)) from None
    return staging


def publish(staging, output_dir, names):
    """Moves `names` from staging into `output_dir`, in order.

    Files of formats this export did not write are removed first, so the
    output dir never mixes two exports.
    """
    os.makedirs(output_dir, exist_ok=True)
    stale = set(FILENAMES.values()) | {writers.LABELS_FILENAME,
                                       writers.DESCRIPTION_FILENAME}
    for name in [writers.DESCRIPTION_FILENAME] + sorted(stale - set(names)):
        remove(os.path.join(output_dir, name))
    for name in names:
        target = os.path.join(output_dir, name)
        remove(target)
        os.replace(os.path.join(staging, name), target)


def remove(path):
    """Removes a file or folder if it exists."""
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)
