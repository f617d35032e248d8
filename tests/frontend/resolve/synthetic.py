"""A synthetic index shaped like the lock benchmark: 12 top-level packages, ~45 in all, with the
markers real metadata carries (Python splits, Windows-only, greenlet's machine list) and many
versions each. Used by the speed test and by ``python -m`` for a timing report."""

from __future__ import annotations

from typing import Any

from pallet.project.model import ProjectSpec

from .memfinder import project

GREENLET = (
    "greenlet>=1; python_version < '3.14' and (platform_machine == 'aarch64' or "
    "platform_machine == 'ppc64le' or platform_machine == 'x86_64' or "
    "platform_machine == 'amd64' or platform_machine == 'AMD64' or "
    "platform_machine == 'win32' or platform_machine == 'WIN32')"
)

DEPS: dict[str, list[str]] = {
    "flask": [
        "werkzeug>=3.1",
        "jinja2>=3.1.2",
        "itsdangerous>=2.2",
        "click>=8.1.3",
        "blinker>=1.9",
        "importlib-metadata>=3.6; python_version < '3.10'",
        "markupsafe>=2.1.1",
    ],
    "werkzeug": ["markupsafe>=2.1.1"],
    "jinja2": ["markupsafe>=2.0", "babel>=2.7; extra == 'i18n'"],
    "click": ["colorama; platform_system == 'Windows'"],
    "importlib-metadata": ["zipp>=3.20"],
    "requests": [
        "charset-normalizer<4,>=2",
        "idna<4,>=2.5",
        "urllib3<3,>=1.21.1",
        "certifi>=2017.4.17",
        "pysocks!=1.5.7,>=1.5.6; extra == 'socks'",
    ],
    "rich": [
        "markdown-it-py>=2.2.0",
        "pygments<3,>=2.13",
        "typing-extensions>=4.0; python_version < '3.11'",
    ],
    "markdown-it-py": ["mdurl~=0.1"],
    "pydantic": [
        "annotated-types>=0.6",
        "pydantic-core==2.33.2",
        "typing-extensions>=4.12.2",
        "typing-inspection>=0.4",
    ],
    "pydantic-core": ["typing-extensions!=4.7.0,>=4.6"],
    "typing-inspection": ["typing-extensions>=4.12"],
    "sqlalchemy": [GREENLET, "typing-extensions>=4.6"],
    "httpx": ["anyio", "certifi", "httpcore==1.*", "idna", "h2<5,>=3; extra == 'http2'"],
    "httpcore": ["certifi", "h11>=0.16"],
    "anyio": [
        "exceptiongroup>=1.0.2; python_version < '3.11'",
        "idna>=2.8",
        "sniffio>=1.1",
        "typing-extensions>=4.5; python_version < '3.13'",
    ],
    "pandas": [
        "numpy>=1.22.4; python_version < '3.11'",
        "numpy>=1.23.2; python_version == '3.11'",
        "numpy>=1.26.0; python_version >= '3.12'",
        "python-dateutil>=2.8.2",
        "pytz>=2020.1",
        "tzdata>=2022.7",
    ],
    "python-dateutil": ["six>=1.5"],
    "pytest": [
        "colorama; sys_platform == 'win32'",
        "exceptiongroup>=1; python_version < '3.11'",
        "iniconfig>=1",
        "packaging>=20",
        "pluggy<2,>=1.5",
        "pygments>=2.7.2",
        "tomli>=1; python_version < '3.11'",
    ],
    "h2": ["hpack", "hyperframe"],
}
LEAVES = [
    "itsdangerous", "blinker", "zipp", "markupsafe", "colorama", "charset-normalizer", "idna",
    "urllib3", "certifi", "pysocks", "mdurl", "pygments", "typing-extensions", "annotated-types",
    "greenlet", "sniffio", "exceptiongroup", "h11", "numpy", "six", "pytz", "tzdata",
    "iniconfig", "packaging", "pluggy", "tomli", "attrs", "babel", "hpack", "hyperframe",
]  # fmt: skip
TOP = [
    "flask", "requests[socks]", "rich", "pydantic", "sqlalchemy", "httpx", "numpy", "pandas",
    "pytest", "click", "jinja2", "attrs",
]  # fmt: skip

PLATFORM_TAGS = [
    "manylinux_2_17_x86_64.manylinux2014_x86_64",
    "manylinux_2_17_aarch64.manylinux2014_aarch64",
    "musllinux_1_2_x86_64",
    "macosx_10_9_x86_64",
    "macosx_11_0_arm64",
    "win_amd64",
    "win32",
    "win_arm64",
]
BINARY = {"numpy", "pandas", "pydantic-core", "greenlet", "sqlalchemy", "charset-normalizer",
          "markupsafe"}  # fmt: skip


#: Releases that the specifiers above need, added to the generated history.
NEEDED = {
    "pydantic-core": ["2.33.2"],
    "httpcore": ["1.0.9"],
    "mdurl": ["0.1.2"],
    "pluggy": ["1.6.0"],
    "pygments": ["2.19.2"],
    "charset-normalizer": ["3.4.2"],
    "idna": ["3.10"],
    "urllib3": ["2.5.0"],
    "h2": ["4.2.0"],
    "pytz": ["2025.2"],
    "tzdata": ["2025.2"],
    "certifi": ["2025.8.3"],
    "packaging": ["25.0"],
}


def _versions(name: str, count: int) -> list[str]:
    """A long history, oldest first: 1.0.0, 1.1.0, ... (five minors per major)."""
    out = [f"{1 + i // 5}.{i % 5}.0" for i in range(count)]
    return sorted(set(out) | set(NEEDED.get(name, [])), key=lambda v: tuple(map(int, v.split("."))))


def make_index(versions_per_package: int = 60) -> dict[str, dict[str, dict[str, Any]]]:
    """name -> version -> MemoryFinder entry."""
    index: dict[str, dict[str, dict[str, Any]]] = {}
    for name in sorted(set(DEPS) | set(LEAVES)):
        entries: dict[str, dict[str, Any]] = {}
        versions = _versions(name, versions_per_package)
        for n, version in enumerate(versions):
            info: dict[str, Any] = {"requires": DEPS.get(name, []), "extras": []}
            if name in ("jinja2", "requests", "httpx"):
                info["extras"] = {"jinja2": ["i18n"], "requests": ["socks"], "httpx": ["http2"]}[
                    name
                ]
            # the newest releases drop old Pythons, as numpy and pandas do
            if version in NEEDED.get(name, ()):
                info["python"] = ">=3.8"
            elif n >= len(versions) - 3:
                info["python"] = ">=3.11"
            elif n >= len(versions) - 8:
                info["python"] = ">=3.10"
            else:
                info["python"] = ">=3.8"
            if name in BINARY:
                info["wheels"] = [
                    f"cp3{m}-cp3{m}-{tag}" for m in range(8, 15) for tag in PLATFORM_TAGS
                ]
            entries[version] = info
        index[name] = entries
    return index


def spec() -> ProjectSpec:
    return project(TOP, extras={"cli": ["click", "rich"]}, groups={"dev": ["pytest", "app[cli]"]})


def main() -> None:
    """Time resolve_lock on the synthetic index: cold (the finder builds its file lists) and
    warm (file lists cached, as the index client's cache would have them)."""
    import time

    from pallet.resolve.universal import resolve_lock

    from .memfinder import MemoryFinder

    index = make_index()
    finder = MemoryFinder(index)
    for label in ("cold", "warm", "warm"):
        finder.metadata_calls.clear()
        started = time.perf_counter()
        result = resolve_lock(spec(), finder)
        elapsed = time.perf_counter() - started
        resolved = sum(1 for f in result.forks if f.resolved)
        print(
            f"{label}: {len(result.packages)} entries, {len(result.forks)} forks "
            f"({resolved} resolver runs), {elapsed:.3f}s"
        )


if __name__ == "__main__":
    main()
