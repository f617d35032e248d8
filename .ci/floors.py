"""Print each declared dependency floor of the given pyproject files as an exact pin.

    python .ci/floors.py backend/pyproject.toml pyproject.toml > floors.txt

Every ``[project] dependencies`` entry must carry a ``>=`` lower bound (or ``==`` for a sibling
distribution of this repository, which CI installs from the tree); its pin is ``name==floor``
with the entry's marker kept. A name declared in several files gets the highest floor. CI
installs the pins exactly and runs tests on them, so a floor too low for the APIs the code uses
fails (see .ci/run). Exits 1, naming the file and entry, for a dependency without a floor.
"""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def main(paths: list[str]) -> int:
    floors: dict[str, tuple[Version, Requirement]] = {}
    ours = set()
    for path in paths:
        project = tomllib.loads(Path(path).read_text(encoding="utf-8"))["project"]
        ours.add(canonicalize_name(project["name"]))
        for text in project.get("dependencies", []):
            req = Requirement(text)
            name = canonicalize_name(req.name)
            lows = [s.version for s in req.specifier if s.operator == ">="]
            if any(s.operator == "==" for s in req.specifier):
                continue  # a sibling distribution, pinned exactly and installed from the tree
            if len(lows) != 1:
                print(f"{path}: dependency {text!r} declares no single '>=' floor", file=sys.stderr)
                return 1
            low = Version(lows[0])
            if name not in floors or low > floors[name][0]:
                floors[name] = (low, req)
    for name, (low, req) in sorted(floors.items()):
        if name in ours:
            continue
        marker = f"; {req.marker}" if req.marker else ""
        print(f"{name}=={low}{marker}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
