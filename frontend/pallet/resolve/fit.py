"""Which versions of a package install on a fork's environments: required environments (a hard
rule) and the default preference for versions that install everywhere they are locked for.

- ``[tool.pallet.resolution] required-environments`` (uv's key): a version with no wheel for a
  required environment of the fork is not offered; a release that publishes no wheel at all
  (sdist only) is exempt, since it is built wherever it is installed.
- By default a version with a file (a fitting wheel, or an sdist) for every environment of the
  fork comes before newer versions that would fail to install on some of them; when no version
  installs everywhere, the order is left as it was (newest first) and the lock warns.
"""

from __future__ import annotations

from packaging.utils import NormalizedName
from packaging.version import Version

from .candidates import Catalog
from .environments import Environment
from .files import covers, wheel_fits

__all__ = ["Fit"]


class Fit:
    """Per fork: file coverage of its environments, memoised per (name, version)."""

    def __init__(
        self,
        catalog: Catalog,
        environments: tuple[Environment, ...],
        required: tuple[Environment, ...],
    ) -> None:
        self.catalog = catalog
        self.environments = environments
        self.required = required
        self._everywhere: dict[tuple[NormalizedName, Version], bool] = {}
        self._required: dict[tuple[NormalizedName, Version], bool] = {}

    def installs_everywhere(self, name: NormalizedName, version: Version) -> bool:
        """Whether some file of this version installs on every environment of the fork."""
        key = (name, version)
        hit = self._everywhere.get(key)
        if hit is None:
            release = self.catalog.release(name, version)
            sdist, wheels = release.sdist, release.wheels
            hit = self._everywhere[key] = all(covers(wheels, sdist, e) for e in self.environments)
        return hit

    def meets_required(self, name: NormalizedName, version: Version) -> bool:
        """Whether this version has a wheel for every required environment of the fork."""
        if not self.required:
            return True
        key = (name, version)
        hit = self._required.get(key)
        if hit is None:
            wheels = self.catalog.release(name, version).wheels
            hit = not wheels or all(any(wheel_fits(w, (e,)) for w in wheels) for e in self.required)
            self._required[key] = hit
        return hit

    def order(self, name: NormalizedName, versions: list[Version]) -> list[Version]:
        """``versions`` (most preferred first) without those failing a required environment,
        the first that installs everywhere moved before the newer ones that do not."""
        kept = [v for v in versions if self.meets_required(name, v)]
        for i, version in enumerate(kept):
            if self.installs_everywhere(name, version):
                return [*kept[i:], *kept[:i]] if i else kept
        return kept
