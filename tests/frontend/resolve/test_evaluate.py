"""The shared marker evaluator answers exactly as evaluating each marker on each environment."""

from __future__ import annotations

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from pallet.project.model import ResolutionSettings
from pallet.resolve.environments import make_universe
from pallet.resolve.evaluate import SharedMarkerEvaluator

from .test_random_graphs import MARKERS

MORE = [
    "python_full_version < '3.10.3' and extra == 'x'",
    "extra == 'python_version'",  # a variable name inside a value
    "platform_python_implementation == 'CPython' and os_name == 'nt'",
    "implementation_name == 'cpython' or platform_release >= '5'",
    "platform_system != 'Darwin' and python_version >= '3.12' or extra == 'y'",
]


def test_same_answers_as_plain_evaluation() -> None:
    universe = make_universe(SpecifierSet(">=3.9"), ResolutionSettings(), [Version("3.10.3")])
    shared = SharedMarkerEvaluator()
    for text in [m for m in MARKERS if m] + MORE:
        for marker in (Marker(text), Marker(text)):  # equal markers share answers
            for env in universe:
                for extra in ("", "x", "y", "python_version"):
                    values = {**env.values, "extra": extra}
                    try:
                        expected = marker.evaluate(values)
                    except Exception:  # an undefined comparison is "not this environment"
                        expected = False
                    assert shared(marker, env, extra) is expected, (text, str(env), extra)
