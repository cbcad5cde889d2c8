"""`python -m slimtrain.launch` (`slimtrain launch`): the short name of
`slimtrain.distributed.launch`.

May import: anything in slimtrain (a program's edge).
"""

import sys

from slimtrain.distributed.launch import main

if __name__ == "__main__":
    sys.exit(main())
