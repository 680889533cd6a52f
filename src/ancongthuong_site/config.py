"""site.yaml → `SiteConfig`: a typed schema, unknown keys refused, every problem collected."""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import BuildFailed, ContentError, Problem
from .files import FORBIDDEN, decode, read_bytes
from .frontmatter import load_yaml
from .portal import (
    Integrations,
    MenuEntry,
    Outage,
    SidebarBlock,
    read_integrations,
    read_menu,
    read_outage,
    read_sidebar,
    site_link,
)
from .vietnamese import fold, is_slug, make_slug, nfc

CONFIG_NAME = "site.yaml"
# The kinds of document in the register when site.yaml does not list its own.
DEFAULT_DOCUMENT_TYPES = (
    "Quyết định",
    "Chỉ thị",
    "Kế hoạch",
    "Công văn",
    "Thông báo",
    "Báo cáo",
    "Hướng dẫn",
    "Dự thảo",
)
FOOTER_FIELDS = ("owner", "address", "phone", "fax", "email", "responsible", "license", "note")


@dataclass(frozen=True)
class Category:
    name: str
    slug: str
    description: str = ""


@dataclass(frozen=True)
class SiteConfig:
    root: Path
    title: str
    base_url: str
    short_title: str = ""
    description: str = ""
    language: str = "vi"  # <html lang> of the Vietnamese pages (English pages say "en")
    categories: tuple[Category, ...] = ()
    document_types: tuple[Category, ...] = ()  # name and slug, like categories
    menu: tuple[MenuEntry, ...] = ()  # added to the categories, never replacing them
    footer: tuple[tuple[str, str], ...] = ()
    logo: str = ""
    favicon: str = ""
    sidebar: tuple[SidebarBlock, ...] = ()
    integrations: Integrations = Integrations()
    outage: Outage | None = None
    english: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    paginate: int = 20
    feed_size: int = 20
    home_latest: int = 10
    home_per_category: int = 5
    related: int = 5
    allow_raw_html: bool = False
    image_warn_mb: float = 8  # `check` warns about originals larger than this (camera files)
    image_warn_megapixels: float = 30
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    digest: str = ""

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def static_dir(self) -> Path:
        return self.root / "static"

    def category(self, value: str) -> Category | None:
        """Find a category by name (NFC, case-insensitive) or by slug."""
        return find_choice(self.categories, value)

    def document_type(self, value: str) -> Category | None:
        """Find a document type by name (NFC, case-insensitive) or by slug."""
        return find_choice(self.document_types, value)

    def unknown_category(self, value: str, where: str, line: int) -> Problem:
        return unknown_category(self.categories, value, where, line)


def find_choice(choices: Sequence[Category], value: str) -> Category | None:
    """The category (or document type) `value` names: by name, in any case, with any run of
    spaces, NFC or NFD, or by slug."""
    wanted = " ".join(nfc(value).split()).casefold()
    for choice in choices:
        if choice.name.casefold() == wanted or choice.slug == wanted:
            return choice
    return None


def suggest_choice(choices: Sequence[Category], value: str) -> str | None:
    """The name an editor most likely meant: the same slug (typed without diacritics), else
    the closest spelling with diacritics folded; None when nothing is close."""
    slug = make_slug(value)
    for choice in choices:
        if slug and choice.slug == slug:
            return choice.name
    folded = {fold(choice.name): choice.name for choice in choices}
    close = difflib.get_close_matches(fold(value), list(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else None


def unknown_category(choices: Sequence[Category], value: str, where: str, line: int) -> Problem:
    """E113, worded the same by the loader, `new` and `import`: the likely name, and all."""
    names = "; ".join(f'"{choice.name}"' for choice in choices) or "(site.yaml chưa khai báo)"
    guess = suggest_choice(choices, value)
    hint = f'có phải ý bạn là "{guess}"? ' if guess else ""
    message = f'chuyên mục không tồn tại "{" ".join(value.split())}"'
    return Problem(where, line, "E113", message, f"{hint}Các chuyên mục: {names}")


_SCHEMA: dict[str, type | tuple[type, ...]] = {
    "title": str,
    "short_title": str,
    "description": str,
    "base_url": str,
    "language": str,
    "categories": list,
    "document_types": list,
    "menu": list,
    "footer": dict,
    "logo": str,
    "favicon": str,
    "sidebar": list,
    "integrations": dict,
    "outage": dict,
    "english": dict,
    "paginate": int,
    "feed_size": int,
    "home_latest": int,
    "home_per_category": int,
    "related": int,
    "allow_raw_html": bool,
    "images": dict,
    "extra": dict,
}
_REQUIRED = ("title", "base_url", "categories")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")  # a BCP 47 tag: "vi", "vi-VN"


def load_config(root: Path) -> SiteConfig:
    """Read `root/site.yaml`; raise BuildFailed listing every problem."""
    path = root / CONFIG_NAME
    try:
        raw = read_bytes(path)
    except OSError as error:
        raise BuildFailed(
            [
                Problem(
                    CONFIG_NAME,
                    0,
                    "E180",
                    f"không đọc được {CONFIG_NAME}: {error.strerror}",
                    "chạy lệnh trong thư mục gốc của site hoặc dùng --root",
                )
            ]
        ) from None
    try:
        data, lines = load_yaml(decode(CONFIG_NAME, raw), CONFIG_NAME, 1)
    except ContentError as error:
        raise BuildFailed([error.problem]) from None
    problems: list[Problem] = []

    def problem(key: str, message: str, hint: str = "") -> None:
        problems.append(Problem(CONFIG_NAME, lines.get(key, 0), "E180", message, hint))

    for key, value in data.items():
        if key not in _SCHEMA:
            close = difflib.get_close_matches(str(key), list(_SCHEMA), n=1)
            problem(
                key,
                f'khóa không hợp lệ "{key}"',
                f'có phải ý bạn là "{close[0]}"?'
                if close
                else "xóa khóa này hoặc đặt nó dưới extra:",
            )
        elif not isinstance(value, _SCHEMA[key]) or (
            _SCHEMA[key] is int and isinstance(value, bool)
        ):
            problem(key, f'"{key}" phải là {_TYPE_NAMES[_SCHEMA[key]]}')
    for key, value in data.items():
        bad = _forbidden_character(value)
        if bad:  # written as a YAML escape ("\x01"): the raw-text check cannot see it
            problem(key, f'"{key}" chứa ký tự điều khiển U+{ord(bad):04X}', "xóa ký tự này")
    for key in _REQUIRED:
        if key not in data:
            problem(key, f'thiếu khóa bắt buộc "{key}"')
    for key in ("paginate", "feed_size", "home_latest", "home_per_category", "related"):
        value = data.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= 1000:
            problem(key, f'"{key}" phải từ 1 đến 1000')
    language = data.get("language")
    if isinstance(language, str) and not _LANGUAGE_TAG.fullmatch(language):
        problem(
            "language", f'"language" không phải mã ngôn ngữ: "{language}"', "ví dụ: vi hoặc vi-VN"
        )
    base_url = data.get("base_url", "")
    if isinstance(base_url, str) and "base_url" in data:
        parts = urlsplit(base_url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or "@" in parts.netloc  # a user name or a password would be in every link
            or parts.query
            or parts.fragment
            or "?" in base_url
            or "#" in base_url
            or not site_link(base_url)
        ):
            problem(
                "base_url",
                f'base_url "{base_url}" không hợp lệ',
                "chỉ gồm giao thức, tên miền và đường dẫn, không có ?, # hay mật khẩu; "
                "ví dụ: base_url: https://sct.angiang.gov.vn/",
            )
        elif not base_url.endswith("/"):
            base_url += "/"
    categories = _categories(data.get("categories"), problem)
    document_types = _document_types(data.get("document_types"), problem)
    menu = read_menu(data.get("menu"), problem)
    for entry in menu:
        for name in entry.categories:
            if not any(name.casefold() in (c.name.casefold(), c.slug) for c in categories):
                problem(
                    "menu",
                    f'mục menu "{entry.title}": chuyên mục không tồn tại "{name}"',
                    "ghi tên hoặc slug của một chuyên mục trong categories:",
                )
    footer = _footer(data.get("footer"), problem)
    images = {}
    for key in ("logo", "favicon"):
        value = data.get(key) or ""
        if value and not site_link(value):
            problem(
                key,
                f'{key} "{value}" phải là đường dẫn ảnh trong site hoặc https://',
                f"ví dụ: {key}: /images/logo.png (đặt tệp ảnh trong static/images/)",
            )
        images[key] = value if isinstance(value, str) and site_link(value) else ""
    sidebar = read_sidebar(data.get("sidebar"), problem)
    for block in sidebar:
        if block.kind == "category" and not any(
            block.category.casefold() in (c.name.casefold(), c.slug) for c in categories
        ):
            problem(
                "sidebar",
                f'khối sidebar: chuyên mục không tồn tại "{block.category}"',
                "ghi tên hoặc slug của một chuyên mục trong categories:",
            )
    integrations = read_integrations(data.get("integrations"), problem)
    outage = read_outage(data.get("outage"), problem)
    english = data.get("english") or {}
    if isinstance(english, dict):
        for key, value in english.items():
            if key not in ("title", "short_title", "governing_body"):
                problem(
                    "english",
                    f'khóa english không hợp lệ "{key}"',
                    "các khóa: title, short_title, governing_body",
                )
            elif not isinstance(value, str):
                problem("english", f"english.{key} phải là chuỗi chữ")
        english = {k: v.strip() for k, v in english.items() if isinstance(v, str) and v.strip()}
    limits = _image_limits(data.get("images"), problem)
    if problems:
        raise BuildFailed(problems)
    return SiteConfig(
        root=root,
        title=data["title"],
        short_title=data.get("short_title", ""),
        description=data.get("description", ""),
        base_url=base_url,
        categories=categories,
        document_types=document_types,
        menu=menu,
        footer=footer,
        logo=images["logo"],
        favicon=images["favicon"],
        sidebar=sidebar,
        integrations=integrations,
        outage=outage,
        english=english if isinstance(english, dict) else {},
        language=data.get("language") or "vi",
        paginate=data.get("paginate", 20),
        feed_size=data.get("feed_size", 20),
        home_latest=data.get("home_latest", 10),
        home_per_category=data.get("home_per_category", 5),
        related=data.get("related", 5),
        allow_raw_html=data.get("allow_raw_html", False),
        image_warn_mb=limits["warn_mb"],
        image_warn_megapixels=limits["warn_megapixels"],
        extra=data.get("extra", {}),
        digest=hashlib.sha256(raw).hexdigest(),
    )


def _forbidden_character(value: Any) -> str | None:
    """The first control character in a value, however deeply nested."""
    if isinstance(value, str):
        found = FORBIDDEN.search(value)
        return found.group() if found else None
    items = value.items() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in items:
        for part in item if isinstance(value, dict) else (item,):
            bad = _forbidden_character(part)
            if bad:
                return bad
    return None


_TYPE_NAMES: dict[Any, str] = {
    str: "chuỗi chữ",
    list: "danh sách",
    dict: "một nhóm khóa",
    int: "số nguyên",
    bool: "true hoặc false",
}


def _categories(value: Any, problem: Any) -> tuple[Category, ...]:
    if not isinstance(value, list):
        return ()
    result: list[Category] = []
    slugs: set[str] = set()
    names: set[str] = set()
    for entry in value:
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            problem("categories", "mỗi chuyên mục cần có name", 'ví dụ: - name: "Tin hoạt động"')
            continue
        unknown = set(entry) - {"name", "slug", "description"}
        if unknown:
            problem(
                "categories", f"khóa không hợp lệ trong chuyên mục: {', '.join(sorted(unknown))}"
            )
        slug = entry.get("slug") or make_slug(entry["name"])
        if not isinstance(slug, str) or not is_slug(slug):
            problem(
                "categories",
                f'slug chuyên mục "{slug}" không hợp lệ',
                "chỉ dùng chữ thường không dấu, số và dấu gạch nối",
            )
            continue
        if slug in slugs:
            problem("categories", f'hai chuyên mục cùng slug "{slug}"')
        name = nfc(" ".join(entry["name"].split())).casefold()
        if name in names:  # an article's category: would name either of them
            problem("categories", f'hai chuyên mục cùng tên "{entry["name"].strip()}"')
        slugs.add(slug)
        names.add(name)
        result.append(Category(entry["name"].strip(), slug, str(entry.get("description", ""))))
    if not result:
        problem("categories", "cần ít nhất một chuyên mục")
    return tuple(result)


def _document_types(value: Any, problem: Any) -> tuple[Category, ...]:
    names = DEFAULT_DOCUMENT_TYPES if value is None else value
    result: list[Category] = []
    for name in names:
        slug = make_slug(name) if isinstance(name, str) else ""
        if not slug:
            problem(
                "document_types",
                f'loại văn bản "{name}" không hợp lệ',
                'mỗi loại là một tên, ví dụ: - "Quyết định"',
            )
        elif any(kind.slug == slug for kind in result):
            problem("document_types", f'loại văn bản "{name}" bị lặp')
        else:
            result.append(Category(" ".join(nfc(name).split()), slug))
    return tuple(result)


def _footer(value: Any, problem: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        return ()  # None, or the wrong type (reported with the schema)
    result: list[tuple[str, str]] = []
    for key, text in value.items():
        if key not in FOOTER_FIELDS:
            problem(
                "footer",
                f'khóa footer không hợp lệ "{key}"',
                "các khóa được dùng: " + ", ".join(FOOTER_FIELDS),
            )
        elif text is not None and not isinstance(text, str):
            problem("footer", f"footer.{key} phải là chuỗi chữ")
        elif text and text.strip():
            result.append((key, text.strip()))
    return tuple(result)


def _image_limits(value: Any, problem: Any) -> dict[str, float]:
    """`images: {warn_mb: 8, warn_megapixels: 30}`: when `check` calls an original too large."""
    limits = {"warn_mb": 8.0, "warn_megapixels": 30.0}
    for key, number in (value or {}).items():
        if key not in limits:
            problem(
                "images",
                f'khóa không hợp lệ trong images: "{key}"',
                "các khóa: " + ", ".join(limits),
            )
        elif isinstance(number, bool) or not isinstance(number, int | float) or number <= 0:
            problem("images", f"images.{key} phải là một số dương", f"ví dụ: {key}: 8")
        else:
            limits[key] = float(number)
    return limits
