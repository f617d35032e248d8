"""The project's virtual environment, made by pallet itself (no ``python -m venv``, no pip).

What `create_venv` writes is what ``python -m venv --without-pip`` writes (PEP 405; CPython's
``Lib/venv``): ``pyvenv.cfg``, ``bin/python``, ``python3``, ``python3.X`` linked to the base
interpreter, the ``site-packages`` folder, ``include``, a ``lib64 -> lib`` link on 64-bit POSIX
other than macOS, plus a ``.gitignore`` of ``*`` (as venv 3.13 and uv write) and pallet's own
activation scripts (`activation`). ``pyvenv.cfg`` carries ``pallet = <version>``: that key is how
`inspect_venv` tells pallet's environments from others.

The environment is built in a hidden sibling folder and renamed into place, so an interrupted
creation never leaves half an environment at the path. Windows interpreters (``Scripts\\``,
``python.exe`` launchers) are not supported yet: `create_venv` refuses them with a message.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .. import __version__
from ..errors import PalletError
from . import activation

__all__ = [
    "VenvAction",
    "VenvInterpreter",
    "VenvKind",
    "VenvState",
    "create_venv",
    "ensure_venv",
    "inspect_venv",
    "read_pyvenv_cfg",
]

#: Run by `VenvInterpreter.probe` as ``python -I -S -c``: the facts a venv needs, as JSON.
#: The paths are those of the interpreter's own venv install scheme (sysconfig ``venv``, 3.11+;
#: ``posix_prefix`` or ``nt`` before), relative to the environment's root.
_PROBE = r"""
import json, os, platform, sys, sysconfig
root = os.path.join(os.sep, "pallet-venv-root")
names = sysconfig.get_scheme_names()
scheme = "venv" if "venv" in names else ("nt" if os.name == "nt" else "posix_prefix")
keys = ("base", "platbase", "installed_base", "installed_platbase")
paths = sysconfig.get_paths(scheme, vars=dict.fromkeys(keys, root))
rel = lambda p: os.path.relpath(p, root)
base_exe = getattr(sys, "_base_executable", None) or sys.executable
if sys.prefix != sys.base_prefix and os.path.realpath(base_exe).startswith(
    os.path.realpath(sys.prefix) + os.sep
):
    base_exe = os.path.realpath(sys.executable)  # a venv's Python before 3.11
if scheme == "venv":  # venv 3.11+ makes the scheme's include folder
    include = rel(paths["include"])
else:
    include = "Include" if os.name == "nt" else "include"
print(json.dumps({
    "executable": sys.executable,
    "base_executable": base_exe,
    "base_prefix": sys.base_prefix,
    "version_info": list(sys.version_info[:3]),
    "implementation": platform.python_implementation(),
    "os_name": os.name,
    "sys_platform": sys.platform,
    "pointer_bits": 64 if sys.maxsize > 2**32 else 32,
    "scripts": rel(paths["scripts"]),
    "purelib": rel(paths["purelib"]),
    "platlib": rel(paths["platlib"]),
    "include": include,
}))
"""


@dataclass(frozen=True)
class VenvInterpreter:
    """What creating a venv needs to know of its base interpreter; plain values.

    Interpreter discovery fills it from its cached facts; `probe` reads them by running the
    interpreter once. Paths inside the environment (`scripts`, `purelib`, `platlib`,
    `include`) are relative to its root, with the platform's separators.
    """

    executable: str  # sys.executable, as the interpreter reports it
    base_executable: str  # the interpreter outside any venv, which the links point to
    base_prefix: str
    version_info: tuple[int, int, int]
    implementation: str  # platform.python_implementation(): "CPython", "PyPy"
    os_name: str  # os.name: "posix" or "nt"
    sys_platform: str  # sys.platform: "linux", "darwin", "win32"
    pointer_bits: int  # 64 or 32
    scripts: str  # "bin" or "Scripts"
    purelib: str  # "lib/python3.12/site-packages"
    platlib: str
    include: str

    @property
    def version(self) -> str:
        """``3.12.1``: the language version, as pyvenv.cfg writes it."""
        return ".".join(map(str, self.version_info))

    @property
    def home(self) -> str:
        """pyvenv.cfg's ``home`` (PEP 405): the folder of the base executable."""
        return str(Path(self.base_executable).parent)

    @classmethod
    def probe(cls, executable: str | os.PathLike[str]) -> VenvInterpreter:
        """Run `executable` once (``-I -S``, so nothing of the user's site runs) for its facts."""
        try:
            proc = subprocess.run(
                [os.fspath(executable), "-I", "-S", "-c", _PROBE],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PalletError(f"{os.fspath(executable)}: cannot run this Python: {exc}") from None
        try:
            if proc.returncode != 0:
                raise ValueError(proc.stderr.strip().splitlines()[-1:] or "no output")
            facts = json.loads(proc.stdout)
            return cls(
                executable=facts["executable"],
                base_executable=facts["base_executable"],
                base_prefix=facts["base_prefix"],
                version_info=(
                    int(facts["version_info"][0]),
                    int(facts["version_info"][1]),
                    int(facts["version_info"][2]),
                ),
                implementation=facts["implementation"],
                os_name=facts["os_name"],
                sys_platform=facts["sys_platform"],
                pointer_bits=int(facts["pointer_bits"]),
                scripts=facts["scripts"],
                purelib=facts["purelib"],
                platlib=facts["platlib"],
                include=facts["include"],
            )
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise PalletError(
                f"{os.fspath(executable)}: not a usable Python (its facts could not be read: {exc})"
            ) from None


# -- creating -------------------------------------------------------------------------------


def create_venv(
    path: str | os.PathLike[str],
    interpreter: VenvInterpreter,
    *,
    prompt: str | None = None,
    seed: bool = False,
) -> Path:
    """Create a virtual environment at `path` for `interpreter`; return its absolute path.

    `path` must not exist (or be an empty folder): `ensure_venv` decides about replacing one.
    `prompt` defaults to the folder's name, as ``python -m venv`` does. `seed` installs pip (and
    only pip) with the new environment's own ``ensurepip --default-pip``: the wheel bundled with
    the interpreter, no network. ensurepip's pip writes script shebangs from its own path, so it
    runs once the environment is in place; if it fails the environment is removed again.
    """
    target = Path(path).absolute()
    if _exists_not_empty(target):
        raise PalletError(f"{target}: already exists; not creating a virtual environment there")
    _build_and_swap(target, interpreter, prompt)
    if seed:
        _seed_pip(target, interpreter)
    return target


def _build_and_swap(target: Path, interpreter: VenvInterpreter, prompt: str | None) -> None:
    """Build the environment in a sibling folder, then rename it to `target` (replacing it)."""
    if interpreter.os_name != "posix":
        raise PalletError(
            f"{target}: creating a virtual environment for a Windows Python "
            f"({interpreter.executable}) is not supported yet"
        )
    staging = target.parent / f".{target.name}.pallet-new-{os.urandom(4).hex()}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()  # the umask applies, as for any folder venv makes
        _populate(staging, target, interpreter, prompt)
        _swap(staging, target)
    except OSError as exc:
        raise PalletError(
            f"{target}: cannot create the virtual environment: {exc.strerror or exc}"
        ) from None
    finally:
        if staging.exists():  # anything that stopped us before the rename
            shutil.rmtree(staging, ignore_errors=True)


def _populate(root: Path, final: Path, interpreter: VenvInterpreter, prompt: str | None) -> None:
    """Write the environment into `root`; `final` is where it will live (for the scripts)."""
    shown = prompt if prompt is not None else final.name
    bin_dir = root / interpreter.scripts
    bin_dir.mkdir(parents=True)
    for rel in {interpreter.purelib, interpreter.platlib}:
        (root / rel).mkdir(parents=True, exist_ok=True)
    (root / interpreter.include).mkdir(parents=True, exist_ok=True)
    # CPython's venv: a lib64 -> lib link on 64-bit POSIX other than macOS, so that a platlib in
    # lib64 (as some distributions' schemes have) lands in the same folder.
    lib64 = root / "lib64"
    if (
        interpreter.pointer_bits == 64
        and interpreter.sys_platform != "darwin"
        and Path(interpreter.purelib).parts[0] == "lib"
        and not lib64.exists()
    ):
        lib64.symlink_to("lib")

    major, minor = interpreter.version_info[:2]
    names = ["python", f"python{major}", f"python{major}.{minor}"]
    if interpreter.implementation == "PyPy":  # what PyPy's own venv adds
        names += ["pypy", f"pypy{major}", f"pypy{major}.{minor}"]
    for name in names:
        _link_or_copy(interpreter.base_executable, bin_dir / name)

    for script in activation.SCRIPTS:
        text = activation.render(script, str(final), shown, interpreter.scripts)
        # open(), not Path.write_text: its newline= is 3.10+, and pallet runs on 3.9
        with open(bin_dir / script, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
    (root / ".gitignore").write_text("*\n", encoding="utf-8")
    # Written last: a folder with pyvenv.cfg is a venv (PEP 405).
    (root / "pyvenv.cfg").write_text(_pyvenv_cfg(final, interpreter, prompt), encoding="utf-8")


def _pyvenv_cfg(final: Path, interpreter: VenvInterpreter, prompt: str | None) -> str:
    """PEP 405's ``home`` and ``include-system-site-packages``, what venv and uv add, ``pallet``."""
    command = [interpreter.base_executable, "-m", "venv", "--without-pip"]
    if prompt is not None:
        command += ["--prompt", prompt]
    lines = {
        "home": interpreter.home,
        "implementation": interpreter.implementation,
        "version": interpreter.version,
        "version_info": interpreter.version,
        "include-system-site-packages": "false",
        "executable": interpreter.base_executable,
        # the stdlib command that makes the same environment (venv 3.11+ records its own)
        "command": " ".join([*command, str(final)]),
        "pallet": __version__,
    }
    if prompt is not None:
        lines["prompt"] = prompt
    return "".join(f"{key} = {value}\n" for key, value in lines.items())


def _link_or_copy(source: str, link: Path) -> None:
    """A symlink to `source`; a copy (mode kept) where the filesystem refuses symlinks."""
    try:
        link.symlink_to(source)
    except OSError:
        shutil.copy2(source, link)


def _swap(staging: Path, target: Path) -> None:
    """Rename `staging` to `target`; an existing `target` is moved aside first, removed after."""
    if not os.path.lexists(target):
        staging.rename(target)
        return
    if target.is_dir() and not target.is_symlink() and not any(target.iterdir()):
        target.rmdir()
        staging.rename(target)
        return
    aside = target.parent / f".{target.name}.pallet-old-{os.urandom(4).hex()}"
    target.rename(aside)
    try:
        staging.rename(target)
    except OSError:
        aside.rename(target)
        raise
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)
    else:
        aside.unlink()


def _seed_pip(target: Path, interpreter: VenvInterpreter) -> None:
    python = target / interpreter.scripts / "python"
    try:
        proc = subprocess.run(
            [str(python), "-I", "-m", "ensurepip", "--default-pip"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        problem = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        failed = proc.returncode != 0
    except (OSError, subprocess.TimeoutExpired) as exc:
        problem, failed = str(exc), True
    if failed:
        shutil.rmtree(target, ignore_errors=True)
        raise PalletError(f"{target}: installing pip with ensurepip failed: {problem}")


#: A staging or set-aside sibling older than this (seconds) was left by a killed process.
_LEFTOVER_AGE = 60.0


def _sweep_leftovers(target: Path) -> None:
    """Remove the hidden ``.<name>.pallet-new-*``/``-old-*`` siblings of `target` that a killed
    creation left behind. Young ones are left alone: another process may be building one."""
    import time

    now = time.time()
    prefix = f".{target.name}.pallet-"
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        rest = entry.name[len(prefix) :] if entry.name.startswith(prefix) else ""
        if not rest.startswith(("new-", "old-")):
            continue
        with contextlib.suppress(OSError):
            if now - entry.stat(follow_symlinks=False).st_mtime < _LEFTOVER_AGE:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                Path(entry.path).unlink()


def _exists_not_empty(path: Path) -> bool:
    if not os.path.lexists(path):
        return False
    return not (path.is_dir() and not path.is_symlink() and not any(path.iterdir()))


# -- inspecting and ensuring ----------------------------------------------------------------

#: missing: nothing there (or an empty folder); compatible: pallet's, for this interpreter;
#: stale: pallet's, for another interpreter (or its interpreter is gone): recreate it;
#: foreign: a venv pallet did not make; not-a-venv: something else (a file, a folder).
VenvKind = Literal["missing", "compatible", "stale", "foreign", "not-a-venv"]
VenvAction = Literal["created", "reused", "recreated"]


@dataclass(frozen=True)
class VenvState:
    """What is at a venv path: its kind, why (one line), and its pyvenv.cfg (empty if none)."""

    path: Path
    kind: VenvKind
    reason: str
    config: Mapping[str, str]


def read_pyvenv_cfg(path: Path) -> dict[str, str]:
    """The ``key = value`` lines of a pyvenv.cfg, read as CPython's ``site`` reads them."""
    config: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            config[key.strip().lower()] = value.strip()
    return config


def inspect_venv(
    path: str | os.PathLike[str], interpreter: VenvInterpreter | None = None
) -> VenvState:
    """Classify what is at `path`. Without `interpreter`, any pallet venv whose base interpreter
    still exists is `compatible`."""
    root = Path(path).absolute()
    if not _exists_not_empty(root):
        return VenvState(root, "missing", "does not exist", {})
    cfg_path = root / "pyvenv.cfg"
    if not root.is_dir():
        return VenvState(root, "not-a-venv", "is not a folder", {})
    if not cfg_path.is_file():
        return VenvState(root, "not-a-venv", "is a folder without pyvenv.cfg", {})
    try:
        config = read_pyvenv_cfg(cfg_path)
    except (OSError, UnicodeDecodeError) as exc:
        return VenvState(root, "not-a-venv", f"has an unreadable pyvenv.cfg ({exc})", {})
    if "pallet" not in config:
        return VenvState(root, "foreign", "is a virtual environment pallet did not create", config)
    reason = _incompatibility(root, config, interpreter)
    if reason:
        return VenvState(root, "stale", reason, config)
    return VenvState(root, "compatible", "", config)


def _incompatibility(
    root: Path, config: Mapping[str, str], interpreter: VenvInterpreter | None
) -> str:
    """Why pallet's venv at `root` cannot serve `interpreter`; empty when it can."""
    executable = config.get("executable", "")
    if not executable or not Path(executable).exists():
        return f"its interpreter {executable or '(none recorded)'} no longer exists"
    if interpreter is None:
        return ""
    scripts = root / interpreter.scripts
    link = scripts / "python"
    if not link.exists():
        return f"{link} is missing or broken"
    with contextlib.suppress(OSError):
        if not link.samefile(interpreter.base_executable):
            return f"it was made for {executable}, not {interpreter.base_executable}"
    recorded = (config.get("implementation"), config.get("version_info"), config.get("home"))
    wanted = (interpreter.implementation, interpreter.version, interpreter.home)
    if recorded != wanted:
        return (
            f"it was made for {recorded[0]} {recorded[1]} in {recorded[2]}, "
            f"not {wanted[0]} {wanted[1]} in {wanted[2]}"
        )
    return ""


def ensure_venv(
    path: str | os.PathLike[str],
    interpreter: VenvInterpreter,
    *,
    force: bool = False,
    prompt: str | None = None,
    seed: bool = False,
) -> VenvAction:
    """Make `path` a venv of pallet's for `interpreter`, and say what that took.

    Reused when compatible (`seed` and `prompt` then change nothing); recreated when the
    interpreter changed; a venv pallet did not make, or anything else at `path`, is refused with
    a `PalletError` naming it unless `force` is given, which replaces it.
    """
    state = inspect_venv(path, interpreter)
    _sweep_leftovers(state.path)
    if state.kind == "compatible":
        return "reused"
    if state.kind in ("foreign", "not-a-venv") and not force:
        raise PalletError(
            f"{state.path}: {state.reason}; pallet will not replace it without --force"
        )
    _build_and_swap(state.path, interpreter, prompt)
    if seed:
        _seed_pip(state.path, interpreter)
    return "created" if state.kind == "missing" else "recreated"
