"""Every environment variable pallet reads, each with what it does. No other module names one.

The numeric variables are read here too, by `positive_number`: a value that is not a number in
range is a `SetupError` naming the variable, never silently replaced by the default.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import SetupError

__all__ = [
    "PALLET_CACHE_DIR",
    "PALLET_CONCURRENCY",
    "PALLET_CONCURRENT_DOWNLOADS",
    "PALLET_CPU_LEVEL",
    "PALLET_CUDA",
    "PALLET_CUDA_DRIVER",
    "PALLET_CUDA_MINOR_COMPAT",
    "PALLET_GFX",
    "PALLET_GPU",
    "PALLET_GPU_SM",
    "PALLET_HTTP_DEADLINE",
    "PALLET_HTTP_RETRIES",
    "PALLET_HTTP_TIMEOUT",
    "PALLET_INDEX_URL",
    "PALLET_MACHINE",
    "PALLET_NO_PROGRESS",
    "PALLET_PUBLISH_PASSWORD",
    "PALLET_PUBLISH_TOKEN",
    "PALLET_PUBLISH_USERNAME",
    "PALLET_PYTHON",
    "PALLET_PYTORCH_INDEX",
    "PALLET_ROCM",
    "PALLET_SLOW_NOTICE",
    "PALLET_SYSROOT",
    "PALLET_SYSTEM",
    "PALLET_TOOL_BIN_DIR",
    "PALLET_TOOL_DIR",
    "PALLET_VARIANT",
    "VARIANT_FACT_OVERRIDES",
    "XDG_BIN_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "index_credential_vars",
    "positive_number",
]

#: Root of the global cache (index pages, metadata, wheels); default: platformdirs' user cache dir.
#: It must be a folder pallet can write (or create); else `pallet lock` stops before resolving.
PALLET_CACHE_DIR = "PALLET_CACHE_DIR"
#: How many HTTP requests run at once (default 16; a whole number, 1 or more).
PALLET_CONCURRENCY = "PALLET_CONCURRENCY"
#: How many files ``pallet sync`` downloads (or copies into the cache) at once (default 8; a
#: whole number, 1 or more).
PALLET_CONCURRENT_DOWNLOADS = "PALLET_CONCURRENT_DOWNLOADS"
#: Seconds to wait for a connection, and for each read of an answer, before one attempt of a
#: request fails (default 30; a positive number).
PALLET_HTTP_TIMEOUT = "PALLET_HTTP_TIMEOUT"
#: How many times a failed request (connection error, timeout, 5xx, 429) is retried (default 3;
#: 0 or more).
PALLET_HTTP_RETRIES = "PALLET_HTTP_RETRIES"
#: Seconds after which a request stops retrying (default: 2 x PALLET_HTTP_TIMEOUT). No attempt
#: starts after it, and the body of a page or metadata file must have arrived by it plus one
#: PALLET_HTTP_TIMEOUT, so one request takes at most PALLET_HTTP_DEADLINE + PALLET_HTTP_TIMEOUT
#: (90 s with the defaults). Whole-file downloads are bounded per read only (large wheels).
PALLET_HTTP_DEADLINE = "PALLET_HTTP_DEADLINE"
#: Seconds a request may wait before pallet says which index is slow (default 5).
PALLET_SLOW_NOTICE = "PALLET_SLOW_NOTICE"
#: Any value but ``0`` turns the progress display off: the status line redrawn while ``pallet
#: lock`` resolves, the bars of ``pallet sync`` (downloads, unpacking, installing) and the
#: spinner of a build. It shows only when stderr is a terminal and ``-q`` is not given, and is
#: erased when done (docs/cli.md).
PALLET_NO_PROGRESS = "PALLET_NO_PROGRESS"
#: The package index (a PEP 503/691 simple API URL) of ``pallet run script.py`` and ``pallet run
#: --with`` outside a project, when the script's ``[tool.pallet]`` names none (default: PyPI).
#: A project's own indexes are always those of its pyproject.toml (docs/run.md).
PALLET_INDEX_URL = "PALLET_INDEX_URL"
#: The Python interpreter to use, as ``--python`` takes it (``3.12``, ``pypy3.10``,
#: ``cpython3.11``, or a path); ``--python`` wins over it, and it over ``.python-version``
#: (docs/python.md).
PALLET_PYTHON = "PALLET_PYTHON"

# `pallet publish` (docs/publish.md: the order in which credentials are looked for).

#: An API token for ``pallet publish``: sent as the password of the user ``__token__`` (PyPI's
#: convention). Ignored when ``--username`` names another user.
PALLET_PUBLISH_TOKEN = "PALLET_PUBLISH_TOKEN"
#: The username of ``pallet publish`` when ``--username`` is not given.
PALLET_PUBLISH_USERNAME = "PALLET_PUBLISH_USERNAME"
#: The password of ``pallet publish`` when ``--password`` is not given.
PALLET_PUBLISH_PASSWORD = "PALLET_PUBLISH_PASSWORD"

# Global tools (issue 14; docs/tools.md). The folders follow the XDG base directory spec, as
# uv's and pipx's do; a relative XDG value is ignored, as that spec says.

#: Where ``pallet tool install`` keeps each tool's environment (default:
#: ``$XDG_DATA_HOME/pallet/tools``, else ``~/.local/share/pallet/tools``).
PALLET_TOOL_DIR = "PALLET_TOOL_DIR"
#: Where ``pallet tool install`` links the tools' console scripts (default: ``$XDG_BIN_HOME``,
#: else ``$XDG_DATA_HOME/../bin``, else ``~/.local/bin``).
PALLET_TOOL_BIN_DIR = "PALLET_TOOL_BIN_DIR"
#: PyTorch's wheel index for a tool's backend (``pallet tool install --variant``), ``{backend}``
#: replaced by its name (default ``https://download.pytorch.org/whl/{backend}``): a mirror.
PALLET_PYTORCH_INDEX = "PALLET_PYTORCH_INDEX"
#: The XDG base directories the tool folders default to (and ``update-shell``'s fish folder).
XDG_DATA_HOME = "XDG_DATA_HOME"
XDG_BIN_HOME = "XDG_BIN_HOME"
XDG_CONFIG_HOME = "XDG_CONFIG_HOME"


# Hardware variants (issue 12; docs/gpu.md). The machine is detected by `pallet.variants`; these
# choose a variant, simulate another machine, or override one detected fact each.

#: The variant extra to install (``[tool.pallet.variants] extras``), or ``auto`` (detect); what
#: ``pallet sync --variant`` takes, which wins over it.
PALLET_VARIANT = "PALLET_VARIANT"
#: A folder read as the machine's root (``/sys``, ``/proc``, ``/opt/rocm`` under it) instead of
#: ``/``: tests simulate machines with ``fixtures/sysroots/<machine>/``.
PALLET_SYSROOT = "PALLET_SYSROOT"
#: ``platform.system()`` as detection sees it (``Linux``, ``Darwin``, ``Windows``).
PALLET_SYSTEM = "PALLET_SYSTEM"
#: ``platform.machine()`` as detection sees it (``x86_64``, ``arm64``, ``AMD64``).
PALLET_MACHINE = "PALLET_MACHINE"
#: The NVIDIA driver version (``560.35.03``); no driver file or ``nvidia-smi`` is read for it.
PALLET_CUDA_DRIVER = "PALLET_CUDA_DRIVER"
#: The highest CUDA version the machine runs (``12.6``); no driver lookup at all.
PALLET_CUDA = "PALLET_CUDA"
#: The NVIDIA GPUs' compute capabilities, one per GPU (``6.1,8.6``); ``nvidia-smi`` is not asked.
PALLET_GPU_SM = "PALLET_GPU_SM"
#: The ROCm version (``6.2``); no ROCm install is read.
PALLET_ROCM = "PALLET_ROCM"
#: The AMD GPUs' gfx targets, one per GPU (``gfx90a,gfx942``).
PALLET_GFX = "PALLET_GFX"
#: The CPU's x86-64 micro-architecture level (``1`` to ``4``), instead of reading its flags.
PALLET_CPU_LEVEL = "PALLET_CPU_LEVEL"
#: ``none``: ignore every GPU (NVIDIA, AMD, Intel, Apple), as on a machine without one.
PALLET_GPU = "PALLET_GPU"
#: ``1``: judge CUDA by minor-version compatibility (any 12.x from driver 525.60.13), as
#: ``cuda-minor-compat = true`` in ``[tool.pallet.variants]`` does.
PALLET_CUDA_MINOR_COMPAT = "PALLET_CUDA_MINOR_COMPAT"

#: The variables that change detected facts (part of the detection cache's key).
VARIANT_FACT_OVERRIDES = (
    PALLET_CUDA_DRIVER,
    PALLET_CUDA,
    PALLET_GPU_SM,
    PALLET_ROCM,
    PALLET_GFX,
    PALLET_CPU_LEVEL,
    PALLET_GPU,
)


def positive_number(
    env: Mapping[str, str],
    name: str,
    default: float,
    *,
    integer: bool = False,
    minimum: float = 0.0,
    inclusive: bool = False,
) -> float:
    """The value of a numeric variable, ``default`` when unset or empty.

    Raises `SetupError` (``PALLET_HTTP_TIMEOUT='-5': must be a number greater than 0``) for
    anything else than a finite number above ``minimum`` (or equal to it, with ``inclusive``).
    """
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    bound = f"{'at least' if inclusive else 'greater than'} {minimum:g}"
    what = "a whole number" if integer else "a number"
    try:
        value = int(raw.strip()) if integer else float(raw.strip())
    except ValueError:
        raise SetupError(f"{name}={raw!r}: must be {what} {bound}") from None
    if value != value or value in (float("inf"), float("-inf")):  # nan, inf
        raise SetupError(f"{name}={raw!r}: must be {what} {bound}")
    if value < minimum or (value == minimum and not inclusive):
        raise SetupError(f"{name}={raw!r}: must be {what} {bound}")
    return value


def index_credential_vars(index_name: str) -> tuple[str, str]:
    """Names of the username and password variables for a named index.

    ``[[tool.pallet.index]] name = "internal-pypi"`` reads ``PALLET_INDEX_INTERNAL_PYPI_USERNAME``
    and ``PALLET_INDEX_INTERNAL_PYPI_PASSWORD`` (upper case, non-alphanumerics as ``_``).
    """
    key = "".join(c if c.isalnum() else "_" for c in index_name).upper()
    return f"PALLET_INDEX_{key}_USERNAME", f"PALLET_INDEX_{key}_PASSWORD"
