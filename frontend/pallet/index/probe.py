"""Is this URL a simple index at all? Heuristics for telling a wrong index URL from a missing
project (issue 10: a 404 for everything, or junk HTML, must not read as "no such project").

Consulted only when a project page is missing (404) or lists nothing: the index root
(``<url>/``) is fetched once per index, its first 64 KiB only, and judged here. A PEP 503 root
links each project by its name (``<a href="/simple/frob/">frob</a>``), a PEP 691 root is JSON
with a ``projects`` list; a login page, a web server's welcome page or a 404 are neither.
"""

from __future__ import annotations

import contextlib
import json
from urllib.parse import unquote, urlsplit

from packaging.utils import canonicalize_name

from .simple import InvalidPage, parse_html_links

__all__ = ["PROBE_BYTES", "root_problem"]

#: How much of the index root is read to judge it.
PROBE_BYTES = 64 * 1024


def _media(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def root_problem(status: int, content_type: str, body: bytes, url: str) -> str | None:
    """None when the answer looks like a simple index root; else what was found instead."""
    if status != 200:
        return f"HTTP {status}"
    media = _media(content_type)
    text = body.decode("utf-8", errors="replace")
    if media.endswith("+json") or media == "application/json":
        if '"projects"' in text and text.lstrip().startswith("{"):
            return None
        with contextlib.suppress(ValueError):
            json.loads(text)
        return f"JSON without a 'projects' list ({media})"
    if media and "html" not in media:
        return f"content type {media!r}, not an HTML or JSON simple page"
    try:
        _base, links = parse_html_links(text, url)
    except InvalidPage as exc:
        return str(exc)
    if "pypi:repository-version" in text:  # the PEP 629 meta tag: an index, maybe empty
        return None
    for attrs in links:
        href = (attrs.get("href") or "").split("#", 1)[0].split("?", 1)[0]
        segment = unquote(urlsplit(href).path.rstrip("/").rpartition("/")[2])
        label = (attrs.get(" text") or "").strip()
        if segment and label and canonicalize_name(segment) == canonicalize_name(label):
            return None
    if not links:
        return "an HTML page without links"
    return "an HTML page whose links are not project names"
