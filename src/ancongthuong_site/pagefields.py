"""Structured front matter of the portal's own pages: leaders, lists of links, translations.

Only static pages (content/pages/) take these fields. Leaders are data, not free text, so
the Lãnh đạo Sở page shows every person the same way and `check` can tell what is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .files import FORBIDDEN
from .portal import site_link

PAGE_ONLY_FIELDS = ("leaders", "links", "translation")
LEADER_FIELDS = ("name", "position", "duties", "phone", "email", "photo", "bio")
LEADER_LABELS = {
    "name": "Họ và tên",
    "position": "Chức vụ",
    "duties": "Nhiệm vụ được phân công",
    "phone": "Điện thoại",
    "email": "Thư điện tử",
    "photo": "Ảnh",
    "bio": "Tiểu sử tóm tắt",
}

LEADER_LABELS_EN = {
    "name": "Name",
    "position": "Position",
    "duties": "Duties",
    "phone": "Phone",
    "email": "Email",
    "photo": "Photo",
    "bio": "Biography",
}

Leader = tuple[tuple[str, str], ...]  # (field, value) pairs in LEADER_FIELDS order
ProblemFn = Callable[..., None]


def _clean(value: Any, where: str, key: str, problem: ProblemFn) -> str | None:
    if value is None:
        return ""
    if not isinstance(value, str):
        problem(key, "E111", f"{where} phải là chữ", 'đặt giá trị trong ngoặc kép, ví dụ "…"')
        return None
    if FORBIDDEN.search(value):
        problem(key, "E122", f"{where}: có ký tự điều khiển không được phép", "xóa ký tự này")
        return None
    return value.strip()


def read_leaders(value: Any, problem: ProblemFn) -> tuple[Leader, ...]:
    """A list of people; an entry whose name is still empty (as the stub writes it) is skipped."""
    if not isinstance(value, list):
        problem(
            "leaders",
            "E111",
            '"leaders" phải là danh sách',
            "mỗi người một mục bắt đầu bằng - name: …",
        )
        return ()
    people = []
    for number, entry in enumerate(value, start=1):
        if not isinstance(entry, dict):
            problem(
                "leaders", "E111", f"leaders mục {number} phải là một nhóm khóa (name, position…)"
            )
            continue
        for key in sorted(set(entry) - set(LEADER_FIELDS), key=str):
            problem(
                "leaders",
                "E114",
                f'leaders mục {number}: trường không được hỗ trợ "{key}"',
                "các trường: " + ", ".join(LEADER_FIELDS),
            )
        person = {}
        for key in LEADER_FIELDS:
            text = _clean(entry.get(key), f"leaders mục {number}: {key}", "leaders", problem)
            person[key] = text or ""
        if person["photo"] and not site_link(person["photo"]):
            problem(
                "leaders",
                "E115",
                f'leaders mục {number}: ảnh "{person["photo"]}" không được phép',
                "dùng đường dẫn trong site như /images/lanh-dao/ten.jpg hoặc https://",
            )
            person["photo"] = ""
        if person["name"]:
            people.append(tuple((key, person[key]) for key in LEADER_FIELDS))
    return tuple(people)


def read_links(value: Any, problem: ProblemFn) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        problem("links", "E111", '"links" phải là danh sách', '- {title: "…", url: "https://…"}')
        return ()
    links = []
    for number, entry in enumerate(value, start=1):
        if not isinstance(entry, dict) or set(entry) - {"title", "url"}:
            problem("links", "E111", f"links mục {number} cần đúng hai khóa title và url")
            continue
        title = _clean(entry.get("title"), f"links mục {number}: title", "links", problem)
        url = entry.get("url")
        if not title or not isinstance(url, str) or not site_link(url):
            problem(
                "links",
                "E115",
                f"links mục {number}: cần title và url bắt đầu bằng / hoặc https://",
            )
            continue
        links.append((title, url))
    return tuple(links)


def read_translation(value: Any, problem: ProblemFn) -> str:
    """The same page in the other language, as a path in the site ("/gioi-thieu/")."""
    if not (isinstance(value, str) and value.startswith("/") and site_link(value)):
        problem(
            "translation",
            "E115",
            '"translation" là đường dẫn của trang tương ứng',
            'ví dụ: translation: "/gioi-thieu/"',
        )
        return ""
    return value
