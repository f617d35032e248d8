"""``pallet publish``'s repository URL and credentials: the http check, userinfo split off, and the
username and password looked for in a fixed order (docs/publish.md).

Secrets never leave this module as text: `Credentials` holds them, `Credentials.describe` says
where each came from and `Credentials.secrets` lists them for scrubbing whatever twine prints.
"""

from __future__ import annotations

import ipaddress
import logging
import netrc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

from .. import envvars
from ..errors import PalletError

__all__ = [
    "DEFAULT_UPLOAD_URL",
    "TOKEN_USERNAME",
    "Credentials",
    "check_upload_url",
    "find_credentials",
    "split_userinfo",
]

logger = logging.getLogger(__name__)

#: PyPI's upload endpoint (the "legacy" upload API, which twine speaks).
DEFAULT_UPLOAD_URL = "https://upload.pypi.org/legacy/"
#: PyPI's convention for API tokens: the token is the password of this user.
TOKEN_USERNAME = "__token__"


def split_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """``https://user:pw@host/path`` -> (``https://host/path``, user, pw), percent-decoded
    (RFC 3986 section 3.2.1); a URL without userinfo comes back unchanged with two Nones."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, sep, password = userinfo.partition(":")
    clean = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return clean, unquote(user) if user else None, unquote(password) if sep else None


def _is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or ``localhost``: traffic that never leaves the machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_upload_url(url: str) -> None:
    """An upload URL (without userinfo) must be https, or http to the loopback interface only:
    credentials and files sent over plain http can be read on the way. Checked before anything
    is read or sent."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise PalletError(f"{url}: not an http(s) URL to upload to")
    if scheme == "http" and not _is_loopback(parts.hostname):
        raise PalletError(
            f"{url}: refusing to upload over plain http to a host that is not this machine "
            "(127.0.0.0/8, ::1, localhost); use https"
        )


@dataclass
class Credentials:
    """A username and password with the source of each (for ``-v``; never the values)."""

    username: str | None = None
    password: str | None = None
    username_from: str = ""
    password_from: str = ""
    #: every secret value seen while looking, to scrub from any output
    seen: list[str] = field(default_factory=list)

    def offer(
        self,
        username: str | None,
        password: str | None,
        source: str,
        password_source: str | None = None,
    ) -> None:
        """Take what a source gives: a username where none is known yet, a password where none
        is known and the source's username (if it names one) is the one chosen."""
        if password:
            self.seen.append(password)
        if username and self.username is not None and username != self.username:
            return  # a password for another user
        if self.username is None and username:
            self.username, self.username_from = username, source
        if self.password is None and password:
            self.password, self.password_from = password, password_source or source

    def complete(self) -> bool:
        return self.username is not None and self.password is not None

    def describe(self) -> str:
        """``username 'alice' (--username), password (keyring)``: sources, never a secret."""
        user = f"username {self.username!r} ({self.username_from})" if self.username else ""
        password = f"password ({self.password_from})" if self.password else ""
        return ", ".join(p for p in (user, password) if p) or "none (an anonymous upload)"

    def secrets(self) -> list[str]:
        """The secret values, longest first (a token may contain a shorter password)."""
        return sorted({s for s in self.seen if s}, key=len, reverse=True)


def _from_keyring(url: str, found: Credentials) -> None:
    """The keyring's password for (upload URL, username), or without a username its credential
    for the URL. Any keyring failure (no backend, a locked store) means "nothing here"."""
    try:
        import keyring
    except ImportError:  # pragma: no cover - keyring comes with twine
        return
    try:
        if found.username is not None:
            found.offer(found.username, keyring.get_password(url, found.username), "keyring")
            return
        credential = keyring.get_credential(url, None)
    except Exception as exc:  # keyring backends raise anything; a lookup is best effort
        logger.debug("keyring: no credential for %s (%s)", url, type(exc).__name__)
        return
    if credential is not None:
        found.offer(credential.username or None, credential.password or None, "keyring")


def _from_netrc(url: str, env: Mapping[str, str], found: Credentials) -> None:
    """The netrc entry of the URL's host: ``$NETRC``, else ``~/.netrc`` (which Python's netrc
    module refuses when others can read it)."""
    host = urlsplit(url).hostname
    if not host:
        return
    path = env.get("NETRC")
    try:
        entry = netrc.netrc(path or None).authenticators(host)
    except (OSError, netrc.NetrcParseError) as exc:
        where = path or "~/.netrc"
        if isinstance(exc, netrc.NetrcParseError):
            logger.warning("%s: not used: %s", where, exc.msg)
        else:
            logger.debug("no usable netrc at %s: %s", where, type(exc).__name__)
        return
    if entry is not None:
        login, _account, password = entry
        found.offer(login or None, password or None, "netrc")


def find_credentials(
    url: str,
    *,
    username: str | None,
    password: str | None,
    url_username: str | None,
    url_password: str | None,
    env: Mapping[str, str],
    prompt: Callable[[str], str] | None,
) -> Credentials:
    """The username and password for uploading to `url`, each from the first source that has
    it (docs/publish.md): ``--username``/``--password``, the userinfo of ``--publish-url``,
    ``PALLET_PUBLISH_TOKEN`` (as ``__token__``; skipped when another username was given),
    ``PALLET_PUBLISH_USERNAME``/``PALLET_PUBLISH_PASSWORD``, keyring, netrc, then `prompt`
    (getpass on a terminal; None when stdin is not one) for a known user's password.

    A username without a password is an error when there is no terminal to ask on."""
    found = Credentials()
    found.offer(username, password, "--username", "--password")
    found.offer(url_username, url_password, "--publish-url")
    token = env.get(envvars.PALLET_PUBLISH_TOKEN)
    if token:
        found.offer(TOKEN_USERNAME, token, envvars.PALLET_PUBLISH_TOKEN)
    env_user = env.get(envvars.PALLET_PUBLISH_USERNAME) or None
    env_password = env.get(envvars.PALLET_PUBLISH_PASSWORD) or None
    found.offer(
        env_user, env_password, envvars.PALLET_PUBLISH_USERNAME, envvars.PALLET_PUBLISH_PASSWORD
    )
    if not found.complete():
        _from_keyring(url, found)
    if not found.complete():
        _from_netrc(url, env, found)
    if found.username is not None and found.password is None:
        if prompt is None:
            raise PalletError(
                f"no password for {found.username!r} at {url} (and no terminal to ask on): "
                f"give --password, {envvars.PALLET_PUBLISH_PASSWORD} or "
                f"{envvars.PALLET_PUBLISH_TOKEN}, or store it in keyring or netrc"
            )
        found.offer(found.username, prompt(f"Password for {found.username} at {url}: "), "prompt")
    return found


def terminal_prompt() -> Callable[[str], str] | None:
    """getpass when stdin is a terminal, else None: never wait for input in CI."""
    import sys

    if not sys.stdin.isatty():
        return None
    import getpass

    return getpass.getpass
