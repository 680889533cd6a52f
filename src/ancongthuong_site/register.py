"""The documents register: documents placed in the site, their status now, their relations.

Placing checks what depends on the site: the type against site.yaml, each attached file
under static/ (present, and its bytes what its extension says). The register then adds
what depends on every document and on the clock: status, "replaced by", open drafts.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from .attachments import bytes_match, extension, read_head
from .config import SiteConfig, suggest_choice
from .documents import STATUSES, status_slug
from .errors import Problem
from .files import read_bytes
from .index import group_by
from .markup import DOCUMENT_SCHEME
from .models import Attachment, Document, DocumentMeta, ParsedFile
from .urls import Urls
from .vietnamese import VN_TZ, make_slug, nfc


@dataclass(frozen=True)
class DocumentGroup:
    """Documents sharing a type, issuer, year, field or status; newest first."""

    slug: str
    name: str
    documents: tuple[Document, ...]


@dataclass(frozen=True)
class Register:
    listed: tuple[Document, ...]  # newest issued first
    status: dict[str, str]  # document path → status slug, now
    replaced_by: dict[str, tuple[Document, ...]]  # document path → documents replacing it
    types: tuple[DocumentGroup, ...]  # site.yaml order, only types in use
    issuers: tuple[DocumentGroup, ...]
    years: tuple[DocumentGroup, ...]  # newest year first
    fields: tuple[DocumentGroup, ...]
    statuses: tuple[DocumentGroup, ...]
    open_drafts: tuple[Document, ...]  # comment window open now, closing soonest first
    comment_closes: dict[str, dt.datetime]  # document path → end of its comment window
    by_number: dict[str, tuple[Document, ...]]  # number_key → documents
    next_change: dt.datetime | None
    last_change: dt.datetime | None
    warnings: tuple[Problem, ...]

    def find(self, number: str) -> tuple[Document, ...]:
        return self.by_number.get(number_key(number), ())


def number_key(number: str) -> str:
    """Numbers compare without case or spacing differences ("123/qđ-sct" = "123/QĐ-SCT")."""
    return " ".join(nfc(number).split()).casefold()


def sort_key(document: Document) -> tuple[float, str, str]:
    return (-document.meta.issued.timestamp(), number_key(document.meta.number), document.path)


# -- placing ----------------------------------------------------------------------------


def place_documents(
    config: SiteConfig, parsed: list[ParsedFile], problems: list[Problem]
) -> list[Document]:
    """Documents whose type and files are right; a problem for every one that is not."""
    placed = []
    for item in parsed:
        found = _place(config, item)
        if isinstance(found, Document):
            placed.append(found)
        else:
            problems.extend(found)
    return placed


def _place(config: SiteConfig, parsed: ParsedFile) -> Document | list[Problem]:
    meta = parsed.meta
    assert isinstance(meta, DocumentMeta)
    label = f"content/{parsed.path}"
    problems = []
    kind = config.document_type(meta.type)
    if kind is None:
        guess = suggest_choice(config.document_types, meta.type)
        names = "; ".join(k.name for k in config.document_types)
        hint = f'có phải ý bạn là "{guess}"?' if guess else f"các loại: {names}"
        message = f'loại văn bản không có trong site.yaml "{meta.type}"'
        problems.append(Problem(label, parsed.line_of("type"), "E191", message, hint))
    attachments = []
    for url in meta.files:
        ext = extension(url)
        name = url.rstrip("/").rsplit("/", 1)[-1]
        if url.startswith("https://"):
            attachments.append(Attachment(url, ext, None, name))
            continue
        path = config.static_dir / url.lstrip("/")
        if path.is_symlink() or not path.is_file():
            problems.append(
                Problem(
                    label,
                    parsed.line_of("files"),
                    "E193",
                    f"không có tệp đính kèm static{url}",
                    "chép tệp vào static/ hoặc sửa đường dẫn trong files",
                )
            )
            continue
        if not bytes_match(ext, read_head(path)):
            problems.append(
                Problem(
                    label,
                    parsed.line_of("files"),
                    "E194",
                    f"nội dung tệp static{url} không phải tệp {ext.upper()}",
                    "tệp bị đổi đuôi hoặc hỏng: lưu lại đúng định dạng rồi chép lại",
                )
            )
            continue
        attachments.append(Attachment(url, ext, path.stat().st_size, name))
    if problems or kind is None:
        return problems
    return Document(
        parsed=parsed,
        slug=meta.slug,
        rel_url=Urls.document(meta.slug),
        type_name=kind.name,
        type_slug=kind.slug,
        issuer_slug=make_slug(meta.issuer),
        field_slugs=tuple(make_slug(f) for f in meta.fields),
        attachments=tuple(attachments),
    )


# -- the register ---------------------------------------------------------------------------


def _listed(documents: list[Document], drafts: bool) -> list[Document]:
    return sorted((d for d in documents if drafts or not d.meta.draft), key=sort_key)


def _by_number(listed: list[Document]) -> dict[str, list[Document]]:
    by_number: dict[str, list[Document]] = {}
    for document in listed:
        by_number.setdefault(number_key(document.meta.number), []).append(document)
    return by_number


def register_problems(
    content_dir: Path, documents: list[Document], parsed: list[ParsedFile], *, drafts: bool
) -> list[Problem]:
    """What is wrong whatever the clock says: a number twice for one issuer, a body linking
    a number the register does not have."""
    by_number = _by_number(_listed(documents, drafts))
    problems = []
    for found in by_number.values():
        first: dict[str, Document] = {}
        for document in sorted(found, key=lambda d: d.path):
            same = first.setdefault(document.issuer_slug, document)
            if same is not document:
                problems.append(
                    Problem(
                        f"content/{document.path}",
                        document.parsed.line_of("number"),
                        "E195",
                        f'số ký hiệu "{document.meta.number}" của '
                        f"{document.meta.issuer} đã có ở content/{same.path}",
                        "mỗi văn bản một tệp: sửa số ký hiệu hoặc xóa tệp trùng",
                    )
                )
    return problems + _reference_problems(content_dir, parsed, by_number, drafts)


def document_moments(
    documents: list[Document], now: dt.datetime, *, drafts: bool
) -> list[dt.datetime]:
    """Later moments a document's status changes or a comment window closes."""
    moments = []
    for document in _listed(documents, drafts):
        meta = document.meta
        moments += [start(meta), *([meta.effective_until] if meta.effective_until else [])]
        if meta.comment_until:
            moments.append(comment_close(meta))
    return sorted({m for m in moments if m > now})


def build_register(
    config: SiteConfig, documents: list[Document], *, now: dt.datetime, drafts: bool
) -> Register:
    listed = _listed(documents, drafts)
    by_number = _by_number(listed)
    warnings = []
    replaced_by: dict[str, list[Document]] = {}
    for document in listed:
        for number in document.meta.replaces:
            targets = by_number.get(number_key(number), [])
            if not targets:
                warnings.append(
                    Problem(
                        f"content/{document.path}",
                        document.parsed.line_of("replaces"),
                        "W196",
                        f'văn bản bị thay thế "{number}" không có trong sổ văn bản',
                        "kiểm tra số ký hiệu, hoặc thêm văn bản đó vào content/van-ban/",
                    )
                )
            for target in targets:
                replaced_by.setdefault(target.path, []).append(document)
    status: dict[str, str] = {}
    moments: list[dt.datetime] = []
    closes: dict[str, dt.datetime] = {}
    for document in listed:
        meta = document.meta
        replacing = [start(d.meta) for d in replaced_by.get(document.path, [])]
        status[document.path] = _status(meta, now, min(replacing, default=None))
        moments += [start(meta), *([meta.effective_until] if meta.effective_until else [])]
        if meta.comment_until:
            closes[document.path] = comment_close(meta)
            moments.append(closes[document.path])
    open_drafts = sorted(
        (d for d in listed if d.path in closes and closes[d.path] > now),
        key=lambda d: (closes[d.path], d.path),
    )
    for document in open_drafts:  # the days left, shown on pages, change at these moments
        closes_at = closes[document.path]
        moments.append(closes_at - dt.timedelta(days=days_left(closes_at, now) - 1))
    return Register(
        listed=tuple(listed),
        status=status,
        replaced_by={path: tuple(sorted(docs, key=sort_key)) for path, docs in replaced_by.items()},
        types=_types(config, listed),
        issuers=_group(listed, lambda d: [(d.issuer_slug, d.meta.issuer)]),
        years=_years(listed),
        fields=_group(listed, lambda d: list(zip(d.field_slugs, d.meta.fields, strict=True))),
        statuses=tuple(
            DocumentGroup(slug, name, docs)
            for slug, name in STATUSES.items()
            if (docs := tuple(d for d in listed if status[d.path] == slug))
        ),
        open_drafts=tuple(open_drafts),
        comment_closes=closes,
        by_number={key: tuple(docs) for key, docs in by_number.items()},
        next_change=min((m for m in moments if m > now), default=None),
        last_change=max((m for m in moments if m <= now), default=None),
        warnings=tuple(warnings),
    )


def start(meta: DocumentMeta) -> dt.datetime:
    """When a document takes effect: its effective date, else the day it was issued."""
    return meta.effective or meta.issued


def comment_close(meta: DocumentMeta) -> dt.datetime:
    """The end of the comment window: a day without a time means the whole of that day."""
    assert meta.comment_until is not None
    if meta.comment_has_time:
        return meta.comment_until
    return meta.comment_until + dt.timedelta(days=1)


def days_left(closes: dt.datetime, now: dt.datetime) -> int:
    """Whole days until a comment window closes, counting a part day as one."""
    return math.ceil((closes - now) / dt.timedelta(days=1))


def _status(meta: DocumentMeta, now: dt.datetime, replaced_from: dt.datetime | None) -> str:
    if meta.status:
        found = status_slug(meta.status)
        assert found is not None  # validated when the file was read
        return found
    if meta.comment_until and not meta.effective:
        return "du-thao"
    if now < start(meta):
        return "chua-co-hieu-luc"
    if meta.effective_until and now >= meta.effective_until:
        return "het-hieu-luc"
    if replaced_from and now >= replaced_from:
        return "het-hieu-luc"
    return "con-hieu-luc"


def _types(config: SiteConfig, listed: list[Document]) -> tuple[DocumentGroup, ...]:
    groups = []
    for kind in config.document_types:
        members = tuple(d for d in listed if d.type_slug == kind.slug)
        if members:
            groups.append(DocumentGroup(kind.slug, kind.name, members))
    return tuple(groups)


def _years(listed: list[Document]) -> tuple[DocumentGroup, ...]:
    years: dict[int, list[Document]] = {}
    for document in listed:
        years.setdefault(document.meta.issued.astimezone(VN_TZ).year, []).append(document)
    return tuple(
        DocumentGroup(str(year), str(year), tuple(docs))
        for year, docs in sorted(years.items(), reverse=True)
    )


def _group(listed: list[Document], keys) -> tuple[DocumentGroup, ...]:  # type: ignore[no-untyped-def]
    def present(document: Document) -> list[tuple[str, str]]:
        return [(slug, name) for slug, name in keys(document) if slug]

    return tuple(DocumentGroup(*group) for group in group_by(listed, present))


def _reference_problems(
    content_dir: Path,
    parsed: list[ParsedFile],
    by_number: dict[str, list[Document]],
    drafts: bool,
) -> list[Problem]:
    """A body linking a document by a number the register does not have (or has twice)."""
    problems = []
    for item in parsed:
        if item.meta.draft and not drafts:
            continue  # not built: a draft may link a document that is not published yet
        for number in item.document_refs:
            found = by_number.get(number_key(number), [])
            if len(found) == 1:
                continue
            text = read_bytes(content_dir / item.path).decode("utf-8", "replace")
            index = text.find(DOCUMENT_SCHEME + number)
            line = text.count("\n", 0, index) + 1 if index >= 0 else item.body_line
            what = "không có trong sổ văn bản" if not found else "trùng số với nhiều văn bản"
            problems.append(
                Problem(
                    f"content/{item.path}",
                    line,
                    "E197",
                    f'văn bản số "{number}" {what}',
                    "kiểm tra số ký hiệu; văn bản phải có tệp trong content/van-ban/",
                )
            )
    return problems
