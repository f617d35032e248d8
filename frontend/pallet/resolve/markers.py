"""Marker algebra for the universal lock: write a readable marker for a set of environments.

Markers are built as small expression trees, rendered to PEP 508 text and parsed once by
`packaging.markers.Marker`; nothing here parses marker text itself. The marker written for a set
``S`` of environments is exact on the lock's universe: it is true on every environment of ``S``
and false on every other environment of the universe (what it says outside the universe, e.g. on
FreeBSD, is not promised).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Union

from packaging.markers import Marker
from packaging.version import InvalidVersion, Version

from .environments import Environment, PythonRange

__all__ = [
    "Activation",
    "activation_expr",
    "and_",
    "describe",
    "environment_markers",
    "full_version_cuts",
    "to_marker",
    "variant_expr",
]

#: An expression: a marker atom, or ("and" | "or", operands). ``None`` means "always true".
Expr = Union[str, tuple[str, tuple["Expr", ...]]]

#: What makes a package installed besides the environment: ``("extra", name)`` or
#: ``("group", name)`` terms, OR-ed. The empty set means "always" (reached from the base).
Activation = frozenset[tuple[str, str]]


def and_(parts: Iterable[Expr | None]) -> Expr | None:
    """AND of the parts that are not None (None: always true)."""
    return _and(parts)


def _and(parts: Iterable[Expr | None]) -> Expr | None:
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else ("and", tuple(kept))


def _or(parts: Sequence[Expr]) -> Expr:
    return parts[0] if len(parts) == 1 else ("or", tuple(parts))


def render(expr: Expr, parent: str = "") -> str:
    """PEP 508 text; parentheses only where an ``or`` sits inside an ``and``."""
    if isinstance(expr, str):
        return expr
    op, parts = expr
    text = f" {op} ".join(render(p, op) for p in parts)
    return f"({text})" if parent == "and" and op == "or" else text


def _size(expr: Expr | None) -> int:
    return 0 if expr is None else len(render(expr))


def _shortest(*options: Expr | None) -> Expr | None:
    return min(options, key=_size)


#: Most platforms for which `describe` tries every subset of them (grouping 3).
_COVER_MAX = 8

#: A negated form (``!=``) is used only when it is this much shorter than the positive one.
_NEGATION_COST = 8


def _pick(positive: Expr, negative: Expr) -> Expr:
    return negative if _size(negative) + _NEGATION_COST < _size(positive) else positive


# -- platforms ---------------------------------------------------------------------------------

#: What markers can tell of a platform (`Platform.marker_values`); glibc and musl Linux share it.
PlatformKey = tuple[str, str, str]
#: The marker variable of each part of a `PlatformKey`.
_ATTRS = ("implementation_name", "sys_platform", "platform_machine")


def _platforms_positive(
    chosen: Sequence[tuple[str, ...]],
    available: Sequence[tuple[str, ...]],
    attrs: Sequence[str] = _ATTRS,
    level: int = 0,
) -> Expr | None:
    """OR over the values of one variable (implementation, then system, then machine) of
    ``attr == value`` AND the same for the next variable; a variable with one value in
    ``available`` is left out. ``None`` when everything available is chosen."""
    if len(set(chosen)) == len(set(available)):
        return None
    values = list(dict.fromkeys(k[level] for k in available))
    terms: list[Expr] = []
    for value in values:
        wanted = [k for k in chosen if k[level] == value]
        if not wanted:
            continue
        atom = f'{attrs[level]} == "{value}"' if len(values) > 1 else None
        inner = [k for k in available if k[level] == value]
        term = _and([atom, _platforms_positive(wanted, inner, attrs, level + 1)])
        assert term is not None  # one value wholly chosen would be everything
        terms.append(term)
    return _or(terms)


def _platforms_negative(
    rejected: Sequence[tuple[str, ...]],
    available: Sequence[tuple[str, ...]],
    attrs: Sequence[str] = _ATTRS,
    level: int = 0,
) -> Expr:
    """AND over the values of one variable of ``attr != value`` (all of it rejected) or
    ``(attr != value or <the same one level down>)``."""
    values = list(dict.fromkeys(k[level] for k in available))
    terms: list[Expr] = []
    for value in values:
        unwanted = [k for k in rejected if k[level] == value]
        if not unwanted:
            continue
        atom = f'{attrs[level]} != "{value}"' if len(values) > 1 else None
        inner = [k for k in available if k[level] == value]
        if len(set(unwanted)) == len(set(inner)):
            assert atom is not None  # else nothing would be chosen at all
            terms.append(atom)
            continue
        below = _platforms_negative(unwanted, inner, attrs, level + 1)
        terms.append(("or", (atom, below)) if atom else below)
    return terms[0] if len(terms) == 1 else ("and", tuple(terms))


def _platforms(chosen: Sequence[PlatformKey], universe: Sequence[PlatformKey]) -> Expr | None:
    """The shortest of: implementation first, then system and machine; or the implementation
    last (``sys_platform == "linux"`` for CPython and PyPy on Linux)."""
    if len(set(chosen)) == len(set(universe)):
        return None
    rejected = [k for k in universe if k not in chosen]
    options: list[Expr] = []
    for order in ((0, 1, 2), (1, 2, 0)):
        attrs = [_ATTRS[i] for i in order]
        pick = [tuple(k[i] for i in order) for k in chosen]
        every = [tuple(k[i] for i in order) for k in universe]
        drop = [tuple(k[i] for i in order) for k in rejected]
        positive = _platforms_positive(pick, every, attrs)
        assert positive is not None
        options.append(_pick(positive, _platforms_negative(drop, every, attrs)))
    return min(options, key=_size)


# -- Python versions ---------------------------------------------------------------------------


def _bound(version: Version, op: str) -> str:
    if version.micro == 0:
        return f'python_version {op} "{version.major}.{version.minor}"'
    return f'python_full_version {op} "{version}"'


def _runs(indexes: Sequence[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for i in indexes:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _pythons(chosen: Sequence[PythonRange], universe: Sequence[PythonRange]) -> Expr | None:
    if len(chosen) == len(universe):
        return None
    last = len(universe) - 1
    chosen_runs = _runs(sorted(universe.index(r) for r in chosen))
    rejected_runs = _runs([i for i, r in enumerate(universe) if r not in chosen])

    def run_in(start: int, end: int) -> Expr:
        low = universe[start].low
        high = universe[end + 1].low if end < last else None
        one_minor = high == Version(f"{low.major}.{low.minor + 1}")
        if start > 0 and high is not None and low.micro == 0 and one_minor:
            return f'python_version == "{low.major}.{low.minor}"'
        lower = _bound(low, ">=") if start > 0 else None
        upper = _bound(high, "<") if high is not None else None
        expr = _and([lower, upper])
        assert expr is not None
        return expr

    def run_out(start: int, end: int) -> Expr:
        low = universe[start].low
        high = universe[end + 1].low if end < last else None
        if high is not None and low.micro == 0 and high == Version(f"{low.major}.{low.minor + 1}"):
            return f'python_version != "{low.major}.{low.minor}"'
        below = _bound(low, "<") if start > 0 else None
        above = _bound(high, ">=") if high is not None else None
        parts = [p for p in (below, above) if p is not None]
        return parts[0] if len(parts) == 1 else ("or", tuple(parts))

    positive = _or([run_in(s, e) for s, e in chosen_runs])
    outs = [run_out(s, e) for s, e in rejected_runs]
    negative: Expr = outs[0] if len(outs) == 1 else ("and", tuple(outs))
    return _pick(positive, negative)


# -- environments ------------------------------------------------------------------------------


def describe(chosen: Iterable[Environment], universe: Sequence[Environment]) -> Expr | None:
    """The shortest expression, of three groupings tried, that is true exactly on ``chosen``
    among ``universe``; ``None`` when ``chosen`` is the whole universe."""
    picked = {(e.platform.marker_values, e.python) for e in chosen}
    cells = {(e.platform.marker_values, e.python) for e in universe}
    if len(picked) == len(cells):
        return None
    platforms = list(dict.fromkeys(e.platform.marker_values for e in universe))
    pythons = sorted({e.python for e in universe})

    # Grouping 1: per platform, the set of Python ranges chosen; platforms with equal sets share
    # a term.
    by_platform: dict[frozenset[PythonRange], list[PlatformKey]] = {}
    for platform in platforms:
        ranges = frozenset(python for key, python in picked if key == platform)
        if ranges:
            by_platform.setdefault(ranges, []).append(platform)
    first = [
        _and([_platforms(plats, platforms), _pythons(sorted(ranges), pythons)])
        for ranges, plats in by_platform.items()
    ]
    # Grouping 2: per Python range, the set of platforms chosen.
    by_python: dict[frozenset[PlatformKey], list[PythonRange]] = {}
    for python in pythons:
        plats = frozenset(key for key, p in picked if p == python)
        if plats:
            by_python.setdefault(plats, []).append(python)
    second = [
        _and(
            [_pythons(ranges, pythons), _platforms([p for p in platforms if p in plats], platforms)]
        )
        for plats, ranges in by_python.items()
    ]
    # grouping 3 tries every subset of platforms: skipped when there are many (PyPy added)
    third = _cover(picked, cells, platforms, pythons) if len(platforms) <= _COVER_MAX else []
    options: list[Expr | None] = []
    for terms in (first, second, third):
        if not terms:
            continue
        if any(t is None for t in terms):
            options.append(None)
        else:
            options.append(_or([t for t in terms if t is not None]))
    return _shortest(*options)


def _cover(
    cells: set[tuple[PlatformKey, PythonRange]],
    inside: set[tuple[PlatformKey, PythonRange]],
    platforms: list[PlatformKey],
    pythons: list[PythonRange],
) -> list[Expr | None]:
    """Grouping 3: overlapping terms. Each subset P of platforms gives the largest rectangle
    P x Q inside the chosen cells (cells outside the universe count as free); rectangles are
    taken greedily, largest gain first, until every chosen cell is covered."""
    rectangles: list[tuple[tuple[PlatformKey, ...], tuple[PythonRange, ...]]] = []
    for mask in range(1, 1 << len(platforms)):
        plats = tuple(p for i, p in enumerate(platforms) if mask >> i & 1)
        ranges = tuple(
            r
            for r in pythons
            if all((p, r) in cells or (p, r) not in inside for p in plats)
            and any((p, r) in cells for p in plats)
        )
        if ranges:
            rectangles.append((plats, ranges))
    uncovered = set(cells)
    terms: list[Expr | None] = []
    while uncovered and rectangles:
        plats, ranges = max(
            rectangles,
            key=lambda pr: (len({(p, r) for p in pr[0] for r in pr[1]} & uncovered), len(pr[0])),
        )
        uncovered -= {(p, r) for p in plats for r in ranges}
        terms.append(_and([_platforms(list(plats), platforms), _pythons(list(ranges), pythons)]))
    return terms


def environment_markers(universe: Sequence[Environment]) -> tuple[Marker, ...]:
    """PEP 751 ``environments``: where the lock holds, one marker per platform of the universe
    (``implementation_name``, ``sys_platform``, ``platform_machine``, and the Python versions
    when that platform does not have them all). Unlike the entries' markers these are positive
    atoms only, so they are false everywhere outside the universe (FreeBSD, ppc64le, PyPy when
    it was not configured) and a PEP 751 installer there refuses the lock. Markers cannot tell
    musl from glibc, nor 32-bit from 64-bit Python on 64-bit Windows: see docs/lock.md."""
    pythons = sorted({e.python for e in universe})
    ranges: dict[PlatformKey, list[PythonRange]] = {}
    for env in universe:
        ranges.setdefault(env.platform.marker_values, []).append(env.python)
    out: list[Marker] = []
    for key, chosen in ranges.items():
        atoms: list[Expr | None] = [f'{attr} == "{value}"' for attr, value in zip(_ATTRS, key)]
        atoms.append(_pythons(sorted(set(chosen)), pythons))
        expr = _and(atoms)
        assert expr is not None
        out.append(Marker(render(expr)))
    return tuple(out)


def activation_expr(activation: Activation) -> Expr | None:
    """PEP 751 terms for the extras and dependency groups that reach a package, OR-ed."""
    if not activation:
        return None
    atoms: list[Expr] = []
    for kind, name in sorted(activation):
        scope = "extras" if kind == "extra" else "dependency_groups"
        atoms.append(f'"{name}" in {scope}')
    return _or(atoms)


def variant_expr(chosen: Collection[str], available: Sequence[str], default: str) -> Expr | None:
    """PEP 751 terms true exactly for the selections of extras whose effective variant is one
    of ``chosen``, on an environment where the variants ``available`` (preference order, the
    default among them) can install; ``None`` when every available variant is chosen.

    The effective variant of a selection X is the first of ``available`` in X, else
    ``default``. So variant v (not the default) is ``"v" in extras and "u" not in extras``
    for each u before it; the default is ``"u" not in extras`` for every other u, or (only
    when it is not last) ``"d" in extras`` with the variants before it not in extras. A
    selection with no variant extra, as a plain installer makes, gets the default.
    """
    if all(v in chosen for v in available):
        return None
    terms: list[Expr] = []
    for i, variant in enumerate(available):
        if variant not in chosen:
            continue
        before = [f'"{u}" not in extras' for u in available[:i]]
        if variant != default:
            term = _and([f'"{variant}" in extras', *before])
            assert term is not None
            terms.append(term)
            continue
        others = _and([f'"{u}" not in extras' for u in available if u != variant])
        assert others is not None  # at least two variants are available when not all chosen
        terms.append(others)
        if i < len(available) - 1:
            selected = _and([f'"{variant}" in extras', *before])
            assert selected is not None
            terms.append(selected)
    return _or(terms)


def to_marker(terms: Sequence[tuple[Expr | None, Expr | None]]) -> Marker | None:
    """OR of (environment AND activation) terms as one `Marker`; ``None`` when always true."""
    parts: list[Expr] = []
    for env_expr, act_expr in terms:
        both = _and([env_expr, act_expr])
        if both is None:
            return None
        parts.append(both)
    return Marker(render(_or(parts)))


#: PEP 508 marker tokens: a quoted value, a comparison operator, a name, a parenthesis.
_MARKER_TOKEN = re.compile(
    r"""\s*(?:(?P<value>'[^']*'|"[^"]*")"""
    r"""|(?P<op>===|==|!=|<=|>=|~=|<|>|\bnot\s+in\b|\bin\b)"""
    r"""|(?P<name>[A-Za-z_][A-Za-z0-9_.]*)|[()])"""
)


def _comparisons(text: str) -> Iterator[tuple[str, str, str]]:
    """``(variable, op, value)`` for each comparison of PEP 508 marker text, the value without
    its quotes (``("python_full_version", ">=", "3.9.1")``); ``"3.9" < python_version`` comes
    as ``("python_version", "<", "3.9")`` with the operator as written."""
    tokens: list[tuple[str, str]] = []
    for match in _MARKER_TOKEN.finditer(text):
        kind = match.lastgroup or "paren"
        token = match.group(kind) if kind != "paren" else match.group().strip()
        tokens.append((kind, token[1:-1] if kind == "value" else token))
    for (k1, left), (k2, op), (k3, right) in zip(tokens, tokens[1:], tokens[2:]):
        if k2 == "op" and {k1, k3} == {"name", "value"}:
            yield (left, op, right) if k1 == "name" else (right, op, left)


def full_version_cuts(markers: Iterable[Marker]) -> set[Version]:
    """Every version compared with ``python_full_version`` in these markers.

    packaging offers no public view of a marker's comparisons (its parsed form,
    ``Marker._markers``, is private), so this reads them from ``str(marker)``: the normalized
    PEP 508 text, whose grammar (names, quoted values, operators, ``and``/``or``, parentheses)
    the small tokenizer `_MARKER_TOKEN` covers.
    """
    found: set[Version] = set()
    for marker in markers:
        for variable, _, value in _comparisons(str(marker)):
            if variable == "python_full_version":
                with contextlib.suppress(InvalidVersion):
                    found.add(Version(value))
    return found
