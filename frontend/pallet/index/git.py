"""Git for direct references: a bare mirror per repository in the cache, a revision resolved to
its full commit id, and one checkout per commit (PEP 751 ``packages.vcs.commit-id`` must be the
full hash).

Layout under the cache root::

    git-v1/db/<key>/                  bare clone of one repository URL
    git-v1/checkouts/<key>/<commit>/  a working tree of one commit (with .git, for tools that
                                      compute versions from git)

Every git command runs with ``GIT_TERMINAL_PROMPT=0`` (never waits for a password) and without
the caller's ``GIT_DIR``-style variables.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import IndexError_
from .http import redact

__all__ = ["GitCheckout", "resolve_git"]

logger = logging.getLogger(__name__)

_FULL_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
#: Seconds a clone or fetch may take.
GIT_TIMEOUT = 600.0


class GitCheckout:
    """The result of `resolve_git`: the full commit id and a working tree of it."""

    def __init__(self, commit: str, tree: Path) -> None:
        self.commit = commit
        self.tree = tree


def _key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:20]


def _env(base: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in base.items() if not k.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    return env


class _Git:
    def __init__(self, url: str, origin: str, env: Mapping[str, str]) -> None:
        self.url = url
        self.origin = origin
        self.env = _env(env)

    def run(self, args: Sequence[str], *, what: str, check: bool = True) -> str | None:
        try:
            proc = subprocess.run(
                ["git", *args],
                capture_output=True,
                text=True,
                env=self.env,
                timeout=GIT_TIMEOUT,
                check=False,
            )
        except FileNotFoundError as exc:
            raise IndexError_(
                f"{self.origin}: the `git` command was not found on PATH; install git"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise IndexError_(
                f"{self.origin}: git {what} {redact(self.url)} took over {GIT_TIMEOUT:.0f}s"
            ) from exc
        if proc.returncode:
            if not check:
                return None
            lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
            detail = lines[-1] if lines else f"exit status {proc.returncode}"
            raise IndexError_(
                f"{self.origin}: git {what} {redact(self.url)} failed: {redact(detail)}"
            )
        return proc.stdout.strip()

    def commit_of(self, db: Path, revision: str) -> str | None:
        return self.run(
            ["--git-dir", str(db), "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],
            what="rev-parse in",
            check=False,
        )

    def fetch(self, db: Path, *refs: str) -> None:
        specs = refs or ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
        self.run(
            ["--git-dir", str(db), "fetch", "--quiet", "--force", "--", self.url, *specs],
            what="fetch of",
        )


def _candidates(requested: str | None, reference: str | None) -> list[str]:
    if requested is None:
        return ["HEAD"]
    if reference == "branch":
        return [f"refs/heads/{requested}"]
    if reference == "tag":
        return [f"refs/tags/{requested}"]
    return [f"refs/tags/{requested}", f"refs/heads/{requested}", requested]


def resolve_git(
    url: str,
    *,
    requested: str | None,
    reference: str | None,
    locked_commit: str | None,
    cache_root: Path,
    offline: bool,
    origin: str,
    env: Mapping[str, str] | None = None,
) -> GitCheckout:
    """The commit ``requested`` names in the repository at ``url`` (``locked_commit`` when given
    and still present: a relock keeps it), checked out in the cache."""
    git = _Git(url, origin, os.environ if env is None else env)
    db = cache_root / "git-v1" / "db" / _key(url)
    fetched = False
    if not (db / "HEAD").is_file():
        if offline:
            raise IndexError_(f"{origin}: {redact(url)} is not in the cache (offline)")
        db.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".clone-", dir=db.parent))
        try:
            git.run(["clone", "--bare", "--quiet", "--", url, str(tmp)], what="clone of")
            with contextlib.suppress(OSError):  # another process cloned it first
                tmp.replace(db)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        fetched = True
    commit = None
    if locked_commit is not None:
        commit = git.commit_of(db, locked_commit)
        if commit is None and not offline and not fetched:
            git.fetch(db)
            fetched = True
            commit = git.commit_of(db, locked_commit)
        if commit is None:
            logger.warning(
                "%s: the locked commit %s is gone from %s; resolving %s again",
                origin,
                locked_commit,
                redact(url),
                requested or "the default branch",
            )
    if commit is None:
        if not fetched and not offline:
            git.fetch(db)
        for candidate in _candidates(requested, reference):
            commit = git.commit_of(db, candidate)
            if commit:
                break
        if not commit and requested and _FULL_SHA.match(requested) and not offline:
            git.fetch(db, requested)  # a commit no branch or tag points to
            commit = git.commit_of(db, requested)
        if not commit:
            kind = reference if reference in ("tag", "branch") else "revision"
            what = f"{kind} {requested!r}" if requested else "default branch"
            raise IndexError_(f"{origin}: {redact(url)} has no {what}")
    tree = cache_root / "git-v1" / "checkouts" / _key(url) / commit
    if not (tree / ".git").exists():
        tree.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".checkout-", dir=tree.parent))
        try:
            work = tmp / "tree"
            git.run(
                ["clone", "--quiet", "--shared", "--no-checkout", str(db), str(work)],
                what="checkout of",
            )
            git.run(
                ["-C", str(work), "checkout", "--quiet", "--detach", commit], what="checkout of"
            )
            with contextlib.suppress(OSError):  # another process checked it out first
                work.replace(tree)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return GitCheckout(commit, tree)
