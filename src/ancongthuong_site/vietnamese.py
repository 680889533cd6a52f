"""Vietnamese text: NFC, slugs, search folding, collation and dates as portals write them."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from zoneinfo import ZoneInfo

from slugify import slugify

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SLUG_MAX = 80
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


_COMBINING = re.compile("[\u0300-\u036f]")
# d with a stroke has no decomposition, so it is mapped by hand: đ, and the look-alikes that
# old encoding converters left in texts (Ð U+00D0 lowercases to ð; Ɖ lowercases to ɖ).
_D_LIKE = str.maketrans(dict.fromkeys("đðɖ", "d"))


def nfc(text: str) -> str:
    """Normalise to NFC (macOS and some Vietnamese keyboards produce NFD)."""
    return unicodedata.normalize("NFC", text)


@functools.lru_cache(maxsize=65536)
def make_slug(text: str, max_length: int = SLUG_MAX) -> str:
    """ASCII, lowercase, hyphenated; Đ/đ → d; cut at a word boundary within max_length.

    The backend is pinned: python-slugify would otherwise switch to Unidecode whenever
    that package happens to be importable. `save_order` stops it skipping words when
    it cuts; the comma replacement keeps "12,5" from becoming "125". Cached: sources and
    tags repeat across thousands of articles.
    """
    return slugify(
        fold(text),
        max_length=max_length,
        word_boundary=True,
        save_order=True,
        replacements=[[",", "-"]],
        backend="text-unidecode",
    )


def visible(text: str) -> bool:
    """Whether the text shows anything: not only spaces, zero-width or bidi controls."""
    return any(
        not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc", "Zs") for ch in text
    )


def is_slug(text: str) -> bool:
    return bool(SLUG_RE.match(text))


def fold(text: str) -> str:
    """Lowercase without tone marks or diacritics, đ → d: what readers type in search.

    The one folding of the project: slugs and the search index (and its port in
    static/js/search.js) use it. NFC and NFD input fold alike, so do old ("hoà") and new
    ("hòa") tone placement, since the mark is dropped wherever it sits.
    """
    return _COMBINING.sub("", unicodedata.normalize("NFD", text).lower()).translate(_D_LIKE)


_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {c: i + 20 for i, c in enumerate(_ALPHABET)} | {str(i): i + 1 for i in range(10)}
# Tone order of CLDR vi: none < huyền < hỏi < ngã < sắc < nặng.
_TONE = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_COMBINED = {
    ("a", "\u0306"): "ă",
    ("a", "\u0302"): "â",
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",
    ("u", "\u031b"): "ư",
}


def vi_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[bool, ...]]:
    """Sort key in Vietnamese alphabetical order (letters, then tones, then case)."""
    primary: list[int] = []
    tones: list[int] = []
    case: list[bool] = []
    last = ""
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            if primary and ch in _TONE:
                tones[-1] = _TONE[ch]
            elif primary and (base := _COMBINED.get((last, ch))):
                primary[-1] = _RANK[base]
                last = base
            continue
        low = ch.lower()
        last = low
        primary.append(_RANK.get(low, 0 if ch.isspace() else 1000 + ord(low)))
        tones.append(0)
        case.append(ch != low)
    return (tuple(primary), tuple(tones), tuple(case))


def format_date(moment: dt.datetime) -> str:
    """'Thứ Ba, 27/02/2024' in Vietnam time."""
    local = moment.astimezone(VN_TZ)
    return f"{WEEKDAYS[local.weekday()]}, {local:%d/%m/%Y}"


def format_datetime(moment: dt.datetime) -> str:
    """'Thứ Ba, 27/02/2024 14:00' in Vietnam time."""
    local = moment.astimezone(VN_TZ)
    return f"{format_date(local)} {local:%H:%M}"


_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_ISO_MINUTE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_VN_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2})[:hg](\d{2}))?$")


def has_time(text: str) -> bool:
    """False for a day written without a time ("2024-02-27", "27/02/2024")."""
    value = text.strip()
    return not (
        _ISO_DAY.match(value)
        or (_VN_DAY.match(value) and ":" not in value and "h" not in value and "g" not in value)
    )


def parse_date(text: str) -> dt.datetime:
    """Read a date as editors write it; naive times are Vietnam time.

    Accepts YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS], ISO 8601 with an offset and DD/MM/YYYY [HH:MM].
    Raises ValueError (with a Vietnamese message) for anything else or an impossible date.
    """
    value = text.strip()
    parts: tuple[int, int, int, int, int, int] | None = None  # year … second
    if m := _ISO_DAY.match(value):
        parts = (int(m[1]), int(m[2]), int(m[3]), 0, 0, 0)
    elif m := _ISO_MINUTE.match(value):
        parts = (int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6] or 0))
    elif m := _VN_DAY.match(value):
        parts = (int(m[3]), int(m[2]), int(m[1]), int(m[4] or 0), int(m[5] or 0), 0)
    if parts is not None:
        try:
            moment = dt.datetime(*parts, tzinfo=VN_TZ)
        except ValueError:
            raise ValueError(f'"{value}" không phải là ngày có thật') from None
    else:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f'không đọc được ngày "{value}"') from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=VN_TZ)
    try:
        year = moment.astimezone(VN_TZ).year
    except (OverflowError, ValueError):
        year = 0
    if not 1900 <= year <= 2200:
        raise ValueError(f'năm của ngày "{value}" nằm ngoài khoảng 1900–2200')
    return moment
