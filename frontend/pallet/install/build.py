"""Wheels for sdist-only packages: built once through the PEP 517 frontend, kept in built-v1.

The build runs in an isolated environment (`pallet.pep517.Pep517Builder.wheel_from_sdist`; the
sdist is unpacked with tarfile's ``data`` filter, `pallet.pep517.sdists`), whose build
requirements the given `RequirementInstaller` installs. The wheel is stored under the sdist's
sha256, so the same sdist is never built twice, by any project.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from packaging.utils import (
    InvalidWheelFilename,
    canonicalize_name,
    canonicalize_version,
    parse_wheel_filename,
)

from ..errors import BuildFailed
from ..pep517 import EnvironmentFactory, Pep517Builder, RequirementInstaller, hook_environment
from .fetch import Artifact
from .store import Store

__all__ = ["wheel_for_sdist"]


def wheel_for_sdist(
    artifact: Artifact,
    archive: Path,
    store: Store,
    *,
    env: Mapping[str, str] | None,
    installer: RequirementInstaller | None,
    environment: EnvironmentFactory | None = None,
) -> Path:
    """The wheel built from the sdist ``archive`` (whose sha256 is ``artifact.sha256``).

    The cached one when built before; else it is built now and stored. ``installer`` installs
    the build requirements in the isolated environment (`pallet.pep517.IndexInstaller` with the
    project's indexes, or `pallet.cli.build_env`'s with ``environment``, its venv factory);
    ``None`` builds in this interpreter's environment without isolation.
    `BuildFailed` (one line naming the sdist, then the backend's own error) when the backend
    fails or builds a wheel of another project or version.
    """
    cached = store.built(artifact.sha256)
    if cached is not None:
        return cached
    base = dict(os.environ if env is None else env)
    builder = Pep517Builder(installer, env=hook_environment(base), environment=environment)
    work = store.root / "built-v1"
    work.mkdir(parents=True, exist_ok=True)
    # A temp folder in the store: the wheel is then moved into place, not copied.
    with tempfile.TemporaryDirectory(dir=work, prefix=".build-") as tmp:
        wheel = builder.wheel_from_sdist(archive, Path(tmp), filename=artifact.filename)
        _check_wheel(artifact, wheel.name)
        return store.store_built(artifact.sha256, wheel)


def _check_wheel(artifact: Artifact, filename: str) -> None:
    """The wheel is of the sdist's project and version (PEP 427 file name)."""
    try:
        name, version, _build, _tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        raise BuildFailed(f"{artifact.filename}: the backend built {filename!r}: {exc}") from None
    if name != canonicalize_name(artifact.name) or canonicalize_version(
        version
    ) != canonicalize_version(artifact.version):
        raise BuildFailed(
            f"{artifact.filename}: the backend built {filename}, not a wheel of "
            f"{artifact.name} {artifact.version}"
        )
