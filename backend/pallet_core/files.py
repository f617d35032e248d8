"""Which files ship: the wheel's package files and ``.data`` trees, and the sdist's file list.

One walk per tree with ``os.scandir``: excluded directories are pruned as they are met, so a
``.venv`` or ``.git`` costs one ``stat``. Patterns (``.gitignore`` files, ``include``/``exclude``
and the sdist variants) are gitignore-style and compiled with ``pathspec`` only when present.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .errors import BuildError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .config import ProjectConfig

__all__ = [
    "DATA_DIR_SUFFIX",
    "FileSelector",
    "data_files",
    "package_files",
    "sdist_files",
    "wheel_files",
]

DATA_DIR_SUFFIX = ".data"

#: Directory names never shipped, wherever they are.
_NEVER_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        "_darcs",
        "__pycache__",
        ".tox",
        ".nox",
        ".venv",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".ipynb_checkpoints",
    }
)
#: Directory names never shipped at the project root: build output.
_NEVER_ROOT_DIRS = frozenset({"dist", "build"})
_NEVER_FILE_SUFFIXES = (".pyc", ".pyo")
#: Files never shipped; the sdist adds back the ``.gitignore`` files that shaped its selection.
_NEVER_FILES = frozenset({".DS_Store", ".gitignore"})


def _compile(patterns: Iterable[str]) -> Any:
    """A gitignore-style ``pathspec`` matcher; imported only when there are patterns."""
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines(list(patterns))


class FileSelector:
    """Walks directories of one project, applying default excludes, ``.gitignore`` and patterns.

    ``exclude`` patterns remove files and directories; ``force`` patterns (the ``include``
    settings) bring back a file that a ``.gitignore`` ignored, but never one inside a pruned
    directory such as ``.git`` or ``__pycache__``.
    """

    def __init__(
        self,
        root: Path,
        exclude: Iterable[str] = (),
        force: Iterable[str] = (),
    ) -> None:
        self.root = os.fspath(root)
        exclude = tuple(exclude)
        force = tuple(force)
        self._exclude = _compile(exclude) if exclude else None
        self._force = _compile(force) if force else None
        # Directory (relative posix, "" for the root) -> its .gitignore matcher or None.
        self._gitignores: dict[str, Any] = {}

    def _gitignore(self, rel_dir: str) -> Any:
        try:
            return self._gitignores[rel_dir]
        except KeyError:
            pass
        path = f"{self.root}/{rel_dir}/.gitignore" if rel_dir else f"{self.root}/.gitignore"
        spec: Any = None
        try:
            with open(path, encoding="utf-8", errors="replace") as stream:
                lines = stream.read().splitlines()
        except (FileNotFoundError, NotADirectoryError):
            pass
        else:
            if any(line.strip() and not line.startswith("#") for line in lines):
                spec = _compile(lines)
        self._gitignores[rel_dir] = spec
        return spec

    def _specs_for(self, rel_dir: str) -> list[tuple[str, Any]]:
        """The ``.gitignore`` matchers that apply inside ``rel_dir``, deepest first."""
        specs = []
        parts = rel_dir.split("/") if rel_dir else []
        for depth in range(len(parts), -1, -1):
            base = "/".join(parts[:depth])
            spec = self._gitignore(base)
            if spec is not None:
                specs.append((base, spec))
        return specs

    @staticmethod
    def _ignored(specs: list[tuple[str, Any]], rel: str) -> bool:
        # git: the deepest .gitignore with a matching pattern decides (negations included).
        for base, spec in specs:
            path = rel[len(base) + 1 :] if base else rel
            check = getattr(spec, "check_file", None)
            if check is None:  # pathspec < 0.12: no "no decision" result, only a match
                if spec.match_file(path):
                    return True
                continue
            result = check(path)
            if result.include is not None:
                return bool(result.include)
        return False

    def _dir_pruned(self, specs: list[tuple[str, Any]], rel: str, path: str, name: str) -> bool:
        if name in _NEVER_DIRS or name.endswith(".egg-info"):
            return True
        if "/" not in rel and name in _NEVER_ROOT_DIRS:
            return True
        if os.path.exists(path + "/pyvenv.cfg"):  # noqa: PTH110 - hot path; a virtual environment
            return True
        if self._exclude is not None and self._exclude.match_file(rel + "/"):
            return True
        return bool(specs) and self._ignored(specs, rel + "/")

    def _file_selected(self, specs: list[tuple[str, Any]], rel: str, name: str) -> bool:
        if name.endswith(_NEVER_FILE_SUFFIXES) or name in _NEVER_FILES:
            return False
        if self._exclude is not None and self._exclude.match_file(rel):
            return False
        if specs and self._ignored(specs, rel):
            return self._force is not None and bool(self._force.match_file(rel))
        return True

    def gitignore_files(self) -> list[str]:
        """The ``.gitignore`` files (relative paths) that this selector has applied so far."""
        return [f"{d}/.gitignore" if d else ".gitignore" for d, s in self._gitignores.items() if s]

    def walk(self, rel_dir: str, keep: Callable[[str], bool] | None = None) -> list[str]:
        """Every selected file below ``rel_dir`` (relative posix paths, unsorted).

        ``keep``, when given, further filters files by their relative path.
        """
        out: list[str] = []
        start = f"{self.root}/{rel_dir}" if rel_dir else self.root
        self._walk(start, rel_dir, self._specs_for(rel_dir), keep, out)
        return out

    def _walk(
        self,
        path: str,
        rel_dir: str,
        specs: list[tuple[str, Any]],
        keep: Callable[[str], bool] | None,
        out: list[str],
    ) -> None:
        try:
            entries = list(os.scandir(path))
        except FileNotFoundError:
            return
        prefix = rel_dir + "/" if rel_dir else ""
        for entry in entries:
            name = entry.name
            rel = prefix + name
            if entry.is_dir():
                if entry.is_symlink() and self._loops(entry.path):
                    continue
                if not self._dir_pruned(specs, rel, entry.path, name):
                    sub_specs = specs
                    if self._gitignore(rel) is not None:
                        sub_specs = [(rel, self._gitignores[rel]), *specs]
                    self._walk(entry.path, rel, sub_specs, keep, out)
            elif (
                entry.is_file()
                and self._file_selected(specs, rel, name)
                and (keep is None or keep(rel))
            ):
                out.append(rel)

    def _loops(self, path: str) -> bool:
        """Whether the symlinked directory ``path`` points at itself or an ancestor (a cycle)."""
        link = Path(path)
        target, parent = link.resolve(), link.parent.resolve()
        return target == parent or target in parent.parents

    def selected(self, rel: str) -> bool:
        """Whether the single file ``rel`` passes the default excludes, patterns and .gitignore."""
        parent, _, name = rel.rpartition("/")
        return self._file_selected(self._specs_for(parent), rel, name)


def _selector(config: ProjectConfig, sdist: bool) -> FileSelector:
    settings = config.settings
    exclude = list(settings.exclude)
    force = list(settings.include)
    if sdist:
        exclude += settings.sdist_exclude
        force += settings.sdist_include
    return FileSelector(config.root, exclude=exclude, force=force)


def package_files(config: ProjectConfig, selector: FileSelector | None = None) -> list[str]:
    """Files of the importable packages plus ``include`` matches, relative to the project root.

    Package data ships by default: everything inside a package directory that is not excluded.
    """
    if selector is None:
        selector = _selector(config, sdist=False)
    layout = config.layout
    found: list[str] = []
    for module in layout.modules:
        rel = layout.module_path(module)
        if module.endswith(".py"):
            if selector.selected(rel):
                found.append(rel)
        else:
            found.extend(selector.walk(rel))
    include = config.settings.include
    if include:
        spec = _compile(include)
        source = layout.source_root
        start = source
        found.extend(selector.walk(start, keep=spec.match_file))
    if not found:
        raise BuildError(
            f"nothing to ship: no file found in {', '.join(layout.modules)} "
            f"(in {layout.source_root or 'the project root'}) after excludes and .gitignore"
        )
    return sorted(set(found))


def data_files(
    config: ProjectConfig, selector: FileSelector | None = None
) -> list[tuple[str, str]]:
    """PEP 427 ``.data`` files: (``<scheme>/<path inside the data dir>``, path from the root)."""
    if selector is None:
        selector = _selector(config, sdist=False)
    pairs: list[tuple[str, str]] = []
    for scheme, directory in sorted(config.settings.data.items()):
        directory = directory.strip("/")
        if not (config.root / directory).is_dir():
            raise BuildError(
                f"pyproject.toml: [tool.pallet.build.data] field {scheme!r}: directory "
                f"{directory + '/'!r} does not exist; create it or remove the entry"
            )
        for rel in selector.walk("" if directory == "." else directory):
            inner = rel[len(directory) + 1 :] if directory != "." else rel
            pairs.append((f"{scheme}/{inner}", rel))
    pairs.sort()
    return pairs


def wheel_files(config: ProjectConfig) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(package files, data files) of the wheel, each as (path in wheel, path from the root).

    Package files sit at the wheel root relative to the source root (``src/pkg/x.py`` ->
    ``pkg/x.py``); data files go under ``<dist>-<version>.data/<scheme>/`` (PEP 427).
    """
    selector = _selector(config, sdist=False)
    source = config.layout.source_root
    cut = len(source) + 1 if source else 0
    packages = [
        (rel[cut:], rel) for rel in package_files(config, selector) if rel.startswith(source)
    ]
    data_prefix = f"{config.dist_name}-{config.version}{DATA_DIR_SUFFIX}/"
    data = [(data_prefix + arc, rel) for arc, rel in data_files(config, selector)]
    return packages, data


def sdist_files(config: ProjectConfig) -> list[str]:
    """Files of the sdist, relative to the project root, sorted (PKG-INFO not included).

    Everything the wheel build needs, selected exactly as the wheel build selects it, so that a
    wheel built from the sdist equals one built from the tree: pyproject.toml, readme, license
    files, the package sources, the data directories, the version file and the ``.gitignore``
    files that shaped the selection; plus ``sdist-include`` matches minus ``sdist-exclude``.
    """
    wheel_selector = _selector(config, sdist=False)
    chosen = set(package_files(config, wheel_selector))
    chosen.update(rel for _arc, rel in data_files(config, wheel_selector))
    required = [config.pyproject_file, *config.license_files]
    if config.readme_file:
        required.append(config.readme_file)
    if config.layout.version_file:
        required.append(config.layout.version_file)
    version_settings = config.version_settings
    if version_settings is not None and version_settings.path:
        required.append(version_settings.path)
    for rel in required:
        if not (config.root / rel).is_file():
            raise BuildError(f"{rel} is needed in the sdist but does not exist")
        chosen.add(rel)
    for directory in _backend_path(config):
        # PEP 517: an in-tree backend (backend-path) must be in the sdist to build its wheel.
        chosen.update(wheel_selector.walk(directory))
    extra = (*config.settings.sdist_include, *config.settings.include)
    if extra:
        selector = _selector(config, sdist=True)
        chosen.update(selector.walk("", keep=_compile(extra).match_file))
        chosen.update(selector.gitignore_files())
    chosen.update(wheel_selector.gitignore_files())
    return sorted(chosen)


def _backend_path(config: ProjectConfig) -> list[str]:
    """The ``[build-system] backend-path`` directories other than the project root itself."""
    from .pyproject import load_pyproject

    build_system = load_pyproject(config.root).get("build-system", {})
    entries = build_system.get("backend-path", []) if isinstance(build_system, dict) else []
    directories = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, str):
            continue
        cleaned = "/".join(p for p in entry.replace("\\", "/").split("/") if p not in ("", "."))
        if cleaned and ".." not in cleaned.split("/") and (config.root / cleaned).is_dir():
            directories.append(cleaned)
    return directories
