"""Export: from a checkpoint to the files a served model is made of.

- `config`: `ExportConfig`, one field per `export.py` flag, and
  `PredictConfig`.
- `model`: the inference graph shared by every format (input, network,
  named outputs) and the model description it is built from.
- `architecture`: research/slim's architecture-only GraphDef.
- `writers`: one writer per format (SavedModel, frozen GraphDef, TFLite)
  and the export.json / labels.txt that describe them.
- `runners`: load an exported artefact and run it on a batch.
- `parity`: the checkpoint's own evaluation graph as the reference, and the
  tolerances every artefact is held to.
- `int8_tflite`, `int8_runner`, `int8_parity`: full-integer TFLite models:
  their conversion (quantization-aware or post-training), running one, and
  the bound it is held to; `calibration`: the training examples that
  calibrate a post-training one; `int8_export`: what an int8 export
  converts and records.
- `exporter`: `run_export(config)`, what `export.py` calls.
- `predictor`: classify image files with an export dir or a train dir
  (`predict.py`); `image_files`: read and check the image files it is
  given (formats, channels, `--resize`).

A new export format is a writer in `writers`, a runner in `runners`, and a
name in `config.FORMATS`.

May import: slimtrain.scenarios, slimtrain.compute, slimtrain.data,
slimtrain.rundir, slimtrain.settings, slimtrain.errors, slimtrain.startup
(quiet native lines), nets.
"""
