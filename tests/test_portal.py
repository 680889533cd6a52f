"""End to end: the repository's own portal, built as a user would, and read as a reader would."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REPO, SHARED, html, run_cli

ORIGINAL = SHARED / "original-articles" / "000_14497ebb8a2868b0.txt"
SLUG = "dang-uy-so-cong-thuong-an-giang-to-chuc-hoi-nghi-tong-ket-cong-tac-dang-nam-2023"
CATEGORY_SLUG = "hoat-dong-dang-doan-the"


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's site (never build into the working tree), built once."""
    if not ORIGINAL.is_file():
        pytest.skip("shared/original-articles is not available")
    root = tmp_path_factory.mktemp("portal")
    for name in ("content", "templates", "static"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    result = run_cli("build", "--root", root)
    assert result.returncode == 0, result.stderr
    return root / "_site"


def original_parts() -> tuple[str, list[str], str]:
    lines = [line.strip() for line in ORIGINAL.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    _portal, title, *body, _source = lines
    return title, body, body[2]  # the third non-empty body line is the photo caption


def test_conference_report_page(portal: Path) -> None:
    title, body, caption = original_parts()
    page = portal / "2024" / "02" / SLUG / "index.html"
    assert page.is_file()
    tree = html(page)
    assert tree.css_first("html").attributes["lang"] == "vi"
    assert tree.css_first("h1").text(strip=True) == title
    time = tree.css_first("article header time")
    assert time.text(strip=True) == "Thứ Ba, 27/02/2024"
    assert time.attributes["datetime"].startswith("2024-02-27")
    paragraphs = [p.text() for p in tree.css(".body p")]
    for text in body:
        if text == caption:
            continue
        assert text in paragraphs, f"paragraph missing or changed: {text[:60]}"
    # The caption stays in its place, between the second and third paragraphs, with no image.
    children = [node for node in tree.css_first(".body").iter() if node.tag in ("p", "figure")]
    assert [c.tag for c in children] == ["p", "p", "figure", "p", "p"]
    figure = children[2]
    assert figure.css_first("figcaption").text() == caption
    assert figure.css_first("img") is None
    # "Nguồn: Văn phòng" links to the source's index.
    source = tree.css_first(".source")
    assert " ".join(source.text().split()) == "Nguồn: Văn phòng"
    assert source.css_first("a").attributes["href"] == "/nguon/van-phong/"
    # Breadcrumb: Trang chủ › chuyên mục.
    crumbs = [a.text(strip=True) for a in tree.css(".breadcrumb a")]
    assert crumbs == ["Trang chủ", "Hoạt động Đảng - Đoàn thể"]
    assert tree.css_first('link[rel="canonical"]').attributes["href"] == (
        f"https://sct.angiang.gov.vn/2024/02/{SLUG}/"
    )


def test_conference_report_is_listed(portal: Path) -> None:
    url = f"/2024/02/{SLUG}/"
    for listing in (
        "index.html",
        f"chuyen-muc/{CATEGORY_SLUG}/index.html",
        "nguon/van-phong/index.html",
    ):
        links = {a.attributes.get("href") for a in html(portal / listing).css("main a")}
        assert url in links, listing


def test_portal_name_and_empty_footer_fields(portal: Path) -> None:
    tree = html(portal / "index.html")
    assert tree.css_first("title").text() == "Cổng thông tin điện tử Sở Công Thương An Giang"
    # The governing body above the Department's name: a public fact set in site.yaml.
    assert tree.css_first(".brand .governing-body").text() == "UBND tỉnh An Giang"
    assert tree.css_first(".brand .site-name").text() == "Sở Công Thương An Giang"
    # site.yaml leaves every footer field empty: nothing is shown, nothing invented.
    assert tree.css_first(".site-footer dl") is None


def test_command_line_entry_points() -> None:
    assert run_cli("--version").returncode == 0
    result = run_cli("build", "--jobs", "0")
    assert result.returncode == 2  # usage error
