"""Random dependency graphs with random markers: every resolution found must be exact."""

from __future__ import annotations

import contextlib
import random

import pytest
from pallet.errors import ResolutionError

from .memfinder import Index, MemoryFinder, project, resolve_checked

MARKERS = [
    "",
    "sys_platform == 'win32'",
    "sys_platform != 'darwin'",
    "platform_machine == 'arm64' and sys_platform == 'darwin'",
    "platform_machine == 'aarch64' or platform_machine == 'AMD64'",
    "python_version < '3.11'",
    "python_version >= '3.12'",
    "python_full_version >= '3.10.3'",
    "os_name == 'nt' and python_version == '3.10'",
    "platform_system == 'Linux' or python_version < '3.10'",
]


def _random_index(rng: random.Random) -> Index:
    names = [f"p{i}" for i in range(12)]
    index: Index = {}
    for i, name in enumerate(names):
        versions: dict[str, dict[str, object]] = {}
        for v in range(1, 4):
            requires = []
            for _ in range(rng.randint(0, 3)):
                target = rng.choice(names[i + 1 :] or [names[-1]])
                if target == name:
                    continue
                spec = rng.choice(["", ">=2", "<3", "==1", "!=2"])
                marker = rng.choice(MARKERS)
                extra = rng.random() < 0.15
                line = f"{target}{spec}"
                conditions = [c for c in (marker, "extra == 'x'" if extra else "") if c]
                if conditions:
                    line += "; " + " and ".join(f"({c})" for c in conditions)
                requires.append(line)
            info: dict[str, object] = {"requires": requires, "extras": ["x"]}
            if rng.random() < 0.2:
                info["python"] = rng.choice([">=3.10", ">=3.11", "<3.13"])
            versions[f"{v}.0"] = info
        index[name] = versions
    return index


@pytest.mark.parametrize("seed", [*range(40), 146])  # 146: a criterion emptied while backtracking
def test_random_graph_resolutions_are_exact(seed: int) -> None:
    rng = random.Random(seed)
    index = _random_index(rng)
    roots = []
    for i in rng.sample(range(6), 3):
        marker = rng.choice(MARKERS) or "os_name != 'java'"
        roots.append(f"p{i}{rng.choice(['', '[x]'])}; {marker}")
    spec = project(roots, extras={"e": [f"p{rng.randint(0, 11)}"]}, groups={"g": ["app[e]", "p7"]})
    with contextlib.suppress(ResolutionError):  # unsatisfiable graphs are fine, wrong markers not
        resolve_checked(MemoryFinder(index), spec)
