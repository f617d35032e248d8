"""Resolve a dynamic ``version``: ``__version__`` read by AST, git tags, or an sdist's PKG-INFO.

Sources, in order:

1. ``PKG-INFO`` at the project root: the project is an unpacked pallet sdist, whose version was
   fixed when the sdist was made. It wins over everything, so that a wheel built from the sdist
   has exactly the sdist's version even if the sdist was unpacked inside some other checkout.
2. ``[tool.pallet.version] source = "attr"`` (the default): the main module's ``__version__``,
   read statically with ``ast`` -- the project is never imported.
3. ``source = "vcs"``: ``git describe`` on the newest reachable tag matching ``tag-pattern``;
   outside a git checkout (or without a matching tag) ``fallback``, else an error.

PEP 643: the PKG-INFO of our sdists lists no ``Dynamic:`` field. The only field pallet-core fills
at build time is ``version``, and it is resolved when the sdist is made and written into its
PKG-INFO; a wheel built from that sdist takes it from there (source 1), so every field is fixed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pallet_core.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

    from packaging.version import Version

    from pallet_core.layout import Layout
    from pallet_core.settings import VersionSettings

__all__ = ["read_attr_version", "read_pkg_info_version", "resolve_version", "vcs_version"]

_FILE = "pyproject.toml"
_DESCRIBE = r"^(?P<tag>.+)-(?P<distance>\d+)-g(?P<sha>[0-9a-f]+)(?P<dirty>-dirty)?$"


def _error(wrong: str, allowed: str, value: object = None) -> ConfigError:
    return ConfigError(
        f"{_FILE}: [project] field 'version': {wrong}; {allowed}",
        path=_FILE,
        key="project.version",
        value=value,
    )


def _parse(text: str, where: str) -> Version:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        raise _error(
            f"{where} gives {text!r}, which is not a valid PEP 440 version",
            "use a version such as '1.0' or '2.1.3rc1'",
            text,
        ) from None


def read_pkg_info_version(root: Path) -> Version | None:
    """The ``Version:`` of ``root/PKG-INFO`` (an unpacked sdist), or None without that file."""
    try:
        text = (root / "PKG-INFO").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        if not line:
            break  # end of the headers; the body is the long description
        key, _, value = line.partition(":")
        if key.strip().lower() == "version":
            return _parse(value.strip(), "PKG-INFO")
    raise _error("PKG-INFO has no Version field", "rebuild the sdist", None)


def read_attr_version(root: Path, path: str) -> Version:
    """``__version__`` assigned a string literal at the top level of ``root/path``, via ``ast``.

    Accepts ``__version__ = "1.0"`` and ``__version__: str = "1.0"``; the last top-level
    assignment wins. Anything else (a call, a name, an f-string) is an error naming the line.
    """
    import ast

    try:
        source = (root / path).read_bytes()
    except OSError:
        raise _error(
            f"is dynamic, but {path!r} cannot be read",
            "set [tool.pallet.version] path to the file that assigns __version__",
            path,
        ) from None
    found: tuple[int, ast.expr | None] | None = None
    if b"__version__" in source:  # cheap pre-check: most files of a big project are not parsed
        try:
            tree = ast.parse(source, filename=path)
        except SyntaxError as exc:
            raise _error(
                f"is dynamic, but {path} line {exc.lineno} is not valid Python ({exc.msg})",
                "fix the syntax error",
                path,
            ) from None
        for node in tree.body:
            if isinstance(node, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets):
                    found = (node.lineno, node.value)
            elif (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id == "__version__"
            ):
                found = (node.lineno, node.value)
    if found is None:
        raise _error(
            f"is dynamic, but {path} does not assign __version__ at top level",
            "add __version__ = '1.0' there, set [tool.pallet.version] path, or set version",
            path,
        )
    line, value = found
    if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
        raise _error(
            f"is dynamic, but __version__ in {path} line {line} is not a string literal",
            "assign a literal such as __version__ = '1.0' (pallet-core reads it without "
            "importing the project)",
            path,
        )
    return _parse(value.value, f"__version__ in {path} line {line}")


def _git_describe(root: Path, excluded: list[str]) -> tuple[str | None, str]:
    """Run ``git describe``; return (output, error text). Never touches the network."""
    import os
    import subprocess

    command = ["git", "describe", "--tags", "--long", "--dirty", "--abbrev=7"]
    for tag in excluded:
        command += ["--exclude", tag]
    env = dict(os.environ, LC_ALL="C", GIT_TERMINAL_PROMPT="0")
    try:
        done = subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"cannot run git ({exc})"
    if done.returncode != 0:
        return None, done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
    return done.stdout.strip(), ""


def vcs_version(tag_version: Version, distance: int, sha: str, dirty: bool) -> Version:
    """The PEP 440 version of a checkout ``distance`` commits after a tag.

    Scheme (``N`` = distance, ``S`` = abbreviated commit hash, local part only when not exact):

    - on the tag, clean: the tag's version, ``1.2.0``;
    - after a final or post release: the next micro release as a dev release, ``1.2.1.devN+gS``;
    - after a pre-release: a dev release of its post-release, ``1.3.0rc1.post0.devN+gS``
      (after ``1.3.0rc1``, before ``1.3.0rc2`` and ``1.3.0``);
    - after a dev release ``1.3.0.dev2``: ``1.3.0.dev(2+N)+gS``;
    - a dirty tree adds ``.dirty`` to the local part, and on the tag itself counts as ``N = 0``
      after it: ``1.2.1.dev0+gS.dirty``.
    """
    from packaging.version import Version

    if distance == 0 and not dirty:
        return tag_version
    public = Version(tag_version.public)
    if public.dev is not None:
        base = re.sub(r"\.dev\d+$", "", str(public))
        text = f"{base}.dev{public.dev + distance}"
    elif public.pre is not None:
        text = f"{public}.post0.dev{distance}"
    else:
        release = list(public.release) + [0] * (3 - len(public.release))
        release[-1] += 1
        epoch = f"{public.epoch}!" if public.epoch else ""
        text = f"{epoch}{'.'.join(map(str, release))}.dev{distance}"
    local = f"g{sha}" + (".dirty" if dirty else "")
    return Version(f"{text}+{local}")


def _from_vcs(root: Path, settings: VersionSettings) -> Version:
    pattern = re.compile(settings.tag_pattern)
    excluded: list[str] = []
    while True:
        output, error = _git_describe(root, excluded)
        if output is None:
            break
        match = re.match(_DESCRIBE, output)
        if match is None:  # pragma: no cover - git always prints this shape with --long
            error = f"unexpected git describe output {output!r}"
            break
        tag = match.group("tag")
        found = pattern.search(tag)
        if found is None or found.group("version") is None:
            if len(excluded) >= 100:
                error = "no tag among the 100 newest matches tag-pattern"
                break
            excluded.append(tag)
            continue
        return vcs_version(
            _parse(found.group("version"), f"git tag {tag!r}"),
            int(match.group("distance")),
            match.group("sha"),
            bool(match.group("dirty")),
        )
    if settings.fallback is not None:
        from packaging.version import Version

        return Version(settings.fallback)
    raise _error(
        f"is dynamic with source = 'vcs', but no version tag was found ({error})",
        "tag a commit (git tag v1.0.0), build from a git checkout, or set "
        "[tool.pallet.version] fallback",
        None,
    )


def resolve_version(root: Path, layout: Layout, settings: VersionSettings) -> Version:
    """The version of the project at ``root`` whose ``[project] dynamic`` lists ``version``."""
    from_sdist = read_pkg_info_version(root)
    if from_sdist is not None:
        return from_sdist
    if settings.source == "vcs":
        return _from_vcs(root, settings)
    path = settings.path or layout.version_file
    if path is None:
        raise _error(
            f"is dynamic, but the {layout.kind} layout has no module to read __version__ from",
            "set [tool.pallet.version] path, or source = 'vcs', or set version",
            None,
        )
    return read_attr_version(root, path)
