"""The facts of one interpreter, read by running it once and cached by its path, mtime and size.

The interpreter runs `SCRIPT` with ``-I -S`` (isolated, no site: PEP 370 user site, ``PYTHON*``
variables and the current folder are ignored, no ``.pth`` file runs), which prints one JSON
object using only the standard library, so it works on CPython 3.9-3.13, PyPy and free-threaded
builds without any third-party package. The answer is cached under
``<cache root>/interpreters-v1/`` keyed by the path as given and its resolved file's mtime and
size: a second query of an unchanged interpreter starts no process. pyenv-style shims (a file in
a ``shims`` folder) answer for whatever version is selected where they run, so they are never
cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import envvars
from ..errors import InterpreterError

__all__ = ["SCRIPT", "TIMEOUT", "Facts", "FactsCache", "is_shim", "read_facts", "run_facts"]

#: Seconds an interpreter may take to print its facts.
TIMEOUT = 10.0

#: Runs on the interpreter under query (3.9+ and PyPy; standard library only).
SCRIPT = """\
import json, os, platform, struct, sys
# -S skips site.venv(), which makes a virtual environment's folder sys.prefix: do what it does
# (a pyvenv.cfg beside the executable or one folder up, PEP 405) before sysconfig reads sys.prefix
here = os.path.dirname(os.path.abspath(sys.executable)) if sys.executable else ""
for cfg in (os.path.join(here, "pyvenv.cfg"), os.path.join(os.path.dirname(here), "pyvenv.cfg")):
    if here and os.path.isfile(cfg):
        sys.prefix = sys.exec_prefix = os.path.dirname(here)
        break
import sysconfig
paths = sysconfig.get_paths()
impl = sys.implementation
v = impl.version
iv = "%d.%d.%d" % (v.major, v.minor, v.micro)
if v.releaselevel != "final":
    iv += {"alpha": "a", "beta": "b", "candidate": "rc"}.get(v.releaselevel, "") + str(v.serial)
print(json.dumps({
    "version": platform.python_version(),
    "implementation_name": impl.name,
    "implementation_version": iv,
    "executable": os.path.realpath(sys.executable) if sys.executable else "",
    "prefix": sys.prefix,
    "base_prefix": getattr(sys, "base_prefix", sys.prefix),
    "purelib": paths.get("purelib", ""),
    "platlib": paths.get("platlib", ""),
    "scripts": paths.get("scripts", ""),
    "include": paths.get("include", ""),
    "platform": sysconfig.get_platform(),
    "abiflags": getattr(sys, "abiflags", ""),
    "soabi": sysconfig.get_config_var("SOABI") or "",
    "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
    "pointer_bits": struct.calcsize("P") * 8,
}))
"""


@dataclass(frozen=True)
class Facts:
    """What pallet needs to know of an interpreter (the names of `SCRIPT`'s keys).

    ``platform`` is ``sysconfig.get_platform()``, the string packaging.tags turns into the
    platform tag (PEP 425: ``-`` and ``.`` replaced by ``_``); ``executable`` is the real path
    of ``sys.executable``.
    """

    version: str
    implementation_name: str
    implementation_version: str
    executable: str
    prefix: str
    base_prefix: str
    purelib: str
    platlib: str
    scripts: str
    include: str
    platform: str
    abiflags: str
    soabi: str
    free_threaded: bool
    pointer_bits: int

    @property
    def is_virtualenv(self) -> bool:
        return self.prefix != self.base_prefix

    @classmethod
    def from_json(cls, data: object) -> Facts | None:
        """The facts in a decoded JSON object; None when a key is missing or of the wrong type."""
        if not isinstance(data, dict):
            return None
        fields = cls.__dataclass_fields__
        if set(data) != set(fields):
            return None
        for name, value in data.items():
            want = {"free_threaded": bool, "pointer_bits": int}.get(name, str)
            if type(value) is not want:
                return None
        return cls(**data)


def is_shim(path: Path) -> bool:
    """A pyenv (or asdf, rbenv-style) shim: a script that runs whichever version is selected."""
    return path.parent.name == "shims"


def run_facts(path: Path, *, timeout: float = TIMEOUT) -> Facts:
    """Run the interpreter once; `InterpreterError` (one line) when it does not run or prints
    something that is not `SCRIPT`'s answer."""
    try:
        proc = subprocess.run(
            [str(path), "-I", "-S", "-c", SCRIPT],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
            errors="replace",
        )
    except subprocess.TimeoutExpired:
        raise InterpreterError(f"{path}: gave no answer within {timeout:g} s") from None
    except OSError as exc:
        raise InterpreterError(f"{path}: cannot be run: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
        # a traceback says what went wrong last; a launcher or shim (pyenv) says it first
        pick = -1 if lines and lines[0].startswith("Traceback") else 0
        last = lines[pick] if lines else "no error output"
        raise InterpreterError(f"{path}: exited with status {proc.returncode}: {last}")
    try:
        facts = Facts.from_json(json.loads(proc.stdout))
    except ValueError:
        facts = None
    if facts is None:
        head = proc.stdout.strip().splitlines()[0][:80] if proc.stdout.strip() else ""
        raise InterpreterError(f"{path}: not a Python interpreter (printed {head!r})")
    return facts


class FactsCache:
    """`Facts` on disk, one JSON file per interpreter path, valid while its file is unchanged."""

    def __init__(self, root: Path) -> None:
        self.root = root / "interpreters-v1"

    @classmethod
    def default(cls, env: Mapping[str, str] | None = None) -> FactsCache:
        """Under ``PALLET_CACHE_DIR``, else platformdirs' user cache dir (as the index cache)."""
        env = os.environ if env is None else env
        configured = env.get(envvars.PALLET_CACHE_DIR)
        if configured:
            return cls(Path(configured).expanduser())
        import platformdirs

        return cls(Path(platformdirs.user_cache_dir("pallet")))

    @staticmethod
    def _stamp(path: Path, extra: Mapping[str, object] | None) -> dict[str, object] | None:
        try:
            real = path.resolve()
            st = real.stat()
        except (OSError, RuntimeError):
            return None
        return {
            "path": str(path),
            "real": str(real),
            "mtime_ns": st.st_mtime_ns,
            "size": st.st_size,
            **(extra or {}),
        }

    def _file(self, path: Path, kind: str) -> Path:
        return self.root / (kind + hashlib.sha256(str(path).encode()).hexdigest()[:32] + ".json")

    def load(
        self,
        path: Path,
        *,
        kind: str = "",
        key: str = "facts",
        extra: Mapping[str, object] | None = None,
    ) -> object | None:
        """What `store` kept under `key` for the interpreter at `path`, while its file (and
        `extra`, e.g. the version of the code that read it) is unchanged; None otherwise.
        `kind` keeps answers of different probes apart (``target-`` for the installer's)."""
        stamp = self._stamp(path, extra)
        if stamp is None:
            return None
        try:
            data = json.loads(self._file(path, kind).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("stamp") != stamp:
            return None
        return data.get(key)

    def store(
        self,
        path: Path,
        value: object,
        *,
        kind: str = "",
        key: str = "facts",
        extra: Mapping[str, object] | None = None,
    ) -> None:
        """Keep `value` (best effort: a cache that cannot be written only costs a later
        subprocess)."""
        stamp = self._stamp(path, extra)
        if stamp is None:
            return
        text = json.dumps({"stamp": stamp, key: value}, sort_keys=True)
        target = self._file(path, kind)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".facts.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            Path(tmp).replace(target)
        except OSError:
            return

    def get(self, path: Path) -> Facts | None:
        return Facts.from_json(self.load(path))

    def put(self, path: Path, facts: Facts) -> None:
        self.store(path, asdict(facts))


def read_facts(path: Path, cache: FactsCache | None) -> Facts:
    """The facts of the interpreter at ``path`` (absolute), from the cache when its file is
    unchanged, else by running it (and caching the answer unless it is a shim)."""
    cacheable = cache is not None and not is_shim(path)
    if cache is not None and cacheable:
        hit = cache.get(path)
        if hit is not None:
            return hit
    facts = run_facts(path)
    if cache is not None and cacheable:
        cache.put(path, facts)
    return facts
