"""The errors of the pallet frontend: one root, one subclass per layer, each with an exit code.

Anything that is a user's problem (bad input, unreachable index, unsatisfiable requirements) is a
`PalletError`; the CLI prints its message and exits with `exit_code`, never a traceback. Any other
exception escaping a command is a bug in pallet.

Exit codes, the same for every command (listed by ``pallet --help``, `cli.main.EXIT_CODES`):
1 the command ran and failed (`ResolutionError`, `LockError`, `BuildFailed`, `InstallError`,
`VariantError`, `PublishError`);
2 bad input, the default (`ProjectError`, a bad option, a path that cannot be used);
3 `IndexError_`.
An `OSError` escaping a command (a full disk, a read-only folder) is 2, any other exception (a
bug) `INTERNAL_ERROR`; `cli.main` reports both in one line.
"""

from __future__ import annotations

__all__ = [
    "INTERNAL_ERROR",
    "BuildFailed",
    "IndexError_",
    "InstallError",
    "InterpreterError",
    "LockError",
    "PalletError",
    "ProjectError",
    "PublishError",
    "ResolutionError",
    "SetupError",
    "VariantError",
]

#: The exit code of an unexpected exception: a bug in pallet (as cargo's and uv's panics exit
#: 101), kept apart from 1 (the command ran and failed) so that a script can tell them apart.
INTERNAL_ERROR = 101


class PalletError(Exception):
    """Root of every error pallet reports to a user.

    `message` is one line: what went wrong, naming the file, key, URL or path. `hint`, when
    given, is what to do about it; the CLI prints it on its own ``hint:`` line below the error.
    """

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ProjectError(PalletError):
    """pyproject.toml (or another project input) is invalid.

    The message names the file, the table and key, the problem and what is allowed:
    ``pyproject.toml: [dependency-groups] group 'dev': ...``.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.path = path
        self.key = key


class IndexError_(PalletError):  # the underscore avoids shadowing the builtin IndexError
    """A package index could not be read (network, HTTP status, malformed page, bad hash)."""

    exit_code = 3


class SetupError(PalletError):
    """pallet's own setup is unusable: an environment variable with an invalid value, a cache
    folder that is a file or cannot be written. The message names the variable or the path."""


class ResolutionError(PalletError):
    """The requirements cannot be satisfied; the message is the explanation chain."""

    exit_code = 1


class LockError(PalletError):
    """The lock file is missing, stale (with --check) or malformed."""

    exit_code = 1


class BuildFailed(PalletError):
    """A PEP 517 build (of the project or of an sdist for its metadata) failed."""

    exit_code = 1


class InterpreterError(PalletError):
    """No Python interpreter fits (the message lists each one found and why it was rejected),
    or one interpreter cannot be run or does not answer like a Python."""

    exit_code = 1


class InstallError(PalletError):
    """Installing failed: a hash mismatch, a bad wheel (unsafe paths, a RECORD that does not match
    its files, a name that disagrees with its file name), a failed install or uninstall. The
    message names the file or path and the problem."""

    exit_code = 1


class VariantError(PalletError):
    """A hardware variant cannot be chosen: an unknown variant name, two variants asked for at
    once, or a requested variant whose requirement the machine does not meet (the message names
    the requirement and what was found, and that ``--force-variant`` installs it anyway)."""

    exit_code = 1


class PublishError(PalletError):
    """``pallet publish`` failed: a distribution that fails ``twine check --strict``, credentials
    the repository refused, a file it already has, any other refusal. The message names the file
    and the repository URL (never a credential)."""

    exit_code = 1
