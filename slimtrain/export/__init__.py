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
- `exporter`: `run_export(config)`, what `export.py` calls.
- `predictor`: classify image files with an export dir or a train dir
  (`predict.py`).

A new export format is a writer in `writers`, a runner in `runners`, and a
name in `config.FORMATS`.

May import: slimtrain.scenarios, slimtrain.compute, slimtrain.data,
slimtrain.rundir, slimtrain.settings, slimtrain.errors, slimtrain.startup
(quiet native lines), nets.
"""
