"""`choose`: which variant extra a machine gets (auto, requested or forced), pure.

Auto: the first variant in preference order whose requirement the facts meet, else the default
(issue 12, "Sync"). A requested variant must exist and fit unless forced.
"""

from __future__ import annotations

from ..errors import VariantError
from ._frozen import Frozen
from .facts import MachineFacts
from .requirement import Verdict, parse_requirement

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Choice", "VariantDecl", "choose", "judge"]


class VariantDecl(Frozen):
    """One variant extra as the project (or its lock) declares it."""

    __slots__ = ("name", "requires")
    name: str
    requires: str | None  # requirement text (parsed here)

    def __init__(self, name: str, requires: str | None = None) -> None:
        super().__init__(name, requires)


class Choice(Frozen):
    """The chosen variant, how it was chosen, and every variant's verdict in preference order."""

    __slots__ = ("name", "mode", "verdicts")  # noqa: RUF023 (field order)
    name: str
    mode: str  # "auto" | "requested" | "forced"
    verdicts: tuple[tuple[str, Verdict], ...]

    def __init__(self, name: str, mode: str, verdicts: tuple[tuple[str, Verdict], ...]) -> None:
        super().__init__(name, mode, verdicts)


def judge(
    decls: Sequence[VariantDecl], facts: MachineFacts, *, cuda_minor_compat: bool = False
) -> tuple[tuple[str, Verdict], ...]:
    """Each variant's verdict; a variant without a requirement always fits.

    Bad requirement text (a lock edited by hand) is a `VariantError` naming the variant.
    """
    verdicts = []
    for decl in decls:
        if decl.requires is None:
            verdicts.append((decl.name, Verdict(True, "")))
            continue
        try:
            requirement = parse_requirement(decl.requires)
        except ValueError as exc:
            raise VariantError(f"variant {decl.name!r}: {exc}") from None
        verdicts.append((decl.name, requirement.check(facts, cuda_minor_compat=cuda_minor_compat)))
    return tuple(verdicts)


def choose(
    decls: Sequence[VariantDecl],
    default: str,
    facts: MachineFacts,
    *,
    requested: str | None = None,
    force: bool = False,
    cuda_minor_compat: bool = False,
) -> Choice:
    """The variant to install; `VariantError` for an unknown or (unforced) unfitting request."""
    verdicts = judge(decls, facts, cuda_minor_compat=cuda_minor_compat)
    by_name = dict(verdicts)
    if requested is not None and requested != "auto":
        if requested not in by_name:
            names = ", ".join(d.name for d in decls)
            raise VariantError(f"unknown variant {requested!r}; the project's variants: {names}")
        verdict = by_name[requested]
        if verdict.ok:
            return Choice(requested, "requested", verdicts)
        if not force:
            raise VariantError(
                f"variant {requested!r} does not fit this machine: {verdict.reason}; "
                "--force-variant installs it anyway"
            )
        return Choice(requested, "forced", verdicts)
    for name, verdict in verdicts:
        if verdict.ok:
            return Choice(name, "auto", verdicts)
    return Choice(default, "auto", verdicts)
