"""Find what a project ships: src, flat, single-module, namespace and -stubs layouts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from pallet_core._frozen import Frozen

from .errors import BuildError

if TYPE_CHECKING:
    from .settings import BuildSettings

__all__ = ["Layout", "discover_layout", "guess_import_name"]

_STUBS_SUFFIX = "-stubs"


class Layout(Frozen):
    """Where a project's importable code lives.

    ``modules`` are relative to ``source_root``: a package directory (``"pkg"``), a single module
    (``"mod.py"``), a namespace portion (``"acme/tools"``) or a stubs package (``"foo-stubs"``).
    """

    # In field order, which Frozen's __init__ and repr follow.
    __slots__ = (  # noqa: RUF023
        "source_root",
        "modules",
        "version_file",
        "kind",
    )

    source_root: str  # "" for flat layout, "src" for src layout (relative posix)
    modules: tuple[str, ...]
    version_file: str | None  # relative to the project root
    kind: str  # "src" | "flat" | "module" | "namespace" | "stubs"

    def __init__(
        self, source_root: str, modules: tuple[str, ...], version_file: str | None, kind: str
    ) -> None:
        super().__init__(source_root, modules, version_file, kind)

    @property
    def import_names(self) -> tuple[str, ...]:
        """Top-level import names: ``"pkg"``, ``"mod"``, ``"acme.tools"``, ``"foo-stubs"``."""
        names = []
        for module in self.modules:
            if module.endswith(".py"):
                module = module[:-3]
            names.append(module.replace("/", "."))
        return tuple(names)

    def module_path(self, module: str) -> str:
        """Path of ``module`` (an entry of ``modules``) relative to the project root."""
        return f"{self.source_root}/{module}" if self.source_root else module


def guess_import_name(name: str) -> str:
    """The import name a project name suggests: ``"Foo.Bar-baz"`` -> ``"foo_bar_baz"``.

    ``foo-stubs`` keeps its dash: PEP 561 stub-only packages are directories named ``<pkg>-stubs``.
    """
    lowered = name.lower().replace("_", "-").replace(".", "-")
    while "--" in lowered:
        lowered = lowered.replace("--", "-")
    if lowered.endswith(_STUBS_SUFFIX) and len(lowered) > len(_STUBS_SUFFIX):
        return lowered[: -len(_STUBS_SUFFIX)].replace("-", "_") + _STUBS_SUFFIX
    return lowered.replace("-", "_")


def discover_layout(root: Path, name: str, settings: BuildSettings) -> Layout:
    """Find the packages of project ``name`` under ``root`` as ``settings`` direct.

    With explicit ``packages`` each one must exist in the source directory (``source``, else
    ``src/`` when the first package is there, else the root). Without, the import name guessed
    from ``name`` is looked for in ``src/`` and then the root (or only in ``source`` when set).
    Raises BuildError naming every path looked for.
    """
    if settings.packages:
        return _explicit_layout(root, settings)
    if settings.namespace:
        raise BuildError(
            "pyproject.toml: [tool.pallet.build] field 'namespace': true needs the namespace "
            'portions named; add packages = ["<namespace>.<package>"], e.g. '
            'packages = ["acme.tools"] to ship acme/tools/'
        )
    return _guessed_layout(root, name, settings.source)


def _candidate_roots(root: Path, source: str | None) -> list[str]:
    if source is not None:
        return [_clean_source(root, source)]
    return ["src", ""] if (root / "src").is_dir() else [""]


def _clean_source(root: Path, source: str) -> str:
    cleaned = source.replace("\\", "/").strip("/")
    if cleaned in ("", "."):
        return ""
    parts = cleaned.split("/")
    if cleaned.startswith("/") or ".." in parts or Path(source).is_absolute():
        raise BuildError(
            f"pyproject.toml: [tool.pallet.build] field 'source': {source!r} leaves the project "
            'directory; use a relative path inside it such as "src"'
        )
    if not (root / cleaned).is_dir():
        raise BuildError(
            f"pyproject.toml: [tool.pallet.build] field 'source': directory {cleaned + '/'!r} "
            "does not exist; name the directory that holds your packages"
        )
    return "/".join(p for p in parts if p not in ("", "."))


def _join(source_root: str, rel: str) -> str:
    return f"{source_root}/{rel}" if source_root else rel


def _guessed_layout(root: Path, name: str, source: str | None) -> Layout:
    import_name = guess_import_name(name)
    looked: list[str] = []
    for source_root in _candidate_roots(root, source):
        found = _find_module(root, source_root, import_name, looked)
        if found is not None:
            return found
    hint = ""
    for source_root in _candidate_roots(root, source):
        bare = _join(source_root, import_name)
        if (root / bare).is_dir() and not import_name.endswith(_STUBS_SUFFIX):
            hint = (
                f" ({bare}/ exists but has no __init__.py: add one, or for a PEP 420 namespace "
                f'package set namespace = true and packages = ["{import_name}.<portion>"])'
            )
            break
    raise BuildError(
        f"no package or module found for project {name!r}: looked for "
        + ", ".join(looked)
        + hint
        + "; if the import name differs from the project name, set [tool.pallet.build] "
        'packages = ["<import name>", ...], and source = "<dir>" for the directory '
        "holding them"
    )


def _find_module(
    root: Path, source_root: str, import_name: str, looked: list[str]
) -> Layout | None:
    """Look for ``import_name`` as package, module or stubs package directly in ``source_root``."""
    in_src = source_root != ""
    if import_name.endswith(_STUBS_SUFFIX):
        # PEP 561: a stub-only package is a directory <pkg>-stubs holding .pyi files.
        rel = _join(source_root, import_name)
        looked.append(rel + "/")
        if (root / rel).is_dir() and _has_stubs(root / rel):
            init = rel + "/__init__.pyi"
            version_file = init if (root / init).is_file() else None
            return Layout(source_root, (import_name,), version_file, "stubs")
        return None
    init = _join(source_root, f"{import_name}/__init__.py")
    single = _join(source_root, f"{import_name}.py")
    looked.extend((init, single))
    has_pkg = (root / init).is_file()
    has_mod = (root / single).is_file()
    if has_pkg and has_mod:
        raise BuildError(
            f"both {init} and {single} exist: the import name {import_name!r} is ambiguous; "
            "remove one, or name the one to ship with [tool.pallet.build] packages"
        )
    if has_pkg:
        kind = "src" if in_src else "flat"
        return Layout(source_root, (import_name,), init, kind)
    if has_mod:
        return Layout(source_root, (import_name + ".py",), single, "module")
    return None


def _has_stubs(directory: Path) -> bool:
    for _dirpath, _dirs, files in os.walk(directory):
        if any(f.endswith(".pyi") for f in files):
            return True
    return False


def _valid_dotted(entry: str) -> bool:
    parts = entry.split(".")
    if parts[-1].endswith(_STUBS_SUFFIX) and len(parts) == 1:
        parts = [parts[0][: -len(_STUBS_SUFFIX)]]
    return all(p.isidentifier() for p in parts)


def _explicit_layout(root: Path, settings: BuildSettings) -> Layout:
    for entry in settings.packages:
        if not _valid_dotted(entry):
            raise BuildError(
                f"pyproject.toml: [tool.pallet.build] field 'packages': {entry!r} is not an "
                'import name; use dotted Python identifiers such as "pkg" or "acme.tools"'
            )
        if "." in entry and not settings.namespace:
            raise BuildError(
                f"pyproject.toml: [tool.pallet.build] field 'packages': {entry!r} is dotted, "
                "which ships only part of a package; for a PEP 420 namespace portion also set "
                "namespace = true, otherwise name the top-level package"
            )
    if settings.source is not None:
        source_root = _clean_source(root, settings.source)
    else:
        first = settings.packages[0].replace(".", "/")
        in_src = (root / "src" / first).is_dir() or (root / "src" / f"{first}.py").is_file()
        source_root = "src" if in_src else ""
    modules: list[str] = []
    version_file: str | None = None
    for entry in settings.packages:
        module, module_version_file = _explicit_entry(root, source_root, entry, settings.namespace)
        if module in modules:
            raise BuildError(
                f"pyproject.toml: [tool.pallet.build] field 'packages': {entry!r} is listed twice"
            )
        modules.append(module)
        if version_file is None:
            version_file = module_version_file
    if settings.namespace:
        kind = "namespace"
    elif len(modules) == 1 and modules[0].endswith(".py"):
        kind = "module"
    elif len(modules) == 1 and modules[0].endswith(_STUBS_SUFFIX):
        kind = "stubs"
    else:
        kind = "src" if source_root else "flat"
    return Layout(source_root, tuple(sorted(modules)), version_file, kind)


def _explicit_entry(
    root: Path, source_root: str, entry: str, namespace: bool
) -> tuple[str, str | None]:
    """Locate one ``packages`` entry: returns (module relative to source_root, version file)."""
    rel = entry.replace(".", "/")
    directory = _join(source_root, rel)
    init = directory + "/__init__.py"
    single = _join(source_root, rel + ".py")
    if entry.endswith(_STUBS_SUFFIX):
        if (root / directory).is_dir():
            stub_init = directory + "/__init__.pyi"
            return rel, stub_init if (root / stub_init).is_file() else None
        looked = [directory + "/"]
    elif namespace:
        # PEP 420: a namespace portion needs no __init__.py, in it or in its parents.
        if (root / directory).is_dir():
            return rel, init if (root / init).is_file() else None
        looked = [directory + "/"]
    else:
        if (root / init).is_file():
            if (root / single).is_file():
                raise BuildError(
                    f"both {init} and {single} exist: {entry!r} is ambiguous; remove one"
                )
            return rel, init
        if (root / single).is_file():
            return rel + ".py", single
        if (root / directory).is_dir():
            raise BuildError(
                f"pyproject.toml: [tool.pallet.build] field 'packages': {directory}/ has no "
                "__init__.py; add one, or set namespace = true to ship it as a PEP 420 "
                "namespace package"
            )
        looked = [init, single]
    where = f"in {source_root}/" if source_root else "in the project root"
    raise BuildError(
        f"pyproject.toml: [tool.pallet.build] field 'packages': {entry!r} not found {where}: "
        f'looked for {", ".join(looked)}; check the name, or set source = "<dir>" to the '
        "directory holding it"
    )
