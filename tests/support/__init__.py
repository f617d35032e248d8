"""Shared test support: real dists on disk and a real loopback package index.

``tests/`` is on ``sys.path`` (pytest inserts the directory of ``tests/conftest.py``), so tests
import ``support`` directly::

    from support import IndexServer, make_sdist, make_wheel

    def test_something(tmp_path):
        dists = tmp_path / "dists"
        make_wheel(dists, "foo", "1.0", requires_dist=["bar>=2; python_version >= '3.10'"])
        make_wheel(dists, "bar", "2.0", tag="cp311-cp311-manylinux_2_17_x86_64")
        make_sdist(dists, "baz", "0.1", requires_dist=["foo"])   # in-tree PEP 517 backend
        with IndexServer(dists, format="html", metadata=False, ranges=False) as index:
            ...  # IndexConfig(name="local", url=index.url, default=True)
            assert index.count("/simple/foo/") == 1

See `support.dists` and `support.index_server` for every option.
"""

from __future__ import annotations

from .dists import make_sdist, make_wheel, metadata_text, wheel_filename
from .index_server import IndexServer, Request

__all__ = ["IndexServer", "Request", "make_sdist", "make_wheel", "metadata_text", "wheel_filename"]
