"""Pure parsers of project pages, on literal text shaped like the specs' examples."""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version
from pallet.index.simple import (
    InvalidPage,
    parse_html_project,
    parse_json_project,
    parse_project_page,
    sort_files,
    strip_credentials,
)

PAGE = "https://example.org/simple/holygrail/"
HOLY = canonicalize_name("holygrail")

HTML = """<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.0"></head><body>
<a href="../../files/holygrail-1.0.tar.gz#sha256=ABCDEF">holygrail-1.0.tar.gz</a>
<a href="https://u:secret@files.example.org/holygrail-1.0-py3-none-any.whl#sha256=0123"
   data-requires-python="&gt;=3.7,&lt;4" data-core-metadata="sha256=beef"
   data-dist-info-metadata="sha256=dead">w</a>
<a href="holygrail-0.9-py3-none-any.whl" data-yanked="" data-dist-info-metadata="true">x</a>
<a href="holygrail-0.8.zip" data-yanked="broken &amp; bad">y</a>
<a href="holygrail-0.7-py2.7.egg">egg</a>
<a href="holygrail-0.6.exe">exe</a>
<a href="othername-1.0.tar.gz">other project</a>
<a href="holygrail-notaversion-x.tar.gz">bad name</a>
<a>no href</a>
</body></html>
"""


def test_html_page_fields() -> None:
    files = {f.filename: f for f in parse_html_project(HTML, PAGE, index="pypi", project=HOLY)}
    assert sorted(files) == [
        "holygrail-0.8.zip",
        "holygrail-0.9-py3-none-any.whl",
        "holygrail-1.0-py3-none-any.whl",
        "holygrail-1.0.tar.gz",
    ]
    sdist = files["holygrail-1.0.tar.gz"]
    assert sdist.url == "https://example.org/files/holygrail-1.0.tar.gz"
    assert sdist.hashes == {"sha256": "abcdef"}
    assert sdist.kind == "sdist" and sdist.version == Version("1.0") and sdist.index == "pypi"
    assert sdist.core_metadata is None and sdist.yanked is None and not sdist.is_yanked
    wheel = files["holygrail-1.0-py3-none-any.whl"]
    assert wheel.url == "https://files.example.org/holygrail-1.0-py3-none-any.whl"  # no userinfo
    assert wheel.requires_python == SpecifierSet(">=3.7,<4")  # HTML-unescaped
    assert wheel.core_metadata == {"sha256": "beef"}  # PEP 714 name wins over the legacy one
    assert {str(t) for t in wheel.tags} == {"py3-none-any"}
    legacy = files["holygrail-0.9-py3-none-any.whl"]
    assert legacy.yanked == "" and legacy.is_yanked
    assert legacy.core_metadata == {}  # offered without a hash
    assert files["holygrail-0.8.zip"].yanked == "broken & bad"


def test_base_tag_and_flat_page() -> None:
    html = (
        '<html><head><base href="https://mirror.example/dl/"></head>'
        '<a href="a-1.0.tar.gz">a</a><a href="b-2.0-py3-none-any.whl">b</a></html>'
    )
    files = parse_html_project(html, "https://example.org/links.html", index="flat", project=None)
    assert [(f.name, f.url) for f in files] == [
        ("a", "https://mirror.example/dl/a-1.0.tar.gz"),
        ("b", "https://mirror.example/dl/b-2.0-py3-none-any.whl"),
    ]


JSON = """{
  "meta": {"api-version": "1.1"},
  "name": "holygrail",
  "files": [
    {"filename": "holygrail-1.0.tar.gz", "url": "https://example.com/files/holygrail-1.0.tar.gz",
     "hashes": {"SHA256": "AB12"}, "requires-python": ">=3.7", "yanked": "Had a vulnerability",
     "size": 1234, "upload-time": "2024-01-02T03:04:05.000000Z"},
    {"filename": "holygrail-1.0-py3-none-any.whl",
     "url": "../../files/holygrail-1.0-py3-none-any.whl",
     "hashes": {}, "dist-info-metadata": {"sha256": "cafe"}, "yanked": true},
    {"filename": "holygrail-1.1-py3-none-any.whl", "url": "x.whl", "hashes": {"sha256": "01"},
     "core-metadata": true, "dist-info-metadata": false, "yanked": false},
    {"filename": "holygrail-1.1-py3-none-any.exe", "url": "y", "hashes": {}}
  ],
  "versions": ["1.0", "1.1"]
}"""


def test_json_page_fields() -> None:
    files = {f.filename: f for f in parse_json_project(JSON, PAGE, index="pypi", project=HOLY)}
    assert len(files) == 3
    sdist = files["holygrail-1.0.tar.gz"]
    assert sdist.hashes == {"sha256": "ab12"}
    assert sdist.yanked == "Had a vulnerability"
    assert sdist.requires_python == SpecifierSet(">=3.7")
    assert sdist.size == 1234 and sdist.upload_time == "2024-01-02T03:04:05.000000Z"  # PEP 700
    wheel = files["holygrail-1.0-py3-none-any.whl"]
    assert wheel.url == "https://example.org/files/holygrail-1.0-py3-none-any.whl"  # relative
    assert wheel.yanked == "" and wheel.core_metadata == {"sha256": "cafe"}
    newer = files["holygrail-1.1-py3-none-any.whl"]
    assert newer.core_metadata == {} and newer.yanked is None  # PEP 714 key wins


def test_content_type_dispatch_and_api_version() -> None:
    files = parse_project_page(
        JSON.encode(), "application/vnd.pypi.simple.v1+json", PAGE, index="i", project=HOLY
    )
    assert len(files) == 3
    files = parse_project_page(
        HTML.encode(), "text/html; charset=utf-8", PAGE, index="i", project=HOLY
    )
    assert len(files) == 4
    with pytest.raises(InvalidPage, match=r"2\.0"):
        parse_json_project(
            '{"meta": {"api-version": "2.0"}, "files": []}', PAGE, index="i", project=HOLY
        )
    with pytest.raises(InvalidPage, match="JSON"):
        parse_json_project("{nope", PAGE, index="i", project=HOLY)


def test_sort_is_deterministic_and_deduplicates() -> None:
    files = parse_html_project(HTML, PAGE, index="i", project=HOLY)
    ordered = sort_files(reversed(files + files))
    assert [f.filename for f in ordered] == [
        "holygrail-0.8.zip",
        "holygrail-0.9-py3-none-any.whl",
        "holygrail-1.0-py3-none-any.whl",
        "holygrail-1.0.tar.gz",
    ]


def test_strip_credentials() -> None:
    assert strip_credentials("https://u:p@h.example:8080/x?y#z") == "https://h.example:8080/x?y#z"
    assert strip_credentials("https://h.example/x") == "https://h.example/x"
