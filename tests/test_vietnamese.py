from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from ancongthuong_site.vietnamese import (
    VN_TZ,
    fold,
    format_date,
    format_datetime,
    has_time,
    is_slug,
    make_slug,
    parse_date,
    vi_key,
)


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Đảng ủy Sở Công Thương", "dang-uy-so-cong-thuong"),
        ("ĐẢNG ỦY", "dang-uy"),
        ("Hoạt động Đảng - Đoàn thể", "hoat-dong-dang-doan-the"),
        ("Quyết định số 123/QĐ-SCT", "quyet-dinh-so-123-qd-sct"),
        ("Tăng 12,5% so với cùng kỳ", "tang-12-5-so-voi-cung-ky"),
        (
            "Thông báo: Lịch tiếp công dân ngày 27/02/2024",
            "thong-bao-lich-tiep-cong-dan-ngay-27-02-2024",
        ),
        ("“Chi bộ bốn tốt”", "chi-bo-bon-tot"),
        ("!!!", ""),
    ],
)
def test_slugs(text: str, slug: str) -> None:
    assert make_slug(text) == slug
    assert make_slug(unicodedata.normalize("NFD", text)) == slug


def test_long_titles_are_cut_at_a_word_boundary() -> None:
    title = "Đảng ủy Sở Công Thương An Giang tổ chức Hội nghị tổng kết công tác Đảng năm 2023 và triển khai nhiệm vụ năm 2024"
    slug = make_slug(title)
    assert len(slug) <= 80
    assert (
        slug == "dang-uy-so-cong-thuong-an-giang-to-chuc-hoi-nghi-tong-ket-cong-tac-dang-nam-2023"
    )
    assert is_slug(slug)


def test_fold_removes_tones_and_d_stroke() -> None:
    assert fold("Đảng ủy Công Thương") == "dang uy cong thuong"
    assert fold(unicodedata.normalize("NFD", "Đảng ủy")) == "dang uy"


# The twelve Vietnamese vowels by the plain letter they fold to, and the five tone marks.
VOWELS = {"a": "aăâ", "e": "eê", "i": "i", "o": "oôơ", "u": "uư", "y": "y"}
TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")


def vietnamese_letters() -> list[tuple[str, str]]:
    """Every letter with a diacritic (67 lowercase, 67 capitals) and its folded form."""
    letters = [("đ", "d")]
    for plain, vowels in VOWELS.items():
        for vowel in vowels:
            for tone in TONES:
                letter = unicodedata.normalize("NFC", vowel + tone)
                if letter != plain:
                    letters.append((letter, plain))
    return letters + [(letter.upper(), plain) for letter, plain in letters]


def test_fold_every_vietnamese_letter_nfc_and_nfd() -> None:
    letters = vietnamese_letters()
    assert len({letter for letter, _ in letters}) == 134
    for letter, plain in letters:
        assert len(letter) == 1, letter  # a precomposed character exists for each
        assert fold(letter) == plain, letter
        assert fold(unicodedata.normalize("NFD", letter)) == plain, letter
        assert make_slug(f"x{letter}x") == f"x{plain}x", letter


@pytest.mark.parametrize(
    "text",
    ["Đảng ủy", "ĐẢNG ỦY", "Ðảng ủy", "ɖảng ủy", "Ɖảng ủy", "dang uy", "DANG UY", "đang uy"],
)
def test_fold_d_look_alikes(text: str) -> None:
    # Ð (U+00D0) and ɖ are left in old texts by encoding converters in place of Đ/đ.
    assert fold(text) == "dang uy"
    assert fold(unicodedata.normalize("NFD", text)) == "dang uy"
    assert make_slug(text) == "dang-uy"


def test_fold_old_and_new_tone_placement() -> None:
    # "hoà" (old style, mark on a) and "hòa" (new style, mark on o) are one word.
    for old, new in [("hoà", "hòa"), ("thuỷ", "thủy"), ("khoẻ", "khỏe"), ("Hoá", "Hóa")]:
        assert old != new
        assert fold(old) == fold(new) == fold(unicodedata.normalize("NFD", old))
        assert make_slug(old) == make_slug(new)


def test_vietnamese_sort_order() -> None:
    names = [
        "Ý kiến",
        "Đảng ủy",
        "Ăn uống",
        "An toàn",
        "Du lịch",
        "Âm nhạc",
        "Zalo",
        "Ưu đãi",
        "Ủy ban",
    ]
    assert sorted(names, key=vi_key) == [
        "An toàn",
        "Ăn uống",
        "Âm nhạc",
        "Du lịch",
        "Đảng ủy",
        "Ủy ban",
        "Ưu đãi",
        "Ý kiến",
        "Zalo",
    ]
    assert sorted(["mạ", "má", "mã", "mả", "mà", "ma"], key=vi_key) == [
        "ma",
        "mà",
        "mả",
        "mã",
        "má",
        "mạ",
    ]


@pytest.mark.parametrize(
    ("text", "expected", "timed"),
    [
        ("2024-02-27", dt.datetime(2024, 2, 27, tzinfo=VN_TZ), False),
        ("2024-02-27 14:00", dt.datetime(2024, 2, 27, 14, 0, tzinfo=VN_TZ), True),
        ("2024-02-27T14:00:00+07:00", dt.datetime(2024, 2, 27, 14, 0, tzinfo=VN_TZ), True),
        ("2024-02-27T07:00:00Z", dt.datetime(2024, 2, 27, 14, 0, tzinfo=VN_TZ), True),
        ("27/02/2024", dt.datetime(2024, 2, 27, tzinfo=VN_TZ), False),
        ("27/02/2024 14:00", dt.datetime(2024, 2, 27, 14, 0, tzinfo=VN_TZ), True),
        ("7/2/2024", dt.datetime(2024, 2, 7, tzinfo=VN_TZ), False),
    ],
)
def test_date_forms(text: str, expected: dt.datetime, timed: bool) -> None:
    assert parse_date(text) == expected
    assert has_time(text) is timed


@pytest.mark.parametrize(
    "text", ["2024-02-30", "30/02/2024", "2024-13-01", "tuesday", "2024/02/27", ""]
)
def test_impossible_or_unknown_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_dates_as_portals_write_them() -> None:
    moment = dt.datetime(2024, 2, 27, 14, 0, tzinfo=VN_TZ)
    assert format_datetime(moment) == "Thứ Ba, 27/02/2024 14:00"
    assert format_date(moment) == "Thứ Ba, 27/02/2024"
    # A UTC moment is shown in Vietnam time.
    assert (
        format_datetime(dt.datetime(2024, 3, 3, 17, 30, tzinfo=dt.UTC))
        == "Thứ Hai, 04/03/2024 00:30"
    )
