"""Mixed precision: --mixed_precision=bfloat16 (CPUs) or float16 (GPUs).

Both are Grappler graph rewrites applied when a session optimizes a graph,
so the graph slimtrain builds, its variables, its checkpoints and its
exports stay float32; only the computation changes:

- bfloat16: `auto_mixed_precision_onednn_bfloat16` converts convolutions,
  matrix products and the element-wise ops between them to bfloat16 and
  runs them on oneDNN's bfloat16 kernels (AMX or AVX512-BF16). It needs a
  CPU with those instructions and TensorFlow's oneDNN optimizations on
  (TensorFlow's default on such CPUs); elsewhere oneDNN has no bfloat16
  kernels and TensorFlow falls back to emulation, many times slower than
  float32, so it is refused (`check_supported`); so is a model that
  computes on a GPU, where this CPU rewrite would change nothing.
  Depthwise convolutions stay float32 (`BFLOAT16_KEPT_FLOAT32`). bfloat16
  has float32's exponent range, so no loss scaling is needed.
- float16: `auto_mixed_precision`, the CUDA pass, plus dynamic loss
  scaling (`loss_scaled`): float16's narrow range would flush small
  gradients to zero. It needs a GPU; on a CPU it is refused, and
  TensorFlow's float16 CPU pass (`auto_mixed_precision_cpu`, which crashes
  at the first training step) is never used.

A refusal is a one-line `ConfigError` (exit status 2) naming the fix.
"""

import os

import tensorflow.compat.v1 as tf
from tensorflow.python.util import _pywrap_util_port

from slimtrain.compute.cpu_features import (
    BFLOAT16_CPU_FLAGS,
    has_bfloat16_instructions,
)
from slimtrain.errors import ConfigError
from slimtrain.settings import BFLOAT16, FLOAT16

# Ops the bfloat16 rewrite would convert but which run slower in bfloat16
# than in float32 on oneDNN (depthwise convolutions have no AMX kernel and
# take a slower AVX512-BF16 one): kept float32 by taking them off the
# rewrite's allow list, TensorFlow's documented environment variable.
BFLOAT16_KEPT_FLOAT32 = ("DepthwiseConv2dNative",
                         "DepthwiseConv2dNativeBackpropFilter",
                         "DepthwiseConv2dNativeBackpropInput")
ALLOWLIST_REMOVE_VARIABLE = (
    "TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_ALLOWLIST_REMOVE")

# Set to 1, bfloat16 runs on a CPU without bfloat16 instructions, emulated
# (with TF_ENABLE_ONEDNN_OPTS=1): many times slower than float32, for
# checking a model's numerics (the tests do) on such a machine.
ALLOW_EMULATED_VARIABLE = "SLIMTRAIN_ALLOW_EMULATED_BFLOAT16"

# The initial loss scale of float16 training (TensorFlow's default for
# dynamic loss scaling): halved after each step whose gradients overflow,
# doubled after every 2,000 steps without.
INITIAL_LOSS_SCALE = 2.0 ** 15


def check_supported(mixed_precision, on_cpu=False):
    """Raises ConfigError unless `mixed_precision` can run on this machine.

    Args:
      mixed_precision: None (float32), BFLOAT16 or FLOAT16.
      on_cpu: the model runs on the CPU even where there is a GPU
        (--clone_on_cpu).
    """
    gpus = tf.config.list_physical_devices("GPU")
    if mixed_precision == FLOAT16:
        if not gpus:
            raise ConfigError(
                "--mixed_precision=float16 needs a GPU and this machine has "
                "none (TensorFlow's float16 CPU rewrite crashes): use "
                "--mixed_precision=bfloat16 on a CPU with AMX or "
                "AVX512-BF16, or train in float32.")
    elif mixed_precision == BFLOAT16:
        if gpus and not on_cpu:
            raise ConfigError(
                "--mixed_precision=bfloat16 rewrites what runs on the CPU "
                "(oneDNN), and this machine computes on its GPU, where it "
                "would change nothing: use --mixed_precision=float16, or "
                "train on the CPU with --clone_on_cpu.")
        if not (has_bfloat16_instructions() or
                os.environ.get(ALLOW_EMULATED_VARIABLE) == "1"):
            raise ConfigError(
                "--mixed_precision=bfloat16 needs a CPU with bfloat16 "
                "instructions (%s), and this one has none: bfloat16 would be "
                "emulated, many times slower than float32; train without "
                "--mixed_precision." % " or ".join(BFLOAT16_CPU_FLAGS))
        if not _pywrap_util_port.IsMklEnabled():
            setting = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
            raise ConfigError(
                "--mixed_precision=bfloat16 needs TensorFlow's oneDNN "
                "optimizations, which are off on this machine%s: set "
                "TF_ENABLE_ONEDNN_OPTS=1." % (
                    " (TF_ENABLE_ONEDNN_OPTS=%s)" % setting if setting else ""))


def name(mixed_precision):
    """What computes: "float32", "bfloat16 mixed precision", ..."""
    if not mixed_precision:
        return "float32"
    return "%s mixed precision" % mixed_precision


def configure_session(proto, mixed_precision):
    """Turns on the graph rewrite of `mixed_precision` in the ConfigProto
    `proto` (None: nothing). For bfloat16, also keeps the ops of
    BFLOAT16_KEPT_FLOAT32 in float32, unless the environment already says
    which ops to take off the allow list."""
    options = proto.graph_options.rewrite_options
    if mixed_precision == BFLOAT16:
        options.auto_mixed_precision_onednn_bfloat16 = options.ON
        os.environ.setdefault(ALLOWLIST_REMOVE_VARIABLE,
                              ",".join(BFLOAT16_KEPT_FLOAT32))
    elif mixed_precision == FLOAT16:
        options.auto_mixed_precision = options.ON
    return proto


def loss_scaled(optimizer):
    """`optimizer` with dynamic loss scaling, for float16.

    The loss is multiplied by the scale before the gradients are taken and
    they are divided by it after; a step whose gradients are not finite
    changes no variable (the global step included) and halves the scale.
    The scale and its counter are global variables, so every checkpoint
    saves them.

    Returns:
      (the wrapping `MixedPrecisionLossScaleOptimizer`, the current loss
      scale as a float32 scalar tensor).
    """
    loss_scale = tf.mixed_precision.DynamicLossScale(
        initial_loss_scale=INITIAL_LOSS_SCALE)
    wrapped = tf.mixed_precision.MixedPrecisionLossScaleOptimizer(optimizer,
                                                                  loss_scale)
    return wrapped, loss_scale()
