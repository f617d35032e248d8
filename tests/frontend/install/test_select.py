"""install.select: any valid PEP 751 file, selected for a target, mapped to what to fetch/build.

The files here are named ``lock.toml`` (not ``pylock.toml``) so that the lock matrix, which
installs every pylock.toml a test leaves, does not try their made-up URLs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.tags import sys_tags
from pallet.errors import InstallError
from pallet.install.select import Selection, load_pylock, select_packages
from pallet.install.target import Target

HASH = H = "a" * 64
B = "b" * 64
X = "https://x.invalid"
TARGET = Target(default_environment(), tuple(sys_tags()))
PY = f"cp{sys.version_info[0]}{sys.version_info[1]}"

LOCK = f"""\
lock-version = "1.0"
created-by = "hand"
extras = ["cli"]
dependency-groups = ["dev", "test"]
default-groups = ["dev"]

[[packages]]
name = "plain"
version = "1.0"
wheels = [
  {{ url = "{X}/plain-1.0-py3-none-any.whl", hashes = {{ sha256 = "{H}" }} }},
  {{ url = "{X}/plain-1.0-{PY}-{PY}-manylinux_2_17_x86_64.whl", hashes = {{ sha256 = "{B}" }} }},
]

[[packages]]
name = "only-sdist"
version = "2.0"
sdist = {{ path = "dists/only_sdist-2.0.tar.gz", hashes = {{ sha256 = "{H}" }} }}

[[packages]]
name = "clicky"
version = "1.0"
marker = "'cli' in extras"
wheels = [{{ url = "{X}/clicky-1.0-py3-none-any.whl", hashes = {{ sha256 = "{H}" }} }}]

[[packages]]
name = "linty"
version = "1.0"
marker = "'dev' in dependency_groups"
wheels = [{{ url = "{X}/linty-1.0-py3-none-any.whl", hashes = {{ sha256 = "{H}" }} }}]

[[packages]]
name = "testy"
version = "1.0"
marker = "'test' in dependency_groups"
wheels = [{{ url = "{X}/testy-1.0-py3-none-any.whl", hashes = {{ sha256 = "{H}" }} }}]

[[packages]]
name = "local"
directory = {{ path = "../src/local", editable = true }}

[[packages]]
name = "remote"
vcs = {{ type = "git", url = "https://x.invalid/r.git", commit-id = "{"c" * 40}" }}
"""


@pytest.fixture
def lock_path(tmp_path: Path) -> Path:
    folder = tmp_path / "locks"
    folder.mkdir()
    path = folder / "lock.toml"
    path.write_text(LOCK, encoding="utf-8")
    return path


def names(lock_path: Path, selection: Selection) -> list[str]:
    return [w.name for w in select_packages(load_pylock(lock_path), lock_path, TARGET, selection)]


def test_default_selection_and_sources(lock_path: Path) -> None:
    chosen = {
        w.name: w for w in select_packages(load_pylock(lock_path), lock_path, TARGET, Selection())
    }
    assert sorted(chosen) == ["linty", "local", "only-sdist", "plain", "remote"]
    plain = chosen["plain"].file
    assert plain is not None
    # the best wheel by this interpreter's tags (packaging.tags order), when on manylinux x86_64
    best = next(
        t for t in sys_tags() if str(t) in (f"{PY}-{PY}-manylinux_2_17_x86_64", "py3-none-any")
    )
    assert plain.filename == f"plain-1.0-{best}.whl"
    sdist = chosen["only-sdist"]
    assert sdist.kind == "sdist" and sdist.file is not None
    assert sdist.file.path == lock_path.parent / "dists" / "only_sdist-2.0.tar.gz"
    assert sdist.direct_url is None  # an index file: no PEP 610 record
    local = chosen["local"]
    assert local.kind == "directory" and local.editable
    assert local.directory == (lock_path.parent.parent / "src" / "local").resolve()
    assert local.direct_url == {"url": local.directory.as_uri(), "dir_info": {"editable": True}}
    remote = chosen["remote"]
    assert remote.direct_url == {
        "url": "https://x.invalid/r.git",
        "vcs_info": {"vcs": "git", "commit_id": "c" * 40},
    }


@pytest.mark.parametrize(
    ("selection", "extra", "absent"),
    [
        (Selection(extras=frozenset({"CLI"})), {"clicky", "linty"}, {"testy"}),
        (Selection(all_extras=True), {"clicky"}, set()),
        (Selection(add_groups=frozenset({"test"})), {"linty", "testy"}, set()),
        (Selection(no_groups=frozenset({"dev"})), set(), {"linty"}),
        (Selection(groups=frozenset({"test"})), {"testy"}, {"linty"}),
        (Selection(no_groups=frozenset({"nope"})), {"linty"}, set()),
    ],
)
def test_extras_and_groups(
    lock_path: Path, selection: Selection, extra: set[str], absent: set[str]
) -> None:
    chosen = set(names(lock_path, selection))
    assert extra <= chosen
    assert not absent & chosen


def test_unknown_extra_or_group_names_what_the_lock_has(lock_path: Path) -> None:
    with pytest.raises(InstallError, match=r"no extra 'gui' \(it has: cli\)"):
        names(lock_path, Selection(extras=frozenset({"gui"})))
    with pytest.raises(InstallError, match=r"no dependency group 'docs' \(it has: dev, test\)"):
        names(lock_path, Selection(add_groups=frozenset({"docs"})))


def test_a_file_without_sha256_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lock.toml"
    path.write_text(
        'lock-version = "1.0"\ncreated-by = "hand"\n[[packages]]\nname = "plain"\n'
        'version = "1.0"\nwheels = [{ url = "https://x.invalid/plain-1.0-py3-none-any.whl", '
        'hashes = { md5 = "0" } }]\n',
        encoding="utf-8",
    )
    with pytest.raises(
        InstallError, match=r"'plain': file plain-1.0-py3-none-any.whl has no sha256"
    ):
        names(path, Selection())


def test_invalid_lock_is_one_line_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "lock.toml"
    path.write_text('lock-version = "1.0"\n[[packages]]\nname = 3\n', encoding="utf-8")
    with pytest.raises(InstallError, match=r"lock.toml: not a valid PEP 751 lock"):
        load_pylock(path)
    path.write_text("lock-version = ", encoding="utf-8")
    with pytest.raises(InstallError, match=r"lock.toml: invalid TOML"):
        load_pylock(path)
