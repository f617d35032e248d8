"""The ``--help`` layout of every pallet parser: descriptions wrapped, epilogs kept as written.

Epilogs hold examples (``examples:`` then one invocation per line) and the exit-code table, laid
out by hand; argparse's `RawDescriptionHelpFormatter` would keep descriptions unwrapped as well.
"""

from __future__ import annotations

import argparse

__all__ = ["HelpFormatter"]


class HelpFormatter(argparse.HelpFormatter):
    """Wrap one-paragraph text; keep text with line breaks (examples, tables) line for line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)
