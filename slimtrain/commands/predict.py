"""Classifies image files: `python predict.py IMAGE... --model=DIR`.

DIR is an export dir (export.py's --output_dir; its SavedModel is used) or
a train dir (its latest checkpoint, with its train_config.json's settings);
the default is train.py's ./train_logs. Prints the top 5 classes with their
names and probabilities per image, or with --json one JSON object per line.
JPEG, PNG, GIF and BMP files are read. A file that cannot be read or
decoded gets one `error:` line on stderr; the others are still classified,
and the exit status is 1. For a model whose preprocessing crops or pads
(LeNet, CifarNet), an image of another size than the network's input gets
one `note:` line on stderr, and --resize scales it to that size instead.
"""

import sys

from slimtrain import cli
from slimtrain.errors import ConfigError
from slimtrain.export.config import PredictConfig


def main(argv):
    """Classifies the files named (TensorFlow is imported here: see `run`)."""
    from slimtrain.export.image_files import fit_to_model, read_images
    from slimtrain.export.predictor import open_model, predict

    config = cli.config_from_flags(PredictConfig)
    if len(argv) < 2:
        raise ConfigError("no image given: pass image files, e.g. `python "
                          "predict.py cat.jpg --model=export`.")
    model = open_model(config.model)
    images, errors = read_images(argv[1:], model.decode_channels)
    images, notes = fit_to_model(images, model.image_size,
                                 model.preprocessing_name, config.resize)
    for note in notes:
        print(note, file=sys.stderr, flush=True)
    for prediction in predict(model, images):
        print(prediction.to_json() if config.json else
              prediction.to_text(), flush=True)
    for path, reason in errors:
        print("error: %s %s." % (path, reason), file=sys.stderr)
    if errors:
        sys.exit(1)


def run():
    """Runs predict.py: `cli.run` with PredictConfig's flags and the image
    files as arguments."""
    cli.run(main, PredictConfig, __doc__, takes_arguments=True)


if __name__ == "__main__":
    run()
