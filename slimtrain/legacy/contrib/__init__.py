"""Stands in for `tensorflow.contrib` in rewritten programs.

Each module here is a contrib module whose members moved to several places
(`framework`, `layers`, `training`, ...); it takes each member from where
`slimtrain.legacy.mapping` says it moved (`quantize` moved whole, to
`slimtrain.compute.quantize.contrib_api`). This package's own members are
the contrib modules themselves, found in the same table.
"""

from slimtrain.legacy import stand_ins

__getattr__, __dir__ = stand_ins.members_of("tensorflow.contrib")
