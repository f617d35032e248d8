"""An index that lists files without hashes (PEP 503 makes ``#sha256=`` optional): every file
the lock keeps still gets its sha256, fetched once and cached by URL (issue 10, defect 3)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import pytest
from support.dists import make_sdist, make_wheel
from support.index_server import IndexServer
from support.lock_tools import lock_pyproject, run_pallet_lock

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@pytest.mark.parametrize(
    ("page", "format"), [("html", "simple"), ("json", "simple"), ("html", "flat")]
)
def test_files_listed_without_hashes_are_hashed_once(
    tmp_path: Path, env: dict[str, str], page: str, format: str
) -> None:
    dists = tmp_path / "dists"
    make_wheel(dists, "foo", "1.0", requires_dist=["bar"])
    make_wheel(dists, "bar", "1.0")
    make_sdist(dists, "baz", "1.0")
    with IndexServer(dists, format=page, hashes=False) as index:  # type: ignore[arg-type]
        url = index.url if format == "simple" else index.files_url
        project = tmp_path / "project"
        project.mkdir()
        (project / "pyproject.toml").write_text(
            lock_pyproject(
                url, ["foo", "baz"], index="nohash", index_keys=f'format = "{format}"\n'
            ),
            encoding="utf-8",
        )
        assert "sha256" not in index.flat_page().decode()  # the index gives no hash at all
        proc = run_pallet_lock(project, env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        lock: dict[str, Any] = tomllib.loads((project / "pylock.toml").read_text("utf-8"))
        files = [
            f for p in lock["packages"] for f in (*p.get("wheels", []), *[p.get("sdist")]) if f
        ]
        assert {f["name"] for f in files} == {
            "foo-1.0-py3-none-any.whl",
            "bar-1.0-py3-none-any.whl",
            "baz-1.0.tar.gz",
        }
        for file in files:
            actual = hashlib.sha256((dists / file["name"]).read_bytes()).hexdigest()
            assert file["hashes"] == {"sha256": actual}

        def whole_downloads() -> dict[str, int]:
            counts: dict[str, int] = {}
            for request in index.requests_for("/files/"):
                name = request.path.rpartition("/")[2]
                if name and not name.endswith(".metadata") and request.range is None:
                    counts[name] = counts.get(name, 0) + 1
            return counts

        assert all(n == 1 for n in whole_downloads().values()), whole_downloads()
        index.clear()
        (project / "pylock.toml").unlink()
        proc = run_pallet_lock(project, env, timeout=120)  # same cache: no file fetched again
        assert proc.returncode == 0, proc.stderr
        assert whole_downloads() == {}
