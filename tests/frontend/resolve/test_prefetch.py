"""The resolver's prefetch hint: which dependencies of a guessed version may apply to the lock."""

from __future__ import annotations

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from pallet.project.model import ResolutionSettings
from pallet.resolve.environments import make_universe
from pallet.resolve.prefetch import prefetch_filter


def test_requirements_no_environment_of_the_universe_uses_are_not_prefetched() -> None:
    universe = make_universe(SpecifierSet(">=3.11"), ResolutionSettings())
    admits = prefetch_filter(environment.values for environment in universe)
    cases = {
        "plain": True,
        'backport; python_version < "3.11"': False,
        'winonly; sys_platform == "win32"': True,
        'emscripten; sys_platform == "emscripten"': False,
        'heavy; extra == "all"': False,  # extras: only some inputs ask for them
    }
    # The expected answers, by packaging's own marker evaluation on each environment.
    for text, expected in cases.items():
        requirement = Requirement(text)
        marker = requirement.marker
        by_packaging = marker is None or (
            "extra" not in str(marker) and any(marker.evaluate(dict(e.values)) for e in universe)
        )
        assert by_packaging == expected, text
        assert admits(requirement) == expected, text
        assert admits(requirement) == expected, text  # memoised answer is the same


def test_without_environments_everything_but_extras_is_prefetched() -> None:
    admits = prefetch_filter([])
    assert admits(Requirement('x; python_version < "2"'))
    assert not admits(Requirement('y; extra == "test"'))
