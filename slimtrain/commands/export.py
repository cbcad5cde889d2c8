"""Exports a TF-Slim image classifier: `python export.py --flags`.

From a checkpoint (`python export.py --checkpoint_dir=train_logs
--output_dir=export`; the defaults are train.py's ./train_logs and its
export/ folder) it writes a SavedModel, a frozen GraphDef and a TFLite
model, takes the model and data settings from the train dir's
train_config.json as eval.py does, checks every file against the
checkpoint's evaluation graph on held-out examples, and prints the
differences and the input and output names (README.md, "Export";
WORKSPACE.md, "The export dir"). --tflite_quantize=int8 makes the TFLite
model full-integer, held to the bound of docs/QUANTIZATION.md.

With --output_file it is research/slim's `export_inference_graph.py`: the
architecture-only GraphDef (with --quantize, its fake-quant graph), same
flags, same file, plus the output node names printed.
"""

from slimtrain import cli
from slimtrain.export.config import ExportConfig


def main(argv):
    """Exports as the flags say (TensorFlow is imported here: see `run`)."""
    del argv  # cli.run refuses positional arguments
    from slimtrain.export.exporter import run_export

    run_export(cli.config_from_flags(ExportConfig))  # it validates


def run():
    """Runs export.py: `cli.run` with ExportConfig's flags."""
    cli.run(main, ExportConfig, __doc__)


if __name__ == "__main__":
    run()
