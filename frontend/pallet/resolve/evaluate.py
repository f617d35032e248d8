"""Marker evaluation shared across environments: each marker is evaluated once per distinct
value of the variables it names, not once per environment.

A universe holds dozens of environments, but a marker such as ``python_version < "3.11"`` sees
only the Python minor, so on 6 platforms x 6 Pythons it has 6 distinct answers, not 36. The
variables are found in the marker's text (PEP 508 variable names are bare words there); a name
that also appears inside a quoted value only makes the sharing coarser, never wrong.
"""

from __future__ import annotations

import re

from packaging.markers import Marker

from .environments import UNDECIDABLE, Environment, MarkerEvaluator

__all__ = ["SharedMarkerEvaluator"]

#: PEP 508 marker variables (and ``extra``), longest first so that ``python_full_version`` is
#: not read as ``python_version``.
_VARIABLE = re.compile(
    r"\b(platform_python_implementation|implementation_version|python_full_version|"
    r"implementation_name|platform_release|platform_version|platform_machine|"
    r"platform_system|python_version|sys_platform|os_name|extra)\b"
)


class SharedMarkerEvaluator(MarkerEvaluator):
    """A `MarkerEvaluator` that shares answers between environments that agree on every
    variable a marker names (and between equal markers of different packages)."""

    def __init__(self) -> None:
        super().__init__()
        # per marker object (kept alive in `_markers`, so an id is never reused): its text and
        # the variables it names
        self._shape: dict[int, tuple[str, tuple[str, ...]]] = {}
        self._markers: list[Marker] = []
        self._answers: dict[tuple[str, tuple[str, ...]], bool] = {}

    def __call__(self, marker: Marker, env: Environment, extra: str = "") -> bool:
        shape = self._shape.get(id(marker))
        if shape is None:
            text = str(marker)
            names = tuple(sorted(set(_VARIABLE.findall(text))))
            shape = self._shape[id(marker)] = (text, names)
            self._markers.append(marker)
        text, names = shape
        values = env.values
        key = (text, tuple(extra if n == "extra" else values.get(n, "") for n in names))
        hit = self._answers.get(key)
        if hit is None:
            full = dict(values)
            full["extra"] = extra
            try:
                hit = marker.evaluate(full)
            except UNDECIDABLE:
                # e.g. platform_release >= "5" against an empty value: not this environment
                hit = False
            self._answers[key] = hit
        return hit
