"""Stands in for `tensorflow.contrib.metrics`: each member is taken from
where `slimtrain.legacy.mapping` says it moved."""

from slimtrain.legacy import stand_ins

__getattr__, __dir__ = stand_ins.members_of("tensorflow.contrib.metrics")
