"""Build real wheels and sdists in a directory from a small spec, for tests that need dists.

Every archive is real and reproducible (fixed timestamps, sorted members): wheels carry
``METADATA``, ``WHEEL`` and a valid ``RECORD``; sdists carry ``PKG-INFO`` and a ``pyproject.toml``
whose build backend lives inside the sdist (``backend-path``) and needs no requirements, so a
PEP 517 frontend gets their metadata without any download.

Usage::

    from support.dists import make_wheel, make_sdist

    wheel = make_wheel(
        tmp_path / "dists", "Foo-Bar", "1.0",
        requires_dist=["idna>=3", "colorama; sys_platform == 'win32'"],
        requires_python=">=3.9",
        extras={"socks": ["pysocks>=1.5"]},     # Provides-Extra + `; extra == "socks"` markers
        tag="cp311-cp311-manylinux_2_17_x86_64",  # default "py3-none-any"
        files={"foo_bar/data.txt": "hello"},     # extra members (str or bytes)
    )
    # -> tmp_path/dists/foo_bar-1.0-cp311-cp311-manylinux_2_17_x86_64.whl

    sdist = make_sdist(tmp_path / "dists", "foo-bar", "1.1", requires_dist=["idna"])
    # -> tmp_path/dists/foo_bar-1.1.tar.gz (PKG-INFO Metadata-Version 2.1: not static, so a
    #    frontend must run the PEP 517 hooks to learn its dependencies)

``make_sdist(..., backend=...)`` picks the in-tree backend's behaviour: ``"intree"`` (implements
``prepare_metadata_for_build_wheel`` and ``build_wheel``), ``"intree-no-prepare"`` (only
``build_wheel``, so a frontend must fall back to building), ``"failing"`` (every hook prints
``intree backend: deliberate failure for <name>`` to stderr and raises). ``build_requires`` puts
requirements into ``[build-system] requires`` (the frontend must install them from an index).
``metadata_version="2.2"`` makes PKG-INFO static under PEP 643. ``archive="zip"`` writes a
``.zip`` sdist.

`metadata_text` returns the METADATA text that both functions write.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import os
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal, Union

from packaging.utils import canonicalize_name

__all__ = ["make_sdist", "make_wheel", "metadata_text", "wheel_filename"]

Contents = Union[str, bytes]
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
TAR_MTIME = 315532800  # 1980-01-01


def _escape(name: str) -> str:
    """Binary distribution name escaping (normalized, ``-`` as ``_``)."""
    return canonicalize_name(name).replace("-", "_")


def wheel_filename(name: str, version: str, tag: str = "py3-none-any") -> str:
    return f"{_escape(name)}-{version}-{tag}.whl"


def _extra_requirement(requirement: str, extra: str) -> str:
    req, sep, marker = requirement.partition(";")
    if sep:
        return f'{req.strip()}; ({marker.strip()}) and extra == "{extra}"'
    return f'{req.strip()}; extra == "{extra}"'


def metadata_text(
    name: str,
    version: str,
    *,
    requires_dist: Iterable[str] = (),
    requires_python: str | None = None,
    extras: Mapping[str, Sequence[str]] | None = None,
    metadata_version: str = "2.1",
) -> str:
    """Core metadata (email-header format) for a distribution."""
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}"]
    lines.append(f"Summary: test distribution {name}")
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines.extend(f"Requires-Dist: {r}" for r in requires_dist)
    for extra, reqs in (extras or {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines.extend(f"Requires-Dist: {_extra_requirement(r, extra)}" for r in reqs)
    return "\n".join(lines) + "\n\n"


def _as_bytes(data: Contents) -> bytes:
    return data.encode() if isinstance(data, str) else data


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _zip_bytes(members: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in members.items():  # insertion order: RECORD last for wheels
            info = zipfile.ZipInfo(arcname, ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buffer.getvalue()


def _wheel_tags(tag: str) -> list[str]:
    """Expand a compressed tag set ``py2.py3-none-any`` into its tags (PEP 425)."""
    pythons, abis, platforms = tag.split("-")
    return [
        f"{p}-{a}-{pl}"
        for p in pythons.split(".")
        for a in abis.split(".")
        for pl in platforms.split(".")
    ]


def _wheel_members(
    name: str,
    version: str,
    metadata: str,
    tag: str,
    files: Mapping[str, Contents],
) -> dict[str, bytes]:
    package = _escape(name)
    dist_info = f"{package}-{version}.dist-info"
    members: dict[str, bytes] = {f"{package}/__init__.py": f'__version__ = "{version}"\n'.encode()}
    members.update({k: _as_bytes(v) for k, v in sorted(files.items())})
    members[f"{dist_info}/METADATA"] = metadata.encode()
    wheel = ["Wheel-Version: 1.0", "Generator: pallet-tests", "Root-Is-Purelib: true"]
    wheel += [f"Tag: {t}" for t in _wheel_tags(tag)]
    members[f"{dist_info}/WHEEL"] = ("\n".join(wheel) + "\n\n").encode()
    record = [f"{path},{_record_hash(data)},{len(data)}" for path, data in members.items()]
    record.append(f"{dist_info}/RECORD,,")
    members[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    return members


def make_wheel(
    dest_dir: Path | str,
    name: str,
    version: str,
    *,
    requires_dist: Iterable[str] = (),
    requires_python: str | None = None,
    extras: Mapping[str, Sequence[str]] | None = None,
    tag: str = "py3-none-any",
    files: Mapping[str, Contents] | None = None,
) -> Path:
    """Write a wheel into ``dest_dir`` (created if needed) and return its path."""
    metadata = metadata_text(
        name, version, requires_dist=requires_dist, requires_python=requires_python, extras=extras
    )
    members = _wheel_members(name, version, metadata, tag, files or {})
    path = Path(dest_dir) / wheel_filename(name, version, tag)
    _atomic_write(path, _zip_bytes(members))
    return path


Backend = Literal["intree", "intree-no-prepare", "failing"]

_BACKEND_COMMON = '''\
"""In-tree PEP 517 backend of a pallet test sdist: metadata comes from PKG-INFO."""
import base64, hashlib, os, sys, zipfile

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = {name!r}
ESCAPED = {escaped!r}
VERSION = {version!r}
DIST_INFO = ESCAPED + "-" + VERSION + ".dist-info"
WHEEL = "Wheel-Version: 1.0\\nGenerator: intree\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"


def _metadata():
    with open(os.path.join(_ROOT, "PKG-INFO"), encoding="utf-8") as f:
        return f.read()


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def _write_dist_info(directory):
    path = os.path.join(directory, DIST_INFO)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata())
    with open(os.path.join(path, "WHEEL"), "w", encoding="utf-8") as f:
        f.write(WHEEL)
    return DIST_INFO


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    members = {{
        ESCAPED + "/__init__.py": ("__version__ = %r\\n" % VERSION).encode(),
        DIST_INFO + "/METADATA": _metadata().encode(),
        DIST_INFO + "/WHEEL": WHEEL.encode(),
    }}
    record = []
    for path, data in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (path, digest, len(data)))
    record.append(DIST_INFO + "/RECORD,,")
    members[DIST_INFO + "/RECORD"] = ("\\n".join(record) + "\\n").encode()
    filename = ESCAPED + "-" + VERSION + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as zf:
        for path, data in members.items():
            zf.writestr(zipfile.ZipInfo(path, (1980, 1, 1, 0, 0, 0)), data)
    return filename
'''

_BACKEND_PREPARE = """

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    return _write_dist_info(metadata_directory)
"""

_BACKEND_FAILING = """

def _fail(*args, **kwargs):
    print("intree backend: deliberate failure for " + NAME, file=sys.stderr)
    raise RuntimeError("deliberate failure")


prepare_metadata_for_build_wheel = build_wheel = _fail
"""


def _backend_source(name: str, version: str, backend: Backend) -> str:
    source = _BACKEND_COMMON.format(name=name, escaped=_escape(name), version=version)
    if backend == "intree":
        source += _BACKEND_PREPARE
    elif backend == "failing":
        source += _BACKEND_FAILING
    return source


def make_sdist(
    dest_dir: Path | str,
    name: str,
    version: str,
    *,
    requires_dist: Iterable[str] = (),
    requires_python: str | None = None,
    extras: Mapping[str, Sequence[str]] | None = None,
    backend: Backend = "intree",
    build_requires: Sequence[str] = (),
    metadata_version: str = "2.1",
    archive: Literal["tar.gz", "zip"] = "tar.gz",
) -> Path:
    """Write an sdist (PEP 625 name) into ``dest_dir`` and return its path."""
    escaped = _escape(name)
    top = f"{escaped}-{version}"
    pkg_info = metadata_text(
        name,
        version,
        requires_dist=requires_dist,
        requires_python=requires_python,
        extras=extras,
        metadata_version=metadata_version,
    )
    requires = ", ".join(f'"{r}"' for r in build_requires)
    pyproject = (
        "[build-system]\n"
        f"requires = [{requires}]\n"
        'build-backend = "intree_backend"\n'
        'backend-path = ["_backend"]\n'
    )
    members = {
        f"{top}/PKG-INFO": pkg_info.encode(),
        f"{top}/_backend/intree_backend.py": _backend_source(name, version, backend).encode(),
        f"{top}/pyproject.toml": pyproject.encode(),
        f"{top}/{escaped}/__init__.py": f'__version__ = "{version}"\n'.encode(),
    }
    path = Path(dest_dir) / f"{top}.{archive}"
    if archive == "zip":
        data = _zip_bytes(members)
    else:
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz:  # noqa: SIM117 - 3.9
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tf:
                for arcname, content in sorted(members.items()):
                    info = tarfile.TarInfo(arcname)
                    info.size = len(content)
                    info.mtime = TAR_MTIME
                    info.mode = 0o644
                    tf.addfile(info, io.BytesIO(content))
        data = buffer.getvalue()
    _atomic_write(path, data)
    return path
