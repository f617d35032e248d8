"""pallet.lock.validate: every PEP 751 rule, each broken lock with its dotted-path problem."""

from __future__ import annotations

import copy
import datetime
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pallet.lock.model import Lock
from pallet.lock.pylock import dumps_lock
from pallet.lock.validate import validate_lock

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


GOOD_FOREIGN = {
    # a lock another tool could write: direct sources, path files, no pallet table
    "lock-version": "1.0",
    "created-by": "mousebender",
    "packages": [
        {
            "name": "attrs",
            "version": "23.2.0",
            "wheels": [
                {"path": "wheels/attrs-23.2.0-py3-none-any.whl", "hashes": {"sha256": "ab"}}
            ],
        },
        {"name": "mylib", "directory": {"path": "./mylib", "editable": True}},
        {
            "name": "tool",
            "vcs": {"type": "git", "url": "https://x.invalid/tool.git", "commit-id": "deadbeef"},
        },
        {
            "name": "blob",
            "archive": {"url": "https://x.invalid/blob.zip", "hashes": {"sha256": "cd"}},
        },
    ],
}


@pytest.fixture
def base(sample_lock: Lock) -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads(dumps_lock(sample_lock))
    return data


def _duplicate(data: dict[str, Any]) -> None:
    data["packages"].append(copy.deepcopy(data["packages"][2]))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[last]
        elif last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return change


_DELETE = object()

BROKEN: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "no-lock-version": (_set("lock-version", _DELETE), "lock-version: required key is missing"),
    "lock-version-2": (_set("lock-version", "2.0"), "lock-version: '2.0' is not supported"),
    "lock-version-type": (_set("lock-version", 1.0), "lock-version: must be a string, not a float"),
    "no-created-by": (_set("created-by", _DELETE), "created-by: required key is missing"),
    "no-packages": (_set("packages", _DELETE), "packages: required key is missing"),
    "unknown-top-key": (_set("lockfile", 1), "lockfile: unknown key"),
    "bad-environment": (
        _set("environments/1", "sys_platform = 'win32'"),
        "environments[1]: invalid marker",
    ),
    "bad-requires-python": (
        _set("requires-python", "=>3.9"),
        "requires-python: invalid version specifier '=>3.9'",
    ),
    "extra-not-normalized": (_set("extras/0", "CLI"), "extras[0]: 'CLI' is not a normalized name"),
    "group-not-string": (_set("dependency-groups/0", 1), "dependency-groups[0]: must be a string"),
    "name-not-normalized": (
        _set("packages/1/name", "Colorama"),
        "packages[1].name: 'Colorama' is not normalized; write 'colorama'",
    ),
    "no-name": (_set("packages/1/name", _DELETE), "packages[1].name: required key is missing"),
    "bad-version": (
        _set("packages/2/version", "three"),
        "packages[2].version: 'three' is not a valid version (PEP 440)",
    ),
    "bad-marker": (
        _set("packages/1/marker", "sys_platform === "),
        "packages[1].marker: invalid marker",
    ),
    "bad-package-requires-python": (
        _set("packages/0/requires-python", "3.8"),
        "packages[0].requires-python: invalid version specifier '3.8'",
    ),
    "no-hashes": (
        _set("packages/2/wheels/0/hashes", {}),
        "packages[2].wheels[0].hashes: at least one hash is required",
    ),
    "hashes-missing": (
        _set("packages/0/sdist/hashes", _DELETE),
        "packages[0].sdist.hashes: required key is missing",
    ),
    "hash-not-string": (
        _set("packages/2/wheels/0/hashes", {"sha256": 5}),
        "packages[2].wheels[0].hashes.sha256: must be a non-empty string",
    ),
    "wheel-no-location": (
        _set("packages/2/wheels/0/url", _DELETE),
        "packages[2].wheels[0]: needs url or path",
    ),
    "wheel-bad-filename": (
        _set("packages/2/wheels/0/name", "idna.whl"),
        "packages[2].wheels[0].name: 'idna.whl' is not a valid wheel file name",
    ),
    "wheel-other-package": (
        _set("packages/2/wheels/0/name", "six-3.7-py3-none-any.whl"),
        "packages[2].wheels[0]: file 'six-3.7-py3-none-any.whl' is not of package 'idna'",
    ),
    "wheel-other-version": (
        _set("packages/2/wheels/0/name", "idna-3.6-py3-none-any.whl"),
        "packages[2].wheels[0]: file 'idna-3.6-py3-none-any.whl' is not of version '3.7'",
    ),
    "sdist-bad-filename": (
        _set("packages/0/sdist/name", "anyio.zip"),
        "packages[0].sdist.name: 'anyio.zip' is not a valid sdist file name",
    ),
    "upload-time-string": (
        _set("packages/0/wheels/0/upload-time", "2024-05-26T22:09:40Z"),
        "packages[0].wheels[0].upload-time: must be a datetime, not a string",
    ),
    "size-negative": (
        _set("packages/2/wheels/0/size", -1),
        "packages[2].wheels[0].size: -1 is negative",
    ),
    "size-bool": (
        _set("packages/2/wheels/0/size", True),
        "packages[2].wheels[0].size: must be an integer, not a boolean",
    ),
    "wheels-and-vcs": (
        _set("packages/2/vcs", {"type": "git", "url": "u", "commit-id": "c"}),
        "packages[2]: has wheels and vcs; a package has wheels/sdist or one of",
    ),
    "no-source": (
        _set("packages/2/wheels", _DELETE),
        "packages[2]: has no source: needs wheels, sdist, vcs, directory or archive",
    ),
    "dependency-unknown": (
        _set("packages/0/dependencies/1/name", "sniffy"),
        "packages[0].dependencies[1].name: no package named 'sniffy' in the lock",
    ),
    "unknown-package-key": (_set("packages/2/hash", "x"), "packages[2].hash: unknown key"),
    "wheel-unknown-key": (
        _set("packages/2/wheels/0/sha256", "x"),
        "packages[2].wheels[0].sha256: unknown key",
    ),
    "wheels-not-array": (
        _set("packages/2/wheels", {"name": "x"}),
        "packages[2].wheels: must be an array, not a table",
    ),
    "duplicate-entry": (_duplicate, "packages[7]: same name, version and marker as packages[2]"),
}


def test_pallet_lock_is_valid(base: dict[str, Any]) -> None:
    assert validate_lock(base) == []


def test_foreign_lock_with_direct_sources_is_valid() -> None:
    assert validate_lock(GOOD_FOREIGN) == []


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_lock(case: str, base: dict[str, Any]) -> None:
    change, expected = BROKEN[case]
    data = copy.deepcopy(base)
    change(data)
    problems = validate_lock(data)
    assert any(p.startswith(expected) for p in problems), problems


def test_all_problems_are_reported(base: dict[str, Any]) -> None:
    data = base
    data["packages"][0]["name"] = "AnyIO"
    data["packages"][2]["wheels"][0]["hashes"] = {}
    data["created-by"] = 3
    problems = validate_lock(data)
    assert len(problems) >= 3


def test_local_datetime_upload_time_is_valid(base: dict[str, Any]) -> None:
    data = base
    data["packages"][2]["wheels"][0]["upload-time"] = datetime.datetime(2024, 1, 1)
    assert validate_lock(data) == []


@pytest.mark.hand_edited_lock("pylock.toml", reason="invalid TOML on purpose")
def test_validate_file(tmp_path: Path, sample_lock: Lock) -> None:
    lock = sample_lock
    path = tmp_path / "pylock.toml"
    path.write_text(dumps_lock(lock), encoding="utf-8")
    assert validate_lock(path) == []
    path.write_text("packages = [\n", encoding="utf-8")
    [problem] = validate_lock(path)
    assert problem.startswith("pylock.toml: invalid TOML")
