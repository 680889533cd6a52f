"""`import-documents`: a spreadsheet of documents (UTF-8 CSV) → one file per document.

One row per document, Vietnamese column headings (see `documents.FIELD_TABLE`; the field
names themselves and a few headings of other portals' exports are accepted too). Every
row is checked as the builder would check the file it becomes; if any row is wrong,
nothing is written and every problem is reported at its row.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from .config import SiteConfig
from .documents import DOCUMENTS_DIR, FIELD_TABLE, parse_document
from .errors import BuildFailed, ContentError, Problem, cannot_read
from .files import decode
from .loader import FileProblems
from .markup import MarkupSettings, Renderer
from .vietnamese import VN_TZ, fold, make_slug, parse_date

BODY = "body"
# Headings seen in other portals' exports, and the body column.
_MORE_HEADINGS = {
    "số hiệu": "number",
    "số/ký hiệu": "number",
    "ký hiệu": "number",
    "thể loại": "type",
    "loại": "type",
    "cơ quan": "issuer",
    "ngày hiệu lực": "effective",
    "hiệu lực từ": "effective",
    "file đính kèm": "files",
    "tệp tin": "files",
    "văn bản thay thế": "replaces",
    "nội dung": BODY,
    "toàn văn": BODY,
    "tóm tắt": BODY,
}
_LISTS = ("fields", "replaces", "related", "files", "aliases")
HEADINGS: dict[str, str] = {
    **{fold(heading): name for name, heading, _ in FIELD_TABLE},
    **{fold(name): name for name, _, _ in FIELD_TABLE},
    **{fold(heading): name for heading, name in _MORE_HEADINGS.items()},
}


@dataclass(frozen=True)
class Planned:
    path: Path  # where the document's file will be written
    text: str
    row_line: int


def plan_import(csv_path: Path, config: SiteConfig) -> list[Planned]:
    """Read and check every row; raise BuildFailed with every problem, writing nothing."""
    label = csv_path.name
    try:
        raw = csv_path.read_bytes()
    except OSError as error:
        raise BuildFailed([cannot_read(label, error)]) from None
    try:
        text = decode(label, raw)
    except ContentError as error:
        raise BuildFailed([error.problem]) from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    columns: list[str | None] = []
    problems: list[Problem] = []
    for heading in header:
        name = HEADINGS.get(fold(" ".join(heading.split())))
        if name is None and heading.strip():
            problems.append(
                Problem(
                    label,
                    1,
                    "E114",
                    f'cột không được hỗ trợ "{heading}"',
                    "các cột: " + ", ".join(h for _, h, _ in FIELD_TABLE),
                )
            )
        columns.append(name)
    for required in ("title", "number", "type", "issuer", "issued"):
        if required not in columns:
            heading = next(h for n, h, _ in FIELD_TABLE if n == required)
            problems.append(
                Problem(
                    label,
                    1,
                    "E110",
                    f'thiếu cột bắt buộc "{heading}"',
                    "thêm cột này vào dòng tiêu đề của bảng",
                )
            )
    if problems:
        raise BuildFailed(problems)
    renderer = Renderer(MarkupSettings(config.base_url, config.allow_raw_html))
    planned: list[Planned] = []
    taken: dict[Path, int] = {}
    while True:
        line = reader.line_num + 1
        row = next(reader, None)
        if row is None:
            break
        if not any(cell.strip() for cell in row):
            continue
        found = _plan_row(label, line, columns, header, row, config, renderer)
        if isinstance(found, list):
            problems += found
            continue
        if found.path in taken or found.path.exists():
            where = f"dòng {taken[found.path]}" if found.path in taken else "đã có tệp"
            problems.append(
                Problem(
                    label,
                    line,
                    "E130",
                    f"văn bản trùng tệp {found.path.relative_to(config.root)} ({where})",
                    "mỗi số ký hiệu một văn bản; đặt cột Slug để phân biệt",
                )
            )
            continue
        taken[found.path] = line
        planned.append(found)
    if problems:
        raise BuildFailed(problems)
    return planned


def _plan_row(
    label: str,
    line: int,
    columns: list[str | None],
    header: list[str],
    row: list[str],
    config: SiteConfig,
    renderer: Renderer,
) -> Planned | list[Problem]:
    if len(row) > len(columns):
        return [
            Problem(
                label,
                line,
                "E102",
                f"dòng có {len(row)} ô, nhiều hơn {len(columns)} cột",
                "kiểm tra dấu phẩy và dấu ngoặc kép trong các ô",
            )
        ]
    values: dict[str, str] = {}
    heading_of: dict[str, str] = {}
    for name, heading, cell in zip(columns, header, row, strict=False):
        if name is not None and cell.strip():
            values[name] = cell.strip()
            heading_of[name] = heading.strip()
    body = values.pop(BODY, "")
    lines = ["---"]
    keys = [""]  # the key written on each line of the file, for messages
    for name, _, _ in FIELD_TABLE:
        if name not in values:
            continue
        value = values[name]
        if name in _LISTS:
            items = [" ".join(x.split()) for x in value.replace("\n", ";").split(";")]
            shown = json.dumps([x for x in items if x], ensure_ascii=False)
        elif name == "draft":
            shown = "true" if fold(value) in ("true", "co", "x", "1") else "false"
        else:
            shown = json.dumps(" ".join(value.split()), ensure_ascii=False)
        lines.append(f"{name}: {shown}")
        keys.append(name)
    text = "\n".join([*lines, "---", "", body, ""])
    rel_dir = f"{DOCUMENTS_DIR}/{_year(values.get('issued', ''))}"
    slug = make_slug(values.get("slug") or values.get("number", "")) or "van-ban"
    rel = f"{rel_dir}/{slug}.md"
    problems: list[Problem] = []
    try:
        parsed = parse_document(rel, text.encode("utf-8"), renderer)
    except FileProblems as error:
        for problem in error.problems:
            key = keys[problem.line - 1] if 1 < problem.line <= len(keys) else ""
            column = f'cột "{heading_of[key]}": ' if key in heading_of else ""
            problems.append(
                Problem(label, line, problem.code, column + problem.message, problem.hint)
            )
        return problems
    if config.document_type(parsed.meta.type) is None:  # type: ignore[union-attr]
        names = "; ".join(kind.name for kind in config.document_types)
        return [
            Problem(
                label,
                line,
                "E191",
                f'cột "{heading_of["type"]}": loại văn bản không có trong site.yaml "{values["type"]}"',
                "các loại: " + names,
            )
        ]
    return Planned(config.content_dir / rel, text, line)


def _year(issued: str) -> str:
    try:
        return str(parse_date(issued).astimezone(VN_TZ).year)
    except ValueError:
        return "khac"


def write_all(planned: list[Planned]) -> None:
    """Write every planned file (all were checked first), never over an existing file; if
    one cannot be written, the ones already written are removed again."""
    written: list[Path] = []
    try:
        for item in planned:
            item.path.parent.mkdir(parents=True, exist_ok=True)
            with open(item.path, "x", encoding="utf-8") as handle:
                written.append(item.path)
                handle.write(item.text)
    except OSError as error:
        for path in written:
            path.unlink(missing_ok=True)
        raise BuildFailed(
            [
                Problem(
                    str(error.filename or "content"),
                    0,
                    "E210",
                    f"không ghi được tệp: {error.strerror or error}",
                    "không có tệp nào được ghi; sửa lỗi rồi chạy lại",
                )
            ]
        ) from None
