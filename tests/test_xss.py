"""Injection: every front-matter field is escaped where it lands, bodies are sanitised.

Script-injection payloads (tags, attributes, URLs with scripting schemes, entities, broken
markup) go into every field the templates show (and into
site.yaml's names); the built pages are then read with a real HTML parser (lexbor), the
feeds and the sitemap with an XML parser and feedparser. The script elements must be the
ones the templates put there for benign values, nothing may carry an `on*` attribute or a
javascript:/vbscript:/data: URL, and every value must read back exactly as it was written.
"""

from __future__ import annotations

import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest
from selectolax.lexbor import LexborHTMLParser

from ancongthuong_site.vietnamese import make_slug
from conftest import html, make_site, run_cli

PAYLOADS = [
    "<script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "x onmouseover=alert(1)",
    "` onfocus=alert(1) autofocus",
    "</script><script>alert(1)</script>",
    "<!--<script>",
    "dòng\u2028một\u2029hai",
    "{{ 7*7 }}",
    "{% for x in ().__class__.__base__.__subclasses__() %}{% endfor %}",
    "${7*7}",
    "]]><script>alert(1)</script>",
    'Tin <b>nóng</b> & "sốc"',
    "../admin",
    "a/b",
    "<x>",
]
URL_PAYLOADS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "  javascript:alert(1)",
    "java\tscript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
]
MD02 = """\
Đoạn mở đầu bình thường.

<script>alert(1)</script>

<img src=x onerror=alert(1)>

[liên kết](javascript:alert(1)) [hoa thường](JaVaScRiPt:alert(1)) [dữ liệu](data:text/html,x)

<iframe srcdoc="<script>alert(1)</script>"></iframe>

<iframe src="javascript:alert(1)"></iframe>

<meta http-equiv="refresh" content="0;url=javascript:alert(1)">

<base href="https://evil.example/">

<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">gửi</button></form>

<svg onload=alert(1)><circle r="1"/></svg>

<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">

<style>body { display: none }</style>

<a href="  javascript:alert(1)">a</a> <a href="java&#x09;script:alert(1)">b</a>

![ảnh](x" onerror="alert(1))

[x](<javascript:alert(1)>)

<table><tr><td>ô bảng thô</td></tr></table>

## Tiêu đề mục

| Cột trái | Cột giữa |
|:--|:--:|
| a | b |
"""
CATEGORIES = [
    ('Tin <script>alert(1)</script> "hoạt" động', "tin-hoat-dong"),
    ('"><img src=x onerror=alert(1)>', "anh"),
]
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "data",
    "cite",
    "background",
    "xlink:href",
    "srcset",
    "manifest",
}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
FORBIDDEN_TAGS = {"base", "object", "embed", "svg", "style", "frame", "frameset", "applet"}


def shown(value: str) -> str:
    """How a one-line field is shown: NFC, runs of white space (U+2028 included) as one space."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def q(value: str) -> str:
    """A YAML double-quoted scalar (JSON is YAML).

    U+2028/U+2029 are written as escapes: raw, the builder refuses them in front matter
    (E122, libyaml would count them as line breaks); escaped, they are ordinary text.
    """
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def site_yaml(categories: list[tuple[str, str]], *, raw_html: bool = False, title: str = "") -> str:
    lines = [
        f"title: {q(title or 'Cổng thử nghiệm')}",
        'base_url: "https://example.org/"',
        f"allow_raw_html: {'true' if raw_html else 'false'}",
        "categories:",
    ]
    for name, slug in categories:
        lines += [f"  - name: {q(name)}", f"    slug: {q(slug)}"]
    if title:
        lines += ["footer:", f"  owner: {q(title)}", f"  address: {q(title + ' địa chỉ')}"]
    return "\n".join(lines) + "\n"


def article_text(fields: dict[str, object], body: str) -> str:
    lines = ["---"] + [f"{key}: {q(value)}" for key, value in fields.items()] + ["---", "", body]
    return "\n".join(lines) + "\n"


def payload_fields(i: int, text: str) -> dict[str, object]:
    return {
        "title": f"{text} {i}",
        "date": f"2024-02-{i + 1:02d} 10:00",
        "category": CATEGORIES[i % 2][1],
        "summary": text,
        "author": text,
        "source": f"{text} nguồn",
        "tags": [f"{text} thẻ", "chung"],
        "image": "/images/anh.jpg",
        "image_caption": text,
    }


def make_payload_site(make_site, values: list[str], *, name: str, **yaml_options):  # type: ignore[no-untyped-def]
    files = {
        f"content/2024/02/bai-{i}.md": article_text(payload_fields(i, text), "Thân bài.")
        for i, text in enumerate(values)
    }
    files["content/2024/03/noi-dung.md"] = article_text(
        {"title": "Nội dung thô", "date": "2024-03-01 10:00", "category": "anh"}, MD02
    )
    return make_site(files, name=name, site_yaml=site_yaml(CATEGORIES, **yaml_options))


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The payload site (raw HTML off and on) and a benign twin, each built once."""

    def make(files, *, name, site_yaml):  # type: ignore[no-untyped-def]
        return make_site(tmp_path_factory.mktemp(name) / "site", files, site_yaml=site_yaml)

    roots = {
        "payload": make_payload_site(make, PAYLOADS, name="payload", title=PAYLOADS[1]),
        "raw": make_payload_site(make, PAYLOADS, name="raw", raw_html=True),
        "benign": make_payload_site(
            make, [f"Tin bình thường {i}" for i in range(len(PAYLOADS))], name="benign"
        ),
    }
    for root in roots.values():
        result = run_cli("build", "--root", root)
        assert result.returncode == 0, result.stderr
    return {name: root / "_site" for name, root in roots.items()}


def pages(out: Path) -> list[Path]:
    found = sorted(out.rglob("*.html"))
    assert found
    return found


def script_signature(tree: LexborHTMLParser) -> tuple:
    """The script elements of a page: their attributes (JSON-LD text is checked apart), a
    script's address without the digest that names its version."""

    def attributes(node) -> tuple:  # type: ignore[no-untyped-def]
        items = node.attributes.items()
        return tuple(sorted((k, v.partition("?v=")[0] if k == "src" else v) for k, v in items))

    return tuple(sorted(attributes(node) for node in tree.css("script")))


def scheme_of(value: str) -> str:
    """The URL as a browser reads it: controls and white space removed, lower case."""
    return re.sub(r"[\x00-\x20\x7f]", "", value).lower()


def assert_no_active_content(tree: LexborHTMLParser, page: str) -> None:
    for node in tree.root.traverse():
        attributes = node.attributes
        for attribute, value in attributes.items():
            assert not attribute.lower().startswith("on"), (page, node.tag, attribute)
            if attribute.lower() in URL_ATTRIBUTES and value:
                assert not scheme_of(value).startswith(BAD_SCHEMES), (page, node.tag, value)
        assert node.tag not in FORBIDDEN_TAGS, (page, node.tag)
        if node.tag == "iframe":
            assert "srcdoc" not in attributes, page
            assert (attributes.get("src") or "https://").startswith("https://"), page
        if node.tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
            target = (attributes.get("content") or "").split("url=", 1)[-1]
            assert not scheme_of(target).startswith(BAD_SCHEMES), page
        if node.tag == "form":
            assert node.attributes.get("action") in ("/tim-kiem/", ""), page


@pytest.mark.parametrize("variant", ["payload", "raw"])
def test_pages_have_only_the_template_scripts_and_no_active_content(sites, variant) -> None:  # type: ignore[no-untyped-def]
    benign = {script_signature(html(path)) for path in pages(sites["benign"])}
    article_signature = script_signature(html(sites["benign"] / "2024/02/bai-0/index.html"))
    portal_js = (("defer", None), ("src", "/js/portal.js"))  # the reader comforts, on every page
    assert article_signature == (portal_js, (("type", "application/ld+json"),))
    search = script_signature(html(sites["benign"] / "tim-kiem/index.html"))
    lookup = (("id", "search-lookup"), ("type", "application/json"))  # data, never run
    assert len(search) == 3 and portal_js in search and lookup in search
    assert any(dict(script).get("src", "").endswith("/js/search.js") for script in search)
    for variant_site in (sites["payload"], sites["raw"]):  # the index's syllables, as data
        data = html(variant_site / "tim-kiem/index.html").css_first("script#search-lookup")
        assert "<" not in data.text() and json.loads(data.text())["shards"]
    for path in pages(sites[variant]):
        tree = html(path)
        name = path.relative_to(sites[variant]).as_posix()
        signature = script_signature(tree)
        assert signature in benign, (name, signature)
        if re.fullmatch(r"2024/0[23]/[^/]+/index\.html", name):
            assert signature == article_signature, name
        assert_no_active_content(tree, name)


@pytest.mark.parametrize("variant", ["payload", "raw"])
def test_every_field_reads_back_exactly_as_written(sites, variant) -> None:  # type: ignore[no-untyped-def]
    out = sites[variant]
    for i, text in enumerate(PAYLOADS):
        fields = payload_fields(i, text)
        tree = html(out / f"2024/02/bai-{i}/index.html")
        title = shown(str(fields["title"]))
        assert tree.css_first("h1").text() == title
        assert tree.css_first("title").text().startswith(title)
        assert tree.css_first("p.lede").text() == unicodedata.normalize("NFC", text).strip()
        assert tree.css_first(".lead-image figcaption").text() == shown(text)
        assert tree.css_first("p.author").text() == f"Tác giả: {shown(text)}"
        # Sources are grouped by slug and shown with one spelling ("{{ 7*7 }}" and "${7*7}"
        # are one source): the name shown is one of the spellings of this slug.
        source = make_slug(f"{text} nguồn")
        spellings = {shown(f"{t} nguồn") for t in PAYLOADS if make_slug(f"{t} nguồn") == source}
        assert tree.css_first("p.source a").text() in spellings
        tags = [node.text() for node in tree.css("p.tags a")]
        assert shown(f"{text} thẻ") in tags
        category = shown(CATEGORIES[i % 2][0])
        assert tree.css_first("p.category a").text() == category
        meta = {
            node.attributes.get("property"): node.attributes.get("content")
            for node in tree.css("meta[property]")
        }
        assert meta["og:title"] == title
        (script,) = tree.css('script[type="application/ld+json"]')
        data = json.loads(script.text())
        assert data["headline"] == title
        assert data["author"]["name"] == shown(text)
        assert data["articleSection"] == category
        assert "</script" not in script.text().lower()
        assert "<!--" not in script.text()


def test_template_syntax_in_fields_is_shown_literally(sites) -> None:  # type: ignore[no-untyped-def]
    for i, text in enumerate(PAYLOADS):
        if "7*7" not in text:
            continue
        page = sites["payload"] / f"2024/02/bai-{i}/index.html"
        tree = html(page)
        assert text in tree.css_first("h1").text()
        assert "49" not in tree.body.text()
        assert "49" not in json.dumps(json.loads(tree.css_first("script").text()))
    page = html(sites["payload"] / "2024/02/bai-11/index.html")
    assert "__subclasses__" in page.css_first("h1").text()


def test_feeds_sitemap_and_search_index_are_well_formed(sites) -> None:  # type: ignore[no-untyped-def]
    out = sites["payload"]
    titles = {shown(str(payload_fields(i, t)["title"])) for i, t in enumerate(PAYLOADS)}
    titles.add("Nội dung thô")
    feeds = [out / "feed.xml", *sorted((out / "chuyen-muc").rglob("feed.xml"))]
    assert len(feeds) == 3
    for feed in feeds:
        data = feed.read_bytes()
        ET.fromstring(data)
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0, (feed, parsed.get("bozo_exception"))
        assert {entry.title for entry in parsed.entries} <= titles
        assert parsed.entries
        for entry in parsed.entries:
            for content in entry.get("content", []):
                fragment = LexborHTMLParser(content.value)
                assert not fragment.css("script"), entry.title
                assert_no_active_content(fragment, f"{feed.name}: {entry.title}")
    main = feedparser.parse((out / "feed.xml").read_bytes())
    assert {entry.title for entry in main.entries} == titles
    assert main.feed.title == shown(PAYLOADS[1])
    sitemap = ET.fromstring((out / "sitemap.xml").read_bytes())
    locs = [
        node.text or "" for node in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    ]
    assert locs and all(loc.startswith("https://example.org/") for loc in locs)
    chunks = (out / "tim-kiem/chi-muc/d").glob("*.json")
    found = [doc for chunk in chunks for doc in json.loads(chunk.read_text("utf-8"))["docs"]]
    assert {doc["title"] for doc in found if doc["type"] == "article"} == titles


def test_tag_and_source_pages_stay_inside_the_output(sites) -> None:  # type: ignore[no-untyped-def]
    out = sites["payload"].resolve()
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(out)
        assert not path.is_symlink()
    folders = {p.name for p in (out / "the").iterdir()}
    assert "admin-the" in folders and "a-b-the" in folders and "x-the" in folders
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) for name in folders)


def test_raw_html_is_text_unless_the_site_allows_it(sites) -> None:  # type: ignore[no-untyped-def]
    body = html(sites["payload"] / "2024/03/noi-dung/index.html").css_first("div.body")
    assert body.css("table")[0].css("th")  # the Markdown table is real
    assert "ô bảng thô" in body.text()
    assert "<table><tr><td>ô bảng thô</td></tr></table>" in body.text()
    assert "<script>alert(1)</script>" in body.text()
    assert len(body.css("table")) == 1

    raw = html(sites["raw"] / "2024/03/noi-dung/index.html").css_first("div.body")
    cells = [node.text() for node in raw.css("td")]
    assert "ô bảng thô" in cells  # the raw table is kept
    assert len(raw.css("table")) == 2
    assert not raw.css("script")
    assert not raw.css("svg, base, object, embed, style, meta, form")

    for tree in (body, raw):
        heading = tree.css_first("h2")
        assert heading.text() == "Tiêu đề mục"
        assert heading.attributes.get("id") == "tieu-de-muc"
        aligned = [
            node.attributes.get("style") or node.attributes.get("align") or ""
            for node in tree.css("th")
        ]
        assert any("center" in value for value in aligned), aligned


def test_unsafe_urls_in_url_fields_are_refused_with_e115(make_site) -> None:
    files = {
        f"content/2024/02/anh-{i}.md": article_text(
            {
                "title": f"Ảnh {i}",
                "date": "2024-02-27",
                "category": "tin-hoat-dong",
                "image": url,
            },
            "Thân bài.",
        )
        for i, url in enumerate(URL_PAYLOADS)
    }
    root = make_site(files, site_yaml=site_yaml(CATEGORIES))
    for command in ("build", "check"):
        result = run_cli(command, "--root", root)
        assert result.returncode == 1, result.stderr
        for i in range(len(URL_PAYLOADS)):
            assert f"content/2024/02/anh-{i}.md:5: E115 " in result.stderr, result.stderr
        assert f"Có {len(URL_PAYLOADS)} lỗi" in result.stderr
    assert not (root / "_site").exists()


def test_an_entity_encoded_javascript_url_is_refused_with_e115(make_site) -> None:
    fields = {"title": "Ảnh", "date": "2024-02-27", "category": "tin-hoat-dong"}
    fields["image"] = "java&#x09;script:alert(1)"
    root = make_site(
        {"content/2024/02/anh.md": article_text(fields, "Thân bài.")},
        site_yaml=site_yaml(CATEGORIES),
    )
    result = run_cli("build", "--root", root)
    assert result.returncode == 1, result.stderr
    assert "content/2024/02/anh.md:5: E115 " in result.stderr


def test_unsafe_urls_in_aliases_and_menu_are_refused(make_site) -> None:
    root = make_site(
        {
            "content/2024/02/a.md": article_text(
                {
                    "title": "Bài",
                    "date": "2024-02-27",
                    "category": "tin-hoat-dong",
                    "aliases": ["javascript:alert(1)"],
                },
                "Thân bài.",
            )
        },
        site_yaml=site_yaml(CATEGORIES) + 'menu:\n  - {title: "Xấu", url: "javascript:alert(1)"}\n',
    )
    result = run_cli("build", "--root", root)
    assert result.returncode == 1
    assert "site.yaml:" in result.stderr and "E180" in result.stderr
    assert not (root / "_site").exists()
    (root / "site.yaml").write_text(site_yaml(CATEGORIES), encoding="utf-8")
    result = run_cli("build", "--root", root)
    assert result.returncode == 1
    assert "content/2024/02/a.md:5: E132 " in result.stderr
