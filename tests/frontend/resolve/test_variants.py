"""pallet.resolve.variants: one resolution per hardware variant, merged (issue 12 item 2).

The variant terms are checked against the contract's rule evaluated by packaging (PEP 751
``extras`` in lock-file context); resolutions through the real `IndexClient` over loopback
indexes are checked by `check_exact` on every environment and selection.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.version import Version
from pallet.index.cache import Cache
from pallet.index.client import IndexClient
from pallet.project.model import ProjectSpec
from pallet.project.pyproject import read_project
from pallet.resolve.check import check_exact
from pallet.resolve.markers import render, variant_expr
from pallet.resolve.preferences import pins_of
from pallet.resolve.universal import Resolution, resolve_lock
from support import IndexServer, make_wheel
from support.dists import make_sdist
from support.variant_index import LINUX, VariantIndexes

NAMES = ("cu126", "rocm", "cpu")


def _effective(selected: frozenset[str], available: tuple[str, ...], default: str) -> str:
    """The contract: the first variant in preference order that is selected and available,
    else the default."""
    return next((v for v in available if v in selected), default)


#: (default, the variants available on an environment): the default is always available
CASES = [
    (default, available)
    for default in NAMES
    for available in (NAMES, ("rocm", "cpu"), ("cu126", "cpu"), ("cpu",), ("cu126", "rocm"))
    if default in available
]


@pytest.mark.parametrize(("default", "available"), CASES)
def test_variant_terms_select_exactly_the_effective_variant(
    default: str, available: tuple[str, ...]
) -> None:
    selections = [
        frozenset(c) for n in range(len(NAMES) + 1) for c in itertools.combinations(NAMES, n)
    ]
    for size in range(1, len(available) + 1):
        for chosen in itertools.combinations(available, size):
            expr = variant_expr(chosen, available, default)
            for selected in selections:
                wanted = _effective(selected, available, default) in chosen
                if expr is None:
                    assert wanted, (chosen, available, selected)
                    continue
                got = Marker(render(expr)).evaluate(
                    {"extras": selected, "dependency_groups": frozenset()}, context="lock_file"
                )
                assert got == wanted, (render(expr), selected)


def _spec(root: Path, text: str) -> ProjectSpec:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    return read_project(root)


def _resolve(spec: ProjectSpec, cache: Path, **kwargs: object) -> Resolution:
    with IndexClient(spec.indexes, spec.sources, Cache(cache), env={}) as finder:
        result = resolve_lock(spec, finder, **kwargs)  # type: ignore[arg-type]
        assert check_exact(result, spec, finder) == []
    return result


@pytest.fixture
def indexes(tmp_path: Path) -> Iterator[VariantIndexes]:
    with VariantIndexes(tmp_path / "indexes") as served:
        yield served


def test_resolution_is_exact_and_relock_keeps_each_variants_pins(
    indexes: VariantIndexes, tmp_path: Path
) -> None:
    spec = _spec(tmp_path / "project", indexes.pyproject())
    first = _resolve(spec, tmp_path / "cache1")
    assert [v.name for v in first.variants] == list(NAMES)
    # a newer CUDA build appears; a re-lock with the lock's pins keeps 2.5.1+cu126
    for name, requires in (("torch", ["filelock"]), ("torchvision", ["torch==2.6.0"])):
        version = "2.6.0+cu126" if name == "torch" else "0.21.0+cu126"
        make_wheel(
            indexes.folders["cu126"], name, version, requires_dist=requires, tag=f"py3-none-{LINUX}"
        )
    pins = pins_of(((p.name, p.version, p.marker) for p in first.packages), first.extras, ())
    kept = _resolve(spec, tmp_path / "cache2", preferences=pins)
    cuda = {str(p.version) for p in kept.packages if p.name == "torch"}
    assert cuda == {"2.5.1", "2.5.1+cpu", "2.5.1+cu126", "2.5.1+rocm6.2"}
    fresh = _resolve(spec, tmp_path / "cache3")
    assert "2.6.0+cu126" in {str(p.version) for p in fresh.packages if p.name == "torch"}


def _single_index(tmp_path: Path) -> Iterator[IndexServer]:
    folder = tmp_path / "dists"
    # onnxruntime / onnxruntime-gpu: two names; the GPU build for Linux and Windows only
    make_wheel(folder, "onnxruntime", "1.20.1")
    for tag in (LINUX, "win_amd64"):
        make_wheel(folder, "onnxruntime-gpu", "1.20.1", tag=f"py3-none-{tag}")
    # jax[cuda12]: a plugin extra; the plugin ships Linux wheels only
    make_wheel(folder, "jax", "0.4.35", extras={"cuda12": ["jax-cuda12-plugin==0.4.35"]})
    make_wheel(folder, "jax-cuda12-plugin", "0.4.35", tag=f"py3-none-{LINUX}")
    make_sdist(folder, "numpy", "2.1.0")
    with IndexServer(folder, format="json", metadata=True) as server:
        yield server


@pytest.fixture
def plain_index(tmp_path: Path) -> Iterator[IndexServer]:
    yield from _single_index(tmp_path)


def _plain_project(url: str, extras: str, variants: str) -> str:
    return (
        '[project]\nname = "app"\nversion = "1.0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["numpy"]\n[project.optional-dependencies]\n'
        f"{extras}\n[tool.pallet.variants]\n{variants}\n"
        f'[[tool.pallet.index]]\nname = "local"\nurl = "{url}"\ndefault = true\n'
    )


def _selected(result: Resolution, environment: dict[str, str], extras: set[str]) -> set[str]:
    values: dict[str, str | frozenset[str]] = dict(environment)
    values.update(extras=frozenset(extras), dependency_groups=frozenset())
    return {
        p.name
        for p in result.packages
        if p.marker is None or p.marker.evaluate(values, context="lock_file")
    }


LINUX_ENV = {"sys_platform": "linux", "platform_machine": "x86_64"}
MAC_ENV = {"sys_platform": "darwin", "platform_machine": "arm64"}


def _environment(values: dict[str, str]) -> dict[str, str]:
    from packaging.markers import default_environment

    out = dict(default_environment())
    out.update(values, implementation_name="cpython", python_version="3.12")
    return out


def test_separate_package_names_onnxruntime(plain_index: IndexServer, tmp_path: Path) -> None:
    spec = _spec(
        tmp_path / "project",
        _plain_project(
            plain_index.url,
            'cpu = ["onnxruntime"]\ngpu = ["onnxruntime-gpu"]',
            'extras = ["gpu", "cpu"]\ndefault = "cpu"\n[tool.pallet.variants.gpu]\n'
            'requires = "cuda>=12"',
        ),
    )
    result = _resolve(spec, tmp_path / "cache")
    linux, mac = _environment(LINUX_ENV), _environment(MAC_ENV)
    assert _selected(result, linux, set()) == {"numpy", "onnxruntime"}
    assert _selected(result, linux, {"gpu"}) == {"numpy", "onnxruntime-gpu"}
    assert _selected(result, mac, {"gpu"}) == {"numpy", "onnxruntime"}  # no GPU build there
    unavailable = result.variants[0].unavailable
    assert unavailable is not None
    assert unavailable.evaluate(mac) and not unavailable.evaluate(linux)


def test_plugin_extra_jax_cuda12(plain_index: IndexServer, tmp_path: Path) -> None:
    spec = _spec(
        tmp_path / "project",
        _plain_project(
            plain_index.url,
            'cpu = ["jax"]\ncuda = ["jax[cuda12]"]',
            'extras = ["cuda", "cpu"]\ndefault = "cpu"',
        ),
    )
    result = _resolve(spec, tmp_path / "cache")
    jax = [p for p in result.packages if p.name == "jax"]
    assert len(jax) == 1 and jax[0].version == Version("0.4.35")
    # jax itself is in every variant: no variant term at all
    assert jax[0].marker is None or "extras" not in str(jax[0].marker)
    linux, mac = _environment(LINUX_ENV), _environment(MAC_ENV)
    assert _selected(result, linux, {"cuda"}) == {"numpy", "jax", "jax-cuda12-plugin"}
    assert _selected(result, linux, set()) == {"numpy", "jax"}
    assert _selected(result, mac, {"cuda"}) == {"numpy", "jax"}


def test_base_on_some_platforms_and_a_variant_elsewhere(
    plain_index: IndexServer, tmp_path: Path
) -> None:
    """numpy is always installed on Linux arm64 and jax on macOS; elsewhere each comes only
    with the gpu variant: each entry's variant term is described against its own rest."""
    text = _plain_project(
        plain_index.url,
        'cpu = ["onnxruntime"]\ngpu = ["onnxruntime-gpu", "numpy", "jax"]',
        'extras = ["gpu", "cpu"]\ndefault = "cpu"',
    ).replace(
        'dependencies = ["numpy"]',
        "dependencies = [\"numpy; platform_machine == 'aarch64'\", "
        "\"jax; sys_platform == 'darwin'\"]",
    )
    result = _resolve(_spec(tmp_path / "project", text), tmp_path / "cache")  # check_exact
    linux, mac = _environment(LINUX_ENV), _environment(MAC_ENV)
    arm = _environment({"sys_platform": "linux", "platform_machine": "aarch64"})
    assert _selected(result, linux, {"gpu"}) == {"numpy", "jax", "onnxruntime-gpu"}
    assert _selected(result, linux, set()) == {"onnxruntime"}
    assert _selected(result, arm, {"gpu"}) == {"numpy", "onnxruntime"}  # gpu unavailable
    assert _selected(result, mac, set()) == {"jax", "onnxruntime"}
