"""Time ``pallet lock`` against ``uv lock``, ``pdm lock`` and ``poetry lock`` on a local index.

The project depends on flask, requests, rich, pydantic, sqlalchemy, httpx, numpy, pandas,
pytest, click, jinja2 and attrs: 37 packages once the universal closure is taken (colorama and
tzdata come in through platform markers; sqlalchemy 2.1 no longer pulls greenlet), 38 entries
with the project itself. Every tool locks it against the same index: ``/opt/pypi`` (this
machine's mirror of ~840 real projects, ``simple/<name>/index.html`` with relative links to
``files/``) served on 127.0.0.1 by a small threaded static server in this script. The server
speaks HTTP/1.1 with Content-Length, ignores ``Range`` (always 200 with the whole file), has no
PEP 658 ``.metadata`` files, so every tool downloads each wheel whose metadata it reads, and sends
``ETag``/``Last-Modified`` and answers ``If-None-Match`` with 304, as nginx would (without
validators pdm's HTTP cache keeps nothing and its warm run is 4x slower).

requires-python is ``>=3.11``: the mirror has numpy, pandas, sqlalchemy and pydantic-core only as
cp311 wheels (no sdists), and their newest releases need Python >= 3.11, so 3.11 is the lowest
bound every tool accepts and the index satisfies. No upper bound: uv, pdm and poetry all lock
``>=3.11`` without a wheel for every later Python (a wider range would need sdists the mirror
lacks; a narrower one, ``==3.11.*``, would make the lock less realistic).

Cold: a fresh cache directory (and no lock file) for every run, after one untimed cold run per
tool (so that the tool's own files are in the OS page cache, as for a user who runs it daily).
Warm: ``lock`` run again with the up-to-date lock file of the last cold run present and its
cache warm; for every tool that is the "nothing changed" path. Re-resolve: with the same lock
file and warm cache, one dependency (``ADDED``, a leaf the closure lacks) is added to
pyproject.toml and ``lock`` runs again (the tool must re-resolve, keeping its locked pins); the
project and the lock are put back after each run. Each such lock must hold every pin of the
warm lock plus the added package (a moved pin fails the run). Tools take turns within each
repetition, so load from other users of the machine hits them alike.

Each tool runs from its own venv under ``bench/.work/venvs/`` (uv, pdm and poetry installed with
pip from PyPI; pallet's dependencies from PyPI and ``frontend/pallet`` + ``backend/pallet_core``
copied from the work tree at every run), with HOME, XDG dirs and caches under ``bench/.work/lock``,
``PIP_CONFIG_FILE=/dev/null``, and ``HTTP(S)_PROXY``/``ALL_PROXY`` pointing at a dead loopback
port (``NO_PROXY=127.0.0.1,localhost``). Each tool reads its index from the project's
pyproject.toml (uv: ``[[tool.uv.index]] default = true``; pdm: ``[[tool.pdm.source]]`` named
``pypi``; poetry: ``[[tool.poetry.source]] priority = "primary"``; pallet:
``[[tool.pallet.index]] default = true``). ``UV_NO_CONFIG`` is not set: it makes uv ignore the
project's ``[tool.uv]`` table too (uv then went to pypi.org); user config is kept out by the
private XDG_CONFIG_HOME, and system uv.toml files are checked absent. Where ``unshare`` allows it,
the timed phase runs in a new network namespace that has only a loopback interface, so nothing
can reach the internet whatever a tool tries. Each lock file is read back and its set of package
pins (name and version) compared with uv's.

Prints medians and ratios to uv (above 1 = slower than uv), or JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import tomllib
from _common import (
    BENCH,
    REPO,
    VENVS,
    add_choices,
    chosen,
    copy_from_tree,
    emit,
    ensure_venv,
    machine_info,
    median_or_none,
    path_with,
    ratio_cell,
    run,
    tree_dependencies,
)

WORK = BENCH / ".work" / "lock"
INDEX_ROOT = Path("/opt/pypi")
PROJECT = "lockbench"
DEPENDENCIES = [
    "flask",
    "requests",
    "rich",
    "pydantic",
    "sqlalchemy",
    "httpx",
    "numpy",
    "pandas",
    "pytest",
    "click",
    "jinja2",
    "attrs",
]
# The universal closure every tool locked on 2026-11-23 (checked present in /opt/pypi at start).
CLOSURE = (  # noqa: SIM905 (a word list)
    "annotated-types anyio attrs blinker certifi charset-normalizer click colorama flask "
    "h11 httpcore httpx idna iniconfig itsdangerous jinja2 markdown-it-py markupsafe mdurl "
    "numpy packaging pandas pluggy pydantic pydantic-core pygments pytest python-dateutil "
    "requests rich six sqlalchemy typing-extensions typing-inspection tzdata urllib3 "
    "werkzeug"
).split()
#: The dependency the re-resolve case adds (a leaf with no dependencies, not in CLOSURE).
ADDED = "platformdirs"
REQUIRES_PYTHON = ">=3.11"
DEAD_PROXY = "http://127.0.0.1:9"
RUN_TIMEOUT = 600.0


# -- the index server -----------------------------------------------------------------------


@dataclass
class Stats:
    requests: int = 0
    bytes: int = 0
    not_found: int = 0
    range_asked: int = 0
    aborted: int = 0  # responses the client hung up on (e.g. after asking for a Range)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return {
                "requests": self.requests,
                "bytes": self.bytes,
                "not_found": self.not_found,
                "range_asked": self.range_asked,
                "aborted": self.aborted,
            }

    def reset(self) -> None:
        with self.lock:
            self.requests = self.bytes = self.not_found = self.range_asked = self.aborted = 0


class IndexHandler(BaseHTTPRequestHandler):
    """GET/HEAD of files under INDEX_ROOT; a directory answers with its index.html."""

    protocol_version = "HTTP/1.1"
    stats = Stats()
    timeout = 60  # seconds a kept-alive connection may stay idle

    def do_GET(self) -> None:
        self.serve(body=True)

    def do_HEAD(self) -> None:
        self.serve(body=False)

    def target(self, parts: list[str]) -> Path:
        """The file under INDEX_ROOT a request path's parts name (a subclass may map others)."""
        if ".." in parts:
            return INDEX_ROOT / "\0"
        if len(parts) == 2 and parts[0] == "simple":  # PEP 503 names, whatever the spelling
            return INDEX_ROOT / "simple" / re.sub(r"[-_.]+", "-", parts[1]).lower()
        return INDEX_ROOT.joinpath(*parts)

    def serve(self, body: bool) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        target = self.target([p for p in path.split("/") if p and p != "."])
        if target.is_dir():
            target = target / "index.html"
        with self.stats.lock:
            self.stats.requests += 1
            self.stats.range_asked += "Range" in self.headers
        if not target.is_file():
            with self.stats.lock:
                self.stats.not_found += 1
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        st = target.stat()
        size, etag = st.st_size, f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
        if self.headers.get("If-None-Match") == etag:  # revalidation, as nginx would answer it
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)  # Range is ignored: always the whole file
        ctype = (
            "text/html; charset=utf-8" if target.suffix == ".html" else "application/octet-stream"
        )
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(size))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", formatdate(st.st_mtime, usegmt=True))
        self.end_headers()
        if body:
            with open(target, "rb") as f:
                shutil.copyfileobj(f, self.wfile, 1 << 20)
            with self.stats.lock:
                self.stats.bytes += size

    def log_message(self, format: str, *args: object) -> None:
        pass


class IndexServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            with IndexHandler.stats.lock:
                IndexHandler.stats.aborted += 1
        else:
            super().handle_error(request, client_address)  # type: ignore[arg-type]


# -- the tools ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    key: str
    requires: Callable[[], str]  # what pip installs into the tool's venv
    lock_file: str
    toml: str  # the tool's index configuration ({url} is the index URL)
    cache_var: str

    @property
    def venv(self) -> Path:
        return VENVS / f"tool-{self.key}"

    def command(self) -> list[str]:
        if self.key == "pallet":
            return [str(self.venv / "bin" / "python"), "-m", "pallet", "lock"]
        return [str(self.venv / "bin" / self.key), "lock"]


def pallet_requirements() -> str:
    """pallet's and pallet-core's runtime dependencies, read from the tree."""
    reqs = tree_dependencies(REPO / "pyproject.toml", REPO / "backend" / "pyproject.toml")
    return " ".join(sorted({r for r in reqs if not r.startswith("pallet-core")}))


TOOLS = [
    Tool(
        "pallet",
        pallet_requirements,
        "pylock.toml",
        '[[tool.pallet.index]]\nname = "local"\nurl = "{url}"\ndefault = true\n',
        "PALLET_CACHE_DIR",
    ),
    Tool(
        "uv",
        lambda: "uv",
        "uv.lock",
        '[[tool.uv.index]]\nname = "local"\nurl = "{url}"\ndefault = true\n',
        "UV_CACHE_DIR",
    ),
    Tool(
        "pdm",
        lambda: "pdm[locked]",  # pdm's own pins: the newest hishel breaks pdm 2.29
        "pdm.lock",
        '[[tool.pdm.source]]\nname = "pypi"\nurl = "{url}"\nverify_ssl = true\n',
        "PDM_CACHE_DIR",
    ),
    Tool(
        "poetry",
        lambda: "poetry",
        "poetry.lock",
        '[[tool.poetry.source]]\nname = "local"\nurl = "{url}"\npriority = "primary"\n',
        "POETRY_CACHE_DIR",
    ),
]


def prepare_venv(tool: Tool) -> None:
    """Create the venv once (pip from PyPI); refresh pallet from the tree."""
    python = ensure_venv(tool.venv, tool.requires())
    if tool.key == "pallet":
        copy_from_tree(python, [REPO / "frontend" / "pallet", REPO / "backend" / "pallet_core"])


def tool_version(tool: Tool) -> str:
    if tool.key == "pallet":
        return "tree"
    proc = run([*tool.command()[:-1], "--version"], 60, env=tool_env(tool, WORK / "probe"))
    found = re.search(r"\d+\.\d+[\w.]*", proc.stdout + proc.stderr)
    return found.group(0) if found else "?"


def tool_env(tool: Tool, cache: Path, work: Path = WORK) -> dict[str, str]:
    """The tool's environment: HOME and XDG dirs under ``work``, its cache under ``cache``."""
    env = sandbox_env(tool.venv / "bin", cache, work)
    env[tool.cache_var] = str(cache / tool.key)
    return env


def sandbox_env(bin_dir: Path, cache: Path, work: Path) -> dict[str, str]:
    """An environment for the tools of ``bin_dir`` (first on PATH): HOME and XDG dirs under
    ``work``, ``cache / "xdg"``, no user configuration, no prompts, no way out but loopback."""
    home = work / "home"
    env = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TERM", "TMPDIR")}
    env.update(
        PATH=path_with(bin_dir),
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(cache / "xdg"),
        PIP_CONFIG_FILE="/dev/null",
        NO_COLOR="1",
        # no way out but loopback
        HTTP_PROXY=DEAD_PROXY,
        HTTPS_PROXY=DEAD_PROXY,
        ALL_PROXY=DEAD_PROXY,
        http_proxy=DEAD_PROXY,
        https_proxy=DEAD_PROXY,
        all_proxy=DEAD_PROXY,
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        # each tool's own settings: cache, no user config, no interpreter download, no prompts
        # not UV_NO_CONFIG: it also drops the project's own [tool.uv] table, index included;
        # user and system uv.toml are kept out by XDG_CONFIG_HOME and checked absent in main()
        UV_PYTHON=sys.executable,
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_PROGRESS="1",
        PDM_CHECK_UPDATE="false",
        PDM_PYTHON=sys.executable,
        PDM_NON_INTERACTIVE="1",
        POETRY_CONFIG_DIR=str(home / "poetry-config"),
        POETRY_NO_INTERACTION="1",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        PALLET_NO_PROGRESS="1",
    )
    return env


def write_project(tool: Tool, url: str, added: tuple[str, ...] = (), work: Path = WORK) -> Path:
    project = work / tool.key
    if not added:
        shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True, exist_ok=True)
    deps = "".join(f'    "{d}",\n' for d in [*DEPENDENCIES, *added])
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "{PROJECT}"\nversion = "0.1.0"\n'
        f'requires-python = "{REQUIRES_PYTHON}"\ndependencies = [\n{deps}]\n\n'
        + tool.toml.format(url=url),
        encoding="utf-8",
    )
    return project


def locked_pins(path: Path) -> set[str]:
    """``name==version`` of every package in a lock file (uv/pdm/poetry/PEP 751) but the project."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    entries = data.get("packages" if path.name == "pylock.toml" else "package", [])
    pins = {f"{re.sub(r'[-_.]+', '-', e['name']).lower()}=={e.get('version')}" for e in entries}
    return {p for p in pins if not p.startswith(PROJECT + "==")}


# -- the run --------------------------------------------------------------------------------


@dataclass
class Result:
    tool: Tool
    version: str = "?"
    cold: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    reresolve: list[float] = field(default_factory=list)
    pins: set[str] = field(default_factory=set)
    served: dict[str, int] = field(default_factory=dict)  # index traffic of the first cold run
    served_warm: dict[str, int] = field(default_factory=dict)  # ... and of the first warm run
    error: str = ""


def reresolve_once(res: Result, project: Path, cache: Path, url: str) -> None:
    """Add ``ADDED`` to the project, lock (timed) with the warm lock and cache, put both back."""
    tool = res.tool
    lock_path = project / tool.lock_file
    saved_lock = lock_path.read_bytes()
    saved_project = (project / "pyproject.toml").read_bytes()
    write_project(tool, url, (ADDED,))
    try:
        start = time.perf_counter()
        proc = run(tool.command(), RUN_TIMEOUT, cwd=project, env=tool_env(tool, cache))
        elapsed = time.perf_counter() - start
        pins = locked_pins(lock_path) if proc.returncode == 0 and lock_path.is_file() else set()
    except subprocess.TimeoutExpired:
        res.error = f"re-resolve timed out after {RUN_TIMEOUT:.0f} s"
        return
    finally:
        lock_path.write_bytes(saved_lock)
        (project / "pyproject.toml").write_bytes(saved_project)
    if proc.returncode != 0:
        tail = (proc.stderr + proc.stdout).strip().splitlines()[-12:]
        res.error = f"re-resolve: exit {proc.returncode}:\n  " + "\n  ".join(tail)
        return
    moved = sorted(res.pins - pins)
    if moved or not any(p.startswith(ADDED + "==") for p in pins):
        res.error = f"re-resolve moved {moved} or lacks {ADDED}"
        return
    res.reresolve.append(elapsed)


def lock_once(res: Result, project: Path, cache: Path, stats: Stats, kind: str) -> None:
    """One ``lock`` run; kind is "warm-up" (untimed, cold), "cold" or "warm"."""
    tool = res.tool
    lock_path = project / tool.lock_file
    if kind != "warm":
        shutil.rmtree(cache, ignore_errors=True)
        lock_path.unlink(missing_ok=True)
    stats.reset()
    start = time.perf_counter()
    try:
        proc = run(tool.command(), RUN_TIMEOUT, cwd=project, env=tool_env(tool, cache))
    except subprocess.TimeoutExpired:
        res.error = f"{kind} lock timed out after {RUN_TIMEOUT:.0f} s"
        return
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or not lock_path.is_file():
        tail = (proc.stderr + proc.stdout).strip().splitlines()[-12:]
        state = "written" if lock_path.is_file() else "missing"
        res.error = f"exit {proc.returncode}, {lock_path.name} {state}:\n  " + "\n  ".join(tail)
        return
    pins = locked_pins(lock_path)
    if res.pins and pins != res.pins:
        res.error = f"locked set changed between runs: {sorted(pins ^ res.pins)}"
        return
    res.pins = pins
    if kind == "cold":
        res.cold.append(elapsed)
        res.served = res.served or stats.snapshot()
    elif kind == "warm":
        res.warm.append(elapsed)
        res.served_warm = res.served_warm or stats.snapshot()


def measure(
    results: list[Result], url: str, stats: Stats, cold: int, warm: int, reresolve: int
) -> None:
    projects = {r.tool.key: write_project(r.tool, url) for r in results}
    caches = {r.tool.key: WORK / "cache" / r.tool.key for r in results}
    plan = ["warm-up"] + ["cold"] * cold + ["warm"] * warm + ["reresolve"] * reresolve
    for n, kind in enumerate(plan):
        for res in results:
            if res.error:
                continue
            if kind == "reresolve":
                reresolve_once(res, projects[res.tool.key], caches[res.tool.key], url)
            else:
                lock_once(res, projects[res.tool.key], caches[res.tool.key], stats, kind)
        print(f"  run {n}/{len(plan) - 1} ({kind}) done", file=sys.stderr)


def report(results: list[Result], args: argparse.Namespace, isolated: bool) -> dict[str, object]:
    base = next((r for r in results if r.tool.key == "uv"), None)
    reference = base.pins if base and not base.error else set()
    rows = []
    for res in results:
        row: dict[str, object] = {"tool": res.tool.key, "version": res.version}
        for kind in ("cold", "warm", "reresolve"):
            times = getattr(res, kind)
            value = median_or_none(times, bool(res.error))
            ref = median_or_none(getattr(base, kind), bool(base.error)) if base else None
            row[kind] = {
                "median_s": value,
                "runs_s": times,
                "ratio_to_uv": value / ref if value is not None and ref else None,
            }
        row["packages"] = len({p.split("==")[0] for p in res.pins})
        row["pins"] = sorted(res.pins)
        differs = reference and res.pins and not res.error
        row["differs_from_uv"] = sorted(res.pins ^ reference) if differs else None
        names = {p.split("==")[0] for p in res.pins}
        row["differs_from_expected_closure"] = sorted(names ^ set(CLOSURE)) if names else None
        row["index_traffic_first_cold_run"] = res.served
        row["index_traffic_first_warm_run"] = res.served_warm
        row["error"] = res.error or None
        rows.append(row)
    return {
        "benchmark": "lock a 12-dependency project against a loopback static index",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "requires_python": REQUIRES_PYTHON,
        "dependencies": DEPENDENCIES,
        "cold_runs": args.cold,
        "warm_runs": args.warm,
        "reresolve_runs": args.reresolve,
        "reresolve_adds": ADDED,
        "network_namespace": isolated,
        "results": rows,
    }


def print_table(data: dict[str, object]) -> None:
    def sec(value: object) -> str:
        return f"{value:8.2f}" if isinstance(value, float) else f"{'-':>8}"

    print(
        f"lock {len(DEPENDENCIES)} dependencies (requires-python {REQUIRES_PYTHON}) against a "
        f"loopback static index; median of {data['cold_runs']} cold / {data['warm_runs']} warm "
        f"/ {data['reresolve_runs']} re-resolve runs (re-resolve: warm, {ADDED} added)"
    )
    print(
        f"{'tool':<8} {'version':<8} {'cold s':>8} {'vs uv':>8} {'warm s':>8} {'vs uv':>8} "
        f"{'re-res s':>8} {'vs uv':>8} "
        f"{'pkgs':>5} {'cold: req':>10} {'MB':>5} {'warm: req':>10} {'MB':>5}"
    )
    results = data["results"]
    assert isinstance(results, list)
    for row in results:
        cold, warm = row["index_traffic_first_cold_run"], row["index_traffic_first_warm_run"]
        print(
            f"{row['tool']:<8} {row['version']:<8} {sec(row['cold']['median_s'])} "
            f"{ratio_cell(row['cold']['ratio_to_uv'], 8)} {sec(row['warm']['median_s'])} "
            f"{ratio_cell(row['warm']['ratio_to_uv'], 8)} {sec(row['reresolve']['median_s'])} "
            f"{ratio_cell(row['reresolve']['ratio_to_uv'], 8)} {row['packages']:>5} "
            f"{cold.get('requests', 0):>10} {cold.get('bytes', 0) / 1e6:>5.1f} "
            f"{warm.get('requests', 0):>10} {warm.get('bytes', 0) / 1e6:>5.1f}"
        )
    print(
        "(req/MB: requests to and bytes from the index in the first cold and first warm run; "
        f"network namespace with loopback only: {'yes' if data['network_namespace'] else 'no'})"
    )
    machine = data["machine"]
    assert isinstance(machine, dict)
    print(f"({machine['cpus']} CPUs, load average at the end {machine['loadavg_at_end'][0]:.2f})")
    for row in results:
        if row["differs_from_uv"]:
            print(f"NOTE {row['tool']} locks a different set than uv: {row['differs_from_uv']}")
        if row["differs_from_expected_closure"]:
            diff = row["differs_from_expected_closure"]
            print(f"NOTE {row['tool']} locks other names than the {len(CLOSURE)} expected: {diff}")
        if row["error"]:
            print(f"FAILED {row['tool']}: {row['error']}")


def isolate(argv: list[str], script: str = __file__) -> int | None:
    """Re-run ``script``'s timed phase in a new network namespace; None if that is impossible."""
    unshare = shutil.which("unshare")
    if unshare is None or run([unshare, "--net", "true"], 30).returncode != 0:
        print("warning: unshare --net unavailable; relying on dead proxies only", file=sys.stderr)
        return None
    up = 'ip link set lo up && exec "$@"'
    cmd = [unshare, "--net", "--", "sh", "-c", up, "sh", sys.executable, script, *argv]
    return subprocess.run(cmd, timeout=RUN_TIMEOUT * 40, check=False).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cold", type=int, default=5, help="cold runs per tool")
    parser.add_argument("--warm", type=int, default=5, help="warm runs per tool")
    parser.add_argument(
        "--reresolve", type=int, default=5, help=f"warm re-resolve runs ({ADDED} added) per tool"
    )
    add_choices(parser, "--tools", [t.key for t in TOOLS])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--no-netns", action="store_true", help="do not use a network namespace")
    parser.add_argument("--in-netns", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    known = {t.key: t for t in TOOLS}
    wanted = chosen(args.tools)
    if (
        any(k not in known for k in wanted)
        or not wanted
        or args.cold < 1
        or min(args.warm, args.reresolve) < 0
    ):
        parser.error("unknown tool, no tool, --cold below 1 or a negative count")
    missing = [
        d for d in [*CLOSURE, ADDED] if not (INDEX_ROOT / "simple" / d / "index.html").is_file()
    ]
    if missing:
        raise SystemExit(f"{INDEX_ROOT} lacks {missing}")
    system_uv = [p for p in ("/etc/uv/uv.toml", "/etc/xdg/uv/uv.toml") if Path(p).exists()]
    if system_uv:
        raise SystemExit(f"{system_uv} would configure uv: move it away first")

    results = [Result(known[k]) for k in wanted]
    if not args.in_netns:  # setup needs PyPI: outside the namespace
        WORK.mkdir(parents=True, exist_ok=True)
        for res in results:
            try:
                prepare_venv(res.tool)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                raise SystemExit(f"setting up {res.tool.key}'s venv failed: {exc}") from exc
        if not args.no_netns:
            code = isolate([*sys.argv[1:], "--in-netns"])
            if code is not None:
                return code

    for res in results:
        res.version = tool_version(res.tool)
    server = IndexServer(("127.0.0.1", 0), IndexHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/simple/"
    try:
        measure(results, url, IndexHandler.stats, args.cold, args.warm, args.reresolve)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    data = report(results, args, args.in_netns)
    emit(data, args.json, print_table)
    return 0 if all(not r.error for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
