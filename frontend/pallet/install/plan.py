"""The difference between what a lock selects and what an environment holds.

A package stays when it is installed at the wanted version *from the same source*: for an index
file, a distribution with no PEP 610 ``direct_url.json`` (whoever installed it: pip's install of
the same version is not churned); for a direct reference, the same URL and the same commit,
archive hash or editable flag. Everything else wanted is installed (replacing what is there);
what the lock does not select is removed in an exact sync, except the names in ``keep`` (the
seed packages of a ``--seed`` environment).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from packaging.version import InvalidVersion, Version

from .select import Wanted

__all__ = ["Change", "InstalledLike", "Plan", "Step", "make_plan", "same_version"]


class InstalledLike(Protocol):
    """What the plan reads of an installed distribution (`install.installed.InstalledDist`)."""

    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def direct_url(self) -> Mapping[str, object] | None: ...


@dataclass(frozen=True)
class Change:
    """One line of a sync's report: ``+ name new``, ``- name old``, ``~ name old -> new``."""

    kind: Literal["+", "-", "~"]
    name: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        if self.kind == "+":
            return f"+ {self.name} {self.new}"
        if self.kind == "-":
            return f"- {self.name} {self.old}"
        return f"~ {self.name} {self.old} -> {self.new}"


@dataclass(frozen=True)
class Step:
    """Install `wanted`, replacing `replaces` (None: a new package)."""

    wanted: Wanted
    replaces: InstalledLike | None


@dataclass(frozen=True)
class Plan:
    install: tuple[Step, ...]
    remove: tuple[InstalledLike, ...]
    unchanged: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.install and not self.remove

    def changes(self, versions: Mapping[str, str] | None = None) -> list[Change]:
        """The report, by name; `versions` gives the versions learnt by building (packages
        whose lock entry states none)."""
        versions = versions or {}
        out = [Change("-", d.name, d.version, None) for d in self.remove]
        for step in self.install:
            new = step.wanted.version or versions.get(step.wanted.name) or "(built)"
            if step.replaces is None:
                out.append(Change("+", step.wanted.name, None, new))
            else:
                out.append(Change("~", step.wanted.name, step.replaces.version, new))
        return sorted(out, key=lambda c: (c.name, c.kind))


def same_version(a: str, b: str) -> bool:
    """PEP 440 equality (``1.0`` is ``1.0.0``), text equality for a non-PEP 440 version."""
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _sha256_of(info: object) -> str | None:
    if not isinstance(info, Mapping):
        return None
    hashes = info.get("hashes")
    if isinstance(hashes, Mapping) and isinstance(hashes.get("sha256"), str):
        return str(hashes["sha256"]).lower()
    legacy = info.get("hash")  # PEP 610's deprecated "sha256=<hex>"
    if isinstance(legacy, str) and legacy.startswith("sha256="):
        return legacy[len("sha256=") :].lower()
    return None


def same_source(wanted: Wanted, installed: Mapping[str, object] | None) -> bool:
    """Does an installed distribution's PEP 610 record (None: from an index) match `wanted`?"""
    expected = wanted.direct_url
    if expected is None or installed is None:
        return expected is None and installed is None
    if installed.get("url") != expected.get("url"):
        return False
    if installed.get("subdirectory") != expected.get("subdirectory"):
        return False
    if "vcs_info" in expected:
        got, want = installed.get("vcs_info"), expected["vcs_info"]
        return (
            isinstance(got, Mapping)
            and isinstance(want, Mapping)
            and got.get("commit_id") == want.get("commit_id")
        )
    if "dir_info" in expected:
        got, want = installed.get("dir_info"), expected["dir_info"]
        return (
            isinstance(got, Mapping)
            and isinstance(want, Mapping)
            and bool(got.get("editable", False)) == bool(want.get("editable", False))
        )
    if "archive_info" in expected:
        return _sha256_of(installed.get("archive_info")) == _sha256_of(expected["archive_info"])
    return False


def make_plan(
    wanted: Iterable[Wanted],
    installed: Mapping[str, InstalledLike],
    *,
    exact: bool,
    keep: Collection[str] = (),
    force: Collection[str] = (),
) -> Plan:
    """What to install and remove so that the environment holds exactly `wanted` (`exact`) or at
    least it. Names in `force` are reinstalled even when they match (a repair)."""
    install: list[Step] = []
    unchanged: list[str] = []
    names = set()
    for item in wanted:
        names.add(item.name)
        dist = installed.get(item.name)
        if (
            dist is not None
            and item.name not in force
            and (item.version is None or same_version(dist.version, item.version))
            and (item.recorded_version is None or same_version(dist.version, item.recorded_version))
            and same_source(item, dist.direct_url)
        ):
            unchanged.append(item.name)
            continue
        install.append(Step(item, dist))
    remove = []
    if exact:
        remove = [d for n, d in sorted(installed.items()) if n not in names and n not in keep]
    return Plan(tuple(install), tuple(remove), tuple(sorted(unchanged)))
