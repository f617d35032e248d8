"""pallet.lock.pylock: the deterministic PEP 751 writer and the reader."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from pallet.errors import LockError
from pallet.lock.model import Lock
from pallet.lock.pylock import dumps_lock, loads_lock, read_lock, write_lock
from pallet.lock.validate import validate_lock

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

SMALL_BODY = """\
lock-version = "1.0"
requires-python = ">=3.9"
extras = []
dependency-groups = []
default-groups = []
created-by = "pallet"

[[packages]]
name = "anyio"
version = "4.4.0"
requires-python = ">=3.8"
dependencies = [
    { name = "idna" },
    { name = "sniffio" },
]
index = "https://pypi.example.invalid/simple"

[packages.sdist]
name = "anyio-4.4.0.tar.gz"
url = "https://files.example.invalid/anyio-4.4.0.tar.gz"
size = 160000
hashes = { sha256 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" }

[[packages.wheels]]
name = "anyio-4.4.0-py3-none-any.whl"
upload-time = 2024-05-26T22:09:40.123Z
url = "https://files.example.invalid/anyio-4.4.0-py3-none-any.whl"
size = 86000
hashes = { sha256 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }

[[packages]]
name = "colorama"
version = "0.4.6"
marker = 'sys_platform == "win32" and "cli" in extras'
index = "https://pypi.example.invalid/simple"

[[packages.wheels]]
name = "colorama-0.4.6-py2.py3-none-any.whl"
url = "https://files.example.invalid/colorama-0.4.6-py2.py3-none-any.whl"
hashes = { sha256 = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc" }

"""
SMALL_TAIL = """\
[tool.pallet]
fingerprint = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
"""
# the last line is the sha256 of everything above it (lock.stamp: the proof of an intact lock)
SMALL_EXPECTED = (
    SMALL_BODY
    + SMALL_TAIL
    + 'content = "sha256:'
    + hashlib.sha256((SMALL_BODY + SMALL_TAIL).encode("utf-8")).hexdigest()
    + '"\n'
)


def _small(lock: Lock) -> Lock:
    return dataclasses.replace(
        lock,
        environments=(),
        extras=(),
        dependency_groups=(),
        default_groups=(),
        packages=lock.packages[:2],
        input_digests=(),
    )


def test_exact_text(sample_lock: Lock) -> None:
    assert dumps_lock(_small(sample_lock)) == SMALL_EXPECTED


def test_writer_is_byte_stable_and_order_independent(sample_lock: Lock) -> None:
    shuffled = dataclasses.replace(
        sample_lock,
        packages=tuple(reversed(sample_lock.packages)),
        extras=tuple(reversed(sample_lock.extras)),
        dependency_groups=tuple(reversed(sample_lock.dependency_groups)),
    )
    assert dumps_lock(sample_lock) == dumps_lock(shuffled) == dumps_lock(sample_lock)


def test_written_lock_is_valid_pep751(sample_lock: Lock) -> None:
    data = tomllib.loads(dumps_lock(sample_lock))
    assert validate_lock(data) == []
    # the key order of the specification
    assert list(data) == [
        "lock-version",
        "environments",
        "requires-python",
        "extras",
        "dependency-groups",
        "default-groups",
        "created-by",
        "packages",
        "tool",
    ]
    assert list(data["packages"][0]) == [
        "name",
        "version",
        "requires-python",
        "dependencies",
        "index",
        "sdist",
        "wheels",
    ]
    assert data["tool"]["pallet"]["inputs"] == {
        "requires-python": "1234567890abcdef",
        "format": "fedcba0987654321",
    }


def test_round_trip(sample_lock: Lock) -> None:
    text = dumps_lock(sample_lock)
    again = loads_lock(text)
    assert again == sample_lock
    assert dumps_lock(again) == text


def test_packaging_pylock_selects_from_it(sample_lock: Lock) -> None:
    pylock = pytest.importorskip("packaging.pylock")
    from packaging.tags import Tag

    lock = pylock.Pylock.from_dict(tomllib.loads(dumps_lock(sample_lock)))
    env = {
        "sys_platform": "linux",
        "python_full_version": "3.11.4",
        "python_version": "3.11",
        "platform_machine": "x86_64",
    }
    tags = [Tag("cp311", "cp311", "manylinux_2_17_x86_64"), Tag("py3", "none", "any")]
    selected = {
        str(p.name): (str(p.version), f.filename)
        for p, f in lock.select(environment=env, tags=tags)
    }
    assert selected == {
        "anyio": ("4.4.0", "anyio-4.4.0-py3-none-any.whl"),
        "idna": ("3.7", "idna-3.7-py3-none-any.whl"),
        "numpy": ("2.0.0", "numpy-2.0.0-cp311-cp311-manylinux_2_17_x86_64.whl"),
        "pytest": ("8.2.0", "pytest-8.2.0-py3-none-any.whl"),  # "dev" is a default group
        "sniffio": ("1.3.1", "sniffio-1.3.1-py3-none-any.whl"),
    }


def test_strings_are_escaped() -> None:
    from pallet.lock import _toml

    assert _toml.string('a "b"') == "'a \"b\"'"
    assert _toml.string('it\'s "x"') == '"it\'s \\"x\\""'
    assert _toml.string("tab\there\nnl\\") == '"tab\\there\\nnl\\\\"'
    assert _toml.string("\x01\x7f") == '"\\u0001\\u007F"'
    assert _toml.key("sha256") == "sha256"
    assert _toml.key("a.b") == '"a.b"'
    for text in ['a "b"', 'it\'s "x"', "tab\there\nnl\\", "\x01\x7f", "ünï"]:
        assert tomllib.loads(f"v = {_toml.string(text)}")["v"] == text


def test_upload_time_formats() -> None:
    from pallet.lock import _toml

    for given, written in [
        ("2024-05-26T22:09:40Z", "2024-05-26T22:09:40Z"),
        ("2024-05-26T22:09:40.000000Z", "2024-05-26T22:09:40Z"),
        ("2024-05-26T22:09:40.5+00:00", "2024-05-26T22:09:40.5Z"),
        ("2024-05-27T00:09:40+02:00", "2024-05-26T22:09:40Z"),
    ]:
        moment = _toml.parse_datetime(given)
        assert moment is not None
        assert _toml.format_datetime(moment) == written
    assert _toml.parse_datetime("yesterday") is None


def test_environments_and_markers_survive(sample_lock: Lock) -> None:
    again = loads_lock(dumps_lock(sample_lock))
    assert again.environments == (
        Marker("sys_platform == 'linux'"),
        Marker("sys_platform == 'win32'"),
    )
    assert again.requires_python == SpecifierSet(">=3.9")


def test_atomic_write(tmp_path: Path, sample_lock: Lock) -> None:
    path = tmp_path / "pylock.toml"
    assert write_lock(sample_lock, path) is True
    first = path.read_bytes()
    stat = path.stat()
    assert write_lock(sample_lock, path) is False  # same bytes: not rewritten
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert path.read_bytes() == first
    assert os.listdir(tmp_path) == ["pylock.toml"]  # no temp file left behind
    assert read_lock(path) == sample_lock


@pytest.mark.hand_edited_lock("pylock.toml", reason="the old file a failed write must leave")
def test_write_failure_leaves_old_file(
    tmp_path: Path, sample_lock: Lock, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "pylock.toml"
    path.write_text("old", encoding="utf-8")

    def boom(self: Path, target: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_lock(sample_lock, path)
    assert path.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["pylock.toml"]


@pytest.mark.hand_edited_lock("pylock.toml", reason="invalid TOML on purpose")
def test_reader_errors_name_file_and_path(tmp_path: Path, sample_lock: Lock) -> None:
    path = tmp_path / "pylock.toml"
    path.write_text("lock-version = \n", encoding="utf-8")
    with pytest.raises(LockError, match=r"^pylock.toml: invalid TOML"):
        read_lock(path)
    text = dumps_lock(sample_lock).replace('name = "idna"\n', 'name = "IDNA"\n')
    with pytest.raises(LockError) as info:
        loads_lock(text)
    assert str(info.value).splitlines() == [
        "pylock.toml: packages[0].dependencies[0].name: no package named 'idna' in the lock",
        "pylock.toml: packages[2].name: 'IDNA' is not normalized; write 'idna'",
    ]


def test_credentials_never_written(sample_lock: Lock) -> None:
    first = sample_lock.packages[0]
    wheel = dataclasses.replace(first.wheels[0], url="https://user:s3cret@files.invalid/a.whl")
    package = dataclasses.replace(
        first, index="https://user:s3cret@pypi.invalid/simple", wheels=(wheel,)
    )
    text = dumps_lock(dataclasses.replace(sample_lock, packages=(package,)))
    assert "s3cret" not in text and "user" not in text
    assert 'index = "https://pypi.invalid/simple"' in text
    assert 'url = "https://files.invalid/a.whl"' in text


DIRECT_TEXT = """\
[[packages]]
name = "arch"
version = "1.0"
dependencies = [
    { name = "lib" },
]

[packages.archive]
url = "https://files.example.invalid/arch-1.0-py3-none-any.whl"
size = 1234
hashes = { sha256 = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" }

[[packages]]
name = "gitpkg"
version = "2.0"
marker = 'sys_platform == "linux"'

[packages.vcs]
type = "git"
url = "https://example.invalid/repo.git"
requested-revision = "v2.0"
commit-id = "0123456789abcdef0123456789abcdef01234567"
subdirectory = "sub"

[[packages]]
name = "lib"

[packages.directory]
path = "../lib"
editable = true

[packages.tool.pallet]
version = "0.3"
"""


def test_direct_entries_text_and_round_trip(sample_lock: Lock) -> None:
    from packaging.utils import NormalizedName
    from packaging.version import Version
    from pallet.index.models import DirectOrigin
    from pallet.lock.model import Dependency, LockedPackage

    def package(name: str, version: str, origin: DirectOrigin, **kw: object) -> LockedPackage:
        return LockedPackage(
            NormalizedName(name),
            Version(version),
            kw.pop("marker", None),  # type: ignore[arg-type]
            None,
            "",
            (),
            None,
            direct=origin,
            **kw,  # type: ignore[arg-type]
        )

    lock = dataclasses.replace(
        _small(sample_lock),
        packages=(
            package(
                "arch",
                "1.0",
                DirectOrigin(
                    "archive",
                    url="https://user:pw@files.example.invalid/arch-1.0-py3-none-any.whl",
                    size=1234,
                    hashes={"sha256": "d" * 64},
                ),
                dependencies=(Dependency(NormalizedName("lib")),),
            ),
            package(
                "gitpkg",
                "2.0",
                DirectOrigin(
                    "vcs",
                    url="https://example.invalid/repo.git",
                    requested_revision="v2.0",
                    commit_id="0123456789abcdef" * 2 + "01234567",
                    subdirectory="sub",
                ),
                marker=Marker("sys_platform == 'linux'"),
            ),
            package("lib", "0.3", DirectOrigin("directory", path="../lib", editable=True)),
        ),
    )
    text = dumps_lock(lock)
    assert DIRECT_TEXT in text  # spec key order; no version for a source tree; no credentials
    data = tomllib.loads(text)
    assert validate_lock(data) == []
    pylock = pytest.importorskip("packaging.pylock")
    parsed = pylock.Pylock.from_dict(data)
    assert [p.directory.path for p in parsed.packages if p.directory] == ["../lib"]
    again = loads_lock(text)
    assert [p.direct for p in again.packages] == [
        dataclasses.replace(
            lock.packages[0].direct,  # type: ignore[arg-type]
            url="https://files.example.invalid/arch-1.0-py3-none-any.whl",
        ),
        lock.packages[1].direct,
        lock.packages[2].direct,
    ]
    assert [str(p.version) for p in again.packages] == ["1.0", "2.0", "0.3"]
    assert dumps_lock(again) == text


@pytest.mark.parametrize(
    ("url", "written"),
    [
        ("ssh://git@example.invalid/r.git", "ssh://git@example.invalid/r.git"),
        ("ssh://me:pw@example.invalid/r.git", "ssh://example.invalid/r.git"),
        ("https://token@example.invalid/r.git", "https://example.invalid/r.git"),
    ],
)
def test_vcs_url_keeps_only_a_public_user_name(sample_lock: Lock, url: str, written: str) -> None:
    from packaging.utils import NormalizedName
    from packaging.version import Version
    from pallet.index.models import DirectOrigin
    from pallet.lock.model import LockedPackage

    origin = DirectOrigin("vcs", url=url, commit_id="f" * 40)
    package = LockedPackage(NormalizedName("r"), Version("1"), None, None, "", (), None)
    lock = dataclasses.replace(
        _small(sample_lock), packages=(dataclasses.replace(package, direct=origin),)
    )
    assert tomllib.loads(dumps_lock(lock))["packages"][0]["vcs"]["url"] == written
