"""The Department portal's frame: identity, menus, sidebar, required sections, completeness."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import SITE_YAML, article, html, make_site, run_cli, small_jpeg, write_tree

PORTAL_YAML = (
    SITE_YAML
    + """\
  - name: "Công nghiệp"
logo: "/images/logo.png"
favicon: "/favicon.png"
footer:
  owner: "UBND tỉnh Thử Nghiệm"
  address: "Số 1 đường Thử"
  email: "lienhe@example.org"
menu:
  - title: "Giới thiệu"
    url: "/gioi-thieu/"
    children:
      - {title: "Lãnh đạo Sở", url: "/lanh-dao-so/"}
  - title: "Tin tức"
    categories: ["Tin hoạt động", "Công nghiệp"]
sidebar:
  - {type: links, title: "Dịch vụ công", links: [{title: "Cổng quốc gia", url: "https://dichvucong.gov.vn/"}]}
  - {type: category, category: "Thông báo", count: 2}
  - {type: hotlines, title: "Đường dây nóng", links: []}
integrations:
  feedback_url: "https://hailong.example.net/"
outage: {message: "Nâng cấp máy chủ", from: "2025-01-10 22:00", until: "2025-01-11 06:00"}
"""
)

LEADERS_PAGE = """\
---
title: "Lãnh đạo Sở"
leaders:
  - name: "Người Thử Một"
    position: "Giám đốc"
    duties: "Phụ trách chung"
    email: "mot@example.org"
    photo: "/images/mot.jpg"
  - name: ""
    position: ""
---
"""


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_site(tmp_path_factory.mktemp("portal-layout"), site_yaml=PORTAL_YAML)
    write_tree(
        root,
        {
            "content/2024/02/a.md": article(title="Tin A", date="2024-02-01", tags=["điện"]),
            "content/2024/02/b.md": article(title="Tin B", date="2024-02-02"),
            "content/2024/02/c.md": article(
                title="Tin C",
                date="2024-02-03",
                tags=["điện"],
                category="Hoạt động Đảng - Đoàn thể",
            ),
            "content/2024/02/tb.md": article(
                title="Thông báo nghỉ", date="2024-02-04", category="Thông báo"
            ),
            "content/pages/lanh-dao-so.md": LEADERS_PAGE,
            "content/pages/gioi-thieu.md": '---\ntitle: "Giới thiệu"\n---\n',
            "content/pages/en/introduction.md": '---\ntitle: "Introduction"\ntranslation: "/gioi-thieu/"\n---\nThe Department.\n',
            "static/images/logo.png": b"",
            "static/favicon.png": b"",
            "static/images/mot.jpg": small_jpeg(),
        },
    )
    result = run_cli("build", "--root", root)
    assert result.returncode == 0, result.stderr
    return root


def test_identity_header_footer_and_outage(portal: Path) -> None:
    tree = html(portal / "_site/index.html")
    assert tree.css_first(".site-header .governing-body").text() == "UBND tỉnh Thử Nghiệm"
    assert tree.css_first(".site-header img.logo").attributes["src"] == "/images/logo.png"
    assert tree.css_first('link[rel="icon"]').attributes["href"] == "/favicon.png"
    footer = {
        dt.text(): dd.text()
        for dt, dd in zip(tree.css(".site-footer dt"), tree.css(".site-footer dd"), strict=True)
    }
    assert footer == {"Địa chỉ": "Số 1 đường Thử", "Thư điện tử": "lienhe@example.org"}
    assert "Nâng cấp máy chủ" in tree.css_first(".outage").text()
    feedback = tree.css_first('.footer-links a[href="https://hailong.example.net/"]')
    assert feedback is not None
    # The feed link says what it is, in Vietnamese, and leads to a page, not to raw XML.
    feeds = tree.css_first(".footer-links a[href='/rss/']")
    assert "RSS" in feeds.text() and "Atom" not in tree.css_first(".site-footer").text()


def test_menu_adds_categories_hides_empty_ones_and_marks_the_section(portal: Path) -> None:
    home = html(portal / "_site/index.html")
    entries = home.css(".menu-wide > ul > li")
    top = [li.css_first("a, .group").text() for li in entries]
    # site.yaml's entries, then the categories it does not name; empty ones are left out.
    assert top == ["Trang chủ", "Giới thiệu", "Tin tức", "Hoạt động Đảng - Đoàn thể", "Thông báo"]
    news = [a.text() for a in entries[2].css("ul a")]
    assert news == ["Tin hoạt động"]  # "Công nghiệp" has no article yet
    assert home.css_first(".menu details.menu-toggle summary") is not None  # phones, no script
    category = html(portal / "_site/chuyen-muc/tin-hoat-dong/index.html")
    current = category.css_first(".menu-wide [aria-current]")
    assert current.attributes["aria-current"] == "page" and current.text() == "Tin hoạt động"
    assert category.css_first(".menu-wide li.current > .group").text() == "Tin tức"
    page = html(portal / "_site/2024/02/b/index.html")
    assert page.css_first(".menu-wide [aria-current]").attributes["aria-current"] == "true"


def test_home_shows_each_article_once_and_the_sidebar(portal: Path) -> None:
    tree = html(portal / "_site/index.html")
    links = [a.attributes["href"] for a in tree.css("main h3 a, .latest li a, .sidebar li a")]
    articles = [link for link in links if link.startswith("/2024/")]
    assert len(articles) == len(set(articles)) == 4
    blocks = {
        b.css_first("h2").text(): [a.text() for a in b.css("li a")] for b in tree.css(".side-block")
    }
    assert blocks == {"Dịch vụ công": ["Cổng quốc gia"], "Thông báo": ["Thông báo nghỉ"]}


def test_related_articles_share_a_tag_before_the_category(portal: Path) -> None:
    tree = html(portal / "_site/2024/02/a/index.html")
    related = [a.text() for a in tree.css(".related h3 a")]
    assert related[0] == "Tin C"  # another category, but the same tag
    assert "Tin B" in related and "Tin A" not in related
    assert tree.css_first(".share a").attributes["href"].startswith("https://www.facebook.com/")
    assert tree.css_first(".tools[hidden] button[data-print]") is not None  # shown by the script


def test_leaders_page_site_map_and_empty_states(portal: Path) -> None:
    leaders = html(portal / "_site/lanh-dao-so/index.html")
    people = leaders.css(".leader")
    assert len(people) == 1  # the entry with an empty name is not shown
    assert people[0].css_first("h2").text() == "Người Thử Một"
    assert people[0].css_first(".position").text() == "Giám đốc"
    photo = people[0].css_first("img").attributes  # the photo's processed copy, 90×120
    assert re.fullmatch(r"/images/mot-90\.[0-9a-f]{8}\.jpg", photo["src"]), photo["src"]
    assert (photo["width"], photo["height"]) == ("90", "120")
    intro = html(portal / "_site/gioi-thieu/index.html")
    assert "đang được cập nhật" in intro.css_first(".empty").text()
    empty = html(portal / "_site/chuyen-muc/cong-nghiep/index.html")
    assert "chưa có bài viết" in empty.css_first(".empty").text() and not empty.css(".card")
    site_map = html(portal / "_site/so-do-cong/index.html")
    hrefs = {a.attributes["href"] for a in site_map.css("main a")}
    assert {"/gioi-thieu/", "/lanh-dao-so/", "/chuyen-muc/cong-nghiep/"} <= hrefs


def test_check_reports_completeness_and_strict_fails(portal: Path) -> None:
    relaxed = run_cli("check", "--root", portal)
    assert relaxed.returncode == 0, relaxed.stderr
    assert "[có] Trang Lãnh đạo Sở (/lanh-dao-so/)" in relaxed.stdout
    assert "[thiếu] Trang Giới thiệu (/gioi-thieu/)" in relaxed.stdout
    assert "[thiếu] Trang Cơ cấu tổ chức" in relaxed.stdout
    assert "[có] Địa chỉ (footer.address)" in relaxed.stdout
    assert "site.yaml: E190 cổng còn thiếu: Điện thoại (footer.phone)" in relaxed.stderr
    strict = run_cli("check", "--root", portal, "--strict")
    assert strict.returncode == 1
    assert "content/pages/gioi-thieu.md: E190" in strict.stderr


def test_new_portal_pages_writes_stubs_without_facts(make_site) -> None:  # type: ignore[no-untyped-def]
    root = make_site(
        {"content/pages/lien-he.md": '---\ntitle: "Liên hệ riêng"\n---\nGiờ làm việc.\n'}
    )
    result = run_cli("new-portal-pages", "--root", root)
    assert result.returncode == 0, result.stderr
    assert (
        (root / "content/pages/lien-he.md").read_text(encoding="utf-8").endswith("Giờ làm việc.\n")
    )
    stub = (root / "content/pages/lanh-dao-so.md").read_text(encoding="utf-8")
    assert 'name: ""' in stub and "Nghị định 224/2026/NĐ-CP" in stub
    build = run_cli("build", "--root", root)
    assert build.returncode == 0, build.stderr
    page = html(root / "_site/lanh-dao-so/index.html")
    assert not page.css(".leader") and page.css_first(".empty") is not None
    again = run_cli("new-portal-pages", "--root", root)
    assert again.returncode == 0 and "đã tạo" not in again.stdout


def test_bad_portal_settings_are_all_reported(make_site) -> None:  # type: ignore[no-untyped-def]
    bad = SITE_YAML + (
        'logo: "javascript:alert(1)"\n'
        'menu:\n  - {title: "X", url: "//evil.example/"}\n  - {title: "Y", categories: ["Không có"]}\n'
        'sidebar:\n  - {type: banner, image: "/a.png", url: "/b/"}\n  - {type: lich}\n'
        'integrations:\n  measurement_script: "<script>alert(1)</script>"\n'
        'outage: {message: "Bảo trì", from: "2025-01-02", until: "2025-01-01"}\n'
    )
    root = make_site(site_yaml=bad)
    result = run_cli("build", "--root", root)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if ": E180 " in line]
    for needle in (
        "logo",
        "//evil.example/",
        "Không có",
        "banner",
        "lich",
        "measurement_script",
        "until",
    ):
        assert any(needle in line for line in lines), needle
    assert "Traceback" not in result.stderr


def test_english_pages_language_switch_and_hreflang_both_ways(portal: Path) -> None:
    english = html(portal / "_site/en/introduction/index.html")
    assert english.css_first("html").attributes["lang"] == "en"
    assert english.css_first(".menu-wide [aria-current]").text() == "Introduction"
    switch = english.css_first('.top-links a[hreflang="vi"]')
    assert switch.attributes["href"] == "/gioi-thieu/" and switch.text() == "Tiếng Việt"
    assert english.css_first(".skip").text() == "Skip to main content"
    vietnamese = html(portal / "_site/gioi-thieu/index.html")
    assert vietnamese.css_first('.top-links a[hreflang="en"]').attributes["href"] == (
        "/en/introduction/"
    )
    for tree in (english, vietnamese):
        alternates = {
            link.attributes["hreflang"]: link.attributes["href"]
            for link in tree.css('link[rel="alternate"][hreflang]')
        }
        assert alternates == {
            "vi": "https://example.org/gioi-thieu/",
            "en": "https://example.org/en/introduction/",
        }
