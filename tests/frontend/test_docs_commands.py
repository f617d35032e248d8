"""The `pallet ...` commands quoted inline in the user guides (getting started, the
`[tool.pallet]` reference, the "coming from" pages) parse as pallet's command line does: a
renamed or removed option fails here, not in a reader's shell."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from support.cli_args import parse_like_pallet

DOCS = Path(__file__).parents[2] / "docs"
PAGES = [
    DOCS / "getting-started.md",
    DOCS / "config.md",
    *sorted((DOCS / "coming-from").glob("*.md")),
]

#: commands the pages quote as not existing ("there is no `pallet add -r`")
ABSENT = {"pallet add -r"}


def _quoted() -> list[tuple[str, str]]:
    """(page, command) for each inline code span that is a pallet command."""
    out = []
    for page in PAGES:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        for span in re.findall(r"`([^`\n]+)`", text):
            if span.startswith("pallet ") and not span.startswith("pallet COMMAND"):
                out.append((page.name, span))
    return out


QUOTED = _quoted()


def test_the_guides_quote_commands() -> None:
    pages = {page for page, _ in QUOTED}
    assert {"pip.md", "poetry.md", "pdm.md", "pipenv.md", "uv.md", "conda.md"} <= pages


@pytest.mark.parametrize(("page", "command"), QUOTED, ids=[f"{p}: {c}" for p, c in QUOTED])
def test_quoted_command_parses(page: str, command: str) -> None:
    if command in ABSENT:
        with pytest.raises(SystemExit):
            parse_like_pallet(shlex.split(command)[1:])
        return
    try:
        parse_like_pallet(shlex.split(command)[1:])
    except SystemExit:
        pytest.fail(f"{page}: does not parse: {command}")
