"""Which files of a locked version are kept: wheels installable on some environment of its marker.

The rule (PEP 425 tags, read from `DistFile.tags`):
- platform tag: ``any`` fits every platform; ``manylinux*``/``musllinux*``/``linux`` fit Linux,
  ``macosx*`` fits macOS and ``win*`` fits Windows, each on the machine the tag ends with
  (``universal2`` fits both Mac machines, ``x86_64``/``amd64`` and ``aarch64``/``arm64`` name the
  two machines of the universe; ``win32``, ``i686``, ``ppc64le`` ... fit none of them);
- interpreter and ABI: ``py3``/``py3N`` fit CPython 3.N and later; ``cp3N`` with ABI ``abi3`` fits
  3.N and later; ``cp3N`` with any other ABI (``cp3N``, ``cp3Nt``, ``none``) fits 3.N only; other
  implementations (``pp``, ``graalpy``) fit none (the universe is CPython).
The sdist is always kept. An entry that no wheel fits anywhere and that has no sdist keeps all
its wheels, so that it still names a file (PEP 751 requires a source); `uncovered` says where it
cannot install, and the resolver warns.
"""

from __future__ import annotations

from collections.abc import Iterable

from packaging.tags import Tag

from ..index.models import DistFile
from .environments import Environment

__all__ = ["tag_fits", "uncovered", "wheel_fits", "wheels_for"]

_MACHINES = {
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "aarch64": "arm64",
    "arm64": "arm64",
}


def _platform_fits(platform: str, env: Environment) -> bool:
    if platform == "any":
        return True
    system = env.platform.sys_platform
    arch = env.platform.arch
    if platform.startswith(("manylinux", "musllinux", "linux")):
        wanted = system == "linux"
    elif platform.startswith("macosx"):
        if system != "darwin":
            return False
        if platform.endswith("universal2") or platform.endswith("universal"):
            return True
        if platform.endswith("intel"):
            return arch == "x86_64"
        wanted = True
    elif platform.startswith("win"):
        wanted = system == "win32"
    else:
        return False
    if not wanted:
        return False
    return any(platform.endswith(f"_{m}") and a == arch for m, a in _MACHINES.items())


def _python_fits(interpreter: str, abi: str, env: Environment) -> bool:
    minor = env.python.low.minor
    if env.python.low.major != 3:
        return False
    if interpreter.startswith("py"):
        digits = interpreter[2:]
        if digits == "3":
            return True
        if digits.startswith("3") and digits[1:].isdigit():
            return int(digits[1:]) <= minor or env.python.high is None
        return False
    if interpreter.startswith("cp3") and interpreter[3:].isdigit():
        tag_minor = int(interpreter[3:])
        if abi == "abi3":
            return tag_minor <= minor or env.python.high is None
        if env.python.high is None:
            # the last range is open: a cp3N wheel for N above it still fits "and newer"
            return tag_minor >= minor
        return tag_minor == minor
    return False


def tag_fits(tag: Tag, env: Environment) -> bool:
    """Whether a wheel with this tag installs on this environment."""
    return _platform_fits(tag.platform, env) and _python_fits(tag.interpreter, tag.abi, env)


def wheel_fits(wheel: DistFile, envs: Iterable[Environment]) -> bool:
    """Whether the wheel installs on at least one of these environments."""
    environments = list(envs)
    return any(tag_fits(tag, env) for tag in wheel.tags for env in environments)


def wheels_for(wheels: Iterable[DistFile], envs: Iterable[Environment]) -> tuple[DistFile, ...]:
    """The wheels that install on some environment of ``envs``, sorted by file name."""
    environments = list(envs)
    return tuple(
        sorted((w for w in wheels if wheel_fits(w, environments)), key=lambda w: w.filename)
    )


def uncovered(
    wheels: Iterable[DistFile], sdist: DistFile | None, envs: Iterable[Environment]
) -> str:
    """Where no file of an entry installs, as short text ("" when everywhere is covered).

    An sdist covers every environment (it can be built there); without one, an environment no
    wheel fits is a place where installing the lock will fail. Reads like ``Python 3.10, 3.14+
    on every platform; Python 3.11 on win32-arm64``.
    """
    if sdist is not None:
        return ""
    candidates = list(wheels)
    environments = list(envs)
    by_python: dict[str, dict[str, None]] = {}
    for env in environments:
        if not any(wheel_fits(wheel, [env]) for wheel in candidates):
            label = env.python.minor + ("+" if env.python.high is None else "")
            by_python.setdefault(label, {})[env.platform.label] = None
    every = {env.platform.label for env in environments}
    groups: dict[tuple[str, ...], list[str]] = {}
    for python, platforms in by_python.items():
        groups.setdefault(tuple(platforms), []).append(python)
    return "; ".join(
        f"Python {', '.join(pythons)} on "
        + ("every platform" if set(platforms) == every else ", ".join(platforms))
        for platforms, pythons in groups.items()
    )
