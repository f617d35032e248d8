"""PEP 723 inline script metadata (`pallet.install.script_metadata`): the spec's rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from pallet.errors import ProjectError
from pallet.install.script_metadata import parse_script_text, read_script

# The example of PEP 723 ("Example"), verbatim.
SPEC_EXAMPLE = """\
# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "requests<3",
#   "rich",
# ]
# ///

import requests
from rich.pretty import pprint
"""


def test_the_spec_example(tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(SPEC_EXAMPLE, encoding="utf-8")
    meta = read_script(script)
    assert meta is not None
    assert meta.dependencies == (Requirement("requests<3"), Requirement("rich"))
    assert meta.requires_python == SpecifierSet(">=3.11")
    assert meta.indexes == ()


def test_no_block_is_none_and_other_types_are_ignored() -> None:
    text = "# /// pyproject\n# x = 1\n# ///\nprint(1)\n"
    assert parse_script_text(text, Path("a.py")) is None
    assert parse_script_text("print('hello')\n", Path("a.py")) is None


def test_an_unclosed_block_is_ignored() -> None:
    """PEP 723: a block that is not closed is not a block (the reference regex needs '# ///')."""
    text = '# /// script\n# dependencies = ["rich"]\nprint(1)\n'
    assert parse_script_text(text, Path("a.py")) is None


def test_a_lone_hash_line_is_an_empty_content_line() -> None:
    text = '# /// script\n#\n# dependencies = ["rich"]\n#\n# ///\n'
    meta = parse_script_text(text, Path("a.py"))
    assert meta is not None and [str(r) for r in meta.dependencies] == ["rich"]


def test_crlf_line_endings() -> None:
    text = '# /// script\r\n# dependencies = ["rich"]\r\n# ///\r\n'
    meta = parse_script_text(text, Path("a.py"))
    assert meta is not None and [str(r) for r in meta.dependencies] == ["rich"]


def test_two_script_blocks_are_an_error_naming_the_file_and_line() -> None:
    text = "# /// script\n# dependencies = []\n# ///\n\n# /// script\n# dependencies = []\n# ///\n"
    with pytest.raises(ProjectError, match=r"^two\.py:5: a second '# /// script' block .* line 1"):
        parse_script_text(text, Path("two.py"))


def test_bad_toml_names_the_script_line() -> None:
    text = 'import os\n# /// script\n# dependencies = [\n#   "rich",\n#   oops\n# ]\n# ///\n'
    with pytest.raises(ProjectError) as info:
        parse_script_text(text, Path("bad.py"))
    message = str(info.value)
    assert message.startswith("bad.py:5: [script] invalid TOML: ")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('# dependencies = ["rich>>1"]', r"^s\.py:2: \[script\] dependency 'rich>>1' is not valid"),
        ('# dependencies = "rich"', r"'dependencies' must be an array, not a string"),
        ("# dependencies = [1]", r"entries must be strings, not an integer"),
        ('# requires-python = ">>3"', r"'requires-python' '>>3' is not a valid specifier"),
        ("# requires-python = 3", r"'requires-python' must be a string"),
        ('# dependecies = ["rich"]', r"key 'dependecies' is not allowed; did you mean"),
        ("# [tool.pallet]\n# resolution = {}", r"\[tool.pallet\] key 'resolution' is not allowed"),
        ("# [tool.pallet]\n# index-url = 3", r"'index-url' must be a URL string"),
    ],
)
def test_invalid_metadata(body: str, expected: str) -> None:
    text = f"# /// script\n{body}\n# ///\n"
    with pytest.raises(ProjectError, match=expected) as info:
        parse_script_text(text, Path("s.py"))
    assert str(info.value).startswith("s.py:")


def test_tool_pallet_index_url_is_the_default_index() -> None:
    text = (
        "# /// script\n"
        '# dependencies = ["rich"]\n'
        "# [tool.pallet]\n"
        '# index-url = "http://127.0.0.1:9/simple"\n'
        "# ///\n"
    )
    meta = parse_script_text(text, Path("s.py"))
    assert meta is not None
    assert [(i.url, i.default) for i in meta.indexes] == [("http://127.0.0.1:9/simple", True)]


def test_tool_pallet_indexes_as_in_pyproject(tmp_path: Path) -> None:
    text = (
        "# /// script\n"
        '# dependencies = ["rich"]\n'
        "# [[tool.pallet.index]]\n"
        '# name = "wheels"\n'
        '# url = "wheels"\n'
        '# format = "flat"\n'
        "# default = true\n"
        "# ///\n"
    )
    meta = parse_script_text(text, tmp_path / "s.py")
    assert meta is not None
    (index,) = meta.indexes
    assert (index.name, index.format, index.url) == ("wheels", "flat", str(tmp_path / "wheels"))


def test_an_index_problem_names_the_script() -> None:
    text = '# /// script\n# [[tool.pallet.index]]\n# name = "x"\n# ///\n'
    with pytest.raises(ProjectError, match=r"^s\.py:\d+: \[script\] .*key 'url' is missing"):
        parse_script_text(text, Path("s.py"))


def test_unreadable_and_non_utf8_scripts(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"missing\.py: cannot be read"):
        read_script(tmp_path / "missing.py")
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# caf\xe9\n")
    with pytest.raises(ProjectError, match=r"latin\.py: not UTF-8"):
        read_script(latin)
