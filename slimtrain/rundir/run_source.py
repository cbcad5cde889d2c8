"""Which run a program opens: --checkpoint_dir, --checkpoint_path, --model.

eval.py and export.py take a train dir (--checkpoint_dir) or a checkpoint
prefix or its directory (--checkpoint_path), one at most, and default to
train.py's default train dir; predict.py takes a train dir as --model.
`RunSource` is that choice, with the flag that made it for messages.
"""

import dataclasses
import os

from slimtrain.errors import ConfigError
from slimtrain.rundir.layout import DEFAULT_TRAIN_DIR


@dataclasses.dataclass(frozen=True)
class RunSource:
    """Where the checkpoints to open are, and the flag that said so.

    Attributes:
      path: a train dir, or (with `may_be_prefix`) a checkpoint prefix.
      flag: the flag that named it, for messages ("--checkpoint_dir").
      may_be_prefix: whether `path` may name one checkpoint rather than a
        directory (--checkpoint_path).
    """

    path: str
    flag: str
    may_be_prefix: bool = False

    @classmethod
    def from_flags(cls, checkpoint_dir=None, checkpoint_path=None):
        """The source of --checkpoint_dir or --checkpoint_path (neither:
        train.py's default train dir).

        Raises:
          ConfigError: both are given.
        """
        if checkpoint_dir and checkpoint_path:
            raise ConfigError(
                "--checkpoint_dir and --checkpoint_path are both given: pass "
                "only one (a train dir, or a checkpoint prefix or folder).")
        if checkpoint_path:
            return cls(checkpoint_path, "--checkpoint_path", True)
        return cls(checkpoint_dir or DEFAULT_TRAIN_DIR, "--checkpoint_dir")

    @property
    def names_one_checkpoint(self):
        """Whether `path` names one checkpoint rather than a directory."""
        return self.may_be_prefix and not os.path.isdir(self.path)

    @property
    def train_dir(self):
        """The directory holding the checkpoints (and train.py's files)."""
        if self.names_one_checkpoint:
            return os.path.dirname(self.path) or "."
        return self.path
