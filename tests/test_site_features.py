"""Fixture sites built with the real builder: every kind of page, links, feeds, paging."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser

from ancongthuong_site.build import BuildOptions, build
from ancongthuong_site.vietnamese import VN_TZ
from conftest import SITE_YAML, article, html, run_cli, tree_digest

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def seven_articles() -> dict[str, str]:
    files = {}
    for day in range(1, 8):
        files[f"content/2024/03/tin-{day}.md"] = article(
            title=f"Tin số {day}",
            date=f"2024-03-0{day} 08:00",
            source="Văn phòng",
            tags=["hội nghị"],
        )
    return files


def hrefs(page: Path, selector: str = "main a") -> list[str]:
    return [a.attributes.get("href") or "" for a in html(page).css(selector)]


def test_category_pages_are_paginated_with_numbered_links(make_site) -> None:
    root = make_site(seven_articles())
    out = build(root).output
    assert out is not None
    pages = [
        out / "chuyen-muc/tin-hoat-dong/index.html",
        out / "chuyen-muc/tin-hoat-dong/trang/2/index.html",
        out / "chuyen-muc/tin-hoat-dong/trang/3/index.html",
    ]
    seen: list[str] = []
    for page in pages:
        tree = html(page)
        seen += [a.attributes["href"] for a in tree.css(".listing h3 a")]
        numbers = [node.text(strip=True) for node in tree.css(".pager li > *")]
        assert [n for n in numbers if n.isdigit()] == ["1", "2", "3"]
    # Newest first, each article exactly once across the pages.
    assert seen == [f"/2024/03/tin-{d}/" for d in range(7, 0, -1)]
    assert not (out / "chuyen-muc/tin-hoat-dong/trang/4").exists()
    assert (
        html(pages[1]).css_first('.pager a[rel="prev"]').attributes["href"]
        == "/chuyen-muc/tin-hoat-dong/"
    )


def test_sources_group_by_slug_with_the_most_common_spelling(make_site) -> None:
    root = make_site(
        {
            "content/a.md": article(title="A", source="Văn phòng"),
            "content/b.md": article(title="B", source="Văn  Phòng"),
            "content/c.md": article(title="C", source="Văn phòng"),
            "content/d.md": article(title="D", source="văn phòng"),
        }
    )
    out = build(root).output
    assert out is not None
    assert [p.name for p in (out / "nguon").iterdir()] == ["van-phong"]
    tree = html(out / "nguon/van-phong/index.html")
    assert tree.css_first("h1").text() == "Nguồn: Văn phòng"
    assert len(tree.css(".listing .card")) == 3  # paginate: 3 in the test site
    page = html(out / "2024/02/b/index.html")
    assert " ".join(page.css_first(".source").text().split()) == "Nguồn: Văn phòng"


def test_tags_archive_static_pages_and_special_files(make_site) -> None:
    root = make_site(
        {
            **seven_articles(),
            "content/old.md": article(title="Tin cũ", date="15/06/2023"),
            "content/pages/gioi-thieu.md": "---\ntitle: Giới thiệu\n---\nTrang giới thiệu.\n",
        }
    )
    out = build(root).output
    assert out is not None
    assert html(out / "the/hoi-nghi/index.html").css_first("h1").text() == "Thẻ: hội nghị"
    years = hrefs(out / "luu-tru/index.html")
    assert years == ["/luu-tru/2024/", "/luu-tru/2023/"]
    assert hrefs(out / "luu-tru/2023/index.html", ".listing h3 a") == ["/2023/06/old/"]
    assert html(out / "gioi-thieu/index.html").css_first("h1").text() == "Giới thiệu"
    assert "Sitemap: https://example.org/sitemap.xml" in (out / "robots.txt").read_text()
    assert html(out / "404.html").css_first("h1").text() == "Không tìm thấy trang"
    assert (out / "tim-kiem/index.html").is_file()


def test_home_page_lead_latest_and_category_blocks(make_site) -> None:
    root = make_site(
        {
            **seven_articles(),
            "content/dang.md": article(
                title="Tin Đảng", date="2024-01-01", category="Hoạt động Đảng - Đoàn thể"
            ),
        }
    )
    out = build(root).output
    assert out is not None
    tree = html(out / "index.html")
    assert tree.css_first(".lead h3 a").attributes["href"] == "/2024/03/tin-7/"
    latest = [a.attributes["href"] for a in tree.css(".latest li a")]
    assert latest[0] == "/2024/03/tin-6/" and len(latest) == 7  # the other 6 + the Đảng one
    # Every article is on the home page once: the blocks show only what is not above them.
    links = [a.attributes["href"] for a in tree.css("main h3 a, .latest li a")]
    assert len(links) == len(set(links)) == 8
    assert not tree.css(".category-block")  # nothing left over for the category blocks


def test_article_page_details(make_site) -> None:
    root = make_site(
        {
            "content/2024/02/hoi-nghi.md": article(
                title="Hội nghị tổng kết",
                date="2024-02-27 14:00",
                source="Văn phòng",
                author="Phòng Tổng hợp",
                tags=["công tác Đảng", "hội nghị"],
                image="/images/a.jpg",
                image_caption="Quang cảnh hội nghị",
                summary="Tóm tắt ngắn.",
                body="Đoạn một.\n\n## Kết quả đạt được\n\n| Chỉ tiêu | Kết quả |\n|:--|--:|\n| A | 1 |\n",
            ),
            "content/2024/02/khac.md": article(title="Tin khác", date="2024-02-20"),
        }
    )
    out = build(root).output
    assert out is not None
    tree = html(out / "2024/02/hoi-nghi/index.html")
    assert tree.css_first("article header time").text() == "Thứ Ba, 27/02/2024 14:00"
    assert (
        tree.css_first("article header time").attributes["datetime"] == "2024-02-27T14:00:00+07:00"
    )
    figure = tree.css_first("figure.lead-image")
    assert figure.css_first("img").attributes["src"] == "/images/a.jpg"
    assert figure.css_first("figcaption").text() == "Quang cảnh hội nghị"
    assert tree.css_first(".body h2").attributes["id"] == "ket-qua-dat-duoc"
    assert tree.css_first(".body th").attributes.get("style") == "text-align:left"
    assert [a.text() for a in tree.css(".tags a")] == ["công tác Đảng", "hội nghị"]
    assert tree.css_first(".related h3 a").attributes["href"] == "/2024/02/khac/"
    assert tree.css_first(".prev-next a").attributes["href"] == "/2024/02/khac/"
    assert (
        tree.css_first('meta[property="og:image"]').attributes["content"]
        == "https://example.org/images/a.jpg"
    )
    data = json.loads(tree.css_first('script[type="application/ld+json"]').text())
    assert data["@type"] == "NewsArticle" and data["headline"] == "Hội nghị tổng kết"
    assert data["datePublished"] == "2024-02-27T14:00:00+07:00"


def test_heading_ids_keep_d(make_site) -> None:
    root = make_site({"content/a.md": article(body="## Đảng ủy Sở\n\nVăn bản.")})
    out = build(root).output
    assert out is not None
    assert html(out / "2024/02/a/index.html").css_first(".body h2").attributes["id"] == "dang-uy-so"


def test_feeds_parse_as_atom_and_date_from_content(make_site) -> None:
    root = make_site(seven_articles())
    out = build(root).output
    assert out is not None
    for feed_path in (out / "feed.xml", out / "chuyen-muc/tin-hoat-dong/feed.xml"):
        parsed = feedparser.parse(feed_path.read_bytes())
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert parsed.version == "atom10"
        assert [e.link for e in parsed.entries][0] == "https://example.org/2024/03/tin-7/"
        root_element = ET.parse(feed_path).getroot()
        assert root_element.findtext(f"{ATOM}updated") == "2024-03-07T08:00:00+07:00"
    empty = feedparser.parse((out / "chuyen-muc/thong-bao/feed.xml").read_bytes())
    assert empty.bozo == 0 and empty.entries == []


def test_sitemap_lists_every_article_once(make_site) -> None:
    root = make_site(seven_articles())
    out = build(root).output
    assert out is not None
    locs = [e.text for e in ET.parse(out / "sitemap.xml").getroot().iter(f"{SITEMAP}loc")]
    articles = [loc for loc in locs if loc and "/2024/03/" in loc]
    assert sorted(articles) == sorted(f"https://example.org/2024/03/tin-{d}/" for d in range(1, 8))
    assert len(locs) == len(set(locs))


def test_drafts_future_and_expired_articles(make_site) -> None:
    # The test clock is 2025-01-01 00:00 UTC.
    root = make_site(
        {
            "content/nhap.md": article(title="Nháp", draft=True),
            "content/sau.md": article(title="Sắp đăng", date="2025-06-01 08:00"),
            "content/het-han.md": article(title="Hết hạn", expires="2024-12-01"),
            "content/con-han.md": article(title="Còn hạn", expires="2025-03-01 10:00"),
        }
    )
    result = build(root)
    out = result.output
    assert out is not None
    listed = hrefs(out / "chuyen-muc/tin-hoat-dong/index.html", ".listing h3 a")
    assert listed == ["/2024/02/con-han/"]
    assert not (out / "2024/02/nhap").exists() and not (out / "2025/06/sau").exists()
    # An expired article keeps its page, marked, but leaves every listing, feed and sitemap.
    expired = html(out / "2024/02/het-han/index.html")
    assert "hết hạn" in expired.css_first(".notice").text()
    assert "het-han" not in (out / "sitemap.xml").read_text()
    assert "het-han" not in (out / "feed.xml").read_text()
    assert result.next_change == dt.datetime(2025, 3, 1, 10, 0, tzinfo=VN_TZ)
    later = run_cli("build", "--root", root, "--drafts", "--future", "--out", root / "all")
    assert later.returncode == 0, later.stderr
    assert (root / "all/2024/02/nhap/index.html").is_file()
    assert (root / "all/2025/06/sau/index.html").is_file()
    next_change = run_cli("build", "--root", root, "--next-change")
    assert next_change.stdout.strip() == "2025-03-01T10:00:00+07:00"


def test_sub_path_base_url_prefixes_every_internal_link(make_site) -> None:
    yaml_text = SITE_YAML.replace("https://example.org/", "https://example.org/portal/")
    root = make_site(
        {
            **seven_articles(),
            "content/anh.md": article(
                title="Ảnh", body="![Ảnh](/images/x.jpg)\n\n[Giới thiệu](/gioi-thieu/)"
            ),
        },
        site_yaml=yaml_text,
    )
    out = build(root).output
    assert out is not None
    checked = 0
    for page in out.rglob("*.html"):
        tree = html(page)
        for node in tree.css("a[href], link[href], img[src], script[src], form[action]"):
            url = (
                node.attributes.get("href")
                or node.attributes.get("src")
                or node.attributes.get("action")
                or ""
            )
            if url.startswith(("http://", "https://", "#", "mailto:")) or not url:
                continue
            assert url.startswith("/portal/"), f"{page.relative_to(out)}: {url}"
            checked += 1
    assert checked > 100
    body = html(out / "2024/02/anh/index.html").css_first(".body")
    assert body.css_first("img").attributes["src"] == "/portal/images/x.jpg"
    assert "https://example.org/portal/2024/03/tin-7/" in (out / "feed.xml").read_text()


def test_same_input_gives_the_same_bytes(make_site, tmp_path: Path) -> None:
    root = make_site(seven_articles())
    first = build(root, BuildOptions(out=tmp_path / "one", use_cache=False)).output
    second = build(root, BuildOptions(out=tmp_path / "two")).output
    assert first is not None and second is not None
    assert tree_digest(first) == tree_digest(second)


def test_aliases_redirect_to_the_article(make_site) -> None:
    root = make_site({"content/a.md": article(aliases=["/tin-tuc/123.html", "tin-cu/abc"])})
    out = build(root).output
    assert out is not None
    for rel in ("tin-tuc/123.html", "tin-cu/abc/index.html"):
        refresh = html(out / rel).css_first('meta[http-equiv="refresh"]')
        assert refresh.attributes["content"] == "0; url=/2024/02/a/"


def test_check_reports_every_problem_and_build_keeps_the_old_output(make_site) -> None:
    root = make_site(seven_articles())
    assert run_cli("build", "--root", root).returncode == 0
    before = tree_digest(root / "_site")
    (root / "content/bad-date.md").write_text(article(date="2024-02-30"), encoding="utf-8")
    (root / "content/bad-cat.md").write_text(article(category="Tin hoat dong"), encoding="utf-8")
    for command in ("check", "build"):
        result = run_cli(command, "--root", root)
        assert result.returncode == 1
        assert "content/bad-date.md:3: E112" in result.stderr
        assert "content/bad-cat.md:4: E113" in result.stderr
        assert 'có phải ý bạn là "Tin hoạt động"' in result.stderr
        assert "Traceback" not in result.stderr
    assert tree_digest(root / "_site") == before


def test_check_finds_broken_links_in_the_source_article(make_site) -> None:
    body = "Mở đầu.\n\nXem [trang cũ](/khong-co/).\n\nVà [mục](#khong-co)."
    root = make_site({"content/a.md": article(body=body)})
    result = run_cli("check", "--root", root)
    assert result.returncode == 1
    # Each at the line of the article where it is written (the body text starts at line 7).
    assert 'content/a.md:9: E170 liên kết "/khong-co/"' in result.stderr
    assert 'content/a.md:11: E170 liên kết "#khong-co"' in result.stderr
    assert not (root / "_site").exists()


def test_a_broken_menu_link_is_one_problem_at_its_line_in_site_yaml(make_site) -> None:
    menu = 'menu:\n  - title: "Hỏi đáp"\n    url: "/hoi-dap/"\n'
    body = "Mở đầu.\n\nXem [Hỏi đáp](/hoi-dap/) và [trang cũ](/khong-co/)."
    files = {f"content/b{i}.md": article(title=f"Bài {i}", body=body) for i in range(3)}
    root = make_site(files, site_yaml=SITE_YAML + menu)
    result = run_cli("check", "--root", root)
    assert result.returncode == 1
    reported = [line for line in result.stderr.splitlines() if " E170 " in line]
    menu_line = (SITE_YAML + menu).splitlines().index('    url: "/hoi-dap/"') + 1
    # The menu link: once, at its line, with the number of pages that show it.
    menu_problems = [line for line in reported if line.startswith("site.yaml:")]
    assert len(menu_problems) == 1
    assert menu_problems[0].startswith(f'site.yaml:{menu_line}: E170 liên kết "/hoi-dap/"')
    pages = int(menu_problems[0].split("có trên ")[1].split(" trang")[0])
    assert pages > 3  # every page of the site shows the menu
    # The same link written in an article is still that article's problem, and so is the
    # link only the article writes; neither is blamed on the template.
    for i in range(3):
        assert f'content/b{i}.md:9: E170 liên kết "/hoi-dap/"' in result.stderr
        assert f'content/b{i}.md:9: E170 liên kết "/khong-co/"' in result.stderr
    assert len(reported) == 1 + 2 * 3
    assert "trang /" not in result.stderr


def test_a_broken_link_in_a_template_is_one_problem(make_site) -> None:
    root = make_site({f"content/b{i}.md": article(title=f"Bài {i}") for i in range(3)})
    base = root / "templates/base.html"
    text = base.read_text(encoding="utf-8")
    base.write_text(text.replace("</body>", '<a href="/mau-hong/">x</a></body>'), encoding="utf-8")
    result = run_cli("check", "--root", root)
    assert result.returncode == 1
    reported = [line for line in result.stderr.splitlines() if " E170 " in line]
    assert len(reported) == 1, result.stderr
    assert reported[0].startswith('trang /: E170 liên kết "/mau-hong/" không tồn tại (có trên ')
    assert "do mẫu (templates/) tạo ra" in result.stderr


def test_site_language_sets_html_lang_of_vietnamese_pages_only(make_site) -> None:
    files = {
        "content/2024/03/tin.md": article(),
        "content/pages/en/introduction.md": '---\ntitle: "Introduction"\n---\nText.\n',
    }
    default = build(make_site(files, name="default")).output
    chosen = build(make_site(files, name="chosen", site_yaml=SITE_YAML + 'language: "vi-VN"\n'))
    assert default is not None and chosen.output is not None
    for out, lang in ((default, "vi"), (chosen.output, "vi-VN")):
        for page in ("index.html", "2024/02/tin/index.html", "tim-kiem/index.html"):
            assert html(out / page).css_first("html").attributes["lang"] == lang
        assert html(out / "en/introduction/index.html").css_first("html").attributes["lang"] == "en"
    wrong = make_site(files, name="wrong", site_yaml=SITE_YAML + 'language: "tiếng Việt"\n')
    result = run_cli("build", "--root", wrong)
    assert result.returncode == 1 and "site.yaml:" in result.stderr and " E180 " in result.stderr


def test_css_and_js_links_name_their_content_so_a_changed_file_is_fetched_at_once(
    make_site,
) -> None:
    root = make_site({"content/2024/02/bai.md": article()})
    out = build(root).output
    assert out is not None

    def assets(page: Path) -> dict[str, str]:
        tree = html(page)
        links = [n.attributes["href"] for n in tree.css('link[rel="stylesheet"]')]
        links += [n.attributes["src"] for n in tree.css("script[src]")]
        return {link.partition("?")[0]: link.partition("?v=")[2] for link in links}

    pages = (out / "2024/02/bai/index.html", out / "tim-kiem/index.html")
    for page in pages:
        for path, version in assets(page).items():
            data = (out / path.lstrip("/")).read_bytes()
            assert version == hashlib.sha256(data).hexdigest()[:10], (page, path)
    before = assets(pages[1])

    search_js = root / "static/js/search.js"
    search_js.write_text(search_js.read_text(encoding="utf-8") + "\n// đổi\n", encoding="utf-8")
    out = build(root).output
    assert out is not None
    after = assets(pages[1])
    assert after["/js/search.js"] != before["/js/search.js"]
    assert after["/css/style.css"] == before["/css/style.css"]
    # The rebuilt article page names the same style sheet; the search page the new script.
    assert assets(pages[0])["/css/style.css"] == before["/css/style.css"]
