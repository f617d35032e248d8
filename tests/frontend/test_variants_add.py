"""``pallet variants add``: PyTorch backends written into pyproject.toml, then locked.

The edit is checked by reading the result with tomllib (the standard library's TOML reader, not
tomlkit, which wrote it) against the tables the issue's surface names, and by finding every line of
the original file, in order, in the result. The lock runs against the loopback PyTorch-like index
(`support.torch_index`); a failed lock must leave pyproject.toml byte-identical.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pallet.cli import variants_add
from pallet.errors import PalletError, ProjectError
from pallet.project.variants_edit import (
    add_variants,
    make_plan,
    parse_backend,
    with_lower_bounds,
)
from support.lock_tools import lock_pyproject, run_pallet_lock
from support.torch_index import TORCHVISION, TorchIndex, build_torch_index

TIMEOUT = 120

ORIGINAL = """\
# The demo project: comments and layout must survive the edit.
[project]
name = "demo"  # the name
version = "1.0"
requires-python = ">=3.9"
dependencies = [
    "numpy",   # arrays
]

[project.optional-dependencies]
dev = ["pytest"]  # tests

[project.urls]
Home = "https://example.org"

[[tool.pallet.index]]
name = "mine"
url = "https://example.org/simple"   # the company index
default = true

[tool.ruff]
line-length = 100
"""


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pallet variants")
    variants_add.add_parser(parser.add_subparsers(dest="variants_command"))
    args = parser.parse_args(argv)
    args.verbose = False
    args.quiet = True
    return args


def _is_subsequence(lines: list[str], within: list[str]) -> bool:
    it = iter(within)
    return all(any(line == other for other in it) for line in lines)


# -- the plan: backends, their order and requirements -------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "requires", "extra"),
    [
        ("cpu", "cpu", None, "cpu"),
        ("cu118", "cuda", "cuda>=11.8", "cu118"),
        ("cu126", "cuda", "cuda>=12.6", "cu126"),
        ("cu130", "cuda", "cuda>=13.0", "cu130"),
        ("rocm6.2", "rocm", "rocm>=6.2", "rocm6-2"),  # PEP 685: '.' normalizes to '-'
        ("rocm6.2.4", "rocm", "rocm>=6.2", "rocm6-2-4"),
        ("xpu", "xpu", "xpu", "xpu"),
    ],
)
def test_backend_names_as_pytorch_spells_them(
    name: str, kind: str, requires: str | None, extra: str
) -> None:
    backend = parse_backend(name)
    assert (backend.kind, backend.requires, backend.extra) == (kind, requires, extra)
    assert backend.index_name == f"pytorch-{extra}"


@pytest.mark.parametrize(
    ("given", "order"),
    [
        ("cpu,cu126,rocm6.2", ["cu126", "rocm6-2", "cpu"]),
        ("cpu,cu121,cu126,cu118", ["cu126", "cu121", "cu118", "cpu"]),
        ("rocm6.1,cpu,rocm6.2,xpu,cu124", ["cu124", "rocm6-2", "rocm6-1", "xpu", "cpu"]),
        ("cu130,cu128", ["cu130", "cu128"]),
    ],
)
def test_preference_cuda_newest_then_rocm_then_cpu(given: str, order: list[str]) -> None:
    plan = make_plan(["torch"], given.split(","), None if "cpu" in given else "cu128")
    assert [b.extra for b in plan.backends] == order


@pytest.mark.parametrize(
    ("packages", "backends", "default", "pattern", "message"),
    [
        (["torch"], "cpu,cuda12", None, "{backend}", "'cuda12' is not a PyTorch backend"),
        (["torch"], "cpu,metal", None, "{backend}", "'metal' is not a PyTorch backend"),
        (["torch"], "cpu", None, "{backend}", "at least two backends"),
        (["torch"], "cpu,cu126,CPU", None, "{backend}", "'cpu' is given twice"),
        (["torch"], "cu126,rocm6.2", None, "{backend}", "--default: name the backend"),
        (["torch"], "cpu,cu126", "cu121", "{backend}", "'cu121' is not one of the backends"),
        (["torch"], "cpu,cu126", None, "https://x/whl", "has no {backend} placeholder"),
        (["torch>="], "cpu,cu126", None, "{backend}", "'torch>=': not a PEP 508 requirement"),
    ],
)
def test_bad_arguments(
    packages: list[str], backends: str, default: str | None, pattern: str, message: str
) -> None:
    with pytest.raises(ProjectError, match=message.replace("{", r"\{").replace("}", r"\}")):
        make_plan(packages, backends.split(","), default, pattern)


# -- the edit -----------------------------------------------------------------------------------


def test_edit_writes_the_surface_and_keeps_the_rest() -> None:
    plan = make_plan(["torch>=2.5", "torchvision"], ["cpu", "cu126", "rocm6.2"])
    out = add_variants(ORIGINAL, plan)
    assert _is_subsequence(ORIGINAL.splitlines(), out.splitlines())
    data = tomllib.loads(out)
    project = data["project"]
    assert project["optional-dependencies"] == {
        "dev": ["pytest"],
        "cu126": ["torch>=2.5", "torchvision"],
        "rocm6-2": ["torch>=2.5", "torchvision"],
        "cpu": ["torch>=2.5", "torchvision"],
    }
    assert project["dependencies"] == ["numpy"]
    pallet = data["tool"]["pallet"]
    assert pallet["variants"] == {
        "extras": ["cu126", "rocm6-2", "cpu"],
        "default": "cpu",
        "cu126": {"requires": "cuda>=12.6", "index": "pytorch-cu126"},
        "rocm6-2": {"requires": "rocm>=6.2", "index": "pytorch-rocm6-2"},
        "cpu": {"index": "pytorch-cpu"},
    }
    assert pallet["index"] == [
        {"name": "mine", "url": "https://example.org/simple", "default": True},
        {
            "name": "pytorch-cu126",
            "url": "https://download.pytorch.org/whl/cu126",
            "explicit": True,
        },
        {
            "name": "pytorch-rocm6-2",
            "url": "https://download.pytorch.org/whl/rocm6.2",
            "explicit": True,
        },
        {"name": "pytorch-cpu", "url": "https://download.pytorch.org/whl/cpu", "explicit": True},
    ]
    assert data["tool"]["ruff"] == {"line-length": 100}
    assert "\n\n\n" not in out
    assert out.endswith("\n") and not out.endswith("\n\n")


def test_edit_of_a_bare_project() -> None:
    text = '[project]\nname = "demo"\nversion = "1.0"\n'
    out = add_variants(text, make_plan(["torch"], ["cu126", "cpu"], "cpu", "http://h/{backend}/"))
    assert out.startswith(text)
    data = tomllib.loads(out)
    assert data["project"]["optional-dependencies"] == {"cu126": ["torch"], "cpu": ["torch"]}
    assert [i["url"] for i in data["tool"]["pallet"]["index"]] == [
        "http://h/cu126/",
        "http://h/cpu/",
    ]
    assert "\n\n\n" not in out


def test_an_index_already_there_with_the_same_url_is_kept() -> None:
    text = ORIGINAL.replace(
        "[tool.ruff]",
        '[[tool.pallet.index]]\nname = "pytorch-cu126"\n'
        'url = "https://download.pytorch.org/whl/cu126/"\nexplicit = true\n\n[tool.ruff]',
    )
    out = add_variants(text, make_plan(["torch"], ["cu126", "cpu"]))
    names = [i["name"] for i in tomllib.loads(out)["tool"]["pallet"]["index"]]
    assert names == ["mine", "pytorch-cu126", "pytorch-cpu"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('dev = ["pytest"]', 'dev = ["pytest"]\nCU126 = ["jax"]'),
            r"\[project.optional-dependencies\] 'cu126': already exists",
        ),
        (
            ("[tool.ruff]", '[tool.pallet.variants]\nextras = ["a", "b"]\n\n[tool.ruff]'),
            r"\[tool.pallet.variants\]: already exists",
        ),
        (
            (
                "[tool.ruff]",
                '[[tool.pallet.index]]\nname = "pytorch-cpu"\nurl = "https://o"\n[tool.ruff]',
            ),
            r"\[\[tool.pallet.index\]\] 'pytorch-cpu': already exists with url 'https://o'",
        ),
        (
            ('version = "1.0"', 'version = "1.0"\ndynamic = ["optional-dependencies"]'),
            r"\[project\] 'dynamic': lists optional-dependencies",
        ),
        ((ORIGINAL, '[tool.x]\nname = "demo"\n'), r"\[project\]: the table is missing"),
        (("[tool.ruff]", "[tool.ruff"), r"21:11: invalid TOML"),
    ],
)
def test_refuses_to_replace_or_guess(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    text = ORIGINAL.replace(*change)
    assert text != ORIGINAL
    (tmp_path / "pyproject.toml").write_text(text)
    before = (tmp_path / "pyproject.toml").read_bytes()
    args = _parse(["add", "torch", "--backends", "cpu,cu126", "--project", str(tmp_path)])
    with pytest.raises(ProjectError, match=f"^pyproject.toml:( |){message}") as info:
        variants_add.run(args)
    assert "\n" not in str(info.value)
    assert (tmp_path / "pyproject.toml").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pyproject.toml"]


# -- through the lock ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TorchIndex]:
    with build_torch_index(tmp_path_factory.mktemp("torch-index")) as index:
        yield index


@pytest.fixture
def project(tmp_path: Path, torch_index: TorchIndex, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(lock_pyproject(torch_index.url(), []))
    monkeypatch.setenv("PALLET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    return root


def _add(project: Path, torch_index: TorchIndex, *argv: str) -> int:
    pattern = f"{torch_index.server.base_url}/{{backend}}/" if torch_index.server else ""
    args = _parse(["add", *argv, "--index-url-pattern", pattern, "--project", str(project)])
    return variants_add.run(args)


def test_add_then_lock(project: Path, torch_index: TorchIndex, env: dict[str, str]) -> None:
    assert _add(project, torch_index, "torch>=2.5", "torchvision", "--backends", "cpu,cu126") == 0
    data = tomllib.loads((project / "pyproject.toml").read_text())
    assert data["tool"]["pallet"]["variants"]["extras"] == ["cu126", "cpu"]
    # the bare name got the locked version as its lower bound; the given specifier stayed
    expected = ["torch>=2.5", f"torchvision>={TORCHVISION}"]
    assert data["project"]["optional-dependencies"] == {"cu126": expected, "cpu": expected}
    assert data["tool"]["pallet"]["index"][1]["url"] == torch_index.url("cu126")
    lock = tomllib.loads((project / "pylock.toml").read_text())
    assert lock["extras"] == ["cpu", "cu126"]
    tail = lock["tool"]["pallet"]["variants"]
    assert [(v["name"], v.get("requires"), v.get("default", False)) for v in tail] == [
        ("cu126", "cuda>=12.6", False),
        ("cpu", None, True),
    ]
    assert [v["index"] for v in tail] == [torch_index.url("cu126"), torch_index.url("cpu")]
    # the lock is the one `pallet lock` itself takes for up to date
    env = {**env, "PALLET_CACHE_DIR": os.environ["PALLET_CACHE_DIR"]}
    check = run_pallet_lock(project, env, "--check", timeout=TIMEOUT)
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("old_lock", [False, True])
def test_a_failed_lock_leaves_the_project_as_it_was(
    project: Path, torch_index: TorchIndex, env: dict[str, str], old_lock: bool
) -> None:
    if old_lock:  # the project's lock before: it stays as it was
        (project / "pyproject.toml").write_text(lock_pyproject(torch_index.url(), ["filelock"]))
        env = {**env, "PALLET_CACHE_DIR": os.environ["PALLET_CACHE_DIR"]}
        assert run_pallet_lock(project, env, timeout=TIMEOUT).returncode == 0
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in project.iterdir()}
    # no torch 99 anywhere: the resolution fails
    with pytest.raises(PalletError, match="torch"):
        _add(project, torch_index, "torch>=99", "--backends", "cpu,cu126")
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in project.iterdir()}
    assert after == before


def test_the_parser_imports_no_tomlkit() -> None:
    """Registering the sub-command (as ``pallet --help`` does) imports neither tomlkit nor
    packaging: they are imported when the command runs."""
    code = (
        "import argparse, sys\n"
        "from pallet.cli import variants_add\n"
        "p = argparse.ArgumentParser()\n"
        "h = variants_add.add_parser(p.add_subparsers()).format_help()\n"
        "print(sorted(m for m in ('tomlkit', 'packaging') if m in sys.modules))\n"
        "print(all(o in h for o in ('--backends', '--default', '--index-url-pattern')))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert proc.stdout.split("\n")[:2] == ["[]", "True"]


def test_options_of_pallet_variants_before_add(tmp_path: Path) -> None:
    """``pallet variants --project DIR add ...``: the parent command's ``--project``
    (cli/variants.py registers ``add`` under its own parser) is not replaced by ``add``'s absent
    one."""
    parser = argparse.ArgumentParser(prog="pallet variants")
    parser.add_argument("--project", type=Path, default=None)
    parser.add_argument("--offline", action="store_true")
    variants_add.add_parser(parser.add_subparsers(dest="variants_command"))
    argv = ["--project", str(tmp_path), "--offline", "add", "torch", "--backends", "cpu,cu126"]
    args = parser.parse_args(argv)
    assert (args.project, args.offline, args.packages) == (tmp_path, True, ["torch"])
    args = parser.parse_args(["add", "torch", "--backends", "cpu,cu126", "--project", "elsewhere"])
    assert args.project == Path("elsewhere")


BARE = '[project]\nname = "demo"\nversion = "1.0"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            BARE + '\n[tool.pallet]\nindex = [{ name = "m", url = "https://m" }]\n',
            r"\[tool.pallet\] 'index': is an inline array",
        ),
        (BARE + "\n[tool]\npallet = { default-groups = [] }\n", r"\[tool.pallet\]: is an inline"),
        ("tool = { x = 1 }\n\n" + BARE, r"\[tool\]: is an inline table"),
    ],
)
def test_inline_tables_are_refused(text: str, message: str) -> None:
    with pytest.raises(ProjectError, match=f"^pyproject.toml: {message}"):
        add_variants(text, make_plan(["torch"], ["cu126", "cpu"]))


@pytest.mark.parametrize(
    "text",
    [
        BARE.replace(
            'version = "1.0"\n', 'version = "1.0"\noptional-dependencies = { dev = ["x"] }\n'
        ),
        "tool.pallet.default-groups = []\n\n" + BARE,
        BARE + '\n[tool.pallet.resolution]\nexclude-newer = "2025-01-01"\n',
    ],
)
def test_unusual_layouts_read_back_exactly(text: str) -> None:
    """Inline extras, dotted keys, a [tool.pallet] that exists only through a sub-table: the
    result reads (tomllib) as the old file plus the new tables, every old line kept."""
    out = add_variants(text, make_plan(["torch"], ["cu126", "cpu"]))
    data, old = tomllib.loads(out), tomllib.loads(text)
    assert data["project"]["optional-dependencies"] == {
        **old["project"].get("optional-dependencies", {}),
        "cu126": ["torch"],
        "cpu": ["torch"],
    }
    assert data["tool"]["pallet"]["variants"]["extras"] == ["cu126", "cpu"]
    old_pallet = old.get("tool", {}).get("pallet", {})
    assert {k: v for k, v in data["tool"]["pallet"].items() if k not in ("variants", "index")} == (
        old_pallet
    )
    assert _is_subsequence(
        [line for line in text.splitlines() if "optional-dependencies" not in line],
        out.splitlines(),
    )


_DRIVER = """\
import argparse, sys
from pallet.cli import variants_add
from pallet.errors import PalletError
parser = argparse.ArgumentParser()
variants_add.add_parser(parser.add_subparsers())
args = parser.parse_args(sys.argv[1:])
args.verbose, args.quiet = False, True
try:
    sys.exit(variants_add.run(args))
except PalletError as exc:  # as pallet.cli.main prints it
    print("error:", exc, file=sys.stderr)
    sys.exit(exc.exit_code)
"""


def test_a_read_only_project_folder(tmp_path: Path) -> None:
    """pyproject.toml is replaced through a temporary file beside it: in a folder the user cannot
    write, one line naming the file and the reason, no traceback, nothing changed."""
    from support.unprivileged import unprivileged_prefix

    prefix = unprivileged_prefix()
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(ORIGINAL)
    root.chmod(0o555)
    try:
        argv = ["add", "torch", "--backends", "cpu,cu126", "--no-lock", "--project", str(root)]
        proc = subprocess.run(
            [*prefix, sys.executable, "-c", _DRIVER, *argv],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        root.chmod(0o755)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: pyproject.toml: cannot be written (")
    assert "Permission denied" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert (root / "pyproject.toml").read_text() == ORIGINAL
    assert sorted(p.name for p in root.iterdir()) == ["pyproject.toml"]


@pytest.mark.parametrize(
    ("given", "versions", "written"),
    [
        # PEP 440: a local label is no part of a specifier's version, so the bound is public
        ("torch", ["2.5.1+cu126", "2.5.1+cpu", "2.5.1"], "torch>=2.5.1"),
        ("torch", ["2.6.0+cu126", "2.5.1+cpu"], "torch>=2.5.1"),
        ("jax[cuda12]", ["0.4.35"], "jax[cuda12]>=0.4.35"),
        ('jax; python_version >= "3.10"', ["0.4.35"], 'jax>=0.4.35; python_version >= "3.10"'),
        ("torch>=2.4", ["2.5.1+cpu"], "torch>=2.4"),  # a specifier is the user's: kept
        ("torch @ https://example.org/torch-2.5.1-py3-none-any.whl", ["2.5.1"], None),
        ("notlocked", [], None),
    ],
)
def test_lower_bounds_from_the_lock(given: str, versions: list[str], written: str | None) -> None:
    plan = make_plan([given], ["cpu", "cu126"])
    locked = {canonicalize_name(Requirement(given).name): versions} if versions else {}
    assert with_lower_bounds(plan, locked).packages == (written or given,)
