"""Every environment variable pallet reads, each with what it does. No other module names one."""

from __future__ import annotations

__all__ = [
    "PALLET_CACHE_DIR",
    "PALLET_CONCURRENCY",
    "PALLET_HTTP_RETRIES",
    "PALLET_HTTP_TIMEOUT",
    "PALLET_NO_PROGRESS",
    "index_credential_vars",
]

#: Root of the global cache (index pages, metadata, wheels); default: platformdirs' user cache dir.
PALLET_CACHE_DIR = "PALLET_CACHE_DIR"
#: How many HTTP requests run at once (default 16).
PALLET_CONCURRENCY = "PALLET_CONCURRENCY"
#: Seconds before a connection or read times out (default 30).
PALLET_HTTP_TIMEOUT = "PALLET_HTTP_TIMEOUT"
#: How many times a failed request (connection error, 5xx) is retried (default 3).
PALLET_HTTP_RETRIES = "PALLET_HTTP_RETRIES"
#: Any value but ``0`` turns the progress display off. That display is one status line on
#: stderr, redrawn while ``pallet lock`` resolves (projects looked up, metadata read, elapsed
#: time), shown only when stderr is a terminal and ``-q`` is not given, and erased when done.
PALLET_NO_PROGRESS = "PALLET_NO_PROGRESS"


def index_credential_vars(index_name: str) -> tuple[str, str]:
    """Names of the username and password variables for a named index.

    ``[[tool.pallet.index]] name = "internal-pypi"`` reads ``PALLET_INDEX_INTERNAL_PYPI_USERNAME``
    and ``PALLET_INDEX_INTERNAL_PYPI_PASSWORD`` (upper case, non-alphanumerics as ``_``).
    """
    key = "".join(c if c.isalnum() else "_" for c in index_name).upper()
    return f"PALLET_INDEX_{key}_USERNAME", f"PALLET_INDEX_{key}_PASSWORD"
