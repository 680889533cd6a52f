"""The portal's parts of site.yaml: identity, nested menu, sidebar blocks, integrations, outage.

Each reader takes the raw value and a `problem(key, message, hint)` callback, so every
mistake is reported with the others in the E180 style of config.py. Links an editor
writes here are limited to https://, http:// and paths in the site: nothing in site.yaml
can put markup or a `javascript:` link on a page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .vietnamese import parse_date

ProblemFn = Callable[..., None]

SIDEBAR_KINDS = ("links", "hotlines", "banner", "category", "documents")


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class MenuEntry:
    """One item of the main menu: a link, a group of links, or both."""

    title: str
    url: str = ""
    children: tuple[Link, ...] = ()
    categories: tuple[str, ...] = ()  # category names or slugs shown as children


@dataclass(frozen=True)
class SidebarBlock:
    kind: str
    title: str
    links: tuple[Link, ...] = ()  # links; hotlines (url is "tel:…")
    image: str = ""  # banner
    alt: str = ""
    url: str = ""
    category: str = ""  # category: its newest articles
    count: int = 5


@dataclass(frozen=True)
class Integrations:
    measurement_script: str = ""  # https URL of the measurement script the province requires
    feedback_url: str = ""  # satisfaction rating / feedback form, as a link
    feedback_embed: str = ""  # the same form shown in a frame on /lien-he/ and /gop-y/


@dataclass(frozen=True)
class Outage:
    message: str
    start: dt.datetime
    end: dt.datetime


def site_link(url: Any) -> bool:
    """https://, http:// or a path in the site ("/gioi-thieu/"); nothing else.

    No backslash either: browsers read "/\\evil.example/" as a link to another site.
    """
    if not isinstance(url, str) or not url:
        return False
    if any(ch.isspace() or ch in "<>\"'`\\" or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return False
    if url.startswith("/"):
        return not url.startswith("//")
    return url.startswith(("https://", "http://")) and len(url) > 8


def _text(entry: dict, key: str) -> str:
    value = entry.get(key, "")
    return " ".join(value.split()) if isinstance(value, str) else ""


def _link(entry: Any, where: str, problem: ProblemFn, key: str) -> Link | None:
    if not isinstance(entry, dict) or not _text(entry, "title") or "url" not in entry:
        problem(
            key,
            f"{where}: mỗi liên kết cần title và url",
            'ví dụ: - {title: "Giới thiệu", url: "/gioi-thieu/"}',
        )
        return None
    unknown = sorted(set(entry) - {"title", "url"})
    if unknown:
        problem(
            key,
            f"{where}: khóa không hợp lệ {', '.join(map(str, unknown))}",
            "một liên kết chỉ có title và url",
        )
    if not site_link(entry["url"]):
        problem(
            key,
            f'{where}: url "{entry["url"]}" phải bắt đầu bằng / hoặc https://',
            "ví dụ: /gioi-thieu/ hoặc https://dichvucong.gov.vn/",
        )
        return None
    return Link(_text(entry, "title"), entry["url"])


def read_menu(value: Any, problem: ProblemFn) -> tuple[MenuEntry, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problem("menu", '"menu" phải là danh sách')
        return ()
    result = []
    for entry in value:
        if not isinstance(entry, dict) or not _text(entry, "title"):
            problem(
                "menu",
                "mỗi mục menu cần title",
                'ví dụ: - {title: "Giới thiệu", url: "/gioi-thieu/"}',
            )
            continue
        title = _text(entry, "title")
        unknown = sorted(set(entry) - {"title", "url", "children", "categories"})
        if unknown:
            problem(
                "menu",
                f'mục menu "{title}": khóa không hợp lệ {", ".join(map(str, unknown))}',
                "các khóa: title, url, children, categories",
            )
        url = entry.get("url", "")
        if url and not site_link(url):
            problem("menu", f'url menu "{url}" phải bắt đầu bằng / hoặc https://')
            url = ""
        children = entry.get("children") or []
        categories = entry.get("categories") or []
        if not isinstance(children, list) or not isinstance(categories, list):
            problem("menu", f'mục menu "{title}": children và categories phải là danh sách')
            continue
        links = [_link(c, f'menu "{title}"', problem, "menu") for c in children]
        if not all(isinstance(c, str) for c in categories):
            problem("menu", f'mục menu "{title}": categories là danh sách tên chuyên mục')
            categories = []
        if not url and not children and not categories:
            problem("menu", f'mục menu "{title}" cần url, children hoặc categories')
            continue
        result.append(MenuEntry(title, url, tuple(x for x in links if x), tuple(categories)))
    return tuple(result)


def read_sidebar(value: Any, problem: ProblemFn) -> tuple[SidebarBlock, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problem("sidebar", '"sidebar" phải là danh sách khối')
        return ()
    blocks = []
    for entry in value:
        kind = entry.get("type") if isinstance(entry, dict) else None
        if kind not in SIDEBAR_KINDS:
            problem(
                "sidebar",
                f'khối sidebar có type "{kind}" không hợp lệ',
                "type là một trong: " + ", ".join(SIDEBAR_KINDS),
            )
            continue
        assert isinstance(entry, dict)
        allowed = {"type", "title", "links", "image", "alt", "url", "category", "count"}
        unknown = sorted(set(entry) - allowed)
        if unknown:
            problem("sidebar", f"khối {kind}: khóa không hợp lệ {', '.join(map(str, unknown))}")
        title = _text(entry, "title")
        links: list[Link] = []
        for item in entry.get("links") or []:
            if kind == "hotlines" and isinstance(item, dict) and "phone" in item:
                phone = str(item.get("phone", "")).strip()
                if phone and _text(item, "title"):
                    digits = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
                    links.append(Link(f"{_text(item, 'title')}: {phone}", f"tel:{digits}"))
                continue
            found = _link(item, f"sidebar {kind}", problem, "sidebar")
            if found:
                links.append(found)
        image, url = entry.get("image", ""), entry.get("url", "")
        if kind == "banner" and not (site_link(image) and site_link(url) and _text(entry, "alt")):
            problem(
                "sidebar",
                "khối banner cần image, url (/… hoặc https://…) và alt",
                'alt là chữ thay thế cho ảnh, ví dụ alt: "Chiến dịch …"',
            )
            continue
        category = _text(entry, "category")
        if kind == "category" and not category:
            problem("sidebar", "khối category cần category: tên hoặc slug chuyên mục")
            continue
        count = entry.get("count", 5)
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 20:
            problem("sidebar", f"khối {kind}: count phải từ 1 đến 20")
            count = 5
        blocks.append(
            SidebarBlock(
                kind,
                title,
                tuple(links),
                image if kind == "banner" else "",
                _text(entry, "alt"),
                url if kind == "banner" else "",
                category,
                count,
            )
        )
    return tuple(blocks)


def read_integrations(value: Any, problem: ProblemFn) -> Integrations:
    if value is None:
        return Integrations()
    if not isinstance(value, dict):
        problem("integrations", '"integrations" phải là một nhóm khóa')
        return Integrations()
    found: dict[str, str] = {}
    for key, url in value.items():
        if key not in Integrations.__dataclass_fields__:
            problem(
                "integrations",
                f'khóa integrations không hợp lệ "{key}"',
                "các khóa: " + ", ".join(Integrations.__dataclass_fields__),
            )
        elif url in ("", None):
            continue
        elif not (isinstance(url, str) and url.startswith("https://") and site_link(url)):
            problem(
                "integrations",
                f"integrations.{key} phải là một địa chỉ https://",
                "chỉ ghi địa chỉ (URL) do cơ quan cung cấp, không dán mã HTML hay <script>",
            )
        else:
            found[key] = url
    return Integrations(**found)


def read_outage(value: Any, problem: ProblemFn) -> Outage | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"message", "from", "until"}:
        problem(
            "outage",
            "outage cần đúng các khóa message, from, until",
            'ví dụ: outage: {message: "Bảo trì hệ thống", from: "2026-12-05 22:00", '
            'until: "2026-12-06 06:00"}',
        )
        return None
    if not any(value.get(k) for k in ("message", "from", "until")):
        return None  # left empty: no outage planned
    try:
        start = parse_date(str(value.get("from", "")))
        end = parse_date(str(value.get("until", "")))
    except ValueError as error:
        problem("outage", f"outage: {error}", "dùng YYYY-MM-DD HH:MM hoặc DD/MM/YYYY HH:MM")
        return None
    if end <= start or not _text(value, "message"):
        problem("outage", "outage cần message, và until phải sau from")
        return None
    return Outage(_text(value, "message"), start, end)
