"""`python -m slimtrain.legacy [--explain] [--traceback] SCRIPT|NOTEBOOK.ipynb
[ARGS...]`.

Runs a TF-Slim-era program unchanged (see `slimtrain.legacy`). `--explain`
prints, as each of the program's files is loaded, every rewrite applied to
it and every name that could not be mapped. What cannot run ends in one
line: an API with no home (file, line, API, what replaces it; exit status
2), or an error raised inside TensorFlow, tf-slim or Keras (file, line and
the error; exit status 1, or its traceback with `--traceback`). The
program's own errors and exit status are as the program has them.
"""

import sys

USAGE = ("usage: python -m slimtrain.legacy [--explain] [--traceback] "
         "SCRIPT|NOTEBOOK.ipynb [ARGS...]")


def main(argv):
    """Parses the runner's own options (before the program), then runs it.

    Returns:
      The exit status, for a program that ends without calling sys.exit.
    """
    explain = tracebacks = False
    arguments = list(argv)
    while arguments and arguments[0].startswith("-"):
        option = arguments.pop(0)
        if option == "--explain":
            explain = True
        elif option == "--traceback":
            tracebacks = True
        elif option in ("-h", "--help"):
            print(USAGE + "\n\n" + (sys.modules["slimtrain.legacy"].__doc__
                                    or ""))
            return 0
        elif option == "--":
            break
        else:
            print("error: unknown option %s\n%s" % (option, USAGE),
                  file=sys.stderr)
            return 2
    if not arguments:
        print("error: no program given\n" + USAGE, file=sys.stderr)
        return 2
    from slimtrain.legacy import runner
    return runner.run_guarded(arguments[0], arguments[1:], explain,
                              tracebacks)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
