"""The files ``pallet init`` writes, as text: pure (names in, ``{relative path: text}`` out).

The kinds follow uv's ``uv init``: an *app* is virtual by default (``[project]`` without
``[build-system]``, a ``main.py``; pallet sync installs its dependencies, not itself), a packaged
app (``--package``) and a *lib* are built by pallet-core from a src layout, the app with a
console script ``name = "module:main"`` (PEP 621 ``[project.scripts]``), the lib with
``py.typed`` (PEP 561). A *script* is one file with a PEP 723 inline metadata block.
"""

from __future__ import annotations

import json
import keyword
import re

from ..errors import ProjectError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    Kind = Literal["app", "package", "lib"]

__all__ = ["GITIGNORE", "module_name", "project_files", "project_name", "script_text"]

#: PEP 508 (and the core metadata spec): a valid distribution name, case-insensitive
_VALID_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)

GITIGNORE = """\
# Python-generated files
__pycache__/
*.py[oc]
build/
dist/
wheels/
*.egg-info

# Virtual environments
.venv
"""


def project_name(raw: str, *, source: str) -> str:
    """``raw`` as a normalized name (PEP 503: lowercase, runs of ``-_.`` to ``-``); blanks
    become ``-`` first. ``ProjectError`` naming ``source`` when it cannot be a PEP 508 name."""
    candidate = re.sub(r"\s+", "-", raw.strip())
    if not _VALID_NAME.match(candidate):
        raise ProjectError(
            f"{source} {raw!r} cannot be a project name (PEP 508: letters, digits and -_. , "
            "starting and ending with a letter or digit); give one with --name"
        )
    return re.sub(r"[-_.]+", "-", candidate).lower()


def module_name(name: str, *, source: str) -> str:
    """The import name of a normalized project name (``-`` to ``_``, as pallet-core's layout
    guesses it); ``ProjectError`` when that is no Python identifier."""
    module = name.replace("-", "_")
    if not module.isidentifier() or keyword.iskeyword(module):
        raise ProjectError(
            f"{source} {name!r} gives the module name {module!r}, which Python cannot import; "
            "give another with --name"
        )
    return module


def _toml_string(text: str) -> str:
    # A JSON string of printable text is a TOML basic string (TOML 1.0: the same escapes).
    return json.dumps(text, ensure_ascii=False)


def _pyproject(name: str, module: str, kind: Kind, python: str, backend_version: str) -> str:
    lines = [
        "[project]",
        f"name = {_toml_string(name)}",
        'version = "0.1.0"',
        'description = "Add your description here"',
        'readme = "README.md"',
        f"requires-python = {_toml_string('>=' + python)}",
        "dependencies = []",
    ]
    if kind == "package":
        lines += ["", "[project.scripts]", f"{name} = {_toml_string(module + ':main')}"]
    if kind != "app":
        lines += [
            "",
            "[build-system]",
            f"requires = [{_toml_string('pallet-core>=' + backend_version)}]",
            'build-backend = "pallet_core.build"',
        ]
    return "\n".join(lines) + "\n"


def _main_code(name: str) -> str:
    # a JSON string is a valid Python string literal (the same escapes, in a subset)
    return f"def main() -> None:\n    print({json.dumps(f'Hello from {name}!')})\n"


def project_files(
    name: str, module: str, kind: Kind, python: str, backend_version: str
) -> dict[str, str]:
    """Every file of a new project, by path relative to its folder (``/`` separated)."""
    files = {
        "pyproject.toml": _pyproject(name, module, kind, python, backend_version),
        "README.md": f"# {name}\n",
        ".gitignore": GITIGNORE,
        ".python-version": python + "\n",
    }
    test = f"tests/test_{module}.py"
    if kind == "app":
        files["main.py"] = _main_code(name) + '\n\nif __name__ == "__main__":\n    main()\n'
        files[test] = (
            "import runpy\nfrom pathlib import Path\n\nimport pytest\n\n\n"
            "def test_main(capsys: pytest.CaptureFixture[str]) -> None:\n"
            '    code = runpy.run_path(str(Path(__file__).parents[1] / "main.py"))\n'
            '    code["main"]()\n'
            f'    assert capsys.readouterr().out == "Hello from {name}!\\n"\n'
        )
    elif kind == "package":
        files[f"src/{module}/__init__.py"] = _main_code(name)
        files[test] = (
            f"import pytest\n\nfrom {module} import main\n\n\n"
            "def test_main(capsys: pytest.CaptureFixture[str]) -> None:\n"
            "    main()\n"
            f'    assert capsys.readouterr().out == "Hello from {name}!\\n"\n'
        )
    else:
        files[f"src/{module}/__init__.py"] = (
            f'def hello() -> str:\n    return "Hello from {name}!"\n'
        )
        files[f"src/{module}/py.typed"] = ""  # PEP 561: the package ships its annotations
        files[test] = (
            f"from {module} import hello\n\n\n"
            "def test_hello() -> None:\n"
            f'    assert hello() == "Hello from {name}!"\n'
        )
    return files


def script_text(name: str, python: str) -> str:
    """A PEP 723 script: the ``# /// script`` block (TOML in comment lines) and a main."""
    return (
        "# /// script\n"
        f"# requires-python = {_toml_string('>=' + python)}\n"
        "# dependencies = []\n"
        "# ///\n\n\n" + _main_code(name) + '\n\nif __name__ == "__main__":\n    main()\n'
    )
