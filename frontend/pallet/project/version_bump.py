"""``pallet version --bump``: the next PEP 440 version from the current one (pure).

A version is ``[N!]release[{a|b|rc}N][.postN][.devN][+local]`` (PEP 440, "Public version
identifiers"); its components rank ``major > minor > patch > stable > alpha > beta > rc > post >
dev``, as in uv's ``uv version --bump``. The bumps given are applied in that order, whatever
order the command line gave them in; bumping one component clears every lower one, and a
component that is absent counts as 0 (``1.2`` bumped ``patch`` is ``1.2.1``). Examples, each
checked by the tests against `packaging.version`:

- ``major`` 1.2.3 -> 2.0.0, ``minor`` 1.2.3 -> 1.3.0, ``patch`` 1.2.3 -> 1.2.4
  (1.2.3rc1 -> 1.2.4: a release bump drops the pre-release);
- ``alpha``/``beta``/``rc``: 1.3.1b1 -> 1.3.1b2 (same kind: the number goes up), 1.3.1a2
  --bump beta -> 1.3.1b1 (a later kind starts at 1), 1.3.1.dev4 --bump alpha -> 1.3.1a1;
- ``post`` 1.2.3 -> 1.2.3.post1, 1.2.3.post1 -> 1.2.3.post2;
- ``dev`` 1.2.4.dev1 -> 1.2.4.dev2, and with another bump it starts that version's
  development: 1.2.3 --bump minor --bump dev -> 1.3.0.dev1;
- ``stable`` 1.3.0rc2 -> 1.3.0 (drops pre, post and dev).

Where pallet differs from uv: a pre-release or ``dev`` bump of a final release (or of a
post-release of one) would go *down* (PEP 440 orders 1.3.0b1 before 1.3.0), which uv refuses;
pallet bumps ``patch`` first instead, unless a release component is bumped with it:
1.3.0 --bump beta -> 1.3.1b1, 1.3.0 --bump dev -> 1.3.1.dev1, 1.3.0 --bump minor --bump beta
-> 1.4.0b1. Likewise ``dev`` alone on a pre-release starts the next one: 1.3.1b1 -> 1.3.1b2.dev1.

The epoch is kept; a local label (``+cu126``) is dropped: a bump makes a new release of the
project, and PEP 440 local labels are for downstream rebuilds of one. A result that is not
greater than the current version (1.3.1b2 --bump alpha, 1.2.3.post1 --bump stable) is refused:
an explicit ``pallet version X`` goes back when that is meant.
"""

from __future__ import annotations

from collections.abc import Sequence

from packaging.version import Version

from ..errors import PalletError

__all__ = ["BUMPS", "bump_version", "order_bumps"]

#: Every ``--bump`` component, highest first: the order they are applied in.
BUMPS = ("major", "minor", "patch", "stable", "alpha", "beta", "rc", "post", "dev")
_RELEASE = {"major": 0, "minor": 1, "patch": 2}
#: PEP 440's pre-release spellings, normalized (``packaging.version.Version.pre``)
_PRE = {"alpha": "a", "beta": "b", "rc": "rc"}
_PRE_NAME = {short: name for name, short in _PRE.items()}


def order_bumps(bumps: Sequence[str]) -> tuple[str, ...]:
    """The bumps in application order; `PalletError` (exit 2) for a combination without one
    clear meaning: a repeat, two release or two pre-release components, ``stable`` with
    anything, ``post`` with anything but ``dev``."""
    unknown = [b for b in bumps if b not in BUMPS]
    if unknown:
        raise PalletError(f"--bump {unknown[0]!r}: use one of {', '.join(BUMPS)}")
    shown = " ".join(f"--bump {b}" for b in bumps)
    for bump in BUMPS:
        if bumps.count(bump) > 1:
            raise PalletError(f"{shown}: {bump!r} given twice; give each component once")
    if len([b for b in bumps if b in _RELEASE]) > 1:
        raise PalletError(f"{shown}: give at most one of major, minor, patch")
    if len([b for b in bumps if b in _PRE]) > 1:
        raise PalletError(f"{shown}: give at most one of alpha, beta, rc")
    if "stable" in bumps and len(bumps) > 1:
        raise PalletError(f"{shown}: 'stable' goes alone (it drops pre, post and dev)")
    if "post" in bumps and set(bumps) - {"post", "dev"}:
        raise PalletError(f"{shown}: 'post' combines only with 'dev'")
    return tuple(sorted(bumps, key=BUMPS.index))


def bump_version(current: Version, bumps: Sequence[str]) -> Version:
    """The version after ``bumps`` (see the module docstring for the rules)."""
    steps = list(order_bumps(bumps))
    if not steps:
        raise PalletError("--bump: name a component: " + ", ".join(BUMPS))
    # PEP 440 orders 1.3.0.dev1 < 1.3.0a1 < 1.3.0 < 1.3.0.post1: a final release, or a
    # post-release of one, is past every pre-release and dev release of its release segment.
    past_final = current.pre is None and (current.dev is None or current.post is not None)
    if not any(s in _RELEASE for s in steps):
        if past_final and any(s in _PRE or s == "dev" for s in steps):
            steps.insert(0, "patch")
        elif steps == ["dev"] and current.dev is None and current.pre is not None:
            steps.insert(0, _PRE_NAME[current.pre[0]])  # 1.3.1b1 -> 1.3.1b2.dev1
    release = list(current.release)
    pre: tuple[str, int] | None = current.pre
    post, dev = current.post, current.dev
    for step in steps:
        if step in _RELEASE:
            index = _RELEASE[step]
            release += [0] * (index + 1 - len(release))
            release[index] += 1
            release[index + 1 :] = [0] * (len(release) - index - 1)
            pre, post, dev = None, None, None
        elif step == "stable":
            pre, post, dev = None, None, None
        elif step in _PRE:
            kind = _PRE[step]
            pre = (kind, pre[1] + 1) if pre is not None and pre[0] == kind else (kind, 1)
            post, dev = None, None
        elif step == "post":
            post, dev = (post or 0) + 1, None
        else:  # dev
            dev = (dev or 0) + 1
    text = f"{current.epoch}!" if current.epoch else ""
    text += ".".join(str(part) for part in release)
    text += f"{pre[0]}{pre[1]}" if pre is not None else ""
    text += f".post{post}" if post is not None else ""
    text += f".dev{dev}" if dev is not None else ""
    new = Version(text)
    if new <= current:
        flags = " ".join(f"--bump {b}" for b in bumps)
        raise PalletError(
            f"{flags}: {current} would become {new}, which is not a newer version (PEP 440 "
            f"order); to go there anyway, give it: pallet version {new}"
        )
    return new
