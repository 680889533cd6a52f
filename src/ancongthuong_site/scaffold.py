"""`new`: write a valid article stub at the conventional path, never over an existing file.

The helpers here (category lookup, front matter, the never-overwrite write) are shared with
importer.py so both commands produce files in exactly the same shape.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ancongthuong_site.completeness import ENGLISH_SECTIONS, SECTIONS, Section
from ancongthuong_site.config import Category, find_choice, unknown_category
from ancongthuong_site.errors import ContentError, Problem
from ancongthuong_site.loader import ARTICLE_FIELDS
from ancongthuong_site.pagefields import LEADER_FIELDS
from ancongthuong_site.vietnamese import VN_TZ, make_slug, nfc

# A stub has every field of an article (empty when optional), so nothing has to be
# remembered or looked up.
FIELDS = ARTICLE_FIELDS

PLACEHOLDER = "Viết nội dung bài tại đây. Các đoạn văn cách nhau bằng một dòng trống."
DRAFT_COMMENT = (
    "# draft: true — bài nháp chưa được đăng lên trang; sửa thành false khi bài đã hoàn chỉnh."
)

# Characters YAML cannot hold literally in a double-quoted scalar: non-printables are refused
# by the reader and NEL/LS/PS would be folded as line breaks. json.dumps leaves them raw.
_YAML_UNSAFE = re.compile(
    "[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029]"
)


def yaml_str(value: str) -> str:
    """A YAML double-quoted scalar that loads back to exactly `value`."""
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", json.dumps(value, ensure_ascii=False))


def one_line(text: str) -> str:
    """NFC with every run of whitespace (line breaks included) collapsed to one space."""
    return " ".join(nfc(text).split())


def vn_minute(moment: datetime) -> datetime:
    """Vietnam time to the minute; a naive moment is taken as Vietnam time (as parse_date does)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VN_TZ)
    return moment.astimezone(VN_TZ).replace(second=0, microsecond=0)


def resolve_category(
    category: str, categories: Sequence[Category], *, where: str = "--category"
) -> Category:
    """The category `category` names (as the loader finds it), or ContentError E113."""
    found = find_choice(categories, category)
    if found is None:
        raise ContentError(unknown_category(categories, category, where, 0))
    return found


def render_front_matter(
    *,
    title: str,
    date: datetime,
    category: str,
    source: str | None,
    draft: bool,
    with_time: bool = True,
) -> str:
    """The `---` block with every field; optional ones empty so editors see what exists.

    Without `with_time` the date is written as a day only, so no made-up 00:00 is shown.
    """
    values: dict[str, str] = {field: '""' for field in FIELDS}
    values.update(
        title=yaml_str(title),
        date=yaml_str(f"{vn_minute(date):%Y-%m-%d %H:%M}" if with_time else f"{date:%Y-%m-%d}"),
        category=yaml_str(category),
        source=yaml_str(source or ""),
        tags="[]",
        aliases="[]",
        attachments="[]",
        draft="true" if draft else "false",
    )
    lines = ["---"]
    for field in FIELDS:
        if field == "draft" and draft:
            lines.append(DRAFT_COMMENT)
        lines.append(f"{field}: {values[field]}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def article_path(content_dir: Path, slug: str, date: datetime) -> Path:
    """content/<yyyy>/<mm>/<slug>.md: the article's year and month in Vietnam time."""
    local = vn_minute(date)
    return content_dir / f"{local:%Y}" / f"{local:%m}" / f"{slug}.md"


def title_slug(title: str, where: str) -> str:
    """make_slug(title), or ContentError E131 when nothing is left to name the file by."""
    slug = make_slug(title)
    if not slug:
        raise ContentError(
            Problem(
                where,
                0,
                "E131",
                f'tiêu đề "{title}" không tạo được slug (không có chữ hay số nào)',
                "đặt tiêu đề có chữ hoặc số",
            )
        )
    return slug


def write_new(path: Path, text: str, content_dir: Path) -> Path:
    """Create `path` with `text`; ContentError E130 if it exists (mode "x": no check-then-race)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        shown = path.relative_to(content_dir.parent).as_posix()
        raise ContentError(
            Problem(
                shown,
                0,
                "E130",
                f"tệp {shown} đã có, không ghi đè",
                "sửa tệp đã có, hoặc đặt tiêu đề khác cho bài mới",
            )
        ) from None
    return path


def new_article(
    content_dir: Path,
    title: str,
    category: str,
    categories: Sequence[Category],
    *,
    now: datetime,
    source: str | None = None,
    date: datetime | None = None,
) -> Path:
    """Write a draft stub for `title` under content_dir and return its path.

    Raises ContentError: E113 unknown category, E131 empty slug, E130 file already there.
    """
    clean_title = one_line(title)
    name = resolve_category(category, categories).name
    slug = title_slug(clean_title, "new")
    moment = vn_minute(date if date is not None else now)
    text = render_front_matter(
        title=clean_title,
        date=moment,
        category=name,
        source=one_line(source) if source else None,
        # A stub is unfinished by definition: it must never go live by accident.
        draft=True,
    )
    return write_new(
        article_path(content_dir, slug, moment), text + PLACEHOLDER + "\n", content_dir
    )


def portal_page_stub(section: Section, *, english: bool = False) -> str:
    """A published page with no invented facts: the title, empty fields, and instructions
    as YAML comments (never shown to readers). The page says it is being updated until the
    body or the fields are filled in, and `check` lists it as missing until then."""
    if english:
        lines = ["---", f"# Trang tiếng Anh, bản dịch của /{section.reference}/."]
    else:
        lines = ["---", f"# Mục bắt buộc theo {section.reference}."]
    lines += [f"# {line}" for line in textwrap.wrap(section.instructions, 88)]
    lines.append("# Chỉ ghi thông tin chính thức của Sở. Xem docs/huong-dan-bien-tap.md.")
    lines.append(f"title: {yaml_str(section.title)}")
    if english:
        lines.append(f"translation: {yaml_str('/' + section.reference + '/')}")
    if section.needs == "leaders":
        lines.append("leaders:")
        lines += [f'  {"-" if i == 0 else " "} {key}: ""' for i, key in enumerate(LEADER_FIELDS)]
    elif section.needs == "links":
        lines.append('# ví dụ: - {title: "Tên thủ tục", url: "https://dichvucong.gov.vn/…"}')
        lines.append("links: []")
    elif section.needs == "image":
        lines += ['image: ""', 'image_caption: ""']
    lines += ["---", ""]
    return "\n".join(lines)


def new_portal_pages(content_dir: Path) -> tuple[list[Path], list[Path]]:
    """Write a stub for every required section that has no page yet; keep the others.

    Returns (written, kept).
    """
    written, kept = [], []
    wanted = [(s, "pages", False) for s in SECTIONS]
    wanted += [(s, "pages/en", True) for s in ENGLISH_SECTIONS]
    for section, folder, english in wanted:
        path = content_dir / folder / f"{section.slug}.md"
        if path.exists():
            kept.append(path)
            continue
        stub = portal_page_stub(section, english=english)
        written.append(write_new(path, stub, content_dir))
    return written, kept
