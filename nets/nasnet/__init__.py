"""NASNet-A and PNASNet-5, the image networks found by architecture search.

`nasnet` builds NASNet-A (Zoph et al. 2018) for CIFAR-10 and at the mobile
and large ImageNet sizes, `pnasnet` builds PNASNet-5 (Liu et al. 2018) at
the mobile and large sizes, and `nasnet_utils` holds their shared cells and
helpers. Scope and variable names are those of research/slim's
nets/nasnet, so its published checkpoints restore.
"""
