"""HTTP layer on a real loopback server: retries, errors, credentials (never leaked)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from packaging.utils import canonicalize_name
from pallet.errors import IndexError_
from pallet.index.client import IndexClient
from pallet.index.http import Credentials, HttpClient, HttpStatusError, redact
from pallet.project.model import IndexConfig
from support.index_server import IndexServer

SECRET = "s3cr3t-pa55"
FOO = canonicalize_name("foo")
ClientFactory = Callable[..., IndexClient]


def test_retries_recover_from_dropped_connections_and_503(dists: Path) -> None:
    with IndexServer(dists, flaky_failures=3) as index:
        http = HttpClient(Credentials({}), retries=3, backoff=0.01)
        response = http.get(f"{index.url}/foo/", index="local")
        assert response.status == 200 and b"foo-1.0" in response.body.replace(b"_", b"-")
        assert [r.status for r in index.requests] == [0, 503, 0, 200]


def test_exhausted_retries_give_a_clear_error(dists: Path) -> None:
    with IndexServer(dists, flaky_failures=10) as index:
        http = HttpClient(Credentials({}), retries=2, backoff=0.01)
        with pytest.raises(HttpStatusError, match=r"index 'local': GET .*/simple/foo/") as info:
            http.get(f"{index.url}/foo/", index="local")
        assert index.count("/simple/foo/") == 3
        assert info.value.index == "local" and info.value.url.endswith("/simple/foo/")
        assert "attempt" in str(info.value)


def test_retries_setting_comes_from_the_environment() -> None:
    assert HttpClient(Credentials({}), env={"PALLET_HTTP_RETRIES": "5"}).retries == 5
    assert HttpClient(Credentials({}), env={"PALLET_HTTP_TIMEOUT": "2.5"}).timeout == 2.5


def test_connection_refused_is_an_index_error() -> None:
    with IndexServer(Path("/nonexistent-dir-for-port")) as index:
        url = f"{index.url}/foo/"
    http = HttpClient(Credentials({}), retries=1, backoff=0.01)
    with pytest.raises(IndexError_, match="after 2 attempt"):
        http.get(url, index="gone")


def test_404_and_other_statuses(dists: Path) -> None:
    with IndexServer(dists) as index:
        http = HttpClient(Credentials({}), retries=0)
        with pytest.raises(HttpStatusError, match="HTTP 404") as info:
            http.get(f"{index.url}/nope/", index="local")
        assert info.value.status == 404


def test_redact() -> None:
    assert redact(f"https://me:{SECRET}@h.example/simple") == "https://***@h.example/simple"
    assert redact("https://h.example/simple") == "https://h.example/simple"


def _assert_secret_free(client_files: list[object], error: str = "") -> None:
    assert SECRET not in repr(client_files)
    assert SECRET not in error


def test_credentials_from_url_userinfo(dists: Path, make_client: ClientFactory) -> None:
    with IndexServer(dists, auth=("me", SECRET)) as index:
        client = make_client(index.url_with_auth("me", SECRET))
        files = client.files(FOO)
        assert len(files) == 2
        _assert_secret_free(list(files))
        assert client.metadata(files[-1]).requires_dist
        assert all(r.status in (200, 206) for r in index.requests)


def test_credentials_from_environment(
    dists: Path, make_client: ClientFactory, clean_env: dict[str, str]
) -> None:
    env = {
        **clean_env,
        "PALLET_INDEX_MY_INDEX_USERNAME": "me",
        "PALLET_INDEX_MY_INDEX_PASSWORD": SECRET,
    }
    with IndexServer(dists, auth=("me", SECRET)) as index:
        client = make_client([IndexConfig("my-index", index.url, default=True)], env=env)
        files = client.files(FOO)
        assert [f.filename for f in files] == [
            "foo-1.0-py3-none-any.whl",
            "foo-2.0-py3-none-any.whl",
        ]
        _assert_secret_free(list(files))


def test_credentials_from_netrc(dists: Path, make_client: ClientFactory, tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login me password {SECRET}\n")
    netrc.chmod(0o600)
    with IndexServer(dists, auth=("me", SECRET)) as index:
        client = make_client(index.url, env={"NETRC": str(netrc)})
        assert len(client.files(FOO)) == 2


def test_wrong_password_error_never_shows_it(dists: Path, make_client: ClientFactory) -> None:
    with IndexServer(dists, auth=("me", "right")) as index:
        client = make_client(index.url_with_auth("me", SECRET))
        with pytest.raises(IndexError_, match="HTTP 401") as info:
            client.files(FOO)
        _assert_secret_free([], str(info.value) + repr(info.value.args))
        assert "127.0.0.1" in str(info.value)
