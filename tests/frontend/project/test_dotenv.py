"""pallet.project.dotenv: dotenv files parsed as python-dotenv parses them (the reference), but
for ``${...}`` inside single quotes (left literal, as docker compose and the shell do) and a
line python-dotenv would skip (an error naming ``file:line`` here)."""

from __future__ import annotations

import io
import os
import random

import pytest
from pallet.errors import ProjectError
from pallet.project.dotenv import parse_dotenv

# python-dotenv is a test dependency (tests/requirements.txt); an environment set up before it
# was added skips the comparison (reported by -ra) instead of failing to collect
DotEnv = pytest.importorskip(
    "dotenv.main", reason="python-dotenv: pip install -r tests/requirements.txt"
).DotEnv

#: each case is a file python-dotenv reads without a warning
CASES = {
    "plain": "A=1\nB=two words\n",
    "export": "export A=1\nexport   B = 2\n",
    "blanks-and-comments": "\n# a comment\n   \nA=1 # trailing comment\nB=x#not-a-comment\n",
    "spaces-around": "  A  =   spaced value   \n",
    "empty": "A=\nB=''\nC=\"\"\n",
    "single-quotes": "A='it is'\nB='a # b'\nC='back\\\\slash \\' quote'\n",
    "double-quotes": 'A="x\\ny\\tz"\nB="say \\"hi\\""\nC="a # b" # c\n',
    "multi-line": "A=\"one\ntwo\"\nB='three\nfour'\n",
    "expansion": 'A=1\nB=${A}-x\nC="${A} ${B}"\nD=${MISSING}\nE=${MISSING:-fallback}\n',
    "process-env-wins-in-expansion": "PALLET_TEST_DOTENV=file\nB=${PALLET_TEST_DOTENV}\n",
    "crlf": "A=1\r\nB='2'\r\n",
    "quoted-key": "'K'=v\n",
    "key-without-value": "A\nB=1\n",
    "equals-in-value": "URL=postgres://u:p@h/db?x=1\n",
    "comment-after-equals": "A= # only a comment\nB=#not-a-comment\n",
    "backslash-pairs-in-quotes": "A='it\\'s \\q'\nB=\"back\\\\slash \\q\"\n",
    "dollar-without-braces": "A=$HOME and $ alone\n",
}


def _reference(text: str) -> dict[str, str]:
    """python-dotenv's ``load_dotenv`` values (override=False: the process environment wins,
    in expansion too); keys without a value are not set."""
    values = DotEnv(None, stream=io.StringIO(text), interpolate=True, override=False).dict()
    return {k: v for k, v in values.items() if v is not None}


@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_python_dotenv(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PALLET_TEST_DOTENV", "process")
    monkeypatch.delenv("MISSING", raising=False)
    text = CASES[name]
    assert dict(parse_dotenv(text, dict(os.environ), file=".env")) == _reference(text)


def test_single_quotes_do_not_expand_unlike_python_dotenv() -> None:
    # docker compose and POSIX sh: no interpolation in single quotes (python-dotenv expands)
    assert parse_dotenv("A=1\nB='${A}'\n", {}, file=".env") == [("A", "1"), ("B", "${A}")]


def test_earlier_files_are_known_but_the_environment_wins() -> None:
    pairs = parse_dotenv("C=${A}/${B}\n", {"B": "env"}, file=".env", known={"A": "a", "B": "k"})
    assert pairs == [("C", "a/env")]


@pytest.mark.parametrize(
    ("text", "line", "why"),
    [
        ("A=1\nB='open\n", 2, "quote is not closed"),
        ('A="x" y\n', 1, "text after the closing quote"),
        ("A=1\n\n=novalue\n", 3, "not KEY=VALUE"),
        ("A b\n", 1, "not KEY=VALUE"),
    ],
)
def test_a_bad_line_names_file_and_line(text: str, line: int, why: str) -> None:
    with pytest.raises(ProjectError, match=rf"^\.env\.local:{line}: .*{why}"):
        parse_dotenv(text, {}, file=".env.local")


#: pieces of dotenv syntax, joined at random into small files (odd ones included on purpose)
PIECES = (
    *("A", "B", "export ", "=", " ", "\t", "#", "'", '"', "\\", "\n", "\r\n", "x", "c d"),
    *("${A}", "${B:-d}", "${", "}", ":-", "$A", "'q'", '"q"', "\\n", "\\'", '\\"', "é"),
)


def test_random_files_read_as_python_dotenv_reads_them() -> None:
    """Where python-dotenv finds a line it cannot parse, pallet refuses the file; elsewhere both
    give the same variables (single-quoted ``${...}`` aside, see above)."""
    from dotenv.parser import parse_stream

    rng = random.Random(751)
    compared = refused = 0
    for _ in range(3000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12)))
        if any(binding.error for binding in parse_stream(io.StringIO(text))):
            with pytest.raises(ProjectError, match=r"^\.env:\d+: "):
                parse_dotenv(text, dict(os.environ), file=".env")
            refused += 1
            continue
        ours = dict(parse_dotenv(text, dict(os.environ), file=".env"))
        theirs = _reference_alone(text)
        if ours != theirs and "'" in text and "${" in text:
            continue  # the one deliberate difference
        assert ours == theirs, repr(text)
        compared += 1
    assert compared > 1000 and refused > 1000  # both kinds were really exercised


def _reference_alone(text: str) -> dict[str, str]:
    values = DotEnv(None, stream=io.StringIO(text), interpolate=True, override=False).dict()
    return {k: v for k, v in values.items() if v is not None}
