"""pallet's own virtual environments, checked with real interpreters, real pip and real shells.

The reference for the layout is ``python -m venv --without-pip`` run by the same interpreter; the
reference for "it works" is the created Python itself (``sys.prefix``, ``sys.path``) and pip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pallet.errors import PalletError
from pallet.python import venv as venv_mod
from pallet.python.venv import VenvInterpreter, create_venv, ensure_venv, inspect_venv
from support.dists import make_wheel

PYENV = Path("/root/.pyenv/versions")
VERSIONS = ["3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0"]


def _pythons() -> list[pytest.param]:  # type: ignore[valid-type]
    params = [pytest.param(sys.executable, id="running")]
    for version in VERSIONS:
        exe = PYENV / version / "bin" / "python3"
        mark = pytest.mark.skipif(not exe.exists(), reason=f"no {exe}")
        params.append(pytest.param(str(exe), id=version, marks=mark))
    return params


@pytest.fixture(scope="module")
def probed() -> dict[str, VenvInterpreter]:
    return {}


def _interp(exe: str, cache: dict[str, VenvInterpreter]) -> VenvInterpreter:
    if exe not in cache:
        cache[exe] = VenvInterpreter.probe(exe)
    return cache[exe]


def _facts(python: Path) -> dict[str, object]:
    code = (
        "import json, sys; "
        "print(json.dumps({'prefix': sys.prefix, 'base': sys.base_prefix, 'path': sys.path}))"
    )
    proc = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def _layout(root: Path) -> set[tuple[str, str]]:
    """Every entry under `root`: relative path and kind (dir, link, file)."""
    out = set()
    for entry in root.rglob("*"):
        kind = "link" if entry.is_symlink() else "dir" if entry.is_dir() else "file"
        out.add((entry.relative_to(root).as_posix(), kind))
    return out


@pytest.mark.parametrize("exe", _pythons())
def test_created_venv_runs_and_matches_stdlib_venv_layout(
    tmp_path: Path, exe: str, probed: dict[str, VenvInterpreter]
) -> None:
    interp = _interp(exe, probed)
    root = create_venv(tmp_path / ".venv", interp)
    assert root == tmp_path / ".venv"
    facts = _facts(root / "bin" / "python")
    assert facts["prefix"] == str(root)
    assert facts["base"] == interp.base_prefix
    assert str(root / interp.purelib) in facts["path"]  # type: ignore[operator]
    no_pip = subprocess.run([str(root / "bin" / "python"), "-c", "import pip"], capture_output=True)
    assert no_pip.returncode != 0

    # the same files as `python -m venv --without-pip` by the same interpreter
    ref = tmp_path / "ref"
    subprocess.run([exe, "-m", "venv", "--without-pip", str(ref)], check=True)
    ours, theirs = _layout(root), _layout(ref)
    assert ours - {(".gitignore", "file")} == theirs - {(".gitignore", "file")}
    if (".gitignore", "file") in theirs:  # venv 3.13+
        assert (ref / ".gitignore").read_text().strip().endswith("*")
    assert (root / ".gitignore").read_text() == "*\n"
    # pyvenv.cfg carries what PEP 405's site reads, as venv writes it
    ref_cfg = venv_mod.read_pyvenv_cfg(ref / "pyvenv.cfg")
    cfg = venv_mod.read_pyvenv_cfg(root / "pyvenv.cfg")
    for key in ("home", "include-system-site-packages", "version"):
        assert cfg[key] == ref_cfg[key]
    assert "pallet" in cfg
    for name in ("python", "python3", f"python3.{interp.version_info[1]}"):
        assert os.path.samefile(root / "bin" / name, ref / "bin" / name)


def test_pip_installs_a_wheel_into_it_and_the_package_imports(tmp_path: Path) -> None:
    interp = VenvInterpreter.probe(sys.executable)
    root = create_venv(tmp_path / ".venv", interp)
    wheel = make_wheel(
        tmp_path / "dists", "hello-venv", "1.0", files={"hello_venv/__init__.py": "X = 42\n"}
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    python = root / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index",
         "--disable-pip-version-check", "-q", str(wheel)],
        check=True, env=env,
    )  # fmt: skip
    proc = subprocess.run(
        [str(python), "-c", "import hello_venv; print(hello_venv.__file__, hello_venv.X)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert proc.stdout.split() == [str(root / interp.purelib / "hello_venv" / "__init__.py"), "42"]


def test_seed_installs_pip_with_ensurepip(tmp_path: Path) -> None:
    root = create_venv(tmp_path / "seeded", VenvInterpreter.probe(sys.executable), seed=True)
    proc = subprocess.run(
        [str(root / "bin" / "python"), "-c", "import pip; print(pip.__file__)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert proc.stdout.startswith(str(root))
    assert (root / "bin" / "pip").exists()


@pytest.mark.parametrize("shell", ["bash", "dash", "zsh"])
def test_activate_and_deactivate_in_posix_shells(tmp_path: Path, shell: str) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"no {shell} here")
    root = create_venv(
        tmp_path / "it's a venv" / ".venv", VenvInterpreter.probe(sys.executable), prompt="pro'ject"
    )
    quoted = "'" + str(root).replace("'", "'\\''") + "'"
    script = (
        "PS1='$ '\n"  # a non-interactive bash drops the PS1 it inherits
        + f". {quoted}/bin/activate\n"
        + 'echo "$VIRTUAL_ENV"\necho "$VIRTUAL_ENV_PROMPT"\necho "$PS1"\ncommand -v python\n'
        + 'deactivate\necho "after:${VIRTUAL_ENV-unset}:$PATH"\n'
        + "command -v deactivate || echo gone\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = "/usr/bin:/bin"  # no `deactivate` on it (pyenv-virtualenv has one)
    proc = subprocess.run(
        [shutil.which(shell) or shell, "-c", script], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == str(root)
    assert lines[1] == "pro'ject"
    assert lines[2] == "(pro'ject) $ "
    assert lines[3] == str(root / "bin" / "python")
    assert lines[4] == f"after:unset:{env['PATH']}"
    assert lines[5] == "gone"


_E = "echo $VIRTUAL_ENV"
_A = "echo after:$VIRTUAL_ENV"
_CA = "echo after:$?VIRTUAL_ENV"


@pytest.mark.parametrize(
    ("shell", "script", "args"),
    [
        ("fish", "activate.fish", f"source '{{a}}'; {_E}; command -s python; deactivate; {_A}"),
        ("csh", "activate.csh", f"source '{{a}}'; {_E}; which python; deactivate; {_CA}"),
        ("tcsh", "activate.csh", f"source '{{a}}'; {_E}; which python; deactivate; {_CA}"),
        ("pwsh", "Activate.ps1", ". '{a}'; $env:VIRTUAL_ENV; (Get-Command python).Source; "
                                 'deactivate; "after:$env:VIRTUAL_ENV"'),
    ],
)  # fmt: skip
def test_activate_in_other_shells(tmp_path: Path, shell: str, script: str, args: str) -> None:
    exe = shutil.which(shell)
    if exe is None:
        pytest.skip(f"no {shell} here")
    root = create_venv(tmp_path / ".venv", VenvInterpreter.probe(sys.executable))
    cmd = [exe, "-Command" if shell == "pwsh" else "-c", args.format(a=root / "bin" / script)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == str(root)
    assert lines[1] == str(root / "bin" / "python")
    assert lines[2] in ("after:", "after:0")


# -- reuse, recreate, refuse ----------------------------------------------------------------


def _two_interpreters() -> tuple[VenvInterpreter, VenvInterpreter]:
    found = [PYENV / v / "bin" / "python3" for v in VERSIONS]
    found = [p for p in found if p.exists()]
    if len(found) < 2:
        pytest.skip("needs two pyenv Pythons")
    return VenvInterpreter.probe(found[0]), VenvInterpreter.probe(found[-1])


def test_reused_when_compatible_recreated_when_the_interpreter_changed(tmp_path: Path) -> None:
    old, new = _two_interpreters()
    path = tmp_path / ".venv"
    assert inspect_venv(path, old).kind == "missing"
    assert ensure_venv(path, old) == "created"
    marker = path / old.purelib / "marker.txt"
    marker.write_text("kept")
    assert inspect_venv(path, old).kind == "compatible"
    assert ensure_venv(path, old) == "reused"
    assert marker.exists()

    state = inspect_venv(path, new)
    assert state.kind == "stale", state
    assert ensure_venv(path, new) == "recreated"
    assert _facts(path / "bin" / "python")["base"] == new.base_prefix
    assert not marker.exists()
    # nothing of the swap is left beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == [".venv"]


def test_a_venv_whose_interpreter_is_gone_is_stale(tmp_path: Path) -> None:
    interp = VenvInterpreter.probe(sys.executable)
    path = create_venv(tmp_path / ".venv", interp)
    cfg = path / "pyvenv.cfg"
    cfg.write_text(
        cfg.read_text().replace(interp.base_executable, str(tmp_path / "gone" / "python"))
    )
    assert inspect_venv(path).kind == "stale"
    assert ensure_venv(path, interp) == "recreated"
    assert inspect_venv(path, interp).kind == "compatible"


def test_a_venv_pallet_did_not_make_is_refused_unless_forced(tmp_path: Path) -> None:
    interp = VenvInterpreter.probe(sys.executable)
    path = tmp_path / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    assert inspect_venv(path, interp).kind == "foreign"
    with pytest.raises(
        PalletError, match=r"\.venv: is a virtual environment pallet did not create"
    ) as err:
        ensure_venv(path, interp)
    assert "\n" not in str(err.value)
    assert str(path) in str(err.value)
    assert inspect_venv(path, interp).kind == "foreign"  # untouched
    assert ensure_venv(path, interp, force=True) == "recreated"
    assert inspect_venv(path, interp).kind == "compatible"


@pytest.mark.parametrize("what", ["file", "folder"])
def test_something_else_at_the_path_is_refused(tmp_path: Path, what: str) -> None:
    interp = VenvInterpreter.probe(sys.executable)
    path = tmp_path / ".venv"
    if what == "file":
        path.write_text("not a venv")
    else:
        (path / "src").mkdir(parents=True)
    assert inspect_venv(path, interp).kind == "not-a-venv"
    with pytest.raises(PalletError, match="pallet will not replace it without --force"):
        ensure_venv(path, interp)
    assert path.exists()
    assert ensure_venv(path, interp, force=True) == "recreated"
    assert (path / "pyvenv.cfg").is_file()


def test_an_empty_folder_is_filled(tmp_path: Path) -> None:
    path = tmp_path / ".venv"
    path.mkdir()
    assert ensure_venv(path, VenvInterpreter.probe(sys.executable)) == "created"


def test_create_refuses_an_existing_path(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("")
    with pytest.raises(PalletError, match="already exists"):
        create_venv(tmp_path / "x", VenvInterpreter.probe(sys.executable))


# -- atomicity ------------------------------------------------------------------------------


def test_a_creation_that_fails_midway_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interp = VenvInterpreter.probe(sys.executable)

    def broken(name: str, *args: object) -> str:
        if name == "activate.csh":  # after the links and the first scripts are written
            raise OSError(28, "No space left on device")
        return real(name, *args)  # type: ignore[arg-type]

    real = venv_mod.activation.render
    monkeypatch.setattr(venv_mod.activation, "render", broken)
    with pytest.raises(
        PalletError, match=r"\.venv: cannot create the virtual environment: No space"
    ):
        create_venv(tmp_path / ".venv", interp)
    assert list(tmp_path.iterdir()) == []

    # replacing: the old environment stays whole when the new one fails
    monkeypatch.setattr(venv_mod.activation, "render", real)
    old, new = _two_interpreters()
    ensure_venv(tmp_path / ".venv", old)
    monkeypatch.setattr(venv_mod.activation, "render", broken)
    with pytest.raises(PalletError):
        ensure_venv(tmp_path / ".venv", new)
    assert inspect_venv(tmp_path / ".venv", old).kind == "compatible"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".venv"]


def test_a_windows_interpreter_is_refused_with_a_message(tmp_path: Path) -> None:
    interp = VenvInterpreter.probe(sys.executable)
    windows = VenvInterpreter(**{**interp.__dict__, "os_name": "nt", "scripts": "Scripts"})
    with pytest.raises(PalletError, match=r"Windows Python .* is not supported yet"):
        create_venv(tmp_path / ".venv", windows)
    assert list(tmp_path.iterdir()) == []


def test_probe_of_something_that_is_not_python(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho nope\n")
    fake.chmod(0o755)
    with pytest.raises(PalletError, match=r"python: not a usable Python"):
        VenvInterpreter.probe(fake)
    with pytest.raises(PalletError, match="cannot run this Python"):
        VenvInterpreter.probe(tmp_path / "missing")


def test_leftovers_of_a_killed_creation_are_swept_young_ones_kept(tmp_path: Path) -> None:
    """A SIGKILL between mkdir and rename leaves ``.<name>.pallet-new-*`` (``..venv.pallet-new-*``
    for ``.venv``); the next ensure_venv
    removes such folders once they are old, and leaves a young one (another process's) alone."""
    interpreter = _interp(sys.executable, {})
    old_new = tmp_path / "..venv.pallet-new-0001"
    old_aside = tmp_path / "..venv.pallet-old-0002"
    young = tmp_path / "..venv.pallet-new-0003"
    unrelated = tmp_path / ".other.pallet-new-0004"
    for folder in (old_new, old_aside, young, unrelated):
        (folder / "lib").mkdir(parents=True)
    for folder in (old_new, old_aside, unrelated):
        os.utime(folder, (1_000_000, 1_000_000))
    assert ensure_venv(tmp_path / ".venv", interpreter) == "created"
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["..venv.pallet-new-0003", ".other.pallet-new-0004", ".venv"]


@pytest.mark.skipif(not (PYENV / "3.9.18" / "bin" / "python3").exists(), reason="no Python 3.9")
def test_pallet_running_on_python_3_9_creates_a_venv(tmp_path: Path) -> None:
    """pallet supports 3.9: the venv module must not use 3.10+ APIs (``write_text(newline=)``).
    It needs only the standard library and pallet itself, so 3.9 runs it from the source tree."""
    python = PYENV / "3.9.18" / "bin" / "python3"
    source = Path(venv_mod.__file__).resolve().parents[2]
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from pallet.python.venv import VenvInterpreter, create_venv;"
        "create_venv(sys.argv[2], VenvInterpreter.probe(sys.executable))"
    )
    venv = tmp_path / ".venv"
    subprocess.run([str(python), "-I", "-c", code, str(source), str(venv)], check=True)
    assert _facts(venv / "bin" / "python")["prefix"] == str(venv)
    assert (venv / "bin" / "activate").read_text(encoding="utf-8").count("\r") == 0
