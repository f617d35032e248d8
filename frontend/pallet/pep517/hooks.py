"""`Pep517Builder`: run a project's PEP 517 hooks in a fresh isolated environment.

The hook machinery is pypa/build's (`build.ProjectBuilder`, `build.env.DefaultIsolatedEnv`, which
run the hooks in a subprocess through `pyproject_hooks`). Per call the builder makes an isolated
environment, exposes the self-provided requirements (`provided`), hands the others to its
`RequirementInstaller` (``[build-system] requires`` first; then the backend's
``get_requires_for_build_*``, which can only be asked once the first set is in place), and runs
one hook. Hook output is captured: a failure shows the backend's own error message (the last
exception of the hook's traceback) and ``verbose`` streams the whole log.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from ..errors import BuildFailed, ResolutionError
from .installers import EnvironmentFactory, IsolatedEnvironment, RequirementInstaller
from .provided import expose, self_provided
from .sdists import unpack_sdist

__all__ = ["Distribution", "Pep517Builder", "hook_error_message"]

Distribution = Literal["sdist", "wheel", "editable"]  # editable: PEP 660
#: Lines of a failed hook's own output shown before its exception.
OUTPUT_LINES = 10
ConfigSettings = Mapping[str, "str | list[str]"]


class _CapturingRunner:
    """A `pyproject_hooks` subprocess runner that keeps the hook's output instead of printing it."""

    def __init__(self, base: Mapping[str, str], verbose: bool) -> None:
        self.base = dict(base)
        self.verbose = verbose
        self.output = ""

    def __call__(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        env = {**self.base, **(extra_environ or {})}
        proc = subprocess.run(
            list(cmd), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        text = proc.stdout.decode("utf-8", "replace")
        self.output += text
        if self.verbose and text:
            sys.stderr.write(text)
        if proc.returncode:
            raise subprocess.CalledProcessError(proc.returncode, list(cmd), proc.stdout)


def hook_error_message(output: str) -> str:
    """The exception a failed hook raised, read from the end of its traceback.

    ``Traceback (most recent call last):`` is followed by indented frame lines, then the exception
    as ``module.Class: message`` (possibly several lines). We return the message without the
    class prefix; with no traceback, the last 20 lines of output.
    """
    marker = "Traceback (most recent call last):"
    start = output.rfind(marker)
    if start < 0:
        lines = [line for line in output.strip().splitlines() if line.strip()]
        return "\n".join(lines[-20:]) or "the build backend failed without output"
    lines = output[start + len(marker) :].splitlines()
    index = 0
    while index < len(lines) and (not lines[index] or lines[index].startswith(" ")):
        index += 1
    text = "\n".join(lines[index:]).strip()
    head, sep, rest = text.partition(": ")
    if sep and " " not in head:  # "pallet_core.errors.ConfigError: message"
        text = rest
    return text or "the build backend failed"


def _failure_text(output: str) -> str:
    """The backend's exception, after the last lines it printed before raising (backends often
    print the useful part, e.g. a compiler error, and raise a generic exception)."""
    message = hook_error_message(output)
    start = output.rfind("Traceback (most recent call last):")
    if start <= 0:
        return message
    printed = [line for line in output[:start].splitlines() if line.strip()][-OUTPUT_LINES:]
    return "\n".join([*printed, message])


def _install_failure(exc: subprocess.CalledProcessError) -> str:
    output = "".join(
        part.decode("utf-8", "replace") if isinstance(part, bytes) else part or ""
        for part in (exc.output, exc.stderr)
    )
    return "\n".join(output.strip().splitlines()[-15:])


class Pep517Builder:
    """Runs PEP 517 hooks on source trees: metadata, wheels, sdists.

    ``installer`` installs build requirements into each fresh isolated environment; ``None``
    builds in this interpreter's environment instead (no isolation, ``--no-isolation``).
    ``environment`` makes that isolated environment (default: pypa/build's
    `build.env.DefaultIsolatedEnv`). ``env`` is the environment the hooks run with (default:
    this process's).
    """

    def __init__(
        self,
        installer: RequirementInstaller | None,
        *,
        env: Mapping[str, str] | None = None,
        verbose: bool = False,
        config_settings: ConfigSettings | None = None,
        environment: EnvironmentFactory | None = None,
    ) -> None:
        self.installer = installer
        self.environment = environment
        self.env = dict(os.environ if env is None else env)
        self.verbose = verbose
        self.config_settings = dict(config_settings or {})

    def metadata(self, source: Path, outdir: Path, *, label: str | None = None) -> Path:
        """The ``.dist-info`` directory from PEP 517 ``prepare_metadata_for_build_wheel``, or
        from a wheel built by ``build_wheel`` when the backend lacks that optional hook."""
        return Path(
            self._run(
                source,
                "wheel",
                label or str(source),
                "metadata",
                lambda b: str(b.metadata_path(outdir)),
            )
        )

    def build(
        self, source: Path, distribution: Distribution, outdir: Path, *, label: str | None = None
    ) -> Path:
        """Build an sdist or a wheel of the tree at ``source`` into ``outdir``."""
        outdir.mkdir(parents=True, exist_ok=True)
        return Path(
            self._run(
                source,
                distribution,
                label or str(source),
                distribution,
                lambda b: str(b.build(distribution, outdir, self.config_settings)),
            )
        )

    def wheel_from_sdist(self, archive: Path, outdir: Path, *, filename: str | None = None) -> Path:
        """Build a wheel from an sdist archive (safely unpacked into a temporary folder)."""
        name = filename or archive.name
        with tempfile.TemporaryDirectory(prefix="pallet-sdist-") as tmp:
            source = unpack_sdist(archive, Path(tmp), name)
            return self.build(source, "wheel", outdir, label=name)

    # -- one hook in one environment -----------------------------------------------------------
    def _run(
        self,
        source: Path,
        distribution: Distribution,
        label: str,
        what: str,
        action: Callable[[Any], str],  # given the `build.ProjectBuilder`
    ) -> str:
        import build
        import build.env

        runner = _CapturingRunner(self.env, self.verbose)
        try:
            if self.installer is None:
                return action(build.ProjectBuilder(source, sys.executable, runner=runner))
            make_env = self.environment or build.env.DefaultIsolatedEnv
            with make_env() as env:
                builder = build.ProjectBuilder.from_isolated_env(env, source, runner=runner)
                self._install(env, sorted(builder.build_system_requires))
                requires = builder.get_requires_for_build(distribution, self.config_settings)
                self._install(env, sorted(requires))
                return action(builder)
        except build.BuildBackendException as exc:
            message = _failure_text(runner.output)
            if what == "metadata":
                raise BuildFailed(
                    f"{label}: the build backend failed to produce metadata:\n{message}"
                ) from exc
            raise BuildFailed(f"{label}: building the {what} failed:\n{message}") from exc
        except build.BuildException as exc:
            raise BuildFailed(f"{label}: {exc}") from exc
        except ResolutionError as exc:  # pallet's own installer: no versions fit (one line)
            raise BuildFailed(f"{label}: installing the build requirements failed: {exc}") from None
        except subprocess.CalledProcessError as exc:  # installing build requirements failed
            tail = _install_failure(exc)
            raise BuildFailed(
                f"{label}: installing the build requirements failed:\n{tail}".rstrip()
            ) from exc

    def _install(self, env: IsolatedEnvironment, requirements: Sequence[str]) -> None:
        """Self-provided requirements first, the rest by the installer."""
        assert self.installer is not None
        satisfied, provided = self_provided(requirements)
        # a pallet venv names its own site-packages (its interpreter may not be ours)
        purelib = getattr(env, "purelib", None)
        expose(env.path, provided, purelib=purelib if isinstance(purelib, str) else None)
        self.installer.install(env, [r for r in requirements if r not in satisfied])
