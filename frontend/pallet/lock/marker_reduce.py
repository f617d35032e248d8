"""A PEP 751 marker reduced for one selection: its ``extras``/``dependency_groups`` terms decided.

PEP 751 lets a package's ``marker`` test ``extras`` and ``dependency_groups`` (sets, in the
"lock file" marker context) beside the PEP 508 environment variables. An export for a chosen
selection knows those sets, so each such term is evaluated (by ``packaging.markers``, for the
selection) and folded away; what is left is a plain PEP 508 environment marker that pip and any
other installer understand: `reduce_marker` returns True (always installed), False (never) or
that marker's text.

The marker's text is read as ``packaging`` normalizes it (``str(Marker(...))``: every value
quoted, one space around each operator); its parse tree is private API, so it is not used.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Union

from packaging.markers import Marker

__all__ = ["reduce_marker"]

#: one token of a normalized marker: a quoted value, a parenthesis, or a bare word/operator
_TOKEN = re.compile(r"""\s*(?:("[^"]*"|'[^']*')|([()])|([^\s()'"]+))""")
_SELECTION_VARIABLES = frozenset({"extras", "dependency_groups", "extra"})

# An expression: True/False once decided, an atom's text, or (operator, [operands]).
_Expr = Union[bool, str, tuple[str, list["_Expr"]]]


def reduce_marker(
    marker: Marker | str | None, extras: Collection[str], groups: Collection[str]
) -> bool | str:
    """`marker` with its selection terms decided for these extras and groups (normalized
    names): True, False or the remaining environment marker's text."""
    if marker is None:
        return True
    text = str(marker)
    tokens = _tokens(text)
    expr, end = _parse_or(tokens, 0)
    if end != len(tokens):  # pragma: no cover - packaging's own output always parses
        raise ValueError(f"cannot read marker {text!r}")
    decided = _fold(expr, frozenset(extras), frozenset(groups))
    if isinstance(decided, bool):
        return decided
    constant = _constant(decided)
    if constant is not None:
        return constant
    return str(Marker(_render(decided)))


#: at most this many distinct terms are tried in every combination (2**12 evaluations)
_MAX_TERMS = 12


def _constant(expr: _Expr) -> bool | None:
    """True or False when `expr` has that value whatever each of its terms is (a variant's
    ``A or not-A`` left over once its extras are decided); None otherwise, or when it has too
    many terms to try. Terms are taken as independent: sound, though not every constant is
    found (``sys_platform == "a" and sys_platform == "b"`` is not)."""
    atoms = sorted(_atoms(expr))
    if len(atoms) > _MAX_TERMS:
        return None
    seen = set()
    for bits in range(2 ** len(atoms)):
        values = {atom: bool(bits >> i & 1) for i, atom in enumerate(atoms)}
        seen.add(_value(expr, values))
        if len(seen) == 2:
            return None
    return seen.pop()


def _positive(atom: str) -> tuple[str, bool]:
    """The term without its negation, and whether it had one: ``a != "x"`` is not
    ``a == "x"``, ``"x" not in a`` is not ``"x" in a`` (PEP 508 operators)."""
    tokens = _tokens(atom)
    if tokens[1] == "!=":
        return " ".join([tokens[0], "==", tokens[2]]), True
    if tokens[1] == "not":
        return " ".join([tokens[0], "in", tokens[3]]), True
    return atom, False


def _atoms(expr: _Expr) -> set[str]:
    if isinstance(expr, str):
        return {_positive(expr)[0]}
    if isinstance(expr, bool):  # pragma: no cover - folded away before this
        return set()
    return set().union(*(_atoms(p) for p in expr[1]))


def _value(expr: _Expr, values: dict[str, bool]) -> bool:
    if isinstance(expr, bool):  # pragma: no cover - folded away before this
        return expr
    if isinstance(expr, str):
        atom, negated = _positive(expr)
        return values[atom] != negated
    op, parts = expr
    results = (_value(p, values) for p in parts)
    return all(results) if op == "and" else any(results)


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    at = 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if match is None:  # pragma: no cover - normalized markers hold nothing else
            raise ValueError(f"cannot read marker {text!r}")
        out.append(match.group(1) or match.group(2) or match.group(3))
        at = match.end()
    return out


def _parse_or(tokens: list[str], at: int) -> tuple[_Expr, int]:
    left, at = _parse_and(tokens, at)
    parts = [left]
    while at < len(tokens) and tokens[at] == "or":
        right, at = _parse_and(tokens, at + 1)
        parts.append(right)
    return (parts[0] if len(parts) == 1 else ("or", parts)), at


def _parse_and(tokens: list[str], at: int) -> tuple[_Expr, int]:
    left, at = _parse_atom(tokens, at)
    parts = [left]
    while at < len(tokens) and tokens[at] == "and":
        right, at = _parse_atom(tokens, at + 1)
        parts.append(right)
    return (parts[0] if len(parts) == 1 else ("and", parts)), at


def _parse_atom(tokens: list[str], at: int) -> tuple[_Expr, int]:
    if tokens[at] == "(":
        inner, at = _parse_or(tokens, at + 1)
        return inner, at + 1  # the closing parenthesis
    # PEP 508: marker_var marker_op marker_var, where the operator may be "not in"
    size = 4 if tokens[at + 1] == "not" else 3
    return " ".join(tokens[at : at + size]), at + size


def _fold(expr: _Expr, extras: frozenset[str], groups: frozenset[str]) -> _Expr:
    if isinstance(expr, (bool, str)):
        return _decide(expr, extras, groups) if isinstance(expr, str) else expr
    op, parts = expr
    kept: list[_Expr] = []
    for part in parts:
        value = _fold(part, extras, groups)
        if value is (op == "or"):  # True in an "or", False in an "and": decides the whole
            return value
        if not isinstance(value, bool):
            kept.append(value)
    if not kept:
        return op == "and"
    return kept[0] if len(kept) == 1 else (op, kept)


def _decide(atom: str, extras: frozenset[str], groups: frozenset[str]) -> _Expr:
    """A selection term evaluated (PEP 751's lock-file context: ``extras`` and
    ``dependency_groups`` are sets); an environment term kept as it is."""
    words = {w for w in atom.split() if not w.startswith(('"', "'"))}
    if not words & _SELECTION_VARIABLES:
        return atom
    marker = Marker(atom)
    if "extra" in words:  # a PEP 508 ``extra == "x"`` term: true when x is selected
        return any(marker.evaluate({"extra": e}) for e in extras) if extras else False
    environment = {"extras": extras, "dependency_groups": groups}
    return marker.evaluate(environment, "lock_file")


def _render(expr: _Expr, parent: str = "") -> str:
    if isinstance(expr, str):
        return expr
    if isinstance(expr, bool):  # pragma: no cover - folded away before rendering
        raise ValueError("a decided term cannot be rendered")
    op, parts = expr
    text = f" {op} ".join(_render(p, op) for p in parts)
    return f"({text})" if parent and parent != op else text
