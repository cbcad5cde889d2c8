"""`python -m slimtrain.launch`: the short name of `slimtrain.distributed.launch`."""

import sys

from slimtrain.distributed.launch import main

if __name__ == "__main__":
    sys.exit(main())
