"""The concrete environments a universal lock must hold for, and their grouping into classes.

An `Environment` is one platform (operating system x machine) and one range of Python versions.
The universe of a lock is every platform of `PLATFORMS` (narrowed by PEP 751 ``environments`` when
the project sets them) times every Python range allowed by ``requires-python`` up to
``ResolutionSettings.max_python``; the last range is open ("and newer").
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from packaging.markers import InvalidMarker, Marker, UndefinedComparison
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from ..errors import ProjectError
from ..project.model import ResolutionSettings

#: What `Marker.evaluate` raises for a comparison it cannot decide on our values (a version
#: operator against an empty ``platform_release``): `UndefinedComparison`, and before packaging
#: 26 `InvalidVersion`. Such a marker is false there ("not this environment").
UNDECIDABLE = (UndefinedComparison, InvalidVersion)

__all__ = [
    "EXTRA_PLATFORMS",
    "PLATFORMS",
    "UNDECIDABLE",
    "Environment",
    "Implementation",
    "Libc",
    "MarkerEvaluator",
    "Platform",
    "PythonRange",
    "make_universe",
    "matches",
    "parse_markers",
    "partition",
    "python_ranges",
    "universe_platforms",
]

#: Highest patch release probed when a requires-python lower bound falls inside a minor.
_MAX_PATCH = 99


Implementation = Literal["cpython", "pypy"]
Libc = Literal["glibc", "musl"]


@dataclass(frozen=True)
class Platform:
    """One interpreter on one operating system and machine, with the marker values it reports.

    ``libc`` matters on Linux only, and only for wheel tags (``manylinux`` needs glibc,
    ``musllinux`` needs musl): no PEP 508 marker tells the two apart, so a glibc and a musl
    platform always land in the same class and get the same markers.
    """

    sys_platform: str
    platform_machine: str
    platform_system: str
    os_name: str
    arch: str  # "x86_64" or "arm64", whatever the machine calls itself
    implementation: Implementation = "cpython"
    libc: Libc = "glibc"
    _hash: int = field(init=False, compare=False, repr=False, default=0)

    def __post_init__(self) -> None:
        # hashed very often (memo keys of the resolver): compute once
        fields = (self.sys_platform, self.platform_machine, self.implementation, self.libc)
        object.__setattr__(self, "_hash", hash(fields))

    def __hash__(self) -> int:
        return self._hash

    @property
    def label(self) -> str:
        system = "musllinux" if self.libc == "musl" and self.sys_platform == "linux" else None
        base = f"{system or self.sys_platform}-{self.arch}"
        return base if self.implementation == "cpython" else f"{self.implementation}-{base}"

    @property
    def marker_values(self) -> tuple[str, str, str]:
        """What PEP 508 markers can see of this platform: implementation, system, machine."""
        return (self.implementation, self.sys_platform, self.platform_machine)


#: The platforms of the default universe, with the values their CPython really reports
#: (``platform.machine()`` is ``aarch64`` on Linux, ``arm64`` on macOS, ``AMD64``/``ARM64`` on
#: Windows). Linux means glibc Linux.
PLATFORMS: tuple[Platform, ...] = (
    Platform("linux", "x86_64", "Linux", "posix", "x86_64"),
    Platform("linux", "aarch64", "Linux", "posix", "arm64"),
    Platform("darwin", "x86_64", "Darwin", "posix", "x86_64"),
    Platform("darwin", "arm64", "Darwin", "posix", "arm64"),
    Platform("win32", "AMD64", "Windows", "nt", "x86_64"),
    Platform("win32", "ARM64", "Windows", "nt", "arm64"),
)

#: Every platform configuration can add (``implementations``, ``linux-libc``): musl Linux on both
#: machines, and PyPy wherever PyPy ships (not Windows on ARM), in this order after `PLATFORMS`.
EXTRA_PLATFORMS: tuple[Platform, ...] = (
    *(replace(p, libc="musl") for p in PLATFORMS if p.sys_platform == "linux"),
    *(
        replace(p, implementation="pypy")
        for p in PLATFORMS
        if (p.sys_platform, p.arch) != ("win32", "arm64")
    ),
    *(
        replace(p, implementation="pypy", libc="musl")
        for p in PLATFORMS
        if p.sys_platform == "linux"
    ),
)
_ORDER = {p: i for i, p in enumerate((*PLATFORMS, *EXTRA_PLATFORMS))}


@dataclass(frozen=True, order=True)
class PythonRange:
    """Python versions from ``low`` (inclusive) to ``high`` (exclusive; ``None``: and newer)."""

    low: Version
    high: Version | None

    @property
    def minor(self) -> str:
        return f"{self.low.major}.{self.low.minor}"

    def __str__(self) -> str:
        return f">={self.low}" + (f",<{self.high}" if self.high is not None else "")


@dataclass(frozen=True)
class Environment:
    """A concrete target: a platform and a Python range, as a full PEP 508 marker environment."""

    platform: Platform
    python: PythonRange
    values: Mapping[str, str] = field(compare=False, hash=False, repr=False)
    _hash: int = field(init=False, compare=False, repr=False, default=0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.platform, self.python)))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def make(cls, platform: Platform, python: PythonRange) -> Environment:
        full = str(python.low)
        pypy = platform.implementation == "pypy"
        values = {
            "implementation_name": platform.implementation,
            # PyPy's own version (7.3.x) is not the language version: unknown here
            "implementation_version": "" if pypy else full,
            "os_name": platform.os_name,
            "platform_machine": platform.platform_machine,
            "platform_python_implementation": "PyPy" if pypy else "CPython",
            "platform_release": "",
            "platform_system": platform.platform_system,
            "platform_version": "",
            "python_full_version": full,
            "python_version": python.minor,
            "sys_platform": platform.sys_platform,
            "extra": "",
        }
        return cls(platform, python, values)

    @property
    def sort_key(self) -> tuple[int, Version]:
        return (_ORDER[self.platform], self.python.low)

    def __str__(self) -> str:
        return f"{self.platform.label} python{self.python}"


def python_ranges(
    requires_python: SpecifierSet, max_python: str, cuts: Iterable[Version] = ()
) -> tuple[PythonRange, ...]:
    """The Python ranges of a lock: one per minor allowed by ``requires_python`` up to
    ``max_python`` (the last one open-ended), each split again at every version of ``cuts``
    (``python_full_version`` boundaries met in markers) that falls inside it."""
    # One lock asks several times (the universe before and after its cuts are known, the
    # index client's prefetch filter); each answer costs hundreds of specifier checks.
    return _python_ranges(requires_python, max_python, frozenset(cuts))


@functools.lru_cache(maxsize=64)
def _python_ranges(
    requires_python: SpecifierSet, max_python: str, cuts: frozenset[Version]
) -> tuple[PythonRange, ...]:
    try:
        top = Version(max_python)
    except InvalidVersion as exc:
        raise ProjectError(
            f"pyproject.toml: [tool.pallet.resolution] 'max-python': {max_python!r} is not a "
            "version; use a Python minor version such as '3.14'",
            key="max-python",
        ) from exc
    lows: list[Version] = []
    minor = 0
    while minor <= top.minor or (not lows and minor <= 40):
        for patch in range(_MAX_PATCH + 1):
            candidate = Version(f"3.{minor}.{patch}")
            if requires_python.contains(candidate, prereleases=True):
                lows.append(candidate)
                break
        minor += 1
    if not lows:
        raise ProjectError(
            f"pyproject.toml: [project] 'requires-python': {str(requires_python)!r} admits no "
            "Python 3 version",
            key="requires-python",
        )
    points = set(lows)
    for cut in cuts:
        release = Version(".".join(str(part) for part in cut.release[:3]))
        if (
            release.major == 3
            and lows[0] < release
            and release.minor <= lows[-1].minor
            and release not in points
        ):
            points.add(release)
    ordered = sorted(points)
    return tuple(
        PythonRange(low, ordered[i + 1] if i + 1 < len(ordered) else None)
        for i, low in enumerate(ordered)
    )


def universe_platforms(settings: ResolutionSettings) -> tuple[Platform, ...]:
    """The platforms ``implementations`` and ``linux-libc`` select, in a fixed order."""
    return tuple(
        p
        for p in (*PLATFORMS, *EXTRA_PLATFORMS)
        if p.implementation in settings.implementations
        and (p.sys_platform != "linux" or p.libc in settings.linux_libc)
    )


def parse_markers(texts: Iterable[str], key: str) -> list[Marker]:
    """Marker strings of a ``[tool.pallet.resolution]`` key, parsed (an error names the key)."""
    out: list[Marker] = []
    for text in texts:
        try:
            out.append(Marker(text))
        except InvalidMarker as exc:
            raise ProjectError(
                f"pyproject.toml: [tool.pallet.resolution] {key!r}: {text!r} is not "
                f"a valid marker: {exc}",
                key=key,
            ) from exc
    return out


def matches(marker: Marker, env: Environment) -> bool:
    """Whether a configured marker holds on an environment (unknown comparisons: no)."""
    try:
        return marker.evaluate(env.values)
    except UNDECIDABLE:
        return False


def make_universe(
    requires_python: SpecifierSet, settings: ResolutionSettings, cuts: Iterable[Version] = ()
) -> tuple[Environment, ...]:
    """Every concrete environment of the lock, sorted by platform then Python version."""
    ranges = python_ranges(requires_python, settings.max_python, cuts)
    universe = [Environment.make(p, r) for p in universe_platforms(settings) for r in ranges]
    if settings.environments:
        wanted = parse_markers(settings.environments, "environments")
        universe = [e for e in universe if any(matches(m, e) for m in wanted)]
        if not universe:
            raise ProjectError(
                "pyproject.toml: [tool.pallet.resolution] 'environments' selects none of the "
                "platforms the lock can cover (Linux, macOS, Windows on x86_64 or arm64; see "
                f"'implementations' and 'linux-libc') for requires-python "
                f"{str(requires_python)!r}",
                key="environments",
            )
    return tuple(universe)


class MarkerEvaluator:
    """Evaluates markers on environments, memoised (one marker is evaluated on many forks)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[Marker, Environment, str], bool] = {}

    def __call__(self, marker: Marker, env: Environment, extra: str = "") -> bool:
        key = (marker, env, extra)
        hit = self._cache.get(key)
        if hit is None:
            values = dict(env.values)
            values["extra"] = extra
            try:
                hit = marker.evaluate(values)
            except UNDECIDABLE:
                # e.g. platform_release >= "5" against our empty value: not this environment
                hit = False
            self._cache[key] = hit
        return hit


def partition(
    envs: Sequence[Environment],
    markers: Iterable[tuple[Marker, str]],
    evaluate: MarkerEvaluator,
) -> list[tuple[Environment, ...]]:
    """Split ``envs`` into classes that agree on every ``(marker, extra)``; order kept, the class
    holding ``envs[0]`` first."""
    marks = list(markers)
    classes: dict[tuple[bool, ...], list[Environment]] = {}
    for env in envs:
        signature = tuple(evaluate(m, env, extra) for m, extra in marks)
        classes.setdefault(signature, []).append(env)
    return [tuple(group) for group in classes.values()]
