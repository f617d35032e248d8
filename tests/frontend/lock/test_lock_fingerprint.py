"""pallet.lock.fingerprint: stable under formatting and unrelated keys, sensitive to inputs."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from pallet.errors import LockError
from pallet.lock.fingerprint import (
    SECTION_LABELS,
    compute_fingerprint,
    input_digests,
    raw_input_digest,
    stale_sections,
)
from pallet.lock.model import Lock
from pallet.lock.pylock import dumps_lock
from pallet.lock.stamp import (
    LOCK_FORMAT,
    is_current_unparsed,
    pyproject_digest,
    read_stored_fingerprint,
)
from pallet.project.pyproject import read_project

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

BASE = """\
[project]
name = "demo"
version = "1.0"
description = "a demo"
requires-python = ">=3.9"
dependencies = ["requests>=2.0", "idna; sys_platform == 'win32'"]

[project.optional-dependencies]
cli = ["click"]

[dependency-groups]
test = ["pytest"]
dev = [{include-group = "test"}, "ruff"]

[[tool.pallet.index]]
name = "cpu"
url = "https://download.pytorch.org/whl/cpu"
explicit = true

[tool.pallet.sources]
torch = "cpu"
"""

# Same lock inputs, written differently or with unrelated keys changed.
SAME = {
    "reformatted": BASE.replace(
        'dependencies = ["requests>=2.0", ', 'dependencies = [\n  "requests >= 2.0" ,\n  '
    ).replace("[dependency-groups]", "# groups\n[dependency-groups]"),
    "reordered-requirements": BASE.replace(
        '"requests>=2.0", "idna; sys_platform == \'win32\'"',
        '"idna; sys_platform == \'win32\'", "Requests>=2.0"',
    ),
    "unrelated-keys": BASE.replace(
        'description = "a demo"', 'description = "another"\nkeywords = ["x"]'
    ).replace('version = "1.0"', 'version = "2.0"')
    + '\n[tool.ruff]\nline-length = 88\n\n[tool.pallet.build]\nsource = "src"\n',
    "specifier-order": BASE.replace('"requests>=2.0"', '"requests>=2.0,<3"').replace(
        'requires-python = ">=3.9"', 'requires-python = ">=3.9"'
    ),
    "extra-name-spelling": BASE.replace(
        "[project.optional-dependencies]\ncli", "[project.optional-dependencies]\nCLI"
    ),
}

# One input changed: (text, the section label --check names)
CHANGED = {
    "requires-python": (BASE.replace('">=3.9"', '">=3.10"'), "[project] requires-python"),
    "dependency-added": (
        BASE.replace('"requests>=2.0", ', '"requests>=2.0", "rich", '),
        "[project] name or dependencies",
    ),
    "specifier": (BASE.replace("requests>=2.0", "requests>=2.1"), "[project] name or dependencies"),
    "marker": (BASE.replace("'win32'", "'linux'"), "[project] name or dependencies"),
    "project-name": (
        BASE.replace('name = "demo"', 'name = "demo2"'),
        "[project] name or dependencies",
    ),
    "extra": (
        BASE.replace('cli = ["click"]', 'cli = ["click>=8"]'),
        "[project.optional-dependencies]",
    ),
    "group": (
        BASE.replace('test = ["pytest"]', 'test = ["pytest", "hypothesis"]'),
        "[dependency-groups] (or [tool.pallet] default-groups)",
    ),
    "default-groups": (
        BASE + '\n[tool.pallet]\ndefault-groups = ["test"]\n',
        "[dependency-groups] (or [tool.pallet] default-groups)",
    ),
    "index-url": (
        BASE.replace("whl/cpu", "whl/cu126"),
        "[[tool.pallet.index]] or [tool.pallet.sources]",
    ),
    "sources": (
        BASE.replace('torch = "cpu"', 'torch = "cpu"\ntorchvision = "cpu"'),
        "[[tool.pallet.index]] or [tool.pallet.sources]",
    ),
    "prerelease": (
        BASE + '\n[tool.pallet.resolution]\nprerelease = "allow"\n',
        "[tool.pallet.resolution]",
    ),
    "environments": (
        BASE + "\n[tool.pallet.resolution]\nenvironments = [\"sys_platform == 'linux'\"]\n",
        "[tool.pallet.resolution]",
    ),
}


def _fingerprint(tmp_path: Path, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    spec = read_project(tmp_path)
    return compute_fingerprint(spec), input_digests(spec)


def test_fingerprint_shape(tmp_path: Path) -> None:
    fingerprint, digests = _fingerprint(tmp_path, BASE)
    assert fingerprint.startswith("sha256:") and len(fingerprint) == 7 + 64
    # "variants" only for a project with [tool.pallet.variants], "workspace" only for a workspace
    optional = ("variants", "workspace")
    assert [name for name, _ in digests] == [n for n in SECTION_LABELS if n not in optional]
    assert _fingerprint(tmp_path, BASE) == (fingerprint, digests)


@pytest.mark.parametrize("case", sorted(SAME))
def test_fingerprint_stable(case: str, tmp_path: Path) -> None:
    base = _fingerprint(tmp_path, BASE)
    if case == "specifier-order":
        # "<3,>=2.0" and ">=2.0,<3" are one specifier set
        base = _fingerprint(tmp_path, BASE.replace('"requests>=2.0"', '"requests<3,>=2.0"'))
    assert _fingerprint(tmp_path, SAME[case]) == base


@pytest.mark.parametrize("case", sorted(CHANGED))
def test_fingerprint_sensitive(case: str, tmp_path: Path) -> None:
    base_fp, base_digests = _fingerprint(tmp_path, BASE)
    text, label = CHANGED[case]
    fingerprint, digests = _fingerprint(tmp_path, text)
    assert fingerprint != base_fp
    assert stale_sections(dict(base_digests), digests) == [label]


def test_read_stored_fingerprint(tmp_path: Path, sample_lock: Lock) -> None:
    path = tmp_path / "pylock.toml"
    assert read_stored_fingerprint(path) is None
    path.write_text(dumps_lock(sample_lock), encoding="utf-8")
    stored = read_stored_fingerprint(path)
    assert stored is not None
    assert stored.fingerprint == sample_lock.fingerprint
    assert dict(stored.input_digests) == dict(sample_lock.input_digests)


@pytest.mark.hand_edited_lock("pylock.toml", reason="merge-conflicted on purpose")
def test_read_stored_fingerprint_of_foreign_or_broken_lock(tmp_path: Path) -> None:
    path = tmp_path / "pylock.toml"
    path.write_text('lock-version = "1.0"\ncreated-by = "x"\npackages = []\n', encoding="utf-8")
    with pytest.raises(LockError, match="fingerprint is missing"):
        read_stored_fingerprint(path)
    path.write_text("<<<<<<< HEAD\n", encoding="utf-8")
    with pytest.raises(LockError, match=r"^pylock\.toml: invalid TOML"):
        read_stored_fingerprint(path)


def _raw(text: str) -> str:
    return raw_input_digest(tomllib.loads(text))


def test_raw_digest_ignores_formatting_and_unrelated_keys() -> None:
    base = _raw(BASE)
    assert _raw(SAME["reformatted"].replace('"requests >= 2.0" ,', '"requests>=2.0",')) == base
    assert _raw(SAME["unrelated-keys"]) == base  # description, version, [tool.ruff], build
    assert _raw(BASE + '\n[tool.pallet.version]\nsource = "git"\n') == base
    # pallet run's tasks and env files decide nothing in the lock (docs/tasks.md)
    assert _raw(BASE + '\n[tool.pallet.scripts]\ntest = "pytest"\n') == base
    assert _raw(BASE + '\n[tool.pallet]\nenv-file = [".env"]\n') == base


def test_raw_digest_sees_every_spelling_of_an_input() -> None:
    base = _raw(BASE)
    # the normalized fingerprint calls these equal; the raw digest does not (full path decides)
    for case in ("reordered-requirements", "extra-name-spelling", "specifier-order"):
        if SAME[case] != BASE:
            assert _raw(SAME[case]) != base, case
    for case, (text, _) in CHANGED.items():
        assert _raw(text) != base, case
    assert _raw(BASE.replace('"requests>=2.0"', '"requests>=2.0"\n, "x"')) != base


def test_raw_digest_counts_classifiers_only_without_requires_python() -> None:
    classified = BASE.replace(
        'description = "a demo"', 'description = "a demo"\nclassifiers = ["Topic :: Utilities"]'
    )
    assert _raw(classified) == _raw(BASE)
    unbounded = BASE.replace('requires-python = ">=3.9"\n', "")
    assert _raw(classified.replace('requires-python = ">=3.9"\n', "")) != _raw(unbounded)


def test_content_digest_covers_everything_above_it(tmp_path: Path, sample_lock: Lock) -> None:
    path = tmp_path / "pylock.toml"
    text = dumps_lock(sample_lock)
    path.write_text(text, encoding="utf-8")
    stored = read_stored_fingerprint(path)
    assert stored is not None and stored.content_intact
    covered, last = text[: text.rindex("content = ")], text[text.rindex("content = ") :]
    assert last == f'content = "sha256:{hashlib.sha256(covered.encode()).hexdigest()}"\n'
    for edited in (
        text.replace('version = "3.7"', 'version = "3.8"'),
        text.replace('"cli"', '"cli2"', 1),
        text.replace("\n[[packages]]", "\n\n[[packages]]", 1),
        text.replace("\nfingerprint", "\n# x\nfingerprint"),  # the tail is covered too
        text + "\n",
        text.replace(last, last.replace("content", "content ")),
    ):
        path.write_text(edited, encoding="utf-8")
        stored = read_stored_fingerprint(path)
        assert stored is not None and not stored.content_intact


def test_unparsed_check_needs_the_same_pyproject_bytes(sample_lock: Lock) -> None:
    import dataclasses

    pyproject = BASE.encode()
    lock = dataclasses.replace(sample_lock, pyproject_digest=pyproject_digest(pyproject))
    text = dumps_lock(lock)
    assert is_current_unparsed(text, pyproject)
    assert not is_current_unparsed(text, pyproject + b"\n")  # any byte: parse to be sure
    assert not is_current_unparsed(text.replace("3.7", "3.8"), pyproject)
    assert not is_current_unparsed(dumps_lock(sample_lock), pyproject)  # no pyproject digest
    assert (
        pyproject_digest(pyproject)
        == "sha256:"
        + hashlib.sha256(b"pallet lock format %d\n" % LOCK_FORMAT + pyproject).hexdigest()
    )


def test_read_stored_fingerprint_of_a_folder(tmp_path: Path) -> None:
    (tmp_path / "pylock.toml").mkdir()
    with pytest.raises(LockError, match=r"pylock\.toml: is a folder, not a lock file"):
        read_stored_fingerprint(tmp_path / "pylock.toml")
