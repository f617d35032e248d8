"""Why a resolution failed, in sentences: resolvelib's `ResolutionImpossible` causes -> text.

Each cause is a requirement and the candidate that asked for it. The causes are grouped by the
package they constrain; for each group the message says, in this order of precedence, that no
version exists at all, that the versions that exist are excluded by Requires-Python, PEP 592
yanking or the pre-release policy, or else the chain of requirements that conflict.
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
_DEPTH = 5


def _versions(versions: Sequence[Version]) -> str:
    """Oldest to newest, the newest few only."""
    ordered = sorted(versions)
    shown = ", ".join(str(v) for v in ordered[-_SHOWN:])
    return ("..., " if len(ordered) > _SHOWN else "") + shown if ordered else "none"


def _chain(info: Info, provider: Provider) -> str:
    """``app depends on a>=2 and a 2.0 depends on b<1``: from the project down to ``info``."""
    req, parent = info.requirement, info.parent
    if parent is None:
        return f"{provider.roots.project} depends on {req}"
    steps = [f"{parent} depends on {req}"]
    seen = {parent.identifier}
    current = parent
    while current.kind == "package" and len(steps) < _DEPTH:
        found = provider.first_parent.get(current.identifier)
        if found is None:
            break
        up_req, up = found
        if up is None or up.identifier in seen:
            break
        steps.append(f"{up} depends on {up_req}")
        seen.add(up.identifier)
        current = up
    return " and ".join(reversed(steps))


def _python_sentence(infos: Sequence[Info], provider: Provider) -> str:
    ranges = provider.context.ranges
    parts = []
    for info in infos:
        spec = info.requirement.specifier
        missing = [r.minor for r in ranges if not spec.contains(r.low, prereleases=True)]
        parts.append(
            f"Because {_chain(info, provider)}, while the lock must also hold for Python "
            f"{', '.join(dict.fromkeys(missing)) or 'versions it excludes'} (the project's "
            "requires-python), that version cannot be used and no other fits; raise "
            "requires-python or constrain the package"
        )
    return "; ".join(parts) + "."


def _unavailable(reqs: Sequence[Req], infos: Sequence[Info], provider: Provider) -> str | None:
    """A sentence when the requirements exclude every version by themselves (no conflict)."""
    catalog = provider.catalog
    name = reqs[0].name
    releases = catalog.releases(name)
    constraint = catalog.constraint(name)  # no-build / no-binary left versions out
    if not releases:
        if constraint:
            missing, setting = constraint
            skipped = _versions(list(catalog.excluded[name]))
            return (
                f"`{name}` has no {missing} and {setting} is set for it (versions: {skipped}); "
                f"{_chain(infos[0], provider)}."
            )
        return f"`{name}` was not found on the package index ({_chain(infos[0], provider)})."
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
                return (
                    f"`{req}` matches only versions without {article} {missing} "
                    f"({_versions(left_out)}), "
                    f"and {setting} is set for `{name}`; {_chain(info, provider)}."
                )
            return (
                f"No versions of `{name}` match `{req}` (available: {_versions(every)}); "
                f"{_chain(info, provider)}."
            )
    matching = catalog.matching(reqs[0])
    for req in reqs[1:]:
        matching = matching & catalog.matching(req)
    if not matching or provider.versions(reqs):
        return None
    spec = " and ".join(dict.fromkeys(str(r) for r in reqs))
    ranges = provider.context.ranges
    candidates = [r for r in releases if r.version in matching]
    python = [r for r in candidates if not catalog.python_ok(r, ranges)]
    if python:
        needs = catalog.requires_python(name, python[0].version)
        excluded = [r.minor for r in ranges if needs is not None and r.low not in needs]
        return (
            f"`{spec}` matches {_versions([r.version for r in python])}, but they require "
            f"Python {needs}, which leaves out Python {', '.join(dict.fromkeys(excluded))} "
            f"(allowed by the project's requires-python); {_chain(infos[0], provider)}."
        )
    yanked = [r for r in candidates if r.all_yanked]
    if yanked:
        v = yanked[0].version
        return (
            f"`{spec}` matches only yanked releases ({_versions([r.version for r in yanked])}); "
            f"pin one exactly (`{name}=={v}`) to use it."
        )
    pre = [r.version for r in candidates if r.version.is_prerelease]
    if pre:
        return (
            f"`{spec}` matches only pre-releases ({_versions(pre)}); allow them with "
            '`prerelease = "allow"` in [tool.pallet.resolution] or name one in the specifier.'
        )
    return None


def _conflict(identifier: str, infos: Sequence[Info], provider: Provider) -> str:
    # Chains through packages first: "app depends on a>=2 and a 2.0 depends on b<1, while ..."
    ordered = sorted(infos, key=lambda i: i.parent is None or i.parent.kind != "package")
    chains = list(dict.fromkeys(_chain(i, provider) for i in ordered))
    specs = list(dict.fromkeys(f"`{i.requirement}`" for i in ordered))
    clash = f"{' and '.join(specs)} conflict" if len(specs) > 1 else f"{specs[0]} cannot be met"
    packages = [i.parent for i in ordered if i.parent is not None and i.parent.kind == "package"]
    if packages:
        ending = f"no version of `{packages[0].name}` satisfies the requirements ({clash})"
    else:
        ending = f"no version of `{identifier}` satisfies them ({clash})"
    if len(chains) == 1:
        return f"Because {chains[0]}, {ending}."
    return f"Because {' and '.join(chains[:-1])}, while {chains[-1]}, {ending}."


def explain(causes: Sequence[Info], provider: Provider, where: str | None = None) -> str:
    """A short account of a failed resolution, naming the fork unless it is the whole lock."""
    groups: dict[str, list[Info]] = {}
    for info in causes:
        groups.setdefault(info.requirement.identifier, []).append(info)
    sentences: list[str] = []
    for identifier, infos in groups.items():
        reqs = [i.requirement for i in infos]
        if identifier == ":python:":
            sentences.append(_python_sentence(infos, provider))
            continue
        if reqs[0].kind != "package":
            continue
        sentence = _unavailable(reqs, infos, provider)
        sentences.append(sentence or _conflict(identifier, infos, provider))
    text = "\n".join(dict.fromkeys(sentences)) or "The requirements cannot be satisfied."
    if where:
        text = f"For environments where `{where}`:\n{text}"
    return text
