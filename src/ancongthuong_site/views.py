"""Typed page data: what the planner gives the templates, one frozen type per kind of thing.

Jinja reads attributes as it reads keys, so templates use these as they would use dicts; the
types say in one place what a template may use (a name that is not here fails at planning,
not in a template). No I/O, no site knowledge: plain values only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any


class Shared:
    """Data shown on many pages (a card, the frame, a register row).

    A page's digest stands for it by `digest` (see cache.task_digest) rather than by its
    content, which would otherwise be pickled into thousands of page digests. The repr of
    plain strings, numbers, tuples and dataclasses is exact, deterministic and cheap.
    """

    @cached_property
    def digest(self) -> str:
        return hashlib.blake2b(repr(self).encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class Link:
    title: str
    url: str  # "" where the target has no page at this moment: shown as text


@dataclass(frozen=True)
class MenuItem:
    """One entry of a menu (or the site map): a link, a group of links, or both."""

    title: str
    url: str  # "" for a group that is only a heading
    children: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Image:
    """A photo as a page shows it; `media` is what the build made of it (see media.py)."""

    src: str
    alt: str
    media: dict[str, Any] | None = None  # None for remote images and SVG, shown as they are


@dataclass(frozen=True)
class Alternate:
    lang: str
    url: str


@dataclass(frozen=True)
class PageHead:
    """What the frame of every HTML page needs: head, menu position, language."""

    title: str
    url: str
    kind: str  # "home", "article", "category", …: templates branch on it
    canonical: str
    description: str
    lang: str = "vi"  # "vi" or "en": which labels the page uses
    html_lang: str = "vi"  # <html lang>: site.yaml's `language` on Vietnamese pages
    section: str = ""  # the menu entry this page sits under ("" when none)
    alternates: tuple[Alternate, ...] = ()  # hreflang pairs, both ways
    switch_url: str = ""  # the same page in the other language
    og_type: str = "website"
    og_image: str = ""


@dataclass(frozen=True)
class Headline:
    """A title with its date, as the sidebar lists articles and documents."""

    title: str
    url: str
    date_iso: str
    date_text: str


@dataclass(frozen=True)
class Card(Shared):
    """How an article appears in a list; computed once per article and build."""

    title: str
    url: str
    date_iso: str
    date_text: str
    datetime_text: str  # with the time when the article has one
    summary: str
    image: Image | None
    category: Link


@dataclass(frozen=True)
class ArticleView:
    card: Card
    lede: str
    image_caption: str
    author: str
    source: Link | None
    tags: tuple[Link, ...]
    updated_iso: str
    updated_text: str
    draft: bool
    scheduled: bool
    expired: bool
    attachments: tuple[dict[str, str], ...]
    media_key: str  # changes when a body image is made again (so the page is rebuilt)


@dataclass(frozen=True)
class PagerLink:
    number: int  # 0 for a gap, shown as "…"
    url: str


@dataclass(frozen=True)
class Pager:
    number: int
    total: int
    links: tuple[PagerLink, ...]
    prev: str
    next: str


@dataclass(frozen=True)
class ListingView:
    heading: str
    name: str
    count: int
    items: tuple[Card, ...]
    pager: Pager
    feed: str  # "" when the listing has no feed of its own


@dataclass(frozen=True)
class CategoryBlock:
    """One category on the home page."""

    title: str
    url: str
    items: tuple[Card, ...]


@dataclass(frozen=True)
class SidebarBlock:
    kind: str  # "links", "hotlines", "banner", "category" or "documents"
    title: str = ""
    url: str = ""
    links: tuple[Link, ...] = ()
    items: tuple[Card | Headline, ...] = ()
    image: str = ""  # banners only
    alt: str = ""


@dataclass(frozen=True)
class OutageNotice:
    message: str
    start: str
    end: str


@dataclass(frozen=True)
class Layout(Shared):
    """The frame that changes with the content: menus, sidebar, outage notice."""

    menu: tuple[MenuItem, ...]
    menu_en: tuple[MenuItem, ...]
    sidebar: tuple[SidebarBlock, ...]
    outage: OutageNotice | None


@dataclass(frozen=True)
class FooterField:
    key: str
    label: str
    label_en: str
    value: str


@dataclass(frozen=True)
class EnglishIdentity:
    title: str
    short_title: str
    governing_body: str
    home_url: str


@dataclass(frozen=True)
class Site:
    """What every page shows, from site.yaml and the static files it links: the templates'
    `site`."""

    title: str
    short_title: str
    description: str
    base_url: str
    home_url: str
    css_url: str
    js_url: str
    search_css_url: str
    search_js_url: str
    feed_url: str
    search_url: str
    archive_url: str
    feeds_url: str
    site_map_url: str
    categories: tuple[Link, ...]
    governing_body: str
    logo: str
    favicon: str
    footer: tuple[FooterField, ...]
    email: str
    measurement_script: str
    feedback_url: str
    feedback_embed: str
    english: EnglishIdentity
    labels: dict[str, dict[str, str]]  # language → label → text (a mapping: read as t[lang])
    extra: dict[str, Any]


@dataclass(frozen=True)
class Leader:
    name: str
    position: str
    bio: str
    photo: Image | None
    details: tuple[Detail, ...]  # duties, phone, email: those filled in


@dataclass(frozen=True)
class Detail:
    key: str
    label: str
    value: str


@dataclass(frozen=True)
class YearLink:
    year: int
    count: int
    url: str


@dataclass(frozen=True)
class CountedLink:
    title: str
    url: str
    count: int


@dataclass(frozen=True)
class FeedHead:
    title: str
    id: str
    self_url: str
    site_url: str
    updated: str


@dataclass(frozen=True)
class FeedEntry:
    title: str
    url: str
    published: str
    updated: str
    summary: str
    content: str
    category: str
    author: str


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    lastmod: str = ""


# -- the documents register (docpages.py) ------------------------------------------------
@dataclass(frozen=True)
class FileLink:
    url: str
    name: str  # the file name shown to readers
    label: str  # type and size, e.g. "PDF, 1,2 MB"
    pdf: bool  # opened in the browser; other types are downloaded


@dataclass(frozen=True)
class Status:
    slug: str
    title: str
    url: str


@dataclass(frozen=True)
class DocumentRow(Shared):
    """How a document appears in every list; computed once per document and build."""

    number: str
    title: str
    url: str
    type: Link
    issuer: Link
    issued_iso: str
    issued_text: str
    status: Status
    files: tuple[FileLink, ...]


@dataclass(frozen=True)
class MissingDocument:
    """A number a document cites that the register does not have (yet)."""

    number: str
    url: str = ""


@dataclass(frozen=True)
class Comment:
    """A draft's comment window."""

    until: str
    open: bool
    days_left: int
    contact: str
    contact_url: str


@dataclass(frozen=True)
class DraftRow:
    row: DocumentRow
    comment: Comment


@dataclass(frozen=True)
class DocumentView:
    row: DocumentRow
    signer: str
    fields: tuple[Link, ...]
    effective_text: str
    effective_until_text: str
    replaces: tuple[DocumentRow | MissingDocument, ...]
    replaced_by: tuple[DocumentRow, ...]
    related: tuple[DocumentRow | MissingDocument, ...]
    comment: Comment | None
    draft: bool


@dataclass(frozen=True)
class DocumentGroup:
    """Other documents of the same type, field or issuer, under a document."""

    title: str
    url: str
    items: tuple[DocumentRow, ...]


@dataclass(frozen=True)
class FilterItem:
    title: str
    url: str
    count: int
    current: bool


@dataclass(frozen=True)
class FilterBlock:
    title: str
    kind: str
    items: tuple[FilterItem, ...]


@dataclass(frozen=True)
class RegisterFilters(Shared):
    """Links to every filtered listing of the register, with counts."""

    all_url: str
    drafts_url: str
    drafts: int
    feed_url: str
    blocks: tuple[FilterBlock, ...]


@dataclass(frozen=True)
class HomeDocuments:
    """ "Văn bản mới" on the home page."""

    css_url: str
    url: str
    drafts_url: str
    drafts: int
    items: tuple[DocumentRow, ...]
