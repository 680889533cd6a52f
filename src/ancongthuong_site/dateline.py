"""The publication date of a text in official Vietnamese writing, and where it came from.

News of a Department opens with the event ("Sáng ngày 14/3/2024, …") and cites documents
with their own dates ("Thực hiện Quyết định số 1520/QĐ-UBND ngày 10/01/2024 …"). The first
date in the text is therefore often the wrong one. Candidates are ranked: a dateline line
("Thứ Năm, 28-03-2024 08:30", "An Giang, ngày 14 tháng 3 năm 2024"), then an event phrase
("Sáng/Chiều/Tối (ngày) D/M/YYYY", "Ngày 5-3-2024, …"), then any other date; a date that
follows a document's number or name is never the publication date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from .vietnamese import VN_TZ

_NUMERIC = r"(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})\s*[/.-]\s*(?P<y>\d{4})"
_WORDS = r"(?P<wd>\d{1,2})\s+tháng\s+(?P<wm>\d{1,2})\s*(?:,\s*)?năm\s+(?P<wy>\d{4})"
_TIME = r"(?:\s*(?:,|lúc)?\s*(?P<H>\d{1,2})\s*(?:[:h]|giờ)\s*(?P<M>\d{2})(?:\s*phút)?)?"
_DATE = re.compile(
    rf"(?<![\d/.-])(?:{_NUMERIC}|(?:ngày\s+)?{_WORDS})(?![\d/])(?!-\d){_TIME}", re.IGNORECASE
)
_WEEKDAY = r"(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ\s+nhật)"
# A line that is only a date: "Thứ Năm, 28-03-2024 08:30", "An Giang, ngày 14 tháng 3 năm 2024".
_DATELINE = re.compile(
    rf"^(?:{_WEEKDAY}\s*,?\s*|[\w\s.]{{2,40}},\s*)?(?:ngày\s+)?(?:{_NUMERIC}|{_WORDS}){_TIME}"
    r"\s*(?:\(GMT[+-]\d+\))?\.?$",
    re.IGNORECASE,
)
_EVENT = re.compile(
    r"(?:\b(?:sáng|chiều|tối|trưa|đêm)(?:\s+nay)?(?:\s+ngày)?|(?:^|[.!?]\s+)ngày)\s*$",
    re.IGNORECASE,
)
# A cited document: its number ("số 1520/QĐ-UBND", "12/2024/TT-BCT") or its kind.
_CITED = re.compile(
    r"(?:\bsố\s+\S*\d|\d+/[\w-]*[A-ZĐ]|\b(?:quyết định|kế hoạch|công văn|thông tư|nghị định|"
    r"chỉ thị|nghị quyết|thông báo|luật|văn bản|báo cáo|tờ trình|hướng dẫn)\b)",
    re.IGNORECASE,
)
_RANKS = ("dòng ghi ngày", "cụm chỉ thời điểm sự kiện", "ngày trong bài")


@dataclass(frozen=True)
class FoundDate:
    moment: datetime
    has_time: bool
    phrase: str  # as written
    line: int  # 1-based, in the text searched
    rank: int  # 0 dateline, 1 event phrase, 2 other


def find_date(text: str, notes: list[str]) -> FoundDate | None:
    """The best publication date in `text`, with notes saying what was chosen and skipped."""
    found: list[FoundDate] = []
    skipped: list[str] = []
    for match in _DATE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        phrase = match[0].strip()
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        whole_line = text[line_start : line_end if line_end >= 0 else len(text)].strip()
        before = text[line_start : match.start()]
        clause = re.split(r"[.;:!?]\s|,\s(?=[a-zđ])", before)[-1]
        if _DATELINE.match(whole_line) and line <= 6:
            rank = 0
        elif event := _EVENT.search(before[-40:]):
            rank = 1
            phrase = f"{event[0].strip(' .!?')} {phrase}"
        elif _CITED.search(clause[-120:]):
            skipped.append(f"“{phrase}” (dòng {line}) là ngày của văn bản được trích")
            continue
        else:
            rank = 2
        moment = _moment(match)
        if moment is None:
            skipped.append(f"“{phrase}” (dòng {line}) không phải ngày có thật")
            continue
        found.append(FoundDate(moment, match["H"] is not None, phrase, line, rank))
    if not found:
        notes.append("Không tìm thấy ngày đăng trong bài" + _also(skipped) + ".")
        return None
    best = min(found, key=lambda f: (f.rank, f.line))
    when = f"{best.moment:%Y-%m-%d %H:%M}" if best.has_time else f"{best.moment:%Y-%m-%d}"
    notes.append(
        f"Ngày đăng {when} lấy từ {_RANKS[best.rank]} “{best.phrase}” (dòng {best.line})"
        + ("" if best.has_time else "; bài không ghi giờ nên chỉ hiện ngày")
        + _also(skipped)
        + "."
    )
    return best


def _also(skipped: list[str]) -> str:
    return "; bỏ qua " + ", ".join(skipped) if skipped else ""


def _moment(match: re.Match[str]) -> datetime | None:
    day, month, year = (
        (match["d"], match["m"], match["y"])
        if match["d"]
        else (match["wd"], match["wm"], match["wy"])
    )
    hour, minute = (int(match["H"]), int(match["M"])) if match["H"] else (0, 0)
    try:
        return datetime(int(year), int(month), int(day), hour, minute, tzinfo=VN_TZ)
    except ValueError:
        return None
