"""Installing, replacing and removing one global tool (``pallet tool install/upgrade/uninstall``).

A tool's environment is made exactly as ``pallet run``'s cached ones are
(`cli.run_env.build_environment`: a synthetic project locked by the normal lock machinery and
installed by ``install_lock``, hard-linked from the shared unpacked store), but in a named,
persistent folder (`cli.tool_receipt` describes the layout). The package's console and GUI
scripts (its ``entry_points.txt``, the entry points specification of the PyPA) and the files its
wheel ships in ``.data/scripts/`` (ruff's compiled executable) are linked into the bin folder as
symbolic links.

Order of work, so that a failure leaves nothing behind and an installed tool keeps working
until its replacement is complete: the folders checked writable; the new environment built
beside any old one; its scripts found (none: an error, the new environment removed); every
bin-folder name checked (a file or another tool's link is refused unless ``--force``); the
receipt written; ``current`` swapped; the links made; the old scripts that the new version
no longer has unlinked; the old environment removed.
"""

from __future__ import annotations

import configparser
import dataclasses
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import __version__, ui
from ..envvars import PALLET_INDEX_URL, PALLET_TOOL_BIN_DIR, PALLET_TOOL_DIR
from ..errors import PalletError
from .tool_dirs import bin_dir, tool_dir
from .tool_receipt import CURRENT, Receipt, link_owner, read_receipt, write_receipt
from .tool_variant import TORCH_FAMILY

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from packaging.requirements import Requirement

    from .run_env import EnvRequest
    from .tool_variant import ToolVariant

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python < 3.11
    import tomli as tomllib

__all__ = [
    "ToolSpec",
    "console_scripts",
    "find_interpreter",
    "install_tool",
    "parse_requirement",
    "spec_of",
    "uninstall_tool",
    "unknown_tool",
]

VENV = ".venv"
#: entry_points.txt groups whose entries become scripts (the entry points specification)
SCRIPT_GROUPS = ("console_scripts", "gui_scripts")


@dataclass(frozen=True)
class ToolSpec:
    """What a tool is made from (the receipt's inputs)."""

    requirement: Requirement
    with_: tuple[Requirement, ...] = ()
    python_request: str | None = None
    index_url: str | None = None
    variant: str | None = None  # --variant: auto, none, cpu, cu126, rocm6.2 (cli.tool_variant)

    @property
    def name(self) -> str:
        from packaging.utils import canonicalize_name

        return str(canonicalize_name(self.requirement.name))

    def same_as(self, receipt: Receipt) -> bool:
        """Whether `receipt` was made from this spec (spelling and order aside)."""
        from .run_env import normalized

        try:
            old = spec_of(receipt)
        except PalletError:
            return False
        return (
            normalized(old.requirement) == normalized(self.requirement)
            and sorted(map(normalized, old.with_)) == sorted(map(normalized, self.with_))
            and old.python_request == self.python_request
            and old.index_url == self.index_url
            and old.variant == self.variant
        )


def parse_requirement(text: str, what: str) -> Requirement:
    """A PEP 508 requirement, or an error naming `what` (``--with``, ``--from``, the package).
    uv's ``NAME@VERSION`` (``ruff@0.6.0``, no spaces, not a URL) is read as ``NAME==VERSION``."""
    import re

    from packaging.requirements import InvalidRequirement, Requirement

    at = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?)@([0-9][^\s/:@]*)", text)
    if at:
        text = f"{at.group(1)}=={at.group(2)}"
    elif text.endswith("@latest"):
        raise PalletError(
            f"{what} {text!r}: @latest is not supported; the newest release is what a new "
            "environment gets, and `pallet tool upgrade NAME` moves an installed tool to it"
        )
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        first = str(exc).splitlines()[0]
        raise PalletError(f"{what} {text!r}: not a valid requirement: {first}") from None


def spec_of(receipt: Receipt) -> ToolSpec:
    """The spec an installed tool was made from, to make it again (``upgrade``)."""
    return ToolSpec(
        requirement=parse_requirement(receipt.requirement, f"tool {receipt.name}:"),
        with_=tuple(parse_requirement(w, f"tool {receipt.name}: --with") for w in receipt.with_),
        python_request=receipt.python_request,
        index_url=receipt.index_url,
        variant=receipt.variant_request,
    )


def find_interpreter(request: str | None, start: Path) -> tuple[str, str]:
    """(real path, ``Implementation X.Y.Z``) of the interpreter for a tool: ``--python``, else
    ``PALLET_PYTHON``, else the first on the machine (discovery's order; a ``.python-version``
    is looked for from `start`, the tool folder, so the current folder does not matter)."""
    from ..python.discovery import find_python
    from ..python.facts import FactsCache, read_facts

    cache = FactsCache.default()
    path = find_python(None, request, project=start, cache=cache).path
    facts = read_facts(path, cache)
    return os.path.realpath(path), f"{facts.implementation_name} {facts.version}"


def console_scripts(venv: Path, name: str) -> tuple[str, list[str]]:
    """(version, script names) of the distribution `name` installed in `venv`: the entries of
    its ``entry_points.txt`` script groups whose script the installer wrote, and the files of
    its wheel's ``.data/scripts/`` (`_data_scripts`)."""
    from ..install.installed import installed
    from ..install.scheme import Scheme

    scheme = Scheme.read(venv)
    dist = installed(scheme).get(name)
    if dist is None:
        raise PalletError(f"{name}: the package was not installed into {venv}")
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep names' case
    try:
        parser.read(dist.dist_info / "entry_points.txt", encoding="utf-8")
    except configparser.Error as exc:
        raise PalletError(f"{dist.dist_info}/entry_points.txt: cannot be read: {exc}") from None
    scripts = {
        script
        for group in SCRIPT_GROUPS
        if parser.has_section(group)
        for script in parser.options(group)
        if (scheme.scripts / script).is_file()
    }
    scripts.update(_data_scripts(dist.dist_info, scheme.scripts))
    return dist.version, sorted(scripts)


def _data_scripts(dist_info: Path, scripts: Path) -> set[str]:
    """The files the distribution's RECORD places in the scripts folder: its wheel's
    ``.data/scripts/`` (PEP 427), how ruff and other compiled tools ship their executable
    without an entry point. RECORD's paths are relative to the folder holding the
    ``.dist-info`` (PEP 376 / the recording-installed-packages specification)."""
    import csv

    site = dist_info.parent
    folder = scripts.resolve()
    try:
        with open(dist_info / "RECORD", encoding="utf-8", newline="") as stream:
            rows = list(csv.reader(stream))
    except (OSError, UnicodeDecodeError, csv.Error):
        return set()
    found = set()
    for row in rows:
        if not row or not row[0]:
            continue
        path = (site / row[0]).resolve()
        if path.parent == folder and path.is_file():
            found.add(path.name)
    return found


def _check_writable(folder: Path, what: str, variable: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".pallet-write-check.")
        os.close(fd)
        Path(probe).unlink()
    except OSError as exc:
        raise PalletError(
            f"{folder}: the {what} cannot be written ({variable} moves it): {exc.strerror or exc}"
        ) from None


def install_tool(
    spec: ToolSpec, *, force: bool, env: Mapping[str, str], upgrade: bool = False
) -> Receipt | None:
    """Install (or replace) the tool `spec` names; the new receipt, or None when nothing
    changed (already installed with this spec; or, for `upgrade`, nothing newer)."""
    from ..index.cache import Cache
    from .run_env import EnvRequest, default_indexes, file_lock
    from .tool_variant import pick_variant

    root, bins = tool_dir(env), bin_dir(env)
    name = spec.name
    index_url = spec.index_url or env.get(PALLET_INDEX_URL, "").strip() or None
    spec = dataclasses.replace(spec, index_url=index_url)  # as the receipt keeps it
    _check_writable(root, "tool folder", PALLET_TOOL_DIR)
    _check_writable(bins, "bin folder", PALLET_TOOL_BIN_DIR)
    Cache.default(env).check_writable()  # the store the environment links from
    folder = root / name
    folder.mkdir(exist_ok=True)
    with file_lock(folder / ".lock"):
        old = read_receipt(folder / CURRENT)
        if old is not None and not force and not upgrade and spec.same_as(old):
            ui.info(
                f"{name} {old.version} is already installed "
                f"(--force installs it again; `pallet tool upgrade {name}` looks for a newer one)"
            )
            return None
        new = folder / f"env-{os.urandom(4).hex()}"
        try:
            python, python_version = find_interpreter(spec.python_request, root)
            variant = pick_variant(spec.variant, env)
            indexes = default_indexes({PALLET_INDEX_URL: index_url} if index_url else {})
            if variant is not None:
                indexes = (*indexes, variant.index)
            request = EnvRequest(
                requirements=(spec.requirement, *spec.with_),
                python=python,
                python_version=python_version,
                indexes=indexes,
                sources=variant.sources if variant else {},
            )
            receipt = _prepare(new, request, spec, name, variant, old, force, upgrade, env)
            if receipt is None:
                shutil.rmtree(new, ignore_errors=True)
                return None
            _activate(folder, new, receipt, old, bins, root)
        except BaseException:
            shutil.rmtree(new, ignore_errors=True)
            if old is None:
                shutil.rmtree(folder, ignore_errors=True)  # a first install leaves nothing
            raise
    return receipt


def _prepare(
    new: Path,
    request: EnvRequest,
    spec: ToolSpec,
    name: str,
    variant: ToolVariant | None,
    old: Receipt | None,
    force: bool,
    upgrade: bool,
    env: Mapping[str, str],
) -> Receipt | None:
    """Build the environment in `new` and check its scripts can be linked; its receipt (written),
    or None when an upgrade locked exactly what is installed."""
    from .run_env import build_environment

    doing = "Resolving" if upgrade else "Creating the environment of"
    ui.info(f"{doing} {name} ({spec.requirement})")
    try:
        build_environment(new, request.key(), request, offline=False, env=env, refresh=upgrade)
    except OSError as exc:
        where = exc.filename or new
        raise PalletError(
            f"{where}: cannot make the environment of {name}: {exc.strerror or exc}"
        ) from None
    if upgrade and old is not None and _locked(new) == _locked(new.parent / CURRENT):
        ui.info(f"{name} {old.version} is up to date (nothing newer within {spec.requirement})")
        return None
    backend = None
    if variant is not None and {n for n, _ in _locked(new)} & TORCH_FAMILY:
        backend = variant.backend
        ui.info(f"PyTorch packages of {name}: the {backend} build ({variant.how})")
    version, scripts = console_scripts(new / VENV, name)
    if not scripts:
        raise PalletError(
            f"{name} {version}: the package has no scripts (no [console_scripts] in its "
            "entry_points.txt, no .data/scripts files), so there is nothing to install as a tool; "
            f"`pallet x --from {name} COMMAND` runs a command of one of its dependencies"
        )
    _check_links(scripts, name, bin_dir(env), tool_dir(env), force)
    receipt = Receipt(
        name=name,
        requirement=str(spec.requirement),
        version=version,
        scripts=tuple(scripts),
        with_=tuple(str(w) for w in spec.with_),
        python_request=spec.python_request,
        python=request.python,
        index_url=spec.index_url,
        variant_request=spec.variant,
        variant=backend,
        pallet=__version__,
    )
    write_receipt(new, receipt)
    return receipt


def _locked(folder: Path) -> list[tuple[str, str]]:
    """The (name, version) pairs of an environment folder's pylock.toml ([] when unreadable)."""
    try:
        with open(folder / "pylock.toml", "rb") as stream:
            data = tomllib.load(stream)
    except (OSError, tomllib.TOMLDecodeError):
        return []
    return sorted((str(p.get("name")), str(p.get("version"))) for p in data.get("packages", []))


def _check_links(scripts: list[str], name: str, bins: Path, root: Path, force: bool) -> None:
    """Refuse to replace what is not `name`'s own in the bin folder (unless `force`)."""
    taken = []
    for script in scripts:
        path = bins / script
        if not os.path.lexists(path):
            continue
        owner = link_owner(path, root)
        if owner == name:
            continue
        what = f"tool {owner!r}'s script" if owner else "a file pallet did not make"
        taken.append(f"{path} ({what})")
    if taken and not force:
        raise PalletError(
            f"{name}: will not replace {', '.join(taken)}; --force replaces "
            + ("it" if len(taken) == 1 else "them")
        )


def _activate(
    folder: Path, new: Path, receipt: Receipt, old: Receipt | None, bins: Path, root: Path
) -> None:
    """Swap ``current`` to `new`, link the scripts, unlink the old ones the new version lacks,
    remove the old environments. When a link cannot be made, ``current`` is swapped back and
    the links made are undone, so the old version (if any) is what is installed still."""
    from ..install.scheme import Scheme

    token = os.urandom(4).hex()
    current = folder / CURRENT
    previous = str(current.readlink()) if current.is_symlink() else None
    _point(current, new.name, token)
    scripts_rel = Scheme.read(new / VENV).scripts.relative_to(new)
    made: list[str] = []
    try:
        for script in receipt.scripts:
            link = bins / f".{script}.pallet-{token}"
            try:
                link.symlink_to(current / scripts_rel / script)
                link.replace(bins / script)
            except OSError as exc:
                link.unlink(missing_ok=True)
                raise PalletError(
                    f"{bins / script}: cannot link the script: {exc.strerror or exc}"
                ) from None
            made.append(script)
    except BaseException:
        if previous is not None and old is not None:
            _point(current, previous, token)  # the old links work again through it
        for script in made:
            if script not in (old.scripts if old else ()):
                (bins / script).unlink(missing_ok=True)
        raise
    for script in sorted(set(old.scripts if old else ()) - set(receipt.scripts)):
        if link_owner(bins / script, root) == receipt.name:
            (bins / script).unlink(missing_ok=True)
    for entry in folder.iterdir():
        if entry.name.startswith("env-") and entry != new:
            shutil.rmtree(entry, ignore_errors=True)


def _point(current: Path, target: str, token: str) -> None:
    """Make ``current`` name `target` with one rename (atomic on POSIX): readers see the old
    link or the new one, never none. Relative, so the tool folder may move as a whole."""
    tmp = current.with_name(f".{CURRENT}-{token}")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target)
    tmp.replace(current)


def uninstall_tool(name: str, env: Mapping[str, str]) -> Receipt | None:
    """Remove the tool `name`: its links in the bin folder, then its folder; nothing else.
    The receipt it had (None for a folder without one)."""
    from .run_env import file_lock

    root, bins = tool_dir(env), bin_dir(env)
    folder = root / name
    if not folder.is_dir():
        if not _unlink_scripts(name, bins, root):  # a tool folder deleted by hand
            raise unknown_tool(name, root)
        return None
    with file_lock(folder / ".lock"):
        receipt = read_receipt(folder / CURRENT)
        _unlink_scripts(name, bins, root)
        try:
            shutil.rmtree(folder)
        except OSError as exc:
            raise PalletError(
                f"{exc.filename or folder}: cannot remove the tool: {exc.strerror or exc}"
            ) from None
    return receipt


def _unlink_scripts(name: str, bins: Path, root: Path) -> list[str]:
    """Remove every bin-folder link of the tool `name` (also those a receipt forgot)."""
    try:
        entries = sorted(entry.name for entry in bins.iterdir())
    except OSError:
        return []
    removed = []
    for entry in entries:
        if link_owner(bins / entry, root) == name:
            try:
                (bins / entry).unlink()
            except OSError as exc:
                raise PalletError(
                    f"{bins / entry}: cannot remove the script: {exc.strerror or exc}"
                ) from None
            removed.append(entry)
    return removed


def unknown_tool(name: str, root: Path) -> PalletError:
    return PalletError(f"{name}: no such tool is installed in {root} (`pallet tool list`)")
