"""Validation gaps found by a hostile review: each input is either accepted and shown
right, or refused with its code at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ancongthuong_site.build import BuildOptions, build
from ancongthuong_site.errors import BuildFailed
from conftest import REPO, SITE_YAML, article, html

OPTIONS = BuildOptions(jobs=1)


def problems_of(root: Path) -> list[tuple[str, int, str]]:
    with pytest.raises(BuildFailed) as failure:
        build(root, OPTIONS)
    assert not (root / "_site").exists()
    return [(p.path, p.line, p.code) for p in failure.value.problems]


def test_one_tag_in_several_cases_lists_the_article_once(make_site) -> None:  # type: ignore[no-untyped-def]
    root = make_site(
        {
            "content/2024/02/a.md": article(tags=["Hội nghị", "hội nghị", "HỘI NGHỊ", "Khác"]),
        }
    )
    build(root, OPTIONS)
    tag_page = html(root / "_site/the/hoi-nghi/index.html")
    links = [a.attributes["href"] for a in tag_page.css("main a[href='/2024/02/a/']")]
    assert len(links) == 1
    tags = html(root / "_site/2024/02/a/index.html").css("a[href^='/the/']")
    assert sorted(a.text(strip=True) for a in tags) == ["Hội nghị", "Khác"]


def test_the_archive_year_is_the_year_in_vietnam(make_site) -> None:  # type: ignore[no-untyped-def]
    # 31/12/2023 at 18:00 UTC is 01:00 on 1 January 2024 in Vietnam.
    root = make_site({"content/a.md": article(date="2023-12-31T18:00:00+00:00")})
    build(root, OPTIONS)
    assert (root / "_site/2024/01/a/index.html").is_file()
    assert (root / "_site/luu-tru/2024/index.html").is_file()
    assert not (root / "_site/luu-tru/2023").exists()


def test_upper_case_md_files_are_articles(make_site) -> None:  # type: ignore[no-untyped-def]
    root = make_site({"content/2024/02/Bai-Viet.MD": article(title="Chữ hoa")})
    build(root, OPTIONS)
    page = html(root / "_site/2024/02/bai-viet/index.html")
    assert page.css_first("h1").text(strip=True) == "Chữ hoa"


@pytest.mark.parametrize("title", ["\u200b", "\u200f\u202e", "\u2060 \ufeff", "\u00a0"])
def test_a_title_that_shows_nothing_is_refused(make_site, title: str) -> None:  # type: ignore[no-untyped-def]
    text = article().replace('"Bài viết thử"', f'"{title}"')
    root = make_site({"content/2024/02/a.md": text})
    assert problems_of(root) == [("content/2024/02/a.md", 2, "E110")]


def test_a_static_page_refuses_the_fields_only_articles_have(make_site) -> None:  # type: ignore[no-untyped-def]
    page = '---\ntitle: "Giới thiệu"\ndate: "2024-02-27"\ncategory: "Thông báo"\n---\nVăn bản.\n'
    root = make_site({"content/pages/gioi-thieu.md": page})
    with pytest.raises(BuildFailed) as caught:
        build(root, BuildOptions())
    assert [(p.line, p.code) for p in caught.value.problems] == [(3, "E114"), (4, "E114")]
    assert "trang tĩnh" in caught.value.problems[0].hint


def test_two_categories_with_one_name_are_refused(make_site) -> None:  # type: ignore[no-untyped-def]
    yaml = SITE_YAML + '  - name: "tin hoạt động"\n    slug: "tin-hoat-dong-2"\n'
    root = make_site({"content/2024/02/a.md": article()}, site_yaml=yaml)
    assert [code for _, _, code in problems_of(root)] == ["E180"]


@pytest.mark.parametrize(
    "base_url",
    [
        "https://example.org/?a=1",
        "https://example.org/#top",
        "https://user:secret@example.org/",
        "https://example.org/a b/",
        "https:///khong-co-ten/",
    ],
)
def test_base_url_is_a_plain_address(make_site, base_url: str) -> None:  # type: ignore[no-untyped-def]
    yaml = SITE_YAML.replace('"https://example.org/"', f'"{base_url}"')
    root = make_site({"content/2024/02/a.md": article()}, site_yaml=yaml)
    assert problems_of(root) == [("site.yaml", 3, "E180")]


@pytest.mark.parametrize("url", ["/\\\\evil.example/", "/\\tevil/", "//evil.example/", "/a b/"])
def test_menu_urls_never_lead_off_site(make_site, url: str) -> None:  # type: ignore[no-untyped-def]
    yaml = SITE_YAML + f'menu:\n  - {{title: "Lạ", url: "{url}"}}\n'
    root = make_site({"content/2024/02/a.md": article()}, site_yaml=yaml)
    assert {code for _, _, code in problems_of(root)} == {"E180"}


@pytest.mark.parametrize("alias", ["/.git/config", "/a/.htaccess", "/.ancongthuong-site.json"])
def test_an_alias_into_a_hidden_folder_is_refused(make_site, alias: str) -> None:  # type: ignore[no-untyped-def]
    root = make_site({"content/2024/02/a.md": article(aliases=[alias])})
    assert [code for _, _, code in problems_of(root)] == ["E132"]


def test_no_heading_takes_an_id_the_page_already_uses(make_site) -> None:  # type: ignore[no-untyped-def]
    # Every id written literally in the templates, as a heading of its own.
    import re

    ids = set()
    for path in (REPO / "templates").rglob("*.html"):
        ids |= set(re.findall(r'\bid="([a-z0-9-]+)"', path.read_text(encoding="utf-8")))
    assert "noi-dung" in ids
    body = "\n\n".join(f"## {name.replace('-', ' ')}\n\nĐoạn." for name in sorted(ids))
    root = make_site({"content/2024/02/a.md": article(body=body)})
    build(root, OPTIONS)
    page = html(root / "_site/2024/02/a/index.html")
    seen = [node.attributes["id"] for node in page.css("[id]")]
    assert len(seen) == len(set(seen)), sorted(seen)
    skip = page.css_first("a[href='#noi-dung']")
    assert skip is not None and page.css_first("#noi-dung").tag != "h2"


def test_a_paragraph_made_only_of_links_has_a_budget(make_site) -> None:  # type: ignore[no-untyped-def]
    """Markdown's cost grows as links × paragraph length: one paragraph of thousands of
    links is refused at its line; the same links in smaller paragraphs are fine."""
    links = [f"[liên kết {i}](/a/{i}/)" for i in range(2400)]
    crowded = "Mở đầu.\n\n" + " ".join(links)
    root = make_site({"content/2024/02/a.md": article(body=crowded)}, name="crowded")
    source = (root / "content/2024/02/a.md").read_text(encoding="utf-8").split("\n")
    ((path, line, code),) = problems_of(root)
    assert code == "E140" and source[line - 1].startswith("[liên kết 0]")
    spread = "\n\n".join(" ".join(links[i : i + 800]) for i in range(0, 2400, 800))
    root = make_site({"content/2024/02/a.md": article(body=spread)}, name="spread")
    build(root, OPTIONS)
    assert len(html(root / "_site/2024/02/a/index.html").css("main p a[href^='/a/']")) == 2400
