"""Documents of the register (content/van-ban/): read and validate one file → `ParsedFile`.

Like `loader.parse_file`, this depends only on the file's bytes and the markup settings
(so it is cached and runs in workers); what depends on the site (site.yaml's types, the
attached files under static/, the other documents) is checked in `register`.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from typing import Any

from .attachments import ALLOWED_EXTENSIONS, extension
from .errors import ContentError, Problem, missing_field
from .files import FORBIDDEN, decode, file_digest
from .frontmatter import parse as parse_front_matter
from .loader import FileProblems, parse_file
from .loader import search_text as page_search_text
from .markup import BodyTooComplex, Renderer, summarize
from .models import DocumentMeta, ParsedFile
from .searchterms import SearchText, encode_many, plain_text
from .urls import Urls
from .values import read_slug, string_list, type_name, url_allowed
from .vietnamese import fold, has_time, parse_date

DOCUMENTS_DIR = "van-ban"

# Every field of a document, once: (name, heading of the import spreadsheet, meaning).
FIELD_TABLE: tuple[tuple[str, str, str], ...] = (
    ("title", "Trích yếu", "trích yếu (bắt buộc)"),
    ("number", "Số ký hiệu", "số ký hiệu, ví dụ 123/QĐ-SCT (bắt buộc)"),
    ("type", "Loại văn bản", "một loại trong document_types của site.yaml (bắt buộc)"),
    ("issuer", "Cơ quan ban hành", "cơ quan ban hành (bắt buộc)"),
    ("issued", "Ngày ban hành", "ngày ban hành (bắt buộc)"),
    ("signer", "Người ký", "người ký"),
    ("fields", "Lĩnh vực", "lĩnh vực, một danh sách"),
    ("effective", "Ngày có hiệu lực", "ngày có hiệu lực (mặc định: ngày ban hành)"),
    ("effective_until", "Ngày hết hiệu lực", "từ ngày này văn bản hết hiệu lực"),
    ("status", "Trạng thái", "trạng thái, nếu không muốn tính từ các ngày"),
    ("replaces", "Văn bản bị thay thế", "số ký hiệu các văn bản mà văn bản này thay thế"),
    ("related", "Văn bản liên quan", "số ký hiệu các văn bản liên quan"),
    ("files", "Tệp đính kèm", "tệp đính kèm: /files/… trong static/ hoặc địa chỉ https://"),
    ("comment_until", "Hạn góp ý", "dự thảo: hạn cuối nhận góp ý"),
    ("comment_contact", "Nơi nhận góp ý", "dự thảo: thư điện tử hoặc địa chỉ nhận góp ý"),
    ("slug", "Slug", "phần cuối của địa chỉ trang"),
    ("draft", "Bản nháp", "true: chưa đăng"),
    ("aliases", "Địa chỉ cũ", "địa chỉ cũ chuyển về trang này"),
)
DOCUMENT_FIELDS = tuple(name for name, _, _ in FIELD_TABLE)
REQUIRED = ("title", "number", "type", "issuer", "issued")
_TEXT = ("title", "number", "type", "issuer", "signer", "status", "comment_contact")
_DATES = ("issued", "effective", "effective_until", "comment_until")

# Status slug → name. Without `status`, it follows from the dates (see register).
STATUSES: dict[str, str] = {
    "con-hieu-luc": "Còn hiệu lực",
    "chua-co-hieu-luc": "Chưa có hiệu lực",
    "het-hieu-luc": "Hết hiệu lực",
    "du-thao": "Dự thảo",
}
# Names used by the register's own pages under /van-ban/: no document may take them.
RESERVED_SLUGS = ("du-thao", "loai", "co-quan", "nam", "linh-vuc", "trang-thai", "trang")
_EMAIL = re.compile(r"^[^@\s/:]+@[^@\s/:]+\.[^@\s/:]+$")


def is_document(rel: str) -> bool:
    return rel.startswith(DOCUMENTS_DIR + "/")


def parse_source(rel: str, data: bytes, renderer: Renderer) -> ParsedFile:
    """Any content file, with its search terms (or raise FileProblems)."""
    return with_search_terms([parse_without_terms(rel, data, renderer)])[0]


def parse_without_terms(rel: str, data: bytes, renderer: Renderer) -> ParsedFile:
    """Any content file but its search terms: a document under van-ban/, else an article
    or a static page (or raise FileProblems)."""
    if is_document(rel):
        return parse_document(rel, data, renderer)
    return parse_file(rel, data, renderer)


def with_search_terms(parsed: list[ParsedFile]) -> list[ParsedFile]:
    """The files again, each with its search terms (made for all of them at once)."""
    terms = encode_many([search_text(p) for p in parsed])
    return [dataclasses.replace(p, search_terms=t) for p, t in zip(parsed, terms, strict=True)]


def search_text(parsed: ParsedFile) -> SearchText:
    """What search finds a file by (for a document: its type, number and title first, so
    "quyết định 123" and "123/QĐ-SCT" are phrases of the title; "số" alone lets "số 123"
    find it too)."""
    meta = parsed.meta
    if not isinstance(meta, DocumentMeta):
        return page_search_text(parsed)
    assert parsed.body_html is not None
    title = f"{meta.type} {meta.number} {meta.title}"
    others = ("số " + meta.number, meta.issuer, meta.signer, *meta.fields)
    return title, (*others, plain_text(parsed.body_html))


def status_slug(name: str) -> str | None:
    wanted = fold(" ".join(name.split()))
    return next((slug for slug, known in STATUSES.items() if fold(known) == wanted), None)


def parse_document(rel: str, data: bytes, renderer: Renderer) -> ParsedFile:
    """Read one document completely, or raise FileProblems with all its problems."""
    label = f"content/{rel}"
    try:
        front = parse_front_matter(decode(label, data), label)
    except ContentError as error:
        raise FileProblems([error.problem]) from None
    problems: list[Problem] = []
    meta = _validate(label, rel, front.data, front.key_lines, problems)
    body_html, first = "", ""
    try:
        body_html, first = renderer.render(front.body)
    except BodyTooComplex as error:
        problems.append(
            Problem(
                label, front.body_line + max(error.line - 1, 0), error.code, str(error), error.hint
            )
        )
    if problems or meta is None:
        raise FileProblems(problems)
    return ParsedFile(
        path=rel,
        kind="document",
        meta=meta,
        key_lines=tuple(sorted(front.key_lines.items())),
        body_html=body_html,
        summary=summarize(first) if first else meta.title,
        body_line=front.body_line,
        digest=file_digest(data),
        document_refs=renderer.document_refs,
    )


def _validate(
    label: str, rel: str, data: dict[str, Any], lines: dict[str, int], problems: list[Problem]
) -> DocumentMeta | None:
    def problem(key: str, code: str, message: str, hint: str = "") -> None:
        problems.append(Problem(label, lines.get(key, 1), code, message, hint))

    data = {k: v for k, v in data.items() if k in REQUIRED or not (v == "" or v == [] or v is None)}
    for key, value in data.items():
        if key not in DOCUMENT_FIELDS:
            close = _close_field(str(key))
            hint = (
                f'có phải ý bạn là "{close[0]}"?'
                if close
                else "các trường của văn bản: " + ", ".join(DOCUMENT_FIELDS)
            )
            problem(key, "E114", f'trường không được hỗ trợ "{key}"', hint)
            continue
        for item in value if isinstance(value, list) else [value]:
            bad = FORBIDDEN.search(item) if isinstance(item, str) else None
            if bad:
                problem(
                    key,
                    "E122",
                    f"ký tự điều khiển U+{ord(bad.group()):04X} không được phép",
                    "xóa ký tự này khỏi giá trị",
                )
                break
    text: dict[str, str] = {}
    for key in _TEXT:
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, int) and not isinstance(value, bool) and key == "number":
            value = str(value)  # number: 123 is meant as text
        if not isinstance(value, str):
            problem(
                key,
                "E111",
                f'"{key}" phải là chữ, không phải {type_name(value)}',
                f'đặt giá trị trong ngoặc kép, ví dụ {key}: "{value}"',
            )
            continue
        text[key] = " ".join(value.split())
    for key in REQUIRED:
        if key not in data:
            problems.append(missing_field(label, key))
        elif key in _TEXT and key in text and not text[key] or data[key] is None or data[key] == "":
            problem(key, "E110", f'trường "{key}" đang để trống', f"điền giá trị cho {key}")
    dates: dict[str, Any] = {}
    for key in _DATES:
        value = data.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            problem(key, "E111", f'"{key}" phải là ngày dạng chữ', f'ví dụ: {key}: "2024-02-27"')
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
    _check_order(dates, problem)
    status = text.get("status", "")
    if status and status_slug(status) is None:
        problem(
            "status",
            "E191",
            f'trạng thái không có trong danh sách "{status}"',
            "các trạng thái: " + "; ".join(STATUSES.values()),
        )
    contact = text.get("comment_contact", "")
    if "comment_until" in dates and not contact:
        problem(
            "comment_until",
            "E110",
            "dự thảo có hạn góp ý nhưng thiếu nơi nhận góp ý",
            'thêm comment_contact: "email@…" hoặc một địa chỉ https://',
        )
    if contact and not (_EMAIL.match(contact) or contact.startswith(("https://", "mailto:"))):
        problem(
            "comment_contact",
            "E115",
            f'nơi nhận góp ý "{contact}" không hợp lệ',
            "ghi một địa chỉ thư điện tử hoặc một địa chỉ https://",
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
    lists = {
        key: string_list(data.get(key), key, problem, split_commas=key == "fields")
        for key in ("fields", "replaces", "related", "files", "aliases")
    }
    for url in lists["files"]:
        _check_file(url, problem)
    alias_urls = tuple(Urls.alias_rel_url(alias) or "" for alias in lists["aliases"])
    for alias, alias_url in zip(lists["aliases"], alias_urls, strict=True):
        if not alias_url:
            problem(
                "aliases",
                "E132",
                f'địa chỉ cũ "{alias}" không hợp lệ',
                "chỉ dùng đường dẫn trong site, ví dụ /van-ban/cu.html, không có .. hay %",
            )
    slug = read_slug(rel, data.get("slug"), problem)
    if slug in RESERVED_SLUGS:
        problem(
            "slug",
            "E130",
            f'slug "{slug}" trùng với một trang của sổ văn bản',
            "đổi slug, ví dụ thêm số ký hiệu: " + slug + "-2024",
        )
    if problems:
        return None
    return DocumentMeta(
        title=text["title"],
        number=text["number"],
        type=text["type"],
        issuer=text["issuer"],
        issued=dates["issued"],
        signer=text.get("signer", ""),
        fields=lists["fields"],
        effective=dates.get("effective"),
        effective_until=dates.get("effective_until"),
        status=status,
        replaces=lists["replaces"],
        related=lists["related"],
        files=lists["files"],
        comment_until=dates.get("comment_until"),
        comment_has_time=has_time(data["comment_until"]) if "comment_until" in dates else True,
        comment_contact=contact,
        slug=slug,
        draft=draft,
        aliases=lists["aliases"],
        alias_urls=alias_urls,
    )


def _close_field(key: str) -> list[str]:
    """The field meant by an unknown key; a Vietnamese name ("nguoi_ky") is matched too."""
    headings = {fold(heading): name for name, heading, _ in FIELD_TABLE}
    folded = fold(key.replace("_", " "))
    if folded in headings:
        return [headings[folded]]
    return difflib.get_close_matches(key, DOCUMENT_FIELDS, n=1)


def _check_order(dates: dict[str, Any], problem: Any) -> None:
    """Effect starts on or after issue, ends after it starts; comments close after issue."""
    issued, effective = dates.get("issued"), dates.get("effective")
    start = effective or issued
    until = dates.get("effective_until")
    if issued and effective and effective < issued:
        problem(
            "effective",
            "E192",
            "ngày có hiệu lực trước ngày ban hành",
            "kiểm tra lại effective và issued",
        )
    if start and until and until <= start:
        problem(
            "effective_until",
            "E192",
            "ngày hết hiệu lực không sau ngày có hiệu lực",
            "kiểm tra lại effective_until",
        )
    comment = dates.get("comment_until")
    if issued and comment and comment < issued:
        problem(
            "comment_until", "E192", "hạn góp ý trước ngày ban hành", "kiểm tra lại comment_until"
        )


def _check_file(url: str, problem: Any) -> None:
    if "://" in url or url.startswith("//"):
        if not url.startswith("https://") or not url_allowed(url):
            problem(
                "files",
                "E115",
                f'tệp đính kèm "{url}" phải là địa chỉ https://',
                "đặt tệp trong static/files/ và ghi /files/…, hoặc dùng https://",
            )
            return
    elif not url.startswith("/") or ".." in url.split("/") or "\\" in url:
        problem(
            "files",
            "E132",
            f'đường dẫn tệp "{url}" phải bắt đầu bằng / và nằm trong static/',
            "ví dụ: /files/van-ban/2024/123-qd-sct.pdf",
        )
        return
    if extension(url) not in ALLOWED_EXTENSIONS:
        problem(
            "files",
            "E194",
            f'tệp "{url}" không thuộc loại được phép',
            "chỉ đính kèm " + ", ".join(e.upper() for e in ALLOWED_EXTENSIONS),
        )
