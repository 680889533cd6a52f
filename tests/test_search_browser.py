"""Search in a real headless Chromium on a generated site of 2,000 articles.

For each query, the pages found are exactly those whose text holds the query's folded
syllables together and in order, as computed here from the built pages and the sources;
exact spellings rank first; the script folds text exactly as the builder does.
Skipped where Debian's chromium is not installed.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import json
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from ancongthuong_site.build import BuildOptions, BuildResult, build
from ancongthuong_site.models import ArticleMeta
from ancongthuong_site.searchterms import form_code
from ancongthuong_site.searchtokens import syllables
from ancongthuong_site.vietnamese import fold, vi_key
from conftest import CHROMIUM, EPOCH, LAUNCH_ARGS, article, corpus_site, html, write_tree

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")
NOW = dt.datetime.fromtimestamp(int(EPOCH), dt.UTC)

# Beside the corpus: "đang ủy quyền" (is authorising) folds like "Đảng ủy" but is spelt
# otherwise; "Ðảng" typed with U+00D0 by an old converter; a body typed in NFD.
EXTRA = {
    "content/2024/06/uy-quyen-1.md": article(
        title="Thông báo về việc ký văn bản",
        date="2024-06-03",
        body="Giám đốc Sở đang ủy quyền cho Phó Giám đốc ký các văn bản trong tháng.",
    ),
    "content/2024/06/uy-quyen-2.md": article(
        title="Lịch làm việc tuần",
        date="2024-06-10",
        body="Trong thời gian đi công tác, lãnh đạo đang ủy quyền giải quyết hồ sơ.",
    ),
    "content/2024/06/chuyen-doi.md": article(
        title="Tài liệu chuyển đổi từ phông cũ",
        date="2024-06-12",
        body="Ðảng ủy Sở triển khai nghị quyết (văn bản chuyển từ phông chữ cũ).",
    ),
    "content/2024/06/nfd.md": article(
        title="Bài gõ trên máy Mac",
        date="2024-06-14",
        body=unicodedata.normalize("NFD", "Sáng nay, Đảng ủy Sở họp mặt kỷ niệm ngày thành lập."),
    ),
    # The query only in the summary, only in the byline: their snippets come from there.
    "content/2024/06/tom-tat.md": article(
        title="Hội nghị giao ban tháng sáu",
        date="2024-06-16",
        summary="Sở làm việc với hợp tác xã trồng dưa lưới Kim Hoàng Hậu về tiêu thụ.",
        body="Nội dung chi tiết sẽ được cập nhật sau.",
    ),
    "content/2024/06/tac-gia.md": article(
        title="Tập huấn nghiệp vụ văn thư",
        date="2024-06-18",
        author="Tạ Diệu Linh",
        body="Lớp tập huấn diễn ra trong hai ngày tại hội trường Sở.",
    ),
    "content/van-ban/2024/123-qd-sct.md": (
        '---\ntitle: "Ban hành quy chế làm việc"\nnumber: "123/QĐ-SCT"\ntype: "Quyết định"\n'
        'issuer: "Sở Công Thương An Giang"\nissued: "2024-06-20"\n---\nToàn văn quy chế.\n'
    ),
}
DOCUMENT = "/van-ban/123-qd-sct/"
IN_SUMMARY = "/2024/06/tom-tat/"
IN_BYLINE = "/2024/06/tac-gia/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    root = corpus_site(tmp_path_factory.mktemp("search") / "site", 2000)
    write_tree(root, EXTRA)
    return root, build(root, BuildOptions(now=NOW))


@pytest.fixture(scope="module")
def served(site: tuple[Path, BuildResult]) -> Iterator[str]:
    root, _ = site
    handler = functools.partial(_QuietHandler, directory=str(root / "_site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def page(served: str) -> Iterator:  # type: ignore[type-arg]
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        tab = browser.new_page()
        tab.goto(served + "tim-kiem/")
        tab.wait_for_function("!!(window.ancongthuongSearch && window.ancongthuongSearch.all)")
        yield tab
        browser.close()


@pytest.fixture(scope="module")
def texts(site: tuple[Path, BuildResult]) -> dict[str, list[list[str]]]:
    """Each listed article's and page's fields (title, summary, tags, author, body text as
    the built page shows it), as lists of lowercase syllables, by URL."""
    root, result = site
    assert result.index is not None
    found = {}
    for item in (*result.index.listed, *result.index.pages):
        body = html(root / "_site" / item.rel_url / "index.html").css_first("article .body")
        meta = item.meta
        text = body.text(separator=" ") if body else ""  # a page may have no body
        byline = [*meta.tags, meta.author] if isinstance(meta, ArticleMeta) else []
        fields = [meta.title, meta.summary, *byline, text]
        found["/" + item.rel_url] = [syllables(text) for text in fields]
    # The register's one document: type and number, abstract, issuer, text.
    fields = [
        "Quyết định 123/QĐ-SCT",
        "Ban hành quy chế làm việc",
        "Sở Công Thương An Giang",
        "Toàn văn quy chế.",
    ]
    found[DOCUMENT] = [syllables(text) for text in fields]
    return found


def holding(texts: dict[str, list[list[str]]], query: str, *, exact: bool = False) -> set[str]:
    """URLs whose fields hold the query's syllables together, folded (or exactly spelt)."""
    wanted = syllables(query) if exact else [fold(s) for s in syllables(query)]
    found = set()
    for url, fields in texts.items():
        for tokens in fields:
            words = tokens if exact else [fold(t) for t in tokens]
            if any(words[i : i + len(wanted)] == wanted for i in range(len(words))):
                found.add(url)
                break
    return found


def results(page, query: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return page.evaluate("q => window.ancongthuongSearch.all(q)", query)


def test_result_sets_equal_the_pages_holding_the_query(page, texts) -> None:  # type: ignore[no-untyped-def]
    authors = [fields[-2] for fields in texts.values() if fields[-2]]
    author = " ".join(max(sorted(set(map(tuple, authors))), key=authors.count))
    in_bodies: dict[str, int] = {}
    elsewhere: set[str] = set()
    for fields in texts.values():
        for token in set(fields[-1]):
            in_bodies[fold(token)] = in_bodies.get(fold(token), 0) + 1
        elsewhere.update(fold(token) for tokens in fields[:-1] for token in tokens)
    body_only = min(
        w for w, n in in_bodies.items() if n >= 3 and w not in elsewhere and w.isalpha()
    )
    queries = [
        "dang uy",
        "Đảng ủy",
        "DANG UY",
        "Ðảng ủy",
        "cong thuong",
        body_only,
        "Nguyễn Minh Hùng",
        author,
        "đang ủy quyền",
    ]
    for query in queries:
        found = [hit["url"] for hit in results(page, query)]
        expected = holding(texts, query)
        assert expected, query
        assert len(found) == len(set(found)), query
        assert set(found) == expected, query
    assert results(page, "dang uy") == results(page, "DANG UY")
    assert results(page, "Đảng ủy") == results(page, "Ðảng ủy")  # the look-alike is spelt đ


def test_documents_are_found_by_number_and_type(page) -> None:  # type: ignore[no-untyped-def]
    for query in ("123/QĐ-SCT", "qd 123", "quyet dinh 123", "số 123/QĐ-SCT"):
        found = [hit["url"] for hit in results(page, query)]
        assert found[0] == DOCUMENT, query


def test_exact_spelling_ranks_first(page, texts) -> None:  # type: ignore[no-untyped-def]
    found = results(page, "Đảng ủy")
    exact = holding(texts, "đảng ủy", exact=True)
    assert holding(texts, "đang ủy", exact=True) - exact  # the site has the other spelling
    ranks = [hit["url"] in exact for hit in found]
    assert ranks == sorted(ranks, reverse=True)  # every exact match before any other
    assert [hit["exact"] for hit in found] == ranks
    # Among equals, a match in the title comes first.
    titles = [hit["title"] for hit in found if hit["exact"]]
    assert titles == sorted(titles, reverse=True) and titles[0]
    # A query typed exactly as "đang ủy" puts the other spelling first.
    other = results(page, "đang ủy")
    assert other[0]["url"] in holding(texts, "đang ủy", exact=True)


def test_folding_and_form_codes_agree_with_python(page, texts) -> None:  # type: ignore[no-untyped-def]
    tokens = sorted({token for fields in list(texts.values())[:300] for f in fields for token in f})
    letters = [chr(c) for r in ((0x20, 0x250), (0x1E00, 0x1F00), (0x300, 0x370)) for c in range(*r)]
    samples = tokens + letters + [unicodedata.normalize("NFD", t) for t in tokens[:500]]
    samples += ["Ðảng ủy", "ɖảng", "Ɖ", "hoà hòa", "Quyết định số 123/QĐ-SCT", "x_y", "12,5%"]
    browser = page.evaluate(
        """samples => samples.map(s => [window.ancongthuongSearch.fold(s),
             window.ancongthuongSearch.syllables(s), window.ancongthuongSearch.formCode(s)])""",
        samples,
    )
    for sample, (folded, cut, code) in zip(samples, browser, strict=True):
        assert folded == fold(sample), repr(sample)
        assert cut == syllables(sample), repr(sample)
        assert code == form_code(sample), repr(sample)
    # The category filter's order: the script's port of vi_key sorts as Python does.
    spread = tokens[:: max(1, len(tokens) // 400)]  # tokens are sorted by code point
    names = spread + [token.capitalize() for token in spread[::4]]
    names += ["Ăn", "Ân", "đi", "Đi", "Hoạt động Đảng - Đoàn thể", "10 năm", "2 năm", "Ý kiến"]
    ordered = page.evaluate("n => n.slice().sort(window.ancongthuongSearch.viCompare)", names)
    assert ordered == sorted(names, key=vi_key)


def test_two_heavy_syllables_are_read_from_pair_postings(page, served: str) -> None:  # type: ignore[no-untyped-def]
    # The same ranked results as from every position of both syllables, for fewer bytes.
    meta = page.evaluate("u => fetch(u).then(r => r.json())", served + "tim-kiem/chi-muc/meta.json")
    assert {"cong", "thuong", "so"} <= set(meta["pairs"]["syllables"])
    for query in ("cong thuong", "Công Thương", "công thường", "thuong cong", "so cong"):
        by_pairs = results(page, query)
        assert by_pairs, query
        assert by_pairs == page.evaluate("q => window.ancongthuongSearch.all(q, false)", query)
    fresh = page.context.browser.new_page()  # its own context: nothing cached
    fresh.goto(served + "tim-kiem/?q=cong+thuong")
    fresh.wait_for_selector("#search-results li")
    fetched = fresh.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert any("/chi-muc/p/" in url for url in fetched)
    assert not any("/chi-muc/s/" in url for url in fetched)
    fresh.close()


def test_the_page_pages_filters_and_keeps_state_in_the_url(page, served: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(served + "tim-kiem/?q=cong+thuong")
    page.wait_for_selector("#search-results li h2 a")
    status = page.locator("#search-status")
    total = int(status.inner_text().split("Tìm thấy ")[1].split(" ")[0].replace(".", ""))
    assert total > 100
    assert page.locator("#search-results > li").count() == 10
    first_page = page.locator("#search-results h2 a").all_inner_texts()
    # The last page is reachable, and the back button returns to the first.
    page.locator("#search-pager a").last.click()
    page.wait_for_url("**trang=2**")
    page.wait_for_function("document.querySelectorAll('#search-results > li').length > 0")
    assert page.locator("#search-results h2 a").all_inner_texts() != first_page
    page.go_back()
    page.wait_for_function(
        "t => document.querySelector('#search-results h2 a')?.innerText === t", arg=first_page[0]
    )
    # The categories are listed in Vietnamese order.
    categories = page.locator("#search-category option").all_inner_texts()[1:]
    assert categories and categories == sorted(categories, key=vi_key)
    # A year filter narrows the results and is kept in the URL.
    page.select_option("#search-year", "2024")
    page.wait_for_url("**nam=2024**")
    page.wait_for_function(
        f"!document.querySelector('#search-status').innerText.includes('{total}')"
    )
    assert all("/2024" in d for d in page.locator("#search-results .meta").all_inner_texts())
    # Snippets mark the phrase where it stands.
    page.wait_for_selector("#search-results .snippet mark")
    marks = page.locator("#search-results .snippet mark").all_inner_texts()
    assert {fold(mark) for mark in marks} == {"cong thuong"}
    assert page.locator("#search-status").get_attribute("aria-live") == "polite"


def test_snippets_come_from_the_part_holding_the_query(page, served: str, texts) -> None:  # type: ignore[no-untyped-def]
    # Found by its summary, its author or a document's number (not in their bodies), a
    # result's snippet is the passage of the page that holds the query, marked.
    for query, url in (
        ("Kim Hoàng Hậu", IN_SUMMARY),
        ("Tạ Diệu Linh", IN_BYLINE),
        ("123/QĐ-SCT", DOCUMENT),
    ):
        assert holding(texts, query) == {url}
        assert not holding({url: texts[url][-1:]}, query)  # not in the body
        page.goto(served + "tim-kiem/?q=" + query)
        first = page.locator("#search-results > li").first
        first.locator(".snippet mark").first.wait_for()
        assert first.locator("h2 a").get_attribute("href") == url
        marks = first.locator(".snippet mark").all_inner_texts()
        assert {fold(mark) for mark in marks} == {fold(query)}, query
    # Found by its title only, a result shows the start of its body, nothing marked.
    page.goto(served + "tim-kiem/?q=giao+ban+tháng+sáu")
    result = page.locator("#search-results > li", has=page.locator(f'h2 a[href="{IN_SUMMARY}"]'))
    result.locator(".snippet").filter(has_text="Nội dung chi tiết").wait_for()
    assert result.locator(".snippet mark").count() == 0


def test_without_javascript_the_page_offers_archive_and_categories(site) -> None:  # type: ignore[no-untyped-def]
    root, _ = site
    noscript = html(root / "_site/tim-kiem/index.html").css_first("noscript")
    text = noscript.text()
    assert "JavaScript" in text
    links = [a.attributes["href"] for a in noscript.css("a")]
    assert "/luu-tru/" in links
    assert any(link.startswith("/chuyen-muc/") for link in links)


def test_the_page_finds_its_shards_without_waiting_for_meta(page, served: str, site) -> None:  # type: ignore[no-untyped-def]
    # The page names where each shard is: with meta.json never answered, results still
    # come (only the filters, which need it, stay empty).
    root, _ = site
    head = html(root / "_site/tim-kiem/index.html").css_first("head")
    lookup = head.css_first("script#search-lookup")
    meta = json.loads((root / "_site/tim-kiem/chi-muc/meta.json").read_text("utf-8"))
    assert json.loads(lookup.text()) == {k: meta[k] for k in ("chunk", "count", "shards", "pairs")}
    # The script runs in the head, after the lookup, before the body is parsed and laid out.
    scripts = [node.attributes for node in head.css("script")]
    searching = next(i for i, a in enumerate(scripts) if "search.js" in (a.get("src") or ""))
    assert scripts.index(lookup.attributes) < searching
    assert not {"defer", "async"} & set(scripts[searching])
    fresh = page.context.browser.new_page()
    fresh.route("**/chi-muc/meta.json", lambda route: None)  # held: never answered
    fresh.goto(served + "tim-kiem/?q=Nguyễn+Minh+Hùng", wait_until="domcontentloaded")
    fresh.wait_for_selector("#search-results li h2 a")
    assert "Tìm thấy" in fresh.locator("#search-status").inner_text()
    assert fresh.locator("#search-year option").count() <= 1  # the filters wait for meta.json
    fresh.close()
