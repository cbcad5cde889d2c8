"""The bound an int8 model is held to against the graph it was made from.

An int8 model cannot match its reference to 1e-4 as a float export does, so
it is held to what matters for a classifier, on held-out examples:

  top-1 agreement   the share of examples whose predicted class is the
                    reference's;
  accuracy drop     the reference's accuracy minus the int8 model's.

The reference is the fake-quant graph of a quantization-aware checkpoint,
or the float graph of a float checkpoint (post-training quantization).

  bound                  agreement at least   accuracy drop at most
  quantization-aware     97 %                 1 point
  post-training          90 %                 2 points

Either limit allows at least one example, so that a check on a few dozen
examples is not failed by the one flip its size cannot tell from none.
docs/QUANTIZATION.md gives the reasons for these figures.
"""

import dataclasses
import math

import numpy as np

from slimtrain.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Int8Bound:
    """Limits on disagreement and accuracy loss, as fractions of examples."""

    name: str
    min_agreement: float
    max_accuracy_drop: float

    def allowed_disagreements(self, examples):
        return max(1, math.floor((1.0 - self.min_agreement) * examples
                                 + 1e-9))

    def allowed_accuracy_drop(self, examples):
        """The drop allowed, in examples."""
        return max(1, math.floor(self.max_accuracy_drop * examples + 1e-9))


QUANTIZATION_AWARE = Int8Bound("quantization-aware", 0.97, 0.01)
POST_TRAINING = Int8Bound("post-training", 0.90, 0.02)


class Int8ParityError(ConfigError):
    """An int8 model strays beyond its bound from its reference graph."""


@dataclasses.dataclass(frozen=True)
class Int8Parity:
    """How an int8 model's predictions compare with its reference's."""

    name: str
    examples: int
    disagreements: int
    reference_correct: int
    int8_correct: int
    bound: Int8Bound

    @property
    def top1_agreement(self):
        return 1.0 - self.disagreements / self.examples

    @property
    def reference_accuracy(self):
        return self.reference_correct / self.examples

    @property
    def int8_accuracy(self):
        return self.int8_correct / self.examples

    @property
    def passed(self):
        return (self.disagreements <=
                self.bound.allowed_disagreements(self.examples) and
                self.reference_correct - self.int8_correct <=
                self.bound.allowed_accuracy_drop(self.examples))

    def describe(self):
        """One line: agreement, both accuracies, the bound, the verdict."""
        return ("%-28s %3d examples  top-1 agreement %.1f%% (bound %.0f%%)  "
                "accuracy %.1f%% vs %.1f%% (drop at most %.0f points)  %s" % (
                    self.name, self.examples, 100.0 * self.top1_agreement,
                    100.0 * self.bound.min_agreement,
                    100.0 * self.int8_accuracy,
                    100.0 * self.reference_accuracy,
                    100.0 * self.bound.max_accuracy_drop,
                    "ok" if self.passed else "FAILED"))

    def to_json(self):
        """The figures export.json records."""
        return {"name": self.name, "examples": self.examples,
                "top1_agreement": self.top1_agreement,
                "reference_accuracy": self.reference_accuracy,
                "int8_accuracy": self.int8_accuracy,
                "bound": dataclasses.asdict(self.bound),
                "passed": self.passed}


def measure(name, reference_logits, int8_logits, labels, bound):
    """Compares the predictions of an int8 model with its reference's.

    Args:
      name: what is compared, for the message.
      reference_logits, int8_logits: [N, classes] (the int8 model's
        dequantized).
      labels: [N] class indices.
      bound: QUANTIZATION_AWARE or POST_TRAINING.

    Returns:
      An `Int8Parity`.
    """
    reference = np.argmax(reference_logits, 1)
    int8 = np.argmax(int8_logits, 1)
    labels = np.asarray(labels)
    return Int8Parity(
        name=name, examples=len(labels),
        disagreements=int(np.sum(reference != int8)),
        reference_correct=int(np.sum(reference == labels)),
        int8_correct=int(np.sum(int8 == labels)), bound=bound)


def require(parity):
    """Raises Int8ParityError unless `parity` passed its bound."""
    if not parity.passed:
        raise Int8ParityError(
            "%s: the int8 model agrees with its %s reference on %.1f%% of "
            "%d held-out examples (accuracy %.1f%% vs %.1f%%), outside the "
            "%s bound (agreement %.0f%%, accuracy drop %.0f points); nothing "
            "was written: export a float or dynamic-range TFLite model, or "
            "train with --quantize_delay for a quantization-aware one." % (
                parity.name, parity.bound.name, 100.0 * parity.top1_agreement,
                parity.examples, 100.0 * parity.int8_accuracy,
                100.0 * parity.reference_accuracy, parity.bound.name,
                100.0 * parity.bound.min_agreement,
                100.0 * parity.bound.max_accuracy_drop))
