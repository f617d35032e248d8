"""The HTML link collector behind `index.simple.parse_html_links` (PEP 503 pages, find-links
pages), in its own module so that ``html.parser`` is imported only when an HTML page is parsed.
"""

from __future__ import annotations

from html.parser import HTMLParser

__all__ = ["LinkParser"]


class LinkParser(HTMLParser):
    """Collects the anchors (``<a>``), ``<base href>`` and the PEP 629 ``<meta>`` of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[dict[str, str | None]] = []
        self.api_version: str | None = None
        self._anchor: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # HTMLParser unescapes attribute values (``&gt;=3.9`` -> ``>=3.9``).
        if tag == "a":
            self._anchor = dict(attrs)
            self.links.append(self._anchor)
        elif tag == "base" and self.base is None:
            self.base = dict(attrs).get("href")
        elif tag == "meta":
            attributes = dict(attrs)
            if attributes.get("name") == "pypi:repository-version":
                self.api_version = attributes.get("content")

    def handle_data(self, data: str) -> None:
        if self._anchor is not None:  # the anchor's text, under a key no attribute can have
            self._anchor[" text"] = (self._anchor.get(" text") or "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._anchor = None
