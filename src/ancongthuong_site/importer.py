"""`import`: plain-text articles exported from the old portal → articles in our format.

An export is: the portal's name, the title line, paragraphs separated by blank lines (photo
captions as short paragraphs of their own) and a last line "Nguồn: …". Anything that does
not fit is refused with a ContentError: a wrong article on the live portal is worse than
an import that asks for help.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from ancongthuong_site.errors import ContentError, Problem
from ancongthuong_site.files import decode
from ancongthuong_site.scaffold import (
    article_path,
    render_front_matter,
    resolve_category,
    title_slug,
    vn_minute,
    write_new,
)
from ancongthuong_site.vietnamese import VN_TZ, nfc

CAPTION_MAX = 200  # captions on the old portal are one short line; paragraphs run longer
TITLE_MAX = 300  # a longer "title" means the layout is not the one we know
PORTAL_PREFIX = "cổng thông tin"

_SOURCE = re.compile(r"^nguồn\s*[:：]\s*(.*)$", re.IGNORECASE)
_DATE = re.compile(
    r"(?:(?<!\w)(\w+)\s+)?(?<!\w)ngày\s+(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)", re.IGNORECASE
)
# Closing quotes and brackets may follow the final punctuation: `… năm 2024.”`
_SENTENCE_END = re.compile(r"[.!?…:;][\"'”’»)\]]*$")
# "1. Kết quả", "II. Nhiệm vụ", "a) …": section headings, short and unpunctuated like
# captions, but text that must stay text.
_HEADING = re.compile(r"^(?:\d+|[IVXLC]+|[a-zđ])[.)]\s", re.IGNORECASE)
# Markdown syntax a plain-text line could trigger by accident; escaped so the page shows
# exactly the original words.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]])")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_LINE_START = re.compile(r"^(?:[#>]|[-+](?=\s|$)|-+\s*$)")  # heading, quote, list, rule
_ORDERED = re.compile(r"^(\d+)\.(?=\s|$)")


@dataclass(frozen=True)
class Block:
    """One paragraph of body text, or the caption of a photo whose file we do not have."""

    kind: Literal["paragraph", "caption"]
    text: str


@dataclass(frozen=True)
class ImportedArticle:
    """What an export says, plus what was guessed about it (for the editor to check)."""

    title: str
    date: datetime | None
    source: str | None
    blocks: tuple[Block, ...]
    inferred: tuple[str, ...]  # Vietnamese notes on every guess, shown to the editor


def _fail(label: str, line: int, code: str, message: str, hint: str) -> ContentError:
    return ContentError(Problem(label, line, code, message, hint))


def _is_caption(lines: list[str]) -> bool:
    text = lines[0]
    return (
        len(lines) == 1
        and len(text) < CAPTION_MAX
        and not _SENTENCE_END.search(text)
        and not _HEADING.match(text)
    )


def _find_date(text: str, notes: list[str]) -> datetime | None:
    """The first "ngày D/M/YYYY" in the text; None (with a note) when it is not a real date."""
    match = _DATE.search(text)
    if match is None:
        notes.append("Không tìm thấy ngày đăng (dạng “ngày DD/MM/YYYY”) trong bài.")
        return None
    line = text.count("\n", 0, match.start(2)) + 1
    phrase = match[0]
    try:
        found = datetime(int(match[4]), int(match[3]), int(match[2]), tzinfo=VN_TZ)
    except ValueError:
        notes.append(f"“{phrase}” (dòng {line}) không phải ngày có thật, nên không dùng làm ngày.")
        return None
    notes.append(
        f"Ngày đăng {found:%Y-%m-%d} lấy từ “{phrase}” (dòng {line}); bài không ghi giờ nên chỉ hiện ngày."
    )
    return found


def parse_export(text: str, label: str) -> ImportedArticle:
    """Read one export of the old portal; `label` names it in error messages.

    Raises ContentError: E100 when the text is not an export, E110 without a "Nguồn:" line.
    """
    text = nfc(text.removeprefix("\ufeff"))
    # splitlines accepts LF, CRLF and CR alike; edge whitespace means nothing in plain text
    # and would become Markdown (indented code, hard breaks) if kept.
    lines = [line.strip() for line in text.splitlines()]
    numbered = [(number, line) for number, line in enumerate(lines, 1) if line]
    notes: list[str] = []
    if len(numbered) < 3:
        raise _fail(
            label,
            0,
            "E100",
            "không phải tệp xuất từ cổng cũ: quá ít dòng (cần tiêu đề, nội dung và dòng “Nguồn:”)",
            "kiểm tra lại tệp xuất",
        )
    if numbered[0][1] == "---":
        raise _fail(
            label,
            numbered[0][0],
            "E100",
            "tệp đã có phần khai báo “---”: đây là bài theo định dạng mới, không phải tệp xuất",
            "đặt tệp thẳng vào content/ thay vì nhập",
        )
    if numbered[0][1].casefold().startswith(PORTAL_PREFIX):
        notes.append(f"Bỏ dòng tên cổng thông tin: “{numbered[0][1]}”.")
        numbered = numbered[1:]
    else:
        notes.append("Dòng đầu không phải tên cổng thông tin nên được dùng làm tiêu đề.")
    date = _find_date("\n".join(lines), notes)

    source_line, source_text = numbered[-1]
    match = _SOURCE.match(source_text)
    if match is None or not match[1].strip():
        elsewhere = [n for n, line in numbered if _SOURCE.match(line)]
        where = f" (có ở dòng {elsewhere[0]} nhưng không phải dòng cuối)" if elsewhere else ""
        raise _fail(
            label,
            elsewhere[0] if elsewhere else source_line,
            "E110",
            f"thiếu dòng “Nguồn: …” ở cuối bài{where}",
            "thêm dòng cuối “Nguồn: <tên đơn vị>”, ví dụ “Nguồn: Văn phòng”",
        )
    source = " ".join(match[1].split())
    notes.append(f"Nguồn “{source}” lấy từ dòng cuối (dòng {source_line}).")

    title_line, title = numbered[0]
    if len(title) > TITLE_MAX:
        raise _fail(
            label,
            title_line,
            "E100",
            f"dòng tiêu đề dài {len(title)} ký tự: có vẻ không phải tệp xuất từ cổng cũ",
            "dòng đầu là tên cổng thông tin, dòng tiếp theo là tiêu đề bài",
        )

    # Group the body (between title and source) into blank-line separated paragraphs.
    groups: list[list[tuple[int, str]]] = []
    for number in range(title_line + 1, source_line):
        line = lines[number - 1]
        if not line:
            if groups and groups[-1]:
                groups.append([])
        elif groups:
            groups[-1].append((number, line))
        else:
            groups.append([(number, line)])
    groups = [group for group in groups if group]
    if not groups:
        raise _fail(
            label,
            title_line,
            "E100",
            "bài không có nội dung giữa tiêu đề và dòng “Nguồn:”",
            "kiểm tra lại tệp xuất",
        )

    blocks: list[Block] = []
    for group in groups:
        texts = [line for _, line in group]
        if _is_caption(texts):
            blocks.append(Block("caption", texts[0]))
            notes.append(f"Dòng {group[0][0]} là chú thích ảnh (chưa có tệp ảnh): “{texts[0]}”.")
        else:
            blocks.append(Block("paragraph", "\n".join(texts)))

    return ImportedArticle(title, date, source, tuple(blocks), tuple(notes))


def _escape(text: str) -> str:
    """Backslash-escape what Markdown would read as syntax; words stay as they were."""
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    text = _ENTITY.sub("&amp;", text)  # before `<` becomes "&lt;", which must stay as written
    text = _TAG_START.sub("&lt;", text)
    lines = (_ORDERED.sub(r"\1\\.", _LINE_START.sub(r"\\\g<0>", line)) for line in text.split("\n"))
    return "\n".join(lines)


def render_markdown(article: ImportedArticle, *, category: str, date: datetime) -> str:
    """The whole article file: front matter, then the blocks separated by blank lines."""
    head = render_front_matter(
        title=article.title,
        date=date,
        category=category,
        source=article.source,
        # The old portal had already published it, so it goes live as it was.
        draft=False,
        with_time=(date.hour, date.minute) != (0, 0),
    )
    parts: list[str] = []
    for block in article.blocks:
        if block.kind == "caption":
            # Empty src: "a photo whose file is not available", the page shows the caption.
            parts.append(f"![{_escape(block.text)}]()")
        else:
            parts.append(_escape(block.text))
    return head + "\n\n".join(parts) + "\n"


def import_file(
    path: Path,
    content_dir: Path,
    *,
    category: str,
    categories: Sequence[tuple[str, str]],
    date: datetime | None = None,
) -> tuple[Path, ImportedArticle]:
    """Convert one export into content_dir/<yyyy>/<mm>/<slug>.md; never overwrites.

    Raises ContentError: E120/E121 encoding, E100/E110 layout, E113 category, E112 no date,
    E131 empty slug, E130 the article file already exists.
    """
    label = str(path)
    article = parse_export(decode(label, path.read_bytes()), label)
    name, _ = resolve_category(category, categories)
    moment = date if date is not None else article.date
    if moment is None:
        raise _fail(
            label,
            0,
            "E112",
            "không tìm thấy ngày đăng trong bài (dạng “ngày DD/MM/YYYY”)",
            "chỉ định ngày đăng bằng --date YYYY-MM-DD",
        )
    moment = vn_minute(moment)
    target = article_path(content_dir, title_slug(article.title, label), moment)
    text = render_markdown(article, category=name, date=moment)
    return write_new(target, text, content_dir), article
