"""A generated Vietnamese corpus (shared/bench/make_corpus.py) built end to end."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import feedparser
import pytest

from ancongthuong_site.build import BuildOptions, build
from ancongthuong_site.linkcheck import check_links
from conftest import corpus_site, html, tree_digest

N = 400
# After every date the corpus generates, so that all N articles are published.
NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return corpus_site(tmp_path_factory.mktemp("corpus"), N)


@pytest.fixture(scope="module")
def built(corpus: Path) -> Path:
    result = build(corpus, BuildOptions(jobs=2, now=NOW))
    assert result.output is not None and result.articles == N
    return result.output


def article_urls(corpus: Path) -> set[str]:
    urls = set()
    for path in (corpus / "content").rglob("*.md"):
        rel = path.relative_to(corpus / "content")
        if rel.parts[0] == "pages":
            continue  # the portal's static pages, not articles
        urls.add(f"/{rel.parts[0]}/{rel.parts[1]}/{path.stem}/")
    return urls


def listed(out: Path, prefix: str) -> Counter[str]:
    seen: Counter[str] = Counter()
    for page in (out / prefix).rglob("index.html"):
        seen.update(a.attributes["href"] for a in html(page).css(".listing h3 a"))
    return seen


def test_every_article_has_its_page(corpus: Path, built: Path) -> None:
    for url in article_urls(corpus):
        assert (built / url.strip("/") / "index.html").is_file(), url


def test_every_article_is_on_exactly_one_category_and_one_source_page(
    corpus: Path, built: Path
) -> None:
    urls = article_urls(corpus)
    by_category = listed(built, "chuyen-muc")
    assert set(by_category) == urls
    assert set(by_category.values()) == {1}
    by_source = listed(built, "nguon")
    assert set(by_source.values()) == {1}
    with_source = {
        url
        for url in urls
        if html(built / url.strip("/") / "index.html").css_first(".source") is not None
    }
    assert set(by_source) == with_source
    assert len(with_source) > N * 0.8


def test_sitemap_and_feeds(corpus: Path, built: Path) -> None:
    locs = [e.text or "" for e in ET.parse(built / "sitemap.xml").getroot().iter(f"{SITEMAP}loc")]
    paths = Counter(loc.removeprefix("https://sct.angiang.gov.vn") for loc in locs)
    for url in article_urls(corpus):
        assert paths[url] == 1, url
    feeds = [built / "feed.xml", *(built / "chuyen-muc").glob("*/feed.xml")]
    assert len(feeds) == 11
    for feed in feeds:
        parsed = feedparser.parse(feed.read_bytes())
        assert parsed.bozo == 0 and parsed.version == "atom10", feed


def test_internal_links_resolve(built: Path) -> None:
    problems = check_links(built, "https://sct.angiang.gov.vn/")
    # The corpus refers to photos and attachments it does not ship; every link to a page resolves.
    broken = [p for p in problems if re.search(r'"[^"]*(/|\.html|#[^"]*)"', p.message)]
    assert broken == []
    assert problems, "the corpus's missing photos should have been found"


def test_jobs_do_not_change_the_bytes(corpus: Path, built: Path, tmp_path: Path) -> None:
    single = build(
        corpus, BuildOptions(out=tmp_path / "one", jobs=1, use_cache=False, now=NOW)
    ).output
    assert single is not None
    assert tree_digest(single) == tree_digest(built)
