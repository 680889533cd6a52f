"""Plain data: what a file says, what an article is, what a page shows. No I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, kw_only=True)
class Meta:
    """Validated front matter that articles and static pages share."""

    title: str
    summary: str = ""
    image: str = ""
    image_caption: str = ""
    image_alt: str = ""
    slug: str = ""
    draft: bool = False
    aliases: tuple[str, ...] = ()  # as written
    alias_urls: tuple[str, ...] = ()  # the same, as site-relative URLs (see Urls.alias_rel_url)
    attachments: tuple[tuple[str, str], ...] = ()  # (file or https URL, title or "")


@dataclass(frozen=True, kw_only=True)
class ArticleMeta(Meta):
    """An article's front matter: a dated story in a category."""

    date: dt.datetime
    date_has_time: bool = True  # "27/02/2024" is shown without a made-up 00:00
    category: str = ""  # as written; placing the article finds it in site.yaml
    source: str = ""
    source_slug: str = ""  # "" when there is no source
    author: str = ""
    tags: tuple[str, ...] = ()
    tag_slugs: tuple[str, ...] = ()  # one per tag, in the same order
    updated: dt.datetime | None = None
    expires: dt.datetime | None = None


@dataclass(frozen=True, kw_only=True)
class PageMeta(Meta):
    """A static page's front matter (content/pages/): structured parts, see pagefields.py."""

    leaders: tuple[tuple[tuple[str, str], ...], ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    translation: str = ""


@dataclass(frozen=True)
class DocumentMeta:
    """Validated front matter of one document of the register (content/van-ban/)."""

    title: str  # trích yếu
    number: str  # số ký hiệu, e.g. "123/QĐ-SCT"
    type: str  # loại văn bản, as written (checked against site.yaml when placed)
    issuer: str  # cơ quan ban hành
    issued: dt.datetime  # ngày ban hành
    signer: str = ""
    fields: tuple[str, ...] = ()  # lĩnh vực
    effective: dt.datetime | None = None
    effective_until: dt.datetime | None = None  # from this moment it is no longer in effect
    status: str = ""  # set by the editor; otherwise derived from the dates
    replaces: tuple[str, ...] = ()  # numbers
    related: tuple[str, ...] = ()  # numbers
    files: tuple[str, ...] = ()  # "/files/…" under static/, or https URLs
    comment_until: dt.datetime | None = None  # end of the comment window (drafts)
    comment_has_time: bool = True  # "2025-01-31" means the whole of that day
    comment_contact: str = ""  # an e-mail address or a link where comments go
    slug: str = ""
    draft: bool = False
    aliases: tuple[str, ...] = ()
    alias_urls: tuple[str, ...] = ()  # the same, as site-relative URLs


@dataclass(frozen=True)
class ParsedFile:
    """What one source file says, independent of the site around it (so it can be cached)."""

    path: str  # relative to content/, POSIX, NFC
    kind: str  # "article", "page" or "document"
    meta: ArticleMeta | PageMeta | DocumentMeta
    key_lines: tuple[tuple[str, int], ...]
    body_html: str | None  # None when it comes from the cache and has not been read yet
    summary: str  # plain text
    body_line: int
    digest: str  # hash of the file's bytes
    # Search terms (see searchterms.py); None when it comes from the cache and is not read yet.
    search_terms: str | None = None
    document_refs: tuple[str, ...] = ()  # documents the body links by number (van-ban:…)
    images: tuple[tuple[str, int, bool], ...] = ()  # body images: (src, line, has alt text)
    links: tuple[tuple[str, int], ...] = ()  # body links: (href, line)

    def line_of(self, key: str) -> int:
        return dict(self.key_lines).get(key, 1)


@dataclass(frozen=True)
class Article:
    """An article placed in the site: its slug, URL, category and source resolved."""

    parsed: ParsedFile
    slug: str
    rel_url: str  # site-relative, e.g. "2024/02/slug/"
    category_slug: str
    category_name: str
    source_slug: str
    # Copies of parsed.path and parsed.meta: read hundreds of thousands of times per build.
    path: str = field(init=False)
    meta: ArticleMeta = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", self.parsed.path)
        object.__setattr__(self, "meta", self.parsed.meta)

    @property
    def tag_slugs(self) -> tuple[str, ...]:
        return self.meta.tag_slugs


@dataclass(frozen=True)
class Page:
    """A static page placed in the site (content/pages/<slug>.md → /<slug>/)."""

    parsed: ParsedFile
    slug: str
    rel_url: str
    lang: str  # "vi", or "en" for content/pages/en/
    path: str = field(init=False)
    meta: PageMeta = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", self.parsed.path)
        object.__setattr__(self, "meta", self.parsed.meta)


Placed = Article | Page  # what the loader places: every content file but documents


@dataclass(frozen=True)
class Attachment:
    """One attached file: as written, its type, and its size when it is ours."""

    url: str  # "/files/…" (under static/) or an https URL
    ext: str  # "pdf", "docx", …
    size: int | None  # bytes; None for a file on another site
    name: str  # the file name shown to readers


@dataclass(frozen=True)
class Document:
    """A document placed in the register: its type and URL resolved, its files checked."""

    parsed: ParsedFile
    slug: str
    rel_url: str  # "van-ban/<slug>/"
    type_name: str  # the spelling of site.yaml
    type_slug: str
    issuer_slug: str
    field_slugs: tuple[str, ...]
    attachments: tuple[Attachment, ...]
    path: str = field(init=False)
    meta: DocumentMeta = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", self.parsed.path)
        object.__setattr__(self, "meta", self.parsed.meta)


@dataclass(frozen=True)
class RenderTask:
    """One output file: which template, with what context, and the digest of both."""

    output_path: str
    template: str
    context: dict
    source: str = ""  # the content file this page comes from, for error messages
    body: ParsedFile | None = None  # whose body the page shows (added just before rendering)


class MediaLookup(Protocol):
    """What planning needs to know of the images and files pages show (see media.py)."""

    def image(self, url: str) -> dict[str, Any] | None: ...

    def attachments(self, parsed: ParsedFile) -> list[dict[str, str]]: ...

    def body_key(self, parsed: ParsedFile) -> str: ...
