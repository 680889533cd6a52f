"""Walk content/, read and validate every file → `ParsedFile`s, then place them as `Article`s.

`parse_file` depends only on the file's bytes and the markup settings, so its result is
cached by content hash and it can run in a worker process. Its search terms are made
apart (`documents.with_search_terms`), for a worker's whole chunk of files at once. `place` adds what depends on
the site (categories, URLs) and is cheap.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from .config import SiteConfig
from .errors import BuildFailed, ContentError, Problem, SiteError, missing_field
from .files import FORBIDDEN, decode, file_digest
from .frontmatter import parse as parse_front_matter
from .markup import BodyTooComplex, Renderer, summarize
from .models import Article, ArticleMeta, Page, PageMeta, ParsedFile, Placed
from .pagefields import PAGE_ONLY_FIELDS, read_leaders, read_links, read_translation
from .searchterms import SearchText, plain_text
from .urls import Urls
from .values import read_attachments, read_slug, string_list, type_name, url_allowed
from .vietnamese import has_time, make_slug, parse_date, visible

PAGES_DIR = "pages"
# An article's fields, in the order `new` writes them and the README's table lists them.
ARTICLE_FIELDS = (
    "title",
    "date",
    "category",
    "source",
    "author",
    "summary",
    "tags",
    "image",
    "image_caption",
    "image_alt",
    "attachments",
    "slug",
    "updated",
    "expires",
    "draft",
    "aliases",
)
REQUIRED_ARTICLE_FIELDS = ("title", "date", "category")
# A static page has no date, category or byline: what it shares with articles, and its own.
_SHARED_FIELDS = (
    "title",
    "summary",
    "image",
    "image_caption",
    "image_alt",
    "attachments",
    "slug",
    "draft",
    "aliases",
)
PAGE_FIELDS = _SHARED_FIELDS + PAGE_ONLY_FIELDS
_TEXT_FIELDS = ("title", "category", "source", "author", "summary", "image_caption", "image_alt")


class FileProblems(SiteError):
    """Every problem found in one file.

    `category` is the file's category as written and its line, when it could be read: it
    is checked against site.yaml too, so that a bad date and an unknown category are
    reported in the same run.
    """

    def __init__(self, problems: list[Problem], category: tuple[str, int] | None = None) -> None:
        super().__init__(problems)
        self.category = category


@dataclass(frozen=True)
class Rejected:
    """A file that could not be parsed, as a worker returns it (exceptions pickle poorly)."""

    problems: tuple[Problem, ...]
    category: tuple[str, int] | None = None


# -- discovery --------------------------------------------------------------------------


def parse_file(rel: str, data: bytes, renderer: Renderer) -> ParsedFile:
    """Read one content file completely (all but its search terms), or raise FileProblems
    with all its problems."""
    label = f"content/{rel}"
    kind = "page" if rel.startswith(PAGES_DIR + "/") else "article"
    try:
        front = parse_front_matter(decode(label, data), label)
    except ContentError as error:
        raise FileProblems([error.problem]) from None
    problems: list[Problem] = []
    meta = _validate(label, rel, kind, front.data, front.key_lines, problems)
    body_html, first = "", ""
    try:
        body_html, first = renderer.render(front.body)
    except BodyTooComplex as error:
        problems.append(
            Problem(
                label,
                front.body_line + max(error.line - 1, 0),
                error.code,
                str(error),
                error.hint,
            )
        )
    if problems or meta is None:
        category = front.data.get("category")
        raise FileProblems(
            problems,
            (category, front.key_lines.get("category", 1))
            if isinstance(category, str) and category.strip() and kind == "article"
            else None,
        )
    summary = meta.summary or summarize(first)
    images, links = _body_references(front.body, front.body_line, renderer)
    return ParsedFile(
        path=rel,
        kind=kind,
        meta=meta,
        key_lines=tuple(sorted(front.key_lines.items())),
        body_html=body_html,
        summary=summary,
        body_line=front.body_line,
        digest=file_digest(data),
        document_refs=renderer.document_refs,
        images=images,
        links=links,
    )


def search_text(parsed: ParsedFile) -> SearchText:
    """What search finds an article or a static page by: its title, then its summary as
    written, tags and author (a page has none: its empty author keeps the gap articles
    have), and its body's words."""
    meta = parsed.meta
    assert isinstance(meta, ArticleMeta | PageMeta) and parsed.body_html is not None
    byline = (*meta.tags, meta.author) if isinstance(meta, ArticleMeta) else ("",)
    return meta.title, (meta.summary, *byline, plain_text(parsed.body_html))


def _body_references(
    body: str, first_line: int, renderer: Renderer
) -> tuple[tuple[tuple[str, int, bool], ...], tuple[tuple[str, int], ...]]:
    """Images and links of the body just rendered, each with the line where it is written."""
    position = 0

    def line_of(target: str) -> int:
        nonlocal position
        found = body.find(target, position)
        if found < 0:
            found = body.find(target)
        if found < 0:
            return first_line
        position = found
        # The body text starts with the newline that ends the closing --- line.
        return first_line - 1 + body.count("\n", 0, found)

    images = tuple((src, line_of(src), has_alt) for src, has_alt in renderer.images)
    position = 0
    links = tuple((href, line_of(href)) for href in renderer.links)
    return images, links


def _validate(
    label: str,
    rel: str,
    kind: str,
    data: dict[str, Any],
    lines: dict[str, int],
    problems: list[Problem],
) -> ArticleMeta | PageMeta | None:
    def problem(key: str, code: str, message: str, hint: str = "") -> None:
        problems.append(Problem(label, lines.get(key, 1), code, message, hint))

    # An optional field left empty ("" or an empty list, as `new` writes them) is unset.
    required_keys = REQUIRED_ARTICLE_FIELDS if kind == "article" else ("title",)
    data = {
        k: v for k, v in data.items() if k in required_keys or not (v == "" or v == [] or v is None)
    }
    for key, value in data.items():
        for text in value if isinstance(value, list) else [value]:
            bad = FORBIDDEN.search(text) if isinstance(text, str) else None
            if bad:  # written as a YAML escape ("\x00", "\a"): the raw-text check cannot see it
                problem(
                    key,
                    "E122",
                    f"ký tự điều khiển U+{ord(bad.group()):04X} không được phép",
                    "xóa ký tự này khỏi giá trị",
                )
                break
    fields = PAGE_FIELDS if kind == "page" else ARTICLE_FIELDS
    for key in data:
        if key not in fields:
            close = difflib.get_close_matches(str(key), fields, n=1)
            if key in ARTICLE_FIELDS:
                hint = f'trang tĩnh (content/pages/) không dùng "{key}": xóa dòng này'
            elif close:
                hint = f'có phải ý bạn là "{close[0]}"?'
            else:
                hint = "các trường: " + ", ".join(fields)
            problem(key, "E114", f'trường không được hỗ trợ "{key}"', hint)
    values: dict[str, Any] = {}
    for key in _TEXT_FIELDS:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            problem(
                key,
                "E111",
                f'"{key}" phải là chữ, không phải {type_name(value)}',
                f'đặt giá trị trong ngoặc kép, ví dụ {key}: "{value}"',
            )
            continue
        values[key] = " ".join(value.split()) if key != "summary" else value.strip()
    for key in required_keys:
        if key not in data:
            problems.append(missing_field(label, key))
        elif data[key] is None or (isinstance(data[key], str) and not visible(data[key])):
            problem(key, "E110", f'trường "{key}" đang để trống', f"điền giá trị cho {key}")
    dates: dict[str, Any] = {}
    for key in ("date", "updated", "expires"):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            problem(
                key, "E111", f'"{key}" phải là ngày dạng chữ', 'ví dụ: date: "2024-02-27 14:00"'
            )
            continue
        try:
            dates[key] = parse_date(value)
        except ValueError as error:
            problem(
                key,
                "E112",
                f"{key}: {error}",
                "dùng YYYY-MM-DD, YYYY-MM-DD HH:MM hoặc DD/MM/YYYY [HH:MM]",
            )
    draft = data.get("draft", False)
    if not isinstance(draft, bool):
        problem(
            "draft",
            "E111",
            f'"draft" phải là true hoặc false, không phải "{draft}"',
            "viết draft: true (bản nháp) hoặc draft: false",
        )
        draft = False
    tags = string_list(data.get("tags"), "tags", problem, split_commas=True)
    tag_slugs = tuple(make_slug(tag) for tag in tags)
    for tag, tag_slug in zip(tags, tag_slugs, strict=True):
        if not tag_slug:
            problem(
                "tags",
                "E131",
                f'thẻ "{tag}" không tạo được địa chỉ',
                "dùng chữ hoặc số trong tên thẻ",
            )
    aliases = string_list(data.get("aliases"), "aliases", problem, split_commas=False)
    alias_urls = []
    for alias in aliases:
        alias_url = Urls.alias_rel_url(alias)
        if alias_url is not None:
            alias_urls.append(alias_url)
        else:
            problem(
                "aliases",
                "E132",
                f'địa chỉ cũ "{alias}" không hợp lệ',
                "chỉ dùng đường dẫn trong site, ví dụ /tin-tuc/bai-cu.html, không có .. hay %",
            )
    image = data.get("image")
    if image is not None and not isinstance(image, str):
        problem("image", "E111", '"image" phải là đường dẫn ảnh dạng chữ')
        image = None
    if image and not url_allowed(image):
        problem(
            "image",
            "E115",
            f'địa chỉ ảnh "{image}" không được phép',
            "chỉ dùng http(s):// hoặc đường dẫn trong site như /images/anh.jpg",
        )
    attachments = read_attachments(data.get("attachments"), problem)
    slug = read_slug(rel, data.get("slug"), problem)
    page = {key: data[key] for key in PAGE_ONLY_FIELDS if kind == "page" and key in data}
    leaders = read_leaders(page["leaders"], problem) if "leaders" in page else ()
    links = read_links(page["links"], problem) if "links" in page else ()
    translation = read_translation(page["translation"], problem) if "translation" in page else ""
    if problems:
        return None
    shared: dict[str, Any] = {
        "title": values.get("title", ""),
        "summary": values.get("summary", ""),
        "image": (image or "").strip(),
        "image_caption": values.get("image_caption", ""),
        "image_alt": values.get("image_alt", ""),
        "slug": slug,
        "draft": draft,
        "aliases": aliases,
        "alias_urls": tuple(alias_urls),
        "attachments": attachments,
    }
    if kind == "page":
        return PageMeta(**shared, leaders=leaders, links=links, translation=translation)
    return ArticleMeta(
        **shared,
        date=dates["date"],
        date_has_time=has_time(data["date"]),
        category=values.get("category", ""),
        source=values.get("source", ""),
        source_slug=make_slug(values.get("source", "")),
        author=values.get("author", ""),
        tags=tags,
        tag_slugs=tag_slugs,
        updated=dates.get("updated"),
        expires=dates.get("expires"),
    )


# -- placing files in the site --------------------------------------------------------------


def page_lang(path: str) -> str:
    """Static pages under content/pages/en/ are the English pages."""
    return "en" if path.startswith(f"{PAGES_DIR}/en/") else "vi"


def place(parsed: ParsedFile, config: SiteConfig) -> Placed:
    """Resolve category, source and URL; raise FileProblems on an unknown category."""
    meta = parsed.meta
    if isinstance(meta, PageMeta):
        lang = page_lang(parsed.path)
        return Page(parsed, meta.slug, Urls.page(meta.slug, lang), lang)
    assert isinstance(meta, ArticleMeta)  # documents are placed by the register
    category = config.category(meta.category)
    if category is None:
        where = f"content/{parsed.path}"
        raise FileProblems(
            [config.unknown_category(meta.category, where, parsed.line_of("category"))]
        )
    return Article(
        parsed=parsed,
        slug=meta.slug,
        rel_url=Urls.article(meta.date, meta.slug),
        category_slug=category.slug,
        category_name=category.name,
        source_slug=meta.source_slug,
    )


def rejected_problems(config: SiteConfig, rel: str, rejected: Rejected) -> list[Problem]:
    """A rejected file's problems, with its unknown category if it has one."""
    problems = list(rejected.problems)
    if rejected.category is not None:
        name, line = rejected.category
        if config.category(name) is None:
            problems.append(config.unknown_category(name, f"content/{rel}", line))
    return problems


def load_all(config: SiteConfig, parsed: list[ParsedFile], problems: list[Problem]) -> list[Placed]:
    """Place every parsed file; raise BuildFailed with every problem found so far."""
    articles: list[Placed] = []
    for item in parsed:
        try:
            articles.append(place(item, config))
        except FileProblems as error:
            problems.extend(error.problems)
    if problems:
        raise BuildFailed(problems)
    return articles
