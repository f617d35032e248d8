"""Fixtures of the index client tests: a dists folder, a cache, clients that get closed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Callable

import pytest
from packaging.utils import canonicalize_name
from pallet.index.cache import Cache
from pallet.index.client import IndexClient
from pallet.project.model import IndexConfig
from support.dists import make_wheel

ClientFactory = Callable[..., IndexClient]


@pytest.fixture
def dists(tmp_path: Path) -> Path:
    """A folder with foo 1.0/2.0 (2.0 needs bar) and bar 1.0."""
    folder = tmp_path / "dists"
    make_wheel(folder, "foo", "1.0")
    make_wheel(folder, "foo", "2.0", requires_dist=["bar>=1"], requires_python=">=3.8")
    make_wheel(folder, "bar", "1.0")
    return folder


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path / "cache")


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """No credentials, no netrc, fast retries."""
    return {"NETRC": str(tmp_path / "no-netrc"), "PALLET_HTTP_RETRIES": "3"}


@pytest.fixture
def make_client(cache: Cache, clean_env: dict[str, str]) -> Iterator[ClientFactory]:
    clients: list[IndexClient] = []

    def factory(
        indexes: Sequence[IndexConfig] | str,
        sources: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> IndexClient:
        if isinstance(indexes, str):
            indexes = [IndexConfig(name="local", url=indexes, default=True)]
        kwargs.setdefault("cache", cache)
        kwargs.setdefault("env", clean_env)
        kwargs.setdefault("speculate", False)
        pinned = {canonicalize_name(k): v for k, v in (sources or {}).items()}
        client = IndexClient(indexes, pinned, kwargs.pop("cache"), **kwargs)
        client.http.backoff = 0.01
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()
