"""The PEP 517 and PEP 660 build hooks: ``build-backend = "pallet_core.build"``.

Importing this module costs only the standard library; each hook imports what it needs. PEP 517
runs the hooks with the project root as the working directory and gives errors no channel but
the exception, so ``ConfigError``/``BuildError`` propagate with their message.
"""

from __future__ import annotations

import os

# Not typing.TYPE_CHECKING: importing typing (~6 ms) is most of what importing this module would
# cost, and get_requires_for_build_wheel/sdist need nothing else.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from .config import ProjectConfig

__all__ = [
    "build_editable",
    "build_sdist",
    "build_wheel",
    "get_requires_for_build_editable",
    "get_requires_for_build_sdist",
    "get_requires_for_build_wheel",
    "prepare_metadata_for_build_editable",
    "prepare_metadata_for_build_wheel",
]


def _config(for_editable: bool = False) -> ProjectConfig:
    from pathlib import Path

    from .config import load_config

    # PEP 517: "All hooks are run with working directory set to the root of the source tree".
    return load_config(Path(os.getcwd()), for_editable=for_editable)  # noqa: PTH109


def get_requires_for_build_wheel(config_settings: Mapping[str, Any] | None = None) -> list[str]:
    """PEP 517: nothing beyond ``requires``; pallet-core's own dependencies are all it needs."""
    return []


# PEP 517: building an sdist needs nothing more either.
get_requires_for_build_sdist = get_requires_for_build_wheel


def get_requires_for_build_editable(
    config_settings: Mapping[str, Any] | None = None,
) -> list[str]:
    """PEP 660: ``editables`` when the import-hook mode will be used, else nothing.

    ``editables`` is a dependency of pallet-core, so it is present anyway; naming it keeps the
    build environment right even when pallet-core was installed without its dependencies.
    """
    from .editable import choose_mode

    return ["editables"] if choose_mode(_config(for_editable=True)) == "hook" else []


def prepare_metadata_for_build_wheel(
    metadata_directory: str, config_settings: Mapping[str, Any] | None = None
) -> str:
    """PEP 517: write ``<dist>-<version>.dist-info`` into ``metadata_directory``.

    Returns the directory's basename.
    """
    from pathlib import Path

    from .wheel import write_dist_info

    return write_dist_info(_config(), Path(metadata_directory))


def prepare_metadata_for_build_editable(
    metadata_directory: str, config_settings: Mapping[str, Any] | None = None
) -> str:
    """PEP 660: the editable wheel's ``.dist-info`` (the regular one, plus the hook's
    ``Requires-Dist: editables`` when that mode is used)."""
    from pathlib import Path

    from .editable import editable_parts
    from .wheel import write_dist_info

    config = _config(for_editable=True)
    _generated, metadata = editable_parts(config)
    return write_dist_info(config, Path(metadata_directory), metadata)


def build_wheel(
    wheel_directory: str,
    config_settings: Mapping[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    """PEP 517: build a wheel into ``wheel_directory``; return its basename.

    The metadata is regenerated from the same input, hence identical to what
    ``prepare_metadata_for_build_wheel`` wrote (as PEP 517 requires).
    """
    from pathlib import Path

    from .wheel import build_wheel as make_wheel

    return make_wheel(_config(), Path(wheel_directory))


def build_sdist(sdist_directory: str, config_settings: Mapping[str, Any] | None = None) -> str:
    """PEP 517: build ``{name}-{version}.tar.gz`` into ``sdist_directory``; return its basename."""
    from pathlib import Path

    from .sdist import build_sdist as make_sdist

    return make_sdist(_config(), Path(sdist_directory))


def build_editable(
    wheel_directory: str,
    config_settings: Mapping[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    """PEP 660: build an editable wheel into ``wheel_directory``; return its basename."""
    from pathlib import Path

    from .editable import build_editable as make_editable

    return make_editable(_config(for_editable=True), Path(wheel_directory))
