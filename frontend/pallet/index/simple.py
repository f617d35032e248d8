"""Parse simple-repository project pages (PEP 503 HTML, PEP 691 JSON, flat link pages) into files.

Pure: text in, `DistFile` values out. Every URL is made absolute against the page URL and
stripped of credentials and of its fragment (the fragment's hash goes into ``hashes``).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import (
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from .models import DistFile

__all__ = [
    "ACCEPT",
    "InvalidPage",
    "dist_file",
    "parse_html_links",
    "parse_html_project",
    "parse_json_project",
    "parse_project_page",
    "parse_requires_python",
    "sort_files",
    "strip_credentials",
]

logger = logging.getLogger(__name__)

#: PEP 691 content negotiation: JSON preferred, HTML accepted, legacy text/html last.
ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_SUPPORTED_MAJOR = 1  # PEP 629: refuse pages of a newer major API version


class InvalidPage(ValueError):
    """A project page that cannot be read (bad JSON, unsupported API version)."""


def strip_credentials(url: str) -> str:
    """The URL without userinfo (``https://user:pw@host/x`` -> ``https://host/x``)."""
    if "@" not in url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _split_name(
    filename: str,
) -> tuple[Literal["wheel", "sdist"], NormalizedName, Version, frozenset[Tag]] | None:
    try:
        if filename.endswith(".whl"):
            name, version, _build, tags = parse_wheel_filename(filename)
            return "wheel", name, version, tags
        if filename.endswith((".tar.gz", ".zip")):
            # .zip sdists are legacy but valid; .egg, .exe, .tar.bz2, … are skipped.
            name, version = parse_sdist_filename(filename)
            return "sdist", name, version, frozenset()
    except ValueError:  # InvalidWheelFilename, InvalidSdistFilename, InvalidVersion
        logger.debug("skipping unparseable file name %r", filename)
    return None


@functools.lru_cache(maxsize=512)
def parse_requires_python(value: str) -> SpecifierSet | None:
    """A Requires-Python value (memoized: a page repeats the same few hundreds of times)."""
    try:
        return SpecifierSet(value)
    except InvalidSpecifier:
        logger.debug("ignoring invalid requires-python %r", value)
        return None


def _parse_specifier(value: str | None) -> SpecifierSet | None:
    if not value or not value.strip():
        return None
    return parse_requires_python(value.strip())


def _normalize_hashes(hashes: Mapping[str, object]) -> dict[str, str]:
    return {
        str(algo).lower(): str(digest).lower()
        for algo, digest in hashes.items()
        if isinstance(digest, str) and digest
    }


def dist_file(
    *,
    filename: str,
    url: str,
    index: str,
    project: NormalizedName | None,
    hashes: Mapping[str, str] | None = None,
    requires_python: str | None = None,
    yanked: str | None = None,
    size: int | None = None,
    upload_time: str | None = None,
    core_metadata: Mapping[str, str] | None = None,
) -> DistFile | None:
    """A `DistFile` for one link, or None for files of other projects or unparseable names."""
    parsed = _split_name(filename)
    if parsed is None:
        return None
    kind, name, version, tags = parsed
    if project is not None and name != project:
        return None
    return DistFile(
        filename=filename,
        url=url,
        index=index,
        name=name,
        version=version,
        kind=kind,
        hashes=dict(hashes or {}),
        requires_python=_parse_specifier(requires_python),
        yanked=yanked,
        size=size,
        upload_time=upload_time,
        core_metadata=core_metadata,
        tags=tags,
    )


def _absolute(href: str, base_url: str) -> tuple[str, dict[str, str]]:
    """Absolute, credential-free URL without fragment, and the hash found in the fragment."""
    href, _, fragment = href.strip().partition("#")
    # Absolute links (the common case on big indexes) skip the costly urljoin.
    url = href if href.startswith(("https://", "http://")) else urljoin(base_url, href)
    hashes: dict[str, str] = {}
    algo, sep, digest = fragment.partition("=")
    if sep and algo and digest:
        hashes[algo.lower()] = digest.lower()
    return strip_credentials(url), hashes


def _filename(url: str) -> str:
    """The last path segment of a URL (no query), percent-decoded."""
    return unquote(url.partition("?")[0].rpartition("/")[2])


def _metadata_attr(value: str | None) -> dict[str, str] | None:
    """PEP 658/714: ``true`` (no hash) or ``<algo>=<hex>``; absent or ``false`` -> None."""
    if value is None:
        return None
    value = value.strip()
    if value.lower() == "false":
        return None
    algo, sep, digest = value.partition("=")
    if sep and algo and digest:
        return {algo.lower(): digest.lower()}
    return {}


def _check_api_version(version: object) -> None:
    if version is None:
        return
    major = str(version).split(".", 1)[0]
    if major.isdigit() and int(major) > _SUPPORTED_MAJOR:
        raise InvalidPage(f"unsupported simple API version {version!r} (PEP 629)")


def parse_html_links(text: str, page_url: str) -> tuple[str, list[dict[str, str | None]]]:
    """The anchors of an HTML page (their attributes, and their text under ``" text"``) and the
    base URL their hrefs are relative to."""
    from .html_links import LinkParser  # html.parser: only when an HTML page is read

    parser = LinkParser()
    parser.feed(text)
    parser.close()
    _check_api_version(parser.api_version)
    base = urljoin(page_url, parser.base) if parser.base else page_url
    return base, parser.links


def parse_html_project(
    text: str, page_url: str, *, index: str, project: NormalizedName | None
) -> list[DistFile]:
    """PEP 503 project page (or a flat find-links page when ``project`` is None)."""
    base, links = parse_html_links(text, page_url)
    files: list[DistFile] = []
    for attrs in links:
        href = attrs.get("href")
        if not href:
            continue
        url, hashes = _absolute(href, base)
        filename = _filename(url)
        # PEP 714: data-core-metadata, falling back to the legacy PEP 658 name.
        meta = attrs.get("data-core-metadata")
        if meta is None:
            meta = attrs.get("data-dist-info-metadata")
        file = dist_file(
            filename=filename,
            url=url,
            index=index,
            project=project,
            hashes=hashes,
            requires_python=attrs.get("data-requires-python"),
            # PEP 592: the attribute's presence yanks; its value is the reason.
            yanked=(attrs.get("data-yanked") or "") if "data-yanked" in attrs else None,
            core_metadata=_metadata_attr(meta),
        )
        if file is not None:
            files.append(file)
    return files


def _json_metadata(value: object) -> dict[str, str] | None:
    if value is None or value is False:
        return None
    if isinstance(value, Mapping):
        return _normalize_hashes(value)
    return {}


def parse_json_project(
    data: str | bytes, page_url: str, *, index: str, project: NormalizedName | None
) -> list[DistFile]:
    """PEP 691 JSON project page, with PEP 700 ``size`` / ``upload-time``."""
    try:
        page = json.loads(data)
    except ValueError as exc:
        raise InvalidPage(f"invalid JSON project page: {exc}") from exc
    if not isinstance(page, dict) or not isinstance(page.get("files"), list):
        raise InvalidPage("JSON project page has no 'files' list")
    meta = page.get("meta")
    _check_api_version(meta.get("api-version") if isinstance(meta, dict) else None)
    files: list[DistFile] = []
    for entry in page["files"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            continue
        url, fragment_hashes = _absolute(entry["url"], page_url)
        hashes = entry.get("hashes")
        yanked = entry.get("yanked", False)
        size = entry.get("size")
        upload_time = entry.get("upload-time")
        meta_value = entry.get("core-metadata", entry.get("dist-info-metadata"))  # PEP 714
        requires_python = entry.get("requires-python")
        file = dist_file(
            filename=str(entry.get("filename") or _filename(url)),
            url=url,
            index=index,
            project=project,
            hashes=_normalize_hashes(hashes) if isinstance(hashes, dict) else fragment_hashes,
            requires_python=requires_python if isinstance(requires_python, str) else None,
            yanked=(yanked if isinstance(yanked, str) else "") if yanked else None,
            size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            upload_time=upload_time if isinstance(upload_time, str) else None,
            core_metadata=_json_metadata(meta_value),
        )
        if file is not None:
            files.append(file)
    return files


def parse_project_page(
    body: bytes,
    content_type: str,
    page_url: str,
    *,
    index: str,
    project: NormalizedName | None,
) -> list[DistFile]:
    """Dispatch on the response's content type (PEP 691: JSON or HTML)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media.endswith("+json") or media == "application/json":
        return parse_json_project(body, page_url, index=index, project=project)
    return parse_html_project(
        body.decode("utf-8", errors="replace"), page_url, index=index, project=project
    )


def sort_files(files: Iterable[DistFile]) -> list[DistFile]:
    """Deterministic order (version, then file name), first occurrence of a file name wins."""
    seen: dict[str, DistFile] = {}
    for file in files:
        seen.setdefault(file.filename, file)
    return sorted(seen.values(), key=lambda f: (f.version, f.filename))


def group_by_project(files: Sequence[DistFile]) -> dict[NormalizedName, list[DistFile]]:
    """Files of a flat page grouped per normalized project name."""
    groups: dict[NormalizedName, list[DistFile]] = {}
    for file in files:
        groups.setdefault(canonicalize_name(file.name), []).append(file)
    return groups
