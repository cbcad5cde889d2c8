"""`QuantizeOptions`: what one quantization rewrite does."""

import dataclasses
from typing import Optional

# tf.quantization.fake_quant_* accept 2 to 16 bits; TFLite's integer
# models take 8 (slimtrain.export.int8_tflite refuses other widths).
MIN_BITS = 2
MAX_BITS = 16


@dataclasses.dataclass(frozen=True)
class QuantizeOptions:
    """The settings of a rewrite; contrib.quantize's arguments, and ema_decay.

    Attributes:
      is_training: True rewrites a training graph (ranges are updated from
        each batch, batch norms use batch statistics until frozen); False
        an evaluation or inference graph (ranges and statistics are read
        from their variables).
      weight_bits, activation_bits: the simulated integer widths.
      symmetric: activation ranges symmetric around 0 (weights always are:
        TFLite int8 requires it).
      quant_delay: quantization starts at this global step; None or 0:
        from the start.
      freeze_bn_delay: from this global step on, batch norms use their
        moving statistics and stop updating them; None: never.
      ema_decay: decay of the activation ranges' moving averages.
      scope: only layers whose op names start with it are rewritten.
    """

    is_training: bool
    weight_bits: int = 8
    activation_bits: int = 8
    symmetric: bool = False
    quant_delay: Optional[int] = None
    freeze_bn_delay: Optional[int] = None
    ema_decay: float = 0.999
    scope: Optional[str] = None

    def __post_init__(self):
        for name in ("weight_bits", "activation_bits"):
            bits = getattr(self, name)
            if not MIN_BITS <= bits <= MAX_BITS:
                raise ValueError("%s=%r: fake quantization takes %d to %d "
                                 "bits." % (name, bits, MIN_BITS, MAX_BITS))
        for name in ("quant_delay", "freeze_bn_delay"):
            delay = getattr(self, name)
            if delay is not None and delay < 0:
                raise ValueError(
                    "%s=%r: give a step >= 0, or None (for quant_delay: no "
                    "delay; for freeze_bn_delay: never freeze). To train "
                    "without quantization, do not rewrite the graph." % (
                        name, delay))
        if not 0.0 < self.ema_decay < 1.0:
            raise ValueError("ema_decay=%r: give a decay in (0, 1)."
                             % self.ema_decay)
