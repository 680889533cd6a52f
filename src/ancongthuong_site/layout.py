"""What frames every page and depends on the content: the menu, the sidebar, the outage notice.

Empty categories leave the menu, and the sidebar lists the newest articles, so this data
changes with the content; it travels in each page's context (as one `Layout`, digested
once) so that the incremental build sees the change. `site_globals` is the part that
depends on site.yaml alone (name, identity, labels): the Jinja globals.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from .completeness import ENGLISH_SECTIONS
from .config import FOOTER_FIELDS, SiteConfig
from .index import SiteIndex
from .models import Article
from .urls import Urls
from .vietnamese import format_datetime
from .views import (
    Card,
    EnglishIdentity,
    FooterField,
    Headline,
    Layout,
    Link,
    MenuItem,
    OutageNotice,
    SidebarBlock,
    Site,
)

# The newest documents of the register, as the sidebar lists them (see docpages.py).
NewestDocuments = Callable[[int], list[Headline]]


def build_layout(
    config: SiteConfig,
    index: SiteIndex,
    card: Callable[[Article], Card],
    documents: NewestDocuments | None = None,
) -> Layout:
    urls = Urls(config.base_url)
    return Layout(
        menu=menu_tree(config, index, urls),
        menu_en=english_menu(index, urls),
        sidebar=sidebar_blocks(config, index, urls, card, documents),
        outage=outage_notice(config, index),
    )


def menu_tree(config: SiteConfig, index: SiteIndex, urls: Urls) -> tuple[MenuItem, ...]:
    """Trang chủ, site.yaml's menu, then every category the menu does not name.

    A category with no published article is left out (its page says so, but a menu should
    not lead a reader to nothing); a group left with no link is left out too.
    """
    groups = {group.slug: group for group in index.categories}

    def category_link(name: str) -> Link | None:
        category = config.category(name)
        if category is None or not groups[category.slug].articles:
            return None
        return Link(category.name, urls.link(Urls.listing("category", category.slug)))

    named: set[str] = set()
    tree = [MenuItem("Trang chủ", urls.link(Urls.HOME))]
    for entry in config.menu:
        children = [Link(c.title, urls.rebase(c.url)) for c in entry.children]
        for name in entry.categories:
            category = config.category(name)
            if category is not None:
                named.add(category.slug)
            link = category_link(name)
            if link:
                children.append(link)
        url = urls.rebase(entry.url) if entry.url else ""
        if url or children:
            tree.append(MenuItem(entry.title, url, tuple(children)))
    for category in config.categories:
        if category.slug not in named:
            link = category_link(category.slug)
            if link:
                tree.append(MenuItem(link.title, link.url))
    return tuple(tree)


def menu_urls(tree: tuple[MenuItem, ...]) -> set[str]:
    return {url for entry in tree for url in (entry.url, *(c.url for c in entry.children)) if url}


def sidebar_blocks(
    config: SiteConfig,
    index: SiteIndex,
    urls: Urls,
    card: Callable[[Article], Card],
    documents: NewestDocuments | None = None,
) -> tuple[SidebarBlock, ...]:
    blocks = []
    groups = {group.slug: group for group in index.categories}
    for block in config.sidebar:
        if block.kind in ("links", "hotlines"):
            links = tuple(Link(x.title, urls.rebase(x.url)) for x in block.links)
            if not links:
                continue  # nothing filled in yet: `check` says what is missing
            blocks.append(SidebarBlock(block.kind, block.title, links=links))
        elif block.kind == "banner":
            blocks.append(
                SidebarBlock(
                    block.kind,
                    block.title,
                    url=urls.rebase(block.url),
                    image=urls.rebase(block.image),
                    alt=block.alt,
                )
            )
        elif block.kind == "category":
            category = config.category(block.category)
            if category is None:
                continue
            articles = groups[category.slug].articles[: block.count]
            if not articles:
                continue
            blocks.append(
                SidebarBlock(
                    block.kind,
                    block.title or category.name,
                    url=urls.link(Urls.listing("category", category.slug)),
                    items=tuple(card(a) for a in articles),
                )
            )
        elif block.kind == "documents":
            items = tuple(documents(block.count)) if documents else ()
            if not items:
                continue
            title = block.title or "Văn bản mới"
            blocks.append(SidebarBlock(block.kind, title, urls.link(Urls.documents()), items=items))
    return tuple(blocks)


def outage_notice(config: SiteConfig, index: SiteIndex) -> OutageNotice | None:
    """Shown from the build that sees it until the outage ends (the hourly rebuild removes it)."""
    outage = config.outage
    if outage is None or outage.end <= index.now:
        return None
    return OutageNotice(outage.message, format_datetime(outage.start), format_datetime(outage.end))


def english_menu(index: SiteIndex, urls: Urls) -> tuple[MenuItem, ...]:
    """The English pages: the required ones first, in their usual order, then the others."""
    order = {section.slug: i for i, section in enumerate(ENGLISH_SECTIONS)}
    pages = sorted(
        (p for p in index.pages if p.lang == "en" and not p.meta.draft),
        key=lambda p: (order.get(p.meta.slug, len(order)), p.path),
    )
    return tuple(MenuItem(p.meta.title, urls.link(p.rel_url)) for p in pages)


def translations(index: SiteIndex, urls: Urls) -> dict[str, str]:
    """Page link → the same page in the other language, both ways (from `translation:`)."""
    links = {urls.link(page.rel_url) for page in index.pages}
    pairs: dict[str, str] = {}
    for page in index.pages:
        other = urls.rebase(page.meta.translation) if page.meta.translation else ""
        if other in links:
            here = urls.link(page.rel_url)
            pairs[here] = other
            pairs.setdefault(other, here)
    return pairs


LABELS = {
    "vi": {
        "skip": "Bỏ qua, đến nội dung chính",
        "search": "Tìm kiếm",
        "menu": "Menu",
        "menu_label": "Menu chính",
        "site_map": "Sơ đồ cổng",
        "home": "Trang chủ",
        "switch": "English",
        "email": "Thư điện tử",
        "breadcrumb": "Đường dẫn",
        "updating": "Nội dung trang này đang được cập nhật.",
        "leaders_updating": "Thông tin về lãnh đạo Sở đang được cập nhật.",
        "contact": "Thông tin liên hệ",
        "governing_body": "Cơ quan chủ quản",
        "photo": "Ảnh",
        "feedback": "Đánh giá mức độ hài lòng",
    },
    "en": {
        "skip": "Skip to main content",
        "search": "Search",
        "menu": "Menu",
        "menu_label": "Main menu",
        "site_map": "Site map",
        "home": "Home",
        "switch": "Tiếng Việt",
        "email": "Email",
        "breadcrumb": "Breadcrumb",
        "updating": "This page is being updated.",
        "leaders_updating": "Information about the Department's leaders is being updated.",
        "contact": "Contact details",
        "governing_body": "Governing body",
        "photo": "Photo of",
        "feedback": "Rate your satisfaction",
    },
}


FOOTER_LABELS = dict(
    zip(
        FOOTER_FIELDS,
        (
            "Cơ quan chủ quản",
            "Địa chỉ",
            "Điện thoại",
            "Fax",
            "Thư điện tử",
            "Chịu trách nhiệm chính",
            "Giấy phép",
            "Ghi chú",
        ),
        strict=True,
    )
)

FOOTER_LABELS_EN = dict(
    zip(
        FOOTER_FIELDS,
        (
            "Governing body",
            "Address",
            "Phone",
            "Fax",
            "Email",
            "Person responsible",
            "Licence",
            "Note",
        ),
        strict=True,
    )
)


def asset_link(urls: Urls, static_dir: Path, rel: str) -> str:
    """Link to a file of static/ that names its content ("/css/style.css?v=3f2a9c01d4").

    CSS and JS keep their names from build to build; the digest in the link lets browsers
    and the server cache them for long, yet fetch a changed file at once (a search page
    must never pair a new index with an old search.js).
    """
    try:
        data = (static_dir / rel).read_bytes()
    except OSError:  # no such file: the link check reports the link
        return urls.link(rel)
    return urls.link(rel) + "?v=" + hashlib.sha256(data).hexdigest()[:10]


def site_globals(config: SiteConfig) -> Site:
    """What every page shows: the same for all tasks, so it lives in the Jinja globals."""
    urls = Urls(config.base_url)
    footer = dict(config.footer)
    integrations = config.integrations
    return Site(
        title=config.title,
        short_title=config.short_title or config.title,
        description=config.description,
        base_url=urls.base_url,
        home_url=urls.link(Urls.HOME),
        css_url=asset_link(urls, config.static_dir, Urls.CSS),
        js_url=asset_link(urls, config.static_dir, Urls.PORTAL_JS),
        search_css_url=asset_link(urls, config.static_dir, Urls.SEARCH_CSS),
        search_js_url=asset_link(urls, config.static_dir, Urls.SEARCH_JS),
        feed_url=urls.link(Urls.FEED),
        search_url=urls.link(Urls.SEARCH),
        archive_url=urls.link(Urls.archive()),
        feeds_url=urls.link(Urls.FEEDS),
        site_map_url=urls.link(Urls.SITE_MAP),
        categories=tuple(
            Link(c.name, urls.link(Urls.listing("category", c.slug))) for c in config.categories
        ),
        # The governing body ("UBND tỉnh An Giang") is one footer field, also shown above
        # the name in the header.
        governing_body=footer.get("owner", ""),
        logo=urls.rebase(config.logo) if config.logo else "",
        favicon=urls.rebase(config.favicon) if config.favicon else "",
        footer=tuple(
            FooterField(k, FOOTER_LABELS[k], FOOTER_LABELS_EN[k], v)
            for k, v in config.footer
            if k != "owner"
        ),
        email=footer.get("email", ""),
        measurement_script=integrations.measurement_script,
        feedback_url=integrations.feedback_url,
        feedback_embed=integrations.feedback_embed,
        english=EnglishIdentity(
            title=config.english.get("title") or config.title,
            short_title=config.english.get("short_title") or config.short_title or config.title,
            governing_body=config.english.get("governing_body", ""),
            home_url=urls.link(Urls.page("introduction", "en")),
        ),
        labels=LABELS,
        extra=config.extra,
    )
