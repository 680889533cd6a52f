"""Plain data: what a file says, what an article is, what a page shows. No I/O."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Meta:
    """Validated front matter of one file (articles and static pages alike)."""

    title: str
    date: dt.datetime | None
    category: str = ""
    source: str = ""
    author: str = ""
    summary: str = ""
    tags: tuple[str, ...] = ()
    image: str = ""
    image_caption: str = ""
    slug: str = ""
    updated: dt.datetime | None = None
    expires: dt.datetime | None = None
    draft: bool = False
    aliases: tuple[str, ...] = ()
    date_has_time: bool = True  # "27/02/2024" is shown without a made-up 00:00
    # Static pages only (see pagefields.py):
    leaders: tuple[tuple[tuple[str, str], ...], ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    translation: str = ""


@dataclass(frozen=True)
class ParsedFile:
    """What one source file says, independent of the site around it (so it can be cached)."""

    path: str  # relative to content/, POSIX, NFC
    kind: str  # "article" or "page"
    meta: Meta
    key_lines: tuple[tuple[str, int], ...]
    body_html: str | None  # None when it comes from the cache and has not been read yet
    summary: str  # plain text
    body_line: int
    digest: str  # hash of the file's bytes
    search_text: str = ""  # title, summary and tags folded for search (no tones, đ → d)

    def line_of(self, key: str) -> int:
        return dict(self.key_lines).get(key, 1)


@dataclass(frozen=True)
class Article:
    """A file placed in the site: its slug, URL, category and source resolved."""

    parsed: ParsedFile
    slug: str
    rel_url: str  # site-relative, e.g. "2024/02/slug/"
    category_slug: str
    category_name: str
    source_slug: str
    tag_slugs: tuple[str, ...]
    # Copies of parsed.path and parsed.meta: read hundreds of thousands of times per build.
    path: str = field(init=False)
    meta: Meta = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", self.parsed.path)
        object.__setattr__(self, "meta", self.parsed.meta)


class SharedData(dict):
    """A dict shown on many pages (an article's card in listings and "related" lists).

    It carries a digest of its own content, so that page digests can stand for it by that
    digest instead of pickling the same data into thousands of page digests.
    """

    def __init__(self, data: dict) -> None:
        super().__init__(data)
        # repr of plain strings, numbers and dicts is exact and deterministic, and cheap.
        self.key = hashlib.blake2b(repr(data).encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class Pager:
    number: int
    total: int
    rel_urls: tuple[str, ...]  # one per page, page 1 first


@dataclass(frozen=True)
class RenderTask:
    """One output file: which template, with what context, and the digest of both."""

    output_path: str
    template: str
    context: dict
    source: str = ""  # the content file this page comes from, for error messages
    body: ParsedFile | None = None  # whose body the page shows (added just before rendering)
