"""``Frozen``: the base of this package's immutable value classes, cheaper than dataclasses.

Detection's cached path runs on every ``pallet sync``; importing ``dataclasses`` (with
``inspect`` and ``ast``) costs several milliseconds, more than the cached answer itself. A
subclass lists its fields in ``__slots__`` and passes them, in that order, from a typed
``__init__``; it then behaves like a ``@dataclass(frozen=True)``: keyword or positional
construction, equality and hash over the fields, the same ``repr``, and assignment refused.
(The same shape as ``pallet_core._frozen``; this leaf imports nothing of pallet-core.)
"""

from __future__ import annotations

__all__ = ["Frozen"]


class Frozen:
    """Immutable fields from ``__slots__``; see the module docstring."""

    __slots__: tuple[str, ...] = ()

    def __init__(self, *values: object) -> None:
        for name, value in zip(self.__slots__, values):
            object.__setattr__(self, name, value)

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Frozen)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{self.__class__.__qualname__}({fields})"

    def __reduce__(self) -> tuple[type[Frozen], tuple[object, ...]]:
        return (self.__class__, self._values())

    def __setattr__(self, name: str, value: object) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot delete field {name!r}")
