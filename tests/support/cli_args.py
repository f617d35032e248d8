"""Parse a pallet command line as `pallet.cli.main.run` does, without running it: for tests
that check the commands shown in ``--help`` examples and in the docs."""

from __future__ import annotations

import argparse

from pallet.cli.launch import split_run_argv
from pallet.cli.main import make_parser


def parse_like_pallet(argv: list[str]) -> argparse.Namespace:
    """``argv`` (without ``pallet``) -> the namespace; `pallet run` hands COMMAND on untouched.
    A bad command line raises SystemExit, as argparse does."""
    if next((a for a in argv if not a.startswith("-")), None) == "run":  # as main.run finds it
        argv, _ = split_run_argv(argv)
    return make_parser().parse_args(argv)
