"""The ``hello`` console script."""

import sys

from . import greet


def main() -> int:
    print(greet(*sys.argv[1:2]))
    return 0
