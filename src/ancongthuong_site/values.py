"""Reading one front-matter value, for articles, pages and documents alike: lists of text,
slugs, URLs, attachments. Each reports what is wrong through `problem(key, code, message,
hint)` and returns what it could read.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from .vietnamese import is_slug, make_slug

ProblemFn = Callable[..., None]
_SCHEME = re.compile(r"^([^/?]*?):")


def read_attachments(value: Any, problem: ProblemFn) -> tuple[tuple[str, str], ...]:
    """`attachments:` — files under static/ ("/files/a.pdf") or https URLs, each with an
    optional title: a list of paths, or of {file: …, title: …}."""
    if value is None:
        return ()
    example = 'ví dụ:\n      attachments:\n        - file: "/files/2024/qd-123.pdf"\n          title: "Quyết định số 123"'
    if not isinstance(value, list):
        problem("attachments", "E111", '"attachments" phải là danh sách tệp', example)
        return ()
    result: list[tuple[str, str]] = []
    for entry in value:
        if isinstance(entry, str):
            entry = {"file": entry}
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("file"), str)
            or not isinstance(entry.get("title", ""), str)
            or set(entry) - {"file", "title"}
        ):
            problem("attachments", "E111", "mỗi tệp đính kèm cần file (và title nếu muốn)", example)
            continue
        target = entry["file"].strip()
        local = target.startswith("/") and not target.startswith("//")
        if not (local or target.startswith("https://")) or not url_allowed(target):
            problem(
                "attachments",
                "E115",
                f'tệp đính kèm "{target}" không được phép',
                "dùng đường dẫn trong site như /files/2024/qd-123.pdf hoặc https://…",
            )
            continue
        result.append((target, " ".join(entry.get("title", "").split())))
    return tuple(result)


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "giá trị đúng/sai"
    if isinstance(value, int):
        return "số"
    if isinstance(value, list):
        return "danh sách"
    if isinstance(value, dict):
        return "nhóm khóa"
    return type(value).__name__


def string_list(value: Any, key: str, problem: ProblemFn, *, split_commas: bool) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items = value.split(",") if split_commas else [value]
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = value
    else:
        problem(key, "E111", f'"{key}" phải là danh sách chữ', f'ví dụ: {key}: ["a", "b"]')
        return ()
    result: list[str] = []
    seen: set[str] = set()
    for item in items:
        clean = " ".join(item.split())
        # Spellings of one tag ("Hội nghị", "hội nghị") are one tag: the first is kept.
        same = make_slug(clean) if split_commas else clean
        if clean and same not in seen:
            seen.add(same)
            result.append(clean)
    return tuple(result)


def slug_of(rel: str, value: Any) -> str:
    """The slug a file gets (from `slug:` or its name); "" when it has none."""
    return read_slug(rel, value, lambda *_args: None)


def read_slug(rel: str, value: Any, problem: ProblemFn) -> str:
    if value is None:
        name = rel.rsplit("/", 1)[-1]
        stem = name[:-3] if name.lower().endswith(".md") else name
        slug = stem if is_slug(stem) else make_slug(stem)
        if not slug:
            problem("title", "E131", f'tên tệp "{stem}" không tạo được slug', "thêm trường slug:")
        return slug
    if not isinstance(value, str):
        problem("slug", "E111", '"slug" phải là chữ')
        return ""
    if "/" in value or "\\" in value or ".." in value or "%" in value:
        problem(
            "slug",
            "E132",
            f'slug "{value}" không được chứa /, \\, % hay ..',
            "slug chỉ gồm chữ thường không dấu, số và dấu gạch nối",
        )
        return ""
    slug = value if is_slug(value) else make_slug(value)
    if not slug:
        problem(
            "slug", "E131", "slug rỗng", "ghi slug bằng chữ không dấu, ví dụ: slug: hoi-nghi-2024"
        )
    return slug


def url_allowed(url: str) -> bool:
    """http(s), mailto and scheme-less (relative or root-relative) URLs only.

    Checked on the text as written and with HTML entities decoded, so that
    "java&#x09;script:" cannot pass as a relative path.
    """
    text = url.strip()
    if not text or any(ch.isspace() or ord(ch) < 32 for ch in text):
        return False
    for candidate in (text, "".join(html.unescape(text).split())):
        match = _SCHEME.match(candidate)
        if match is not None and match.group(1).lower() not in ("http", "https", "mailto"):
            return False
    return True
