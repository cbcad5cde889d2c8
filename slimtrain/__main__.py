"""`python -m slimtrain COMMAND ...`: the `slimtrain` command without its
installed script (`slimtrain.commands.dispatch`).

May import: anything in slimtrain (a program's edge).
"""

import sys

from slimtrain.commands.dispatch import main

if __name__ == "__main__":
    sys.exit(main())
