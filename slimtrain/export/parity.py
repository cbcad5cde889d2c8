"""Checks that every exported file computes what the checkpoint computes.

The reference is the checkpoint's own evaluation graph, as eval.py builds
it: the held-out split read by the evaluation input pipeline (decode,
evaluation preprocessing, batch), the network, and the checkpoint restored
(moving averages included), and for a quantization-aware checkpoint
rewritten into its fake-quant graph, as eval.py evaluates it. The first
`count` examples of that pass are run once; each exported file then runs
on the same examples:

  the SavedModel's serving_default  on the examples' pixels encoded as PNG
                                    (lossless), so its in-graph decoding and
                                    preprocessing are checked too;
  predict_images, frozen, TFLite    on the preprocessed images of the pass.

Tolerances (TOLERANCE): a float file passes when no probability differs
from the reference by more than 1e-4 and no logit by more than 1e-4 times
the largest reference logit magnitude (at least 1). A dynamic-range
quantized TFLite model cannot meet that; its top-1 agreement with the
reference is reported instead, and it is not failed. A full-integer model
is held to the bound of `int8_parity` instead.
"""

import dataclasses

import numpy as np
import tensorflow as tf
import tensorflow.compat.v1 as tf1

from slimtrain.data.input_pipeline import evaluation_pass
from slimtrain.errors import ConfigError
from slimtrain.export.model import quantize_for_inference, restore

TOLERANCE = 1e-4
# Examples the reference graph runs at once.
BATCH_SIZE = 64


class ParityError(ConfigError):
    """An exported file does not compute what its checkpoint computes."""


@dataclasses.dataclass(frozen=True)
class Reference:
    """The held-out batch and the checkpoint's outputs on it (NumPy).

    Attributes:
      images: preprocessed images, float32 [N, size, size, channels].
      encoded: the same examples before preprocessing, as PNG bytes.
      labels: class indices (data set labels minus the offset), [N].
      logits, probabilities: the evaluation graph's outputs, [N, classes].
    """

    images: np.ndarray
    encoded: list
    labels: np.ndarray
    logits: np.ndarray
    probabilities: np.ndarray


@dataclasses.dataclass(frozen=True)
class ParityResult:
    """How one exported file's outputs compare with the reference."""

    name: str
    examples: int
    max_logit_difference: float
    max_probability_difference: float
    top1_agreement: float
    checked: bool  # False: quantized, reported only
    logit_tolerance: float = TOLERANCE

    @property
    def passed(self):
        return not self.checked or (
            self.max_probability_difference <= TOLERANCE and
            self.max_logit_difference <= self.logit_tolerance)

    def describe(self):
        """One line: the differences, and the verdict."""
        verdict = ("ok" if self.passed else "FAILED") if self.checked else (
            "quantized, not checked")
        return ("%-28s %3d examples  max |d logits| %.2e  max |d probabilities| "
                "%.2e  top-1 agreement %.1f%%  %s" % (
                    self.name, self.examples, self.max_logit_difference,
                    self.max_probability_difference,
                    100.0 * self.top1_agreement, verdict))

    def to_json(self):
        return dict(dataclasses.asdict(self), passed=self.passed)


def reference_outputs(spec, split, checkpoint, moving_average_decay, count,
                      flag="--checkpoint_path", quantized=False):
    """Runs the checkpoint's evaluation graph on the split's first examples.

    Args:
      spec: the `ModelSpec`.
      split: the held-out `DatasetSplit`.
      checkpoint, moving_average_decay, flag: as `model.restore`.
      count: the examples (all of the split's, if it has fewer).
      quantized: evaluate the fake-quant graph (`model.quantize_for_inference`).

    Raises:
      ConfigError: the checkpoint does not fit the model.
    """
    batch_size = min(count, BATCH_SIZE)
    with tf.Graph().as_default():
        batches = evaluation_pass(
            split, spec.preprocessing_fn, batch_size=batch_size,
            image_size=spec.image_size, labels_offset=spec.labels_offset,
            num_preprocessing_threads=1)
        images, labels = tf1.data.make_one_shot_iterator(batches).get_next()
        logits = tf.identity(spec.network_fn(images)[0])
        if quantized:
            quantize_for_inference()
        pixels = split.make_dataset().take(count).map(
            lambda image, label: tf.io.encode_png(
                tf.image.convert_image_dtype(image, tf.uint8, saturate=True)))
        encoded = tf1.data.make_one_shot_iterator(
            pixels.batch(batch_size)).get_next()
        fetches = {"images": images, "labels": labels, "logits": logits,
                   "encoded": encoded}
        with tf1.Session() as session:
            restore(session, checkpoint, spec, moving_average_decay, flag)
            values = _run_until(session, fetches, count)
    return Reference(images=values["images"], encoded=list(values["encoded"]),
                     labels=values["labels"], logits=values["logits"],
                     probabilities=_softmax(values["logits"]))


def _run_until(session, fetches, count):
    """Runs batches of `fetches` until `count` examples or the end of the
    input; returns each fetch's batches concatenated, cut to `count`."""
    parts = []
    while sum(len(part["labels"]) for part in parts) < count:
        try:
            parts.append(session.run(fetches))
        except tf.errors.OutOfRangeError:
            break
    return {name: np.concatenate([part[name] for part in parts])[:count]
            for name in fetches}


def compare(name, outputs, reference, checked=True):
    """Returns the `ParityResult` of `outputs` (a runner's) vs `reference`."""
    return ParityResult(
        name=name, examples=len(reference.labels),
        max_logit_difference=float(np.max(np.abs(
            outputs["logits"] - reference.logits))),
        max_probability_difference=float(np.max(np.abs(
            outputs["probabilities"] - reference.probabilities))),
        top1_agreement=float(np.mean(np.argmax(outputs["logits"], 1) ==
                                     np.argmax(reference.logits, 1))),
        checked=checked,
        logit_tolerance=TOLERANCE * max(1.0, float(np.max(np.abs(
            reference.logits)))))


def require_parity(results):
    """Raises ParityError naming every result that failed its tolerance."""
    failed = [result for result in results if not result.passed]
    if failed:
        raise ParityError(
            "%s: outputs differ from the checkpoint's evaluation graph beyond "
            "the tolerance (%g on probabilities; on logits, %g times their "
            "largest magnitude); nothing was written: report it with the "
            "model name, or leave the format out with --formats." % (
                "; ".join("%s max |d probabilities| %.2e, |d logits| %.2e" % (
                    result.name, result.max_probability_difference,
                    result.max_logit_difference) for result in failed),
                TOLERANCE, TOLERANCE))


def _softmax(logits):
    """The softmax the evaluation graph's logits imply, in float64."""
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)
