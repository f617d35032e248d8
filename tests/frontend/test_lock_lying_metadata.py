"""Metadata that names another project or version than its file is refused, wherever it comes
from: a PEP 658 file, a wheel's METADATA, an sdist's PEP 517 hook (issue 10, defect 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.dists import make_sdist, make_wheel
from support.index_server import IndexServer
from support.lock_tools import lock_pyproject, run_pallet_lock


def _disguise(real: Path, as_name: str) -> None:
    """The same bytes under another file name: the file says one thing, its metadata another."""
    real.rename(real.with_name(as_name))


@pytest.mark.parametrize(
    ("kind", "real", "disguise", "claims"),
    [
        ("pep658", ("other", "1.0"), "foo-1.0-py3-none-any.whl", "other 1.0"),
        ("wheel", ("other", "1.0"), "foo-1.0-py3-none-any.whl", "other 1.0"),
        ("wheel", ("foo", "2.0"), "foo-1.0-py3-none-any.whl", "foo 2.0"),
        ("sdist", ("other", "1.0"), "foo-1.0.tar.gz", "other 1.0"),
    ],
)
def test_lying_metadata_is_refused(
    tmp_path: Path,
    env: dict[str, str],
    kind: str,
    real: tuple[str, str],
    disguise: str,
    claims: str,
) -> None:
    dists = tmp_path / "dists"
    made = make_sdist(dists, *real) if kind == "sdist" else make_wheel(dists, *real)
    _disguise(made, disguise)
    with IndexServer(dists, metadata=kind == "pep658", ranges=False) as index:
        project = tmp_path / "project"
        project.mkdir()
        (project / "pyproject.toml").write_text(
            lock_pyproject(index.url, ["foo"], index="liar"), "utf-8"
        )
        proc = run_pallet_lock(project, env, timeout=120)
        if kind == "pep658":
            assert index.requests_for(f"/files/{disguise}.metadata")
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert disguise in lines[0] and f"names {claims}" in lines[0] and "foo 1.0" in lines[0]
    assert not (project / "pylock.toml").exists()


def test_equivalent_spelling_is_accepted(tmp_path: Path, env: dict[str, str]) -> None:
    """``Foo.Bar`` 1.0.0 inside ``foo_bar-1.0``: the same project and version (PEP 503, 440)."""
    dists = tmp_path / "dists"
    made = make_wheel(dists, "Foo.Bar", "1.0.0")
    _disguise(made, "foo_bar-1.0-py3-none-any.whl")
    with IndexServer(dists) as index:
        project = tmp_path / "project"
        project.mkdir()
        text = lock_pyproject(index.url, ["foo"], index="liar").replace('"foo"', '"foo-bar"')
        (project / "pyproject.toml").write_text(text, "utf-8")
        proc = run_pallet_lock(project, env, timeout=120)
    assert proc.returncode == 0, proc.stderr
