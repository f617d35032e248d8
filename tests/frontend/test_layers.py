"""The frontend's layers import one way (docs/architecture.md): read every module's imports with
`ast` and check that none reaches a layer to its right."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "frontend" / "pallet"

#: docs/architecture.md: errors/envvars/ui/variants -> project -> pep517 -> index -> resolve -> lock
#: -> python -> install -> cli.
#: A module may import from its own layer and from layers with a lower rank only.
LAYERS = {
    "errors": 0,
    "envvars": 0,
    "ui": 0,
    "variants": 0,
    "project": 1,
    "pep517": 2,
    "index": 3,
    "resolve": 4,
    "lock": 5,
    "python": 6,
    "install": 7,
    "cli": 8,
    "__main__": 8,
}


def _layer(module: str) -> str:
    """``pallet.index.client`` -> ``index``; the package itself (``pallet``) has no layer."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(path: Path, module: str) -> set[str]:
    """Every ``pallet.*`` module the file imports, relative imports made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    base = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "pallet"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = base[: len(base) - (node.level - 1)]
                target = ".".join([*parent, *([node.module] if node.module else [])])
            elif node.module and node.module.split(".")[0] == "pallet":
                target = node.module
            else:
                continue
            if node.module:
                found.add(target)
            else:  # from . import x: each name is a module (or a name) of the parent
                found |= {f"{target}.{a.name}" for a in node.names}
    return found


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def test_every_layer_is_known() -> None:
    layers = {_layer(m) for m in _modules()} - {"", "__init__"}
    assert layers <= set(LAYERS), f"add {sorted(layers - set(LAYERS))} to LAYERS and the map"


def test_layers_import_one_way() -> None:
    wrong = []
    for module, path in _modules().items():
        own = _layer(module)
        if own not in LAYERS:
            continue
        for imported in sorted(_imports(path, module)):
            other = _layer(imported)
            if other in LAYERS and LAYERS[other] > LAYERS[own]:
                wrong.append(f"{module} imports {imported} ({own} -> {other})")
    assert wrong == []


def test_the_scanner_sees_relative_and_absolute_imports(tmp_path: Path) -> None:
    """The check could fail: a resolve module importing lock is found, however it is spelled."""
    source = tmp_path / "universal.py"
    source.write_text(
        "from ..lock.model import Lock\nimport pallet.cli.main\nfrom .. import lock\n",
        encoding="utf-8",
    )
    found = _imports(source, "pallet.resolve.universal")
    assert {"pallet.lock.model", "pallet.cli.main", "pallet.lock"} <= found
    assert {_layer(m) for m in found} == {"lock", "cli"}


def _all_imports(path: Path) -> set[str]:
    """The top-level names of every absolute import in the file (``subprocess``, ``pallet``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_variants_is_a_leaf() -> None:
    """Detection (issue 12) runs on the fast paths: `pallet.variants` imports the standard library,
    `pallet.errors` and `pallet.envvars` only (no packaging, no other pallet layer)."""
    import sys

    modules = {m: p for m, p in _modules().items() if _layer(m) == "variants"}
    assert modules, "pallet.variants is missing"
    wrong = []
    for module, path in modules.items():
        for imported in sorted(_imports(path, module)):
            if _layer(imported) != "variants" and imported not in (
                "pallet.errors",
                "pallet.envvars",
            ):
                wrong.append(f"{module} imports {imported}")
        for top in sorted(_all_imports(path) - {"pallet", "__future__"}):
            if top not in sys.stdlib_module_names:
                wrong.append(f"{module} imports {top} (not the standard library)")
    assert wrong == []
