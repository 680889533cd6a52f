"""`import`: plain-text articles exported from the old portal → articles in our format.

An export is: the portal's name, the title line, paragraphs separated by blank lines (photo
captions as short paragraphs of their own) and a last line "Nguồn: …". Anything that does
not fit is refused with a ContentError: a wrong article on the live portal is worse than
an import that asks for help.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from ancongthuong_site.config import Category
from ancongthuong_site.dateline import find_date
from ancongthuong_site.errors import BuildFailed, ContentError, Problem, cannot_read
from ancongthuong_site.files import decode
from ancongthuong_site.scaffold import (
    article_path,
    render_front_matter,
    resolve_category,
    title_slug,
    vn_minute,
    write_new,
)
from ancongthuong_site.vietnamese import nfc

CAPTION_MAX = 200  # captions on the old portal are one short line; paragraphs run longer
TITLE_MAX = 300  # a longer "title" means the layout is not the one we know
PORTAL_PREFIX = "cổng thông tin"

_SOURCE = re.compile(r"^nguồn\s*[:：]\s*(.*)$", re.IGNORECASE)
# Closing quotes and brackets may follow the final punctuation: `… năm 2024.”`
_SENTENCE_END = re.compile(r"[.!?…:;][\"'”’»)\]]*$")
# "1. Kết quả", "II. Nhiệm vụ", "a) …": section headings, short and unpunctuated like
# captions, but text that must stay text.
_HEADING = re.compile(r"^(?:\d+|[IVXLC]+|[a-zđ])[.)]\s", re.IGNORECASE)
_NUMBERED = re.compile(r"^(\d+)[.)]\s+(\S.*)$")
_BULLET = re.compile(r"^[-•+*–]\s+(\S.*)$")
# Who wrote it, at the end of the text: kept as text, never a photo caption.
_SIGNATURE = re.compile(
    r"^(?:văn phòng|(?:phòng|trung tâm|chi cục|ban) [A-ZĐ]|p\.?\s?v\b|btv\b|bbt\b|"
    r"tin,? ảnh|tin và ảnh|tin:|bài:|bài và ảnh|theo )",
    re.IGNORECASE,
)
_DATELINE_ONLY = re.compile(
    r"^(?:(?:thứ\s+\w+|chủ\s+nhật)\s*,?\s*|[\w\s.]{2,40},\s*)?(?:ngày\s+)?"
    r"(?:\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4}|\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4})"
    r"(?:\s*(?:,|lúc)?\s*\d{1,2}\s*[:h]\s*\d{2})?\.?$",
    re.IGNORECASE,
)
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

    kind: Literal["paragraph", "caption", "heading", "table", "list"]
    text: str  # a table's rows are tab-separated lines; a list's items are lines


@dataclass(frozen=True)
class ImportedArticle:
    """What an export says, plus what was guessed about it (for the editor to check)."""

    title: str
    date: datetime | None
    source: str | None
    blocks: tuple[Block, ...]
    inferred: tuple[str, ...]  # Vietnamese notes on every guess, shown to the editor
    date_has_time: bool = False


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
    found = find_date("\n".join(lines), notes)

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

    blocks = [_classify(group, notes) for group in groups]
    date = found.moment if found else None
    return ImportedArticle(
        title,
        date,
        source,
        tuple(b for part in blocks for b in part),
        tuple(notes),
        bool(found and found.has_time),
    )


def _classify(group: list[tuple[int, str]], notes: list[str]) -> list[Block]:
    """One blank-line separated group → blocks, with a note for everything not plain text."""
    texts = [line for _, line in group]
    where = f"Dòng {group[0][0]}" + (f"–{group[-1][0]}" if len(group) > 1 else "")
    cells = [line.split("\t") for line in texts]
    if len(texts) >= 2 and all("\t" in t for t in texts) and len({len(c) for c in cells}) == 1:
        notes.append(
            f"{where}: bảng {len(cells[0])} cột (các ô cách nhau bằng Tab), dòng đầu là tiêu đề."
        )
        return [Block("table", "\n".join(texts))]
    items = [_NUMBERED.match(t) or _BULLET.match(t) for t in texts]
    first_item = next((i for i, m in enumerate(items) if m), None)
    if first_item is not None and len(texts) - first_item >= 2 and all(items[first_item:]):
        ordered = bool(_NUMBERED.match(texts[first_item]))
        blocks = [Block("paragraph", "\n".join(texts[:first_item]))] if first_item else []
        kind = "danh sách đánh số" if ordered else "danh sách gạch đầu dòng"
        notes.append(f"Dòng {group[first_item][0]}–{group[-1][0]}: {kind}.")
        marker = "1." if ordered else "-"
        lines = [f"{marker} {m[m.lastindex or 1]}" for m in items[first_item:] if m]
        return [*blocks, Block("list", "\n".join(lines))]
    if len(texts) > 1:
        return [Block("paragraph", "\n".join(texts))]
    text = texts[0]
    letters = [ch for ch in text if ch.isalpha()]
    if _DATELINE_ONLY.match(text):
        notes.append(f"{where} là dòng ghi ngày, giữ nguyên là văn bản: “{text}”.")
        return [Block("paragraph", text)]
    if (
        len(text) < CAPTION_MAX
        and not _SENTENCE_END.search(text)
        and (_HEADING.match(text) or (len(letters) >= 4 and all(ch.isupper() for ch in letters)))
    ):
        notes.append(f"{where} là tiêu đề mục: “{text}”.")
        return [Block("heading", text)]
    if len(text) < CAPTION_MAX and _SIGNATURE.match(text) and not _SENTENCE_END.search(text):
        notes.append(f"{where} là dòng ký tên/đơn vị viết bài, giữ là văn bản: “{text}”.")
        return [Block("paragraph", text)]
    if _is_caption(texts):
        notes.append(f"{where} là chú thích ảnh (chưa có tệp ảnh): “{text}”.")
        return [Block("caption", text)]
    return [Block("paragraph", text)]


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
        elif block.kind == "heading":
            parts.append("## " + _escape(block.text))
        elif block.kind == "table":
            rows = [
                [_escape(c.strip()).replace("|", "\\|") for c in line.split("\t")]
                for line in block.text.split("\n")
            ]
            lines = ["| " + " | ".join(row) + " |" for row in rows]
            lines.insert(1, "|" + "---|" * len(rows[0]))
            parts.append("\n".join(lines))
        elif block.kind == "list":
            parts.append(
                "\n".join(
                    f"{item[:2]}{_escape(item[2:])}"
                    if item[0] == "-"
                    else f"{item[:3]}{_escape(item[3:])}"
                    for item in block.text.split("\n")
                )
            )
        else:
            parts.append(_escape(block.text))
    return head + "\n\n".join(parts) + "\n"


@dataclass(frozen=True)
class PreparedImport:
    """One export converted, not yet written: a batch is checked whole before writing."""

    source: Path
    target: Path
    text: str
    article: ImportedArticle


def prepare_import(
    path: Path,
    content_dir: Path,
    *,
    category: str,
    categories: Sequence[Category],
    date: datetime | None = None,
) -> PreparedImport:
    """Convert one export into the text of content_dir/<yyyy>/<mm>/<slug>.md (not written).

    Raises ContentError: E120/E121 encoding, E100/E110 layout, E113 category, E112 no date,
    E131 empty slug.
    """
    label = str(path)
    article = parse_export(decode(label, path.read_bytes()), label)
    name = resolve_category(category, categories).name
    moment = date if date is not None else article.date
    if moment is None:
        why = next((n for n in article.inferred if n.startswith("Không tìm thấy ngày")), "")
        skipped = why.partition("; ")[2].rstrip(".")
        raise _fail(
            label,
            0,
            "E112",
            "không tìm thấy ngày đăng trong bài (dòng ghi ngày, “Sáng ngày D/M/YYYY”, "
            "“ngày D tháng M năm YYYY”…)" + (f"; {skipped}" if skipped else ""),
            "chỉ định ngày đăng bằng --date YYYY-MM-DD",
        )
    moment = vn_minute(moment)
    if date is not None:
        found = [n for n in article.inferred if n.startswith(("Ngày đăng", "Không tìm thấy ngày"))]
        note = (
            f"Ngày đăng {moment:%Y-%m-%d %H:%M} lấy từ tùy chọn --date"
            + (
                f" (trong bài: {found[0][0].lower()}{found[0][1:].rstrip('.')} — không dùng)"
                if found
                else ""
            )
            + "."
        )
        rest = [n for n in article.inferred if n not in found]
        article = dataclasses.replace(article, date=moment, inferred=(note, *rest))
    target = article_path(content_dir, title_slug(article.title, label), moment)
    text = render_markdown(article, category=name, date=moment)
    return PreparedImport(path, target, text, article)


def import_file(
    path: Path,
    content_dir: Path,
    *,
    category: str,
    categories: Sequence[Category],
    date: datetime | None = None,
) -> tuple[Path, ImportedArticle]:
    """Convert one export and write it; never overwrites (E130)."""
    prepared = prepare_import(
        path, content_dir, category=category, categories=categories, date=date
    )
    return write_new(prepared.target, prepared.text, content_dir), prepared.article


def import_batch(
    files: Sequence[Path],
    content_dir: Path,
    *,
    category: str,
    categories: Sequence[Category],
    date: datetime | None = None,
) -> list[tuple[PreparedImport, bool]]:
    """Import every file, or none: each is converted and checked before any is written.

    Returns each import and whether it was already there, identical (then it is skipped,
    so a batch can be run again). Raises BuildFailed with every problem of the batch.
    """
    problems: list[Problem] = []
    ready: list[tuple[PreparedImport, bool]] = []
    targets: dict[Path, Path] = {}
    for file in files:
        try:
            prepared = prepare_import(
                file, content_dir, category=category, categories=categories, date=date
            )
        except ContentError as error:
            problems.append(error.problem)
            continue
        except OSError as error:
            problems.append(cannot_read(str(file), error))
            continue
        target = prepared.target
        existing = target.read_text(encoding="utf-8") if target.is_file() else None
        if target in targets or (existing is not None and existing != prepared.text):
            problems.append(
                Problem(
                    str(file),
                    0,
                    "E130",
                    f"bài {target.name} đã có ({targets.get(target, target)}) với nội dung khác",
                    "đổi tên bài cũ, hoặc bỏ tệp này khỏi lần nhập",
                )
            )
            continue
        targets[target] = file
        ready.append((prepared, existing is not None))
    if problems:
        raise BuildFailed(problems)
    for prepared, already in ready:
        if not already:
            write_new(prepared.target, prepared.text, content_dir)
    return ready
