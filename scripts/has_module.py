"""Exit 0 when the dotted module given as argument can be imported, 1 when it cannot."""

import importlib.util
import sys

try:
    found = importlib.util.find_spec(sys.argv[1]) is not None
except ModuleNotFoundError:  # a parent package is missing
    found = False
sys.exit(0 if found else 1)
