"""Reading one interpreter's facts: real interpreters against what they say of themselves, fake
ones for failures, and the cache (a second query runs no process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pallet.errors import InterpreterError
from pallet.python.facts import Facts, FactsCache, read_facts, run_facts

from tests.support.interpreters import broken_python, fake_python, write_script

PYENV = Path("/root/.pyenv/versions")


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in name.split(".") if p.isdigit())


#: this machine's (and CI's) pyenv Pythons 3.9-3.13; none elsewhere (then only sys.executable)
REAL = [p for p in sorted(PYENV.glob("3.*/bin/python3")) if _version(p.parts[-3]) >= (3, 9)]

#: what the interpreter says of itself, with packaging.tags (pallet's own packaging copy)
SELF_REPORT = """\
import json, sys, sysconfig
try:
    from pip._vendor.packaging import tags  # each pyenv Python has its pip
except ImportError:
    from packaging import tags
print(json.dumps({
    "version": "%d.%d.%d" % sys.version_info[:3],
    "prefix": sys.prefix,
    "purelib": sysconfig.get_paths()["purelib"],
    "scripts": sysconfig.get_paths()["scripts"],
    "executable": sys.executable,
    "interpreter": tags.interpreter_name() + tags.interpreter_version(),
    "platforms": list(tags.platform_tags()),
    "maxsize_bits": 64 if sys.maxsize > 2**32 else 32,
}))
"""


def _self_report(python: Path) -> dict[str, object]:
    out = subprocess.run(
        [str(python), "-I", "-c", SELF_REPORT], capture_output=True, text=True, check=True
    ).stdout
    data: dict[str, object] = json.loads(out)
    return data


@pytest.mark.parametrize("python", [Path(sys.executable), *REAL], ids=str)
def test_real_interpreter_facts_match_what_it_says_of_itself(python: Path) -> None:
    facts = run_facts(python)
    own = _self_report(python)
    assert facts.version == own["version"]
    assert facts.prefix == own["prefix"]
    assert facts.purelib == own["purelib"]
    assert facts.scripts == own["scripts"]
    assert Path(facts.executable) == Path(str(own["executable"])).resolve()
    assert facts.pointer_bits == own["maxsize_bits"]
    # PEP 425: the platform tag is sysconfig's platform with '-' and '.' replaced by '_'
    assert facts.platform.replace("-", "_").replace(".", "_") in own["platforms"]
    tag = "cp" if facts.implementation_name == "cpython" else "pp"
    assert str(own["interpreter"]).startswith(tag)


def test_venv_interpreter_reports_its_venv_and_its_base() -> None:
    facts = run_facts(Path(sys.executable))
    assert facts.prefix == sys.prefix
    assert facts.base_prefix == sys.base_prefix
    assert facts.is_virtualenv == (sys.prefix != sys.base_prefix)


def test_failures_are_one_line_errors(tmp_path: Path) -> None:
    broken = broken_python(tmp_path / "python3", "pyenv: python3.6: command not found", 127)
    with pytest.raises(InterpreterError) as info:
        run_facts(broken)
    assert str(info.value) == (
        f"{broken}: exited with status 127: pyenv: python3.6: command not found"
    )

    junk = write_script(tmp_path / "junk", "echo hello world\n")
    with pytest.raises(InterpreterError, match=r"not a Python interpreter \(printed 'hello"):
        run_facts(junk)

    partial = write_script(tmp_path / "partial", 'echo \'{"version": "3.12.0"}\'\n')
    with pytest.raises(InterpreterError, match="not a Python interpreter"):
        run_facts(partial)

    not_executable = tmp_path / "plain"
    not_executable.write_text("x", encoding="utf-8")
    with pytest.raises(InterpreterError, match="cannot be run: Permission denied"):
        run_facts(not_executable)

    slow = write_script(tmp_path / "slow", "sleep 5\n")
    with pytest.raises(InterpreterError, match=r"gave no answer within 0\.3 s"):
        run_facts(slow, timeout=0.3)


def test_traceback_reports_its_last_line(tmp_path: Path) -> None:
    python = write_script(
        tmp_path / "py",
        "echo 'Traceback (most recent call last):' >&2\n"
        "echo 'AttributeError: no implementation' >&2\nexit 1\n",
    )
    with pytest.raises(InterpreterError, match=r"status 1: AttributeError: no implementation$"):
        run_facts(python)


def _runs(log: Path) -> int:
    return len(log.read_text(encoding="utf-8").splitlines()) if log.exists() else 0


def test_second_query_is_answered_by_the_cache(tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    python = fake_python(tmp_path / "bin" / "python3.12", "3.12.4", log=log)
    cache = FactsCache(tmp_path / "cache")
    first = read_facts(python, cache)
    assert _runs(log) == 1
    assert read_facts(python, FactsCache(tmp_path / "cache")) == first  # a new process's cache
    assert _runs(log) == 1
    assert first.version == "3.12.4"

    # the interpreter changes (an upgrade in place): its size and mtime change, it runs again
    fake_python(python, "3.12.5", log=log)
    assert read_facts(python, cache).version == "3.12.5"
    assert _runs(log) == 2


def test_cache_entry_that_is_junk_is_ignored(tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    python = fake_python(tmp_path / "bin" / "python3", "3.11.9", log=log)
    cache = FactsCache(tmp_path / "cache")
    read_facts(python, cache)
    for entry in cache.root.iterdir():
        entry.write_text("{not json", encoding="utf-8")
    assert read_facts(python, cache).version == "3.11.9"
    assert _runs(log) == 2


def test_shims_are_never_cached(tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    shim = fake_python(tmp_path / ".pyenv" / "shims" / "python3", "3.10.2", log=log)
    cache = FactsCache(tmp_path / "cache")
    read_facts(shim, cache)
    read_facts(shim, cache)
    assert _runs(log) == 2


def test_default_cache_honours_pallet_cache_dir(tmp_path: Path) -> None:
    assert FactsCache.default({"PALLET_CACHE_DIR": str(tmp_path)}).root.parent == tmp_path


def test_facts_from_json_rejects_wrong_types(tmp_path: Path) -> None:
    good = json.loads(json.dumps(_fake_answer(tmp_path)))
    assert Facts.from_json(good) is not None
    assert Facts.from_json({**good, "pointer_bits": "64"}) is None
    assert Facts.from_json({**good, "extra": 1}) is None
    assert Facts.from_json([good]) is None


def _fake_answer(tmp_path: Path) -> dict[str, object]:
    from tests.support.interpreters import facts_json

    return facts_json(tmp_path / "python3", "3.12.0")
