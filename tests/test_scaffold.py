"""`new`: the stub's path, its complete front matter, and the files it refuses to touch."""

from __future__ import annotations

import tempfile
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ancongthuong_site.config import Category
from ancongthuong_site.errors import ContentError
from ancongthuong_site.scaffold import FIELDS, PLACEHOLDER, new_article, resolve_category
from ancongthuong_site.vietnamese import VN_TZ, make_slug, nfc

CATEGORIES = (
    Category("Tin hoạt động", "tin-hoat-dong"),
    Category("Hoạt động Đảng - Đoàn thể", "hoat-dong-dang-doan-the"),
    Category("Thông báo", "thong-bao"),
)
TITLE = (
    "Đảng ủy Sở Công Thương An Giang tổ chức Hội nghị tổng kết công tác Đảng năm 2023 "
    "và triển khai nhiệm vụ năm 2024"
)
NOW = datetime(2024, 2, 27, 14, 5, 33, 123, tzinfo=VN_TZ)


def split(path: Path) -> tuple[dict[str, object], str, str]:
    """(parsed front matter, raw front matter, body) of a written article."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), head, body


def test_stub_path_and_every_field(tmp_path: Path) -> None:
    content = tmp_path / "content"
    path = new_article(content, TITLE, "Hoạt động Đảng - Đoàn thể", CATEGORIES, now=NOW)
    assert path == content / "2024" / "02" / f"{make_slug(TITLE)}.md"
    meta, head, body = split(path)
    assert list(meta) == list(FIELDS)
    assert meta == {
        "title": TITLE,
        "date": "2024-02-27 14:05",
        "category": "Hoạt động Đảng - Đoàn thể",
        "source": "",
        "author": "",
        "summary": "",
        "tags": [],
        "image": "",
        "image_caption": "",
        "image_alt": "",
        "attachments": [],
        "slug": "",
        "updated": "",
        "expires": "",
        "draft": True,
        "aliases": [],
    }
    # The stub explains why it is a draft, in a comment right above the field.
    comment = head.split("\ndraft:")[0].rsplit("\n", 1)[1]
    assert comment.startswith("#") and "draft" in comment
    assert body.strip() == PLACEHOLDER
    assert path.read_bytes().count(b"\r") == 0


def test_source_and_explicit_date(tmp_path: Path) -> None:
    when = datetime(2023, 12, 31, 23, 59, 59)  # naive: Vietnam time
    path = new_article(
        tmp_path / "content", "Tin mới", "thong-bao", CATEGORIES, now=NOW, source=" Văn  phòng "
    )
    other = new_article(tmp_path / "content", "Tin cũ", "Thông báo", CATEGORIES, now=NOW, date=when)
    assert split(path)[0]["source"] == "Văn phòng"
    assert split(path)[0]["category"] == "Thông báo"
    assert other == tmp_path / "content" / "2023" / "12" / "tin-cu.md"
    assert split(other)[0]["date"] == "2023-12-31 23:59"


def test_now_in_another_zone_is_converted_to_vietnam_time(tmp_path: Path) -> None:
    utc = datetime(2024, 2, 29, 20, 30, tzinfo=UTC)
    path = new_article(tmp_path / "content", "Tin đêm", "thong-bao", CATEGORIES, now=utc)
    assert path.parent == tmp_path / "content" / "2024" / "03"
    assert split(path)[0]["date"] == "2024-03-01 03:30"


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    content = tmp_path / "content"
    path = new_article(content, TITLE, "tin-hoat-dong", CATEGORIES, now=NOW)
    path.write_text("edited by hand", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        new_article(content, TITLE, "tin-hoat-dong", CATEGORIES, now=NOW + timedelta(hours=1))
    problem = caught.value.problem
    assert problem.code == "E130"
    assert f"content/2024/02/{make_slug(TITLE)}.md" in problem.message
    assert path.read_text(encoding="utf-8") == "edited by hand"


def test_unknown_category_lists_valid_names(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as caught:
        new_article(tmp_path / "content", TITLE, "Tin tuc", CATEGORIES, now=NOW)
    problem = caught.value.problem
    assert problem.code == "E113"
    for category in CATEGORIES:
        assert category.name in problem.format()
    assert not (tmp_path / "content").exists()


def test_category_without_diacritics_gets_a_suggestion() -> None:
    with pytest.raises(ContentError) as caught:
        resolve_category("Tin hoat dong", CATEGORIES)
    assert 'có phải ý bạn là "Tin hoạt động"' in caught.value.problem.format()


@pytest.mark.parametrize(
    "given_name",
    ["Tin hoạt động", "TIN HOẠT ĐỘNG", "tin-hoat-dong", "  tin hoạt động ", "Tin Hoạt Động"],
)
def test_category_by_name_any_case_nfd_or_slug(given_name: str) -> None:
    nfd = unicodedata.normalize("NFD", given_name)
    assert resolve_category(given_name, CATEGORIES) == CATEGORIES[0]
    assert resolve_category(nfd, CATEGORIES) == CATEGORIES[0]


def test_nfd_title_gives_the_same_path_as_nfc(tmp_path: Path) -> None:
    nfd_title = unicodedata.normalize("NFD", TITLE)
    assert nfd_title != TITLE
    first = new_article(tmp_path / "a", TITLE, "tin-hoat-dong", CATEGORIES, now=NOW)
    second = new_article(tmp_path / "b", nfd_title, "tin-hoat-dong", CATEGORIES, now=NOW)
    assert first.relative_to(tmp_path / "a") == second.relative_to(tmp_path / "b")
    assert split(second)[0]["title"] == TITLE
    # The same title typed on a Mac is the same article, so it is refused too.
    with pytest.raises(ContentError, match="E130"):
        new_article(tmp_path / "a", nfd_title, "tin-hoat-dong", CATEGORIES, now=NOW)


def test_title_without_letters_is_an_empty_slug(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as caught:
        new_article(tmp_path / "content", "!!! ???", "thong-bao", CATEGORIES, now=NOW)
    assert caught.value.problem.code == "E131"
    assert not (tmp_path / "content").exists()


def test_awkward_title_round_trips_through_yaml(tmp_path: Path) -> None:
    title = "Giá \"xăng\" giảm: 5\\% — #1, [tin] {nóng}: 'có' & <b>"
    path = new_article(tmp_path / "content", title, "thong-bao", CATEGORIES, now=NOW)
    assert split(path)[0]["title"] == title


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=60))
def test_any_title_loads_back_as_written(title: str) -> None:
    expected = " ".join(nfc(title).split())
    with tempfile.TemporaryDirectory() as folder:
        try:
            path = new_article(Path(folder), title, "thong-bao", CATEGORIES, now=NOW)
        except ContentError as error:
            assert error.problem.code == "E131"
            assert make_slug(expected) == ""
            return
        meta, _, _ = split(path)
        assert meta["title"] == expected
        assert path.name == f"{make_slug(expected)}.md"
