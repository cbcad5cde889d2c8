"""`python -m slimtrain.upgrade SRC DST`: writes a TF-Slim-era program's
rewrites to disk, to move to TensorFlow 2.21 for good (see
`slimtrain.legacy.upgrade`).

May import: anything in slimtrain (a program's edge).
"""

import sys

from slimtrain.legacy import upgrade

if __name__ == "__main__":
    sys.exit(upgrade.main(sys.argv[1:]))
