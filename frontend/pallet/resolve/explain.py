"""Why a resolution failed, in lines a person can follow: resolvelib's `ResolutionImpossible`
causes -> text.

Each cause is a requirement and the candidate that asked for it. The causes are grouped by what
they constrain. Each group gives one headline (what cannot be met, and for which Pythons) and
then the chain that leads there, one step per line, from the project down::

    The lock cannot hold for Python 3.9, which the project supports (requires-python >=3.9):
      app depends on pytest>=8.4.2
      pytest 8.4.2 depends on iniconfig>=2.3
      iniconfig 2.3.0 requires Python >=3.10
    hint: raise requires-python to exclude Python 3.9, or constrain pytest to a version ...

Only causes of the failure are named: a Requires-Python that admits every Python of the fork
is a bystander (resolvelib lists every candidate's Requires-Python when the ``:python:``
requirement fails) and is left out. For a package, in this order of precedence: no version
exists at all, the versions that exist are excluded by Requires-Python, PEP 592 yanking or the
pre-release policy, or else the requirements conflict (both chains are shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from packaging.version import Version

from .candidates import Candidate, Req
from .provider import Provider

if TYPE_CHECKING:
    from resolvelib.structs import RequirementInformation

    Info = RequirementInformation[Req, Candidate]

__all__ = ["explain"]

#: How many versions a message lists before "..."
_SHOWN = 8
#: How far a chain climbs towards the project.
_DEPTH = 6
_INDENT = "  "


def _versions(versions: Sequence[Version]) -> str:
    """Oldest to newest, the newest few only."""
    ordered = sorted(versions)
    shown = ", ".join(str(v) for v in ordered[-_SHOWN:])
    return ("..., " if len(ordered) > _SHOWN else "") + shown if ordered else "none"


def _pythons(minors: Sequence[str]) -> str:
    return "Python " + ", ".join(dict.fromkeys(minors))


def _step(req: Req, parent: Candidate | None, provider: Provider) -> str:
    who = provider.roots.project if parent is None else str(parent)
    if req.kind == "python":
        return f"{who} requires Python {req.specifier}"
    if (parent is None or parent.kind == "root") and req.name in provider.roots.members:
        return f"the workspace has member {req.name}"  # the root's edge to a member
    return f"{who} depends on {req}"


def _member_of(info: Info, provider: Provider) -> str | None:
    """In a workspace: the member a chain starts from (the one nearest the root), or None."""
    members = provider.roots.members
    current = info.parent
    found = None
    seen: set[str] = set()
    while current is not None and current.kind == "package" and current.identifier not in seen:
        seen.add(current.identifier)
        if current.name in members:
            found = current.name
        parent = _parent_of(current, provider)
        current = None if parent is None else parent[1]
    return found


def _parent_of(candidate: Candidate, provider: Provider) -> tuple[Req, Candidate] | None:
    """Who asked for ``candidate``: a requirement it satisfies, the project's own first, else
    the latest seen (the resolver's current path more likely than an abandoned one)."""
    asked = provider.parents.get(candidate.identifier, ())
    fitting = [
        (req, parent)
        for req, parent in asked
        if candidate.version in provider.catalog.matching(req)
    ]
    for req, parent in fitting:
        if parent.kind == "root":
            return req, parent
    return fitting[-1] if fitting else None


def _chain(info: Info, provider: Provider) -> list[str]:
    """The steps from the project down to ``info``, one per line, the project first."""
    steps = [_step(info.requirement, info.parent, provider)]
    current = info.parent
    seen = set() if current is None else {current.identifier}
    while current is not None and current.kind == "package" and len(steps) < _DEPTH:
        found = _parent_of(current, provider)
        if found is None:
            break
        req, parent = found
        if parent.identifier in seen:
            break
        steps.append(_step(req, parent, provider))  # a root reads "app[cli] depends on x"
        seen.add(parent.identifier)
        current = parent
    return list(reversed(steps))


def _block(headline: str, lines: Sequence[str]) -> str:
    return "\n".join([headline, *(_INDENT + line for line in dict.fromkeys(lines))])


def _top_package(chain_of: Info, provider: Provider) -> str | None:
    """The first package the project names on the way to a cause (what to constrain)."""
    current = chain_of.parent
    top = None
    seen: set[str] = set()
    while current is not None and current.kind == "package" and current.identifier not in seen:
        seen.add(current.identifier)
        top = current.name
        found = _parent_of(current, provider)
        current = None if found is None else found[1]
    return top


def _python_block(infos: Sequence[Info], provider: Provider) -> str | None:
    """A Requires-Python that leaves out some Python of the fork; bystanders are left out."""
    ranges = provider.context.ranges
    culprits: list[tuple[Info, list[str]]] = []
    for info in infos:
        spec = info.requirement.specifier
        missing = [r.minor for r in ranges if not spec.contains(r.low, prereleases=True)]
        if missing:
            culprits.append((info, missing))
    if not culprits:
        return None
    blocks = []
    for info, missing in culprits:
        top = _top_package(info, provider)
        hint = f"raise requires-python to exclude {_pythons(missing)}" + (
            f", or constrain {top} to a version that supports it" if top else ""
        )
        headline = (
            f"the lock cannot hold for {_pythons(missing)}, which the project supports "
            f"(requires-python {provider.roots.requires_python}):"
        )
        blocks.append(f"{_block(headline, _chain(info, provider))}\nhint: {hint}")
    return "\n".join(dict.fromkeys(blocks))


def _culprit(reqs: Sequence[Req], infos: Sequence[Info], provider: Provider) -> Info:
    """The cause whose requirement alone leaves nothing usable, else the first."""
    for req, info in zip(reqs, infos):
        if not provider.versions([req]):
            return info
    return infos[0]


def _unavailable(reqs: Sequence[Req], infos: Sequence[Info], provider: Provider) -> str | None:
    """A block when the requirements exclude every version by themselves (no conflict)."""
    catalog = provider.catalog
    name = reqs[0].name
    releases = catalog.releases(name)
    constraint = catalog.constraint(name)  # no-build / no-binary left versions out
    if not releases:
        if constraint:
            missing, setting = constraint
            skipped = _versions(list(catalog.excluded[name]))
            return _block(
                f"`{name}` has no {missing} and {setting} is set for it (versions: {skipped}):",
                _chain(infos[0], provider),
            )
        # The finder may say where it looked (`IndexClient.missing_reason`).
        where = getattr(catalog.finder, "missing_reason", None)
        index = where(name) if where is not None else "the package index"
        return _block(f"`{name}` was not found on {index}:", _chain(infos[0], provider))
    every = [r.version for r in releases]
    for req, info in zip(reqs, infos):
        if not catalog.matching(req):
            left_out = [
                v
                for v in catalog.excluded.get(name, ())
                if req.specifier.contains(v, prereleases=True)
            ]
            if constraint and left_out:
                missing, setting = constraint
                article = "an" if missing == "sdist" else "a"
                return _block(
                    f"`{req}` matches only versions without {article} {missing} "
                    f"({_versions(left_out)}), and {setting} is set for `{name}`:",
                    _chain(info, provider),
                )
            return _block(
                f"No versions of `{name}` match `{req}` (available: {_versions(every)}):",
                _chain(info, provider),
            )
    matching = catalog.matching(reqs[0])
    for req in reqs[1:]:
        matching = matching & catalog.matching(req)
    if not matching or provider.versions(reqs):
        return None
    spec = " and ".join(dict.fromkeys(f"`{r}`" for r in reqs))
    chain = _chain(_culprit(reqs, infos, provider), provider)
    ranges = provider.context.ranges
    candidates = [r for r in releases if r.version in matching]
    python = [r for r in candidates if not catalog.python_ok(r, ranges)]
    if python:
        needs = catalog.requires_python(name, python[0].version)
        excluded = [r.minor for r in ranges if needs is not None and r.low not in needs]
        which = "which requires" if len(python) == 1 else "which require"
        return _block(
            f"no version of `{name}` fits {_pythons(excluded)}, which the project supports "
            f"(requires-python {provider.roots.requires_python}):",
            [
                *chain,
                f"{spec} matches only {_versions([r.version for r in python])}, "
                f"{which} Python {needs}",
            ],
        )
    yanked = [r for r in candidates if r.all_yanked]
    if yanked:
        v = yanked[0].version
        return _block(
            f"{spec} matches only yanked releases ({_versions([r.version for r in yanked])}); "
            f"a yanked release is used only when the project itself pins it exactly (add "
            f"`{name}=={v}` to its dependencies to use it):",
            chain,
        )
    pre = [r.version for r in candidates if r.version.is_prerelease]
    if pre:
        return _block(
            f"{spec} matches only pre-releases ({_versions(pre)}); allow them with "
            '`prerelease = "allow"` in [tool.pallet.resolution] or name one in the specifier:',
            chain,
        )
    return None


def _conflict(identifier: str, infos: Sequence[Info], provider: Provider) -> str:
    # Chains through packages first, then the project's own requirements.
    ordered = sorted(infos, key=lambda i: i.parent is None or i.parent.kind != "package")
    specs = list(dict.fromkeys(f"`{i.requirement}`" for i in ordered))
    name = ordered[0].requirement.name
    if len(specs) > 1:
        both = "both" if len(specs) == 2 else "all of them"
        headline = f"{' and '.join(specs)} conflict; no version of `{name}` satisfies {both}:"
    else:
        headline = f"no version of `{identifier}` satisfies {specs[0]}:"
    lines = [line for info in ordered for line in _chain(info, provider)]
    by_member = {
        m: f"`{i.requirement}`" + ("" if i.parent.name == m else f" (through {i.parent})")
        for i in ordered
        if i.parent is not None and (m := _member_of(i, provider))
    }
    if len(by_member) > 1:  # a workspace: name the members whose requirements disagree
        names = list(by_member)
        said = " and ".join(f"{m} requires {spec}" for m, spec in by_member.items())
        headline = (
            f"workspace members {', '.join(names[:-1])} and {names[-1]} conflict: {said}; "
            f"no version of `{name}` satisfies {'both' if len(names) == 2 else 'all of them'}:"
        )
    return _block(headline, lines)


def explain(causes: Sequence[Info], provider: Provider, where: str | None = None) -> str:
    """A short account of a failed resolution, naming the fork unless it is the whole lock."""
    groups: dict[str, list[Info]] = {}
    for info in causes:
        groups.setdefault(info.requirement.identifier, []).append(info)
    blocks: list[str] = []
    for identifier, infos in groups.items():
        reqs = [i.requirement for i in infos]
        if identifier == ":python:":
            block = _python_block(infos, provider)
            if block is not None:
                blocks.append(block)
            continue
        if reqs[0].kind != "package":
            continue
        blocks.append(_unavailable(reqs, infos, provider) or _conflict(identifier, infos, provider))
    text = "\n".join(dict.fromkeys(blocks)) or "The requirements cannot be satisfied."
    text = text[0].upper() + text[1:]
    if where:
        text = f"For environments where `{where}`:\n{text}"
    return text
