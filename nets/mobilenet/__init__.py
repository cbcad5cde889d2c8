"""MobileNet v2 and v3, built from one conv-def driven library.

`mobilenet` builds any network described by a conv_defs dict (a list of op()
layers plus arg_scope defaults); `conv_blocks` holds the inverted-residual
and squeeze-excite blocks; `mobilenet_v2` and `mobilenet_v3` hold the
published architectures. The layout follows research/slim's nets/mobilenet.
"""
