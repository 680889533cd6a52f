"""Pages about the portal itself (the HTML site map, the feeds page) and related articles."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from .completeness import (
    CONTACT_SLUG,
    ENGLISH_CONTACT_SLUG,
    ENGLISH_LEADERS_SLUG,
    LEADERS_SLUG,
)
from .config import SiteConfig
from .index import Group, SiteIndex
from .layout import LABELS
from .models import Article, MediaLookup, Page, ParsedFile, RenderTask
from .pagefields import LEADER_LABELS, LEADER_LABELS_EN
from .urls import Urls
from .views import (
    Card,
    CategoryBlock,
    CountedLink,
    Detail,
    Image,
    Layout,
    Leader,
    Link,
    PageHead,
)

LEAD_WINDOW = 5  # how far down the newest articles the lead story may come from


class PagePlanner(Protocol):
    """What the pages made outside plan.py (these, and the register's) use of the planner."""

    config: SiteConfig
    index: SiteIndex
    urls: Urls
    media: MediaLookup | None
    layout: Layout
    menu_urls: set[str]
    body_of: Callable[[ParsedFile], str]
    documents: Any  # the register's pages, once they join (docpages.DocumentPages)

    def card(self, article: Article) -> Card: ...

    def image(self, src: str, alt: str) -> Image | None: ...

    def page_meta(
        self,
        title: str,
        rel_url: str,
        kind: str,
        description: str = "",
        section: str = "",
        og_type: str = "website",
        og_image: str = "",
    ) -> PageHead: ...


def related_articles(article: Article, groups: Iterable[Group | None], limit: int) -> list[Article]:
    """Articles sharing a tag first (closest in subject), then the source, then the category.

    Within each group the newest come first; each group is only read up to `limit` others,
    so the cost does not grow with the size of a category.
    """
    chosen: list[Article] = []
    seen = {article.path}
    for group in groups:
        if group is None:
            continue
        taken = 0
        for other in group.articles:
            if len(chosen) == limit or taken == limit:
                break
            if other.path not in seen:
                seen.add(other.path)
                chosen.append(other)
                taken += 1
    return chosen


def site_map_page(planner: PagePlanner) -> RenderTask:
    """/so-do-cong/: every section of the menu, every category, every page, in one list."""
    urls = planner.urls
    in_menu = planner.menu_urls
    pages = [
        Link(page.meta.title, urls.link(page.rel_url))
        for page in planner.index.pages
        if urls.link(page.rel_url) not in in_menu
    ]
    categories = [
        CountedLink(
            group.name, urls.link(Urls.listing("category", group.slug)), len(group.articles)
        )
        for group in planner.index.categories
    ]
    context = {
        "page": planner.page_meta("Sơ đồ cổng thông tin", Urls.SITE_MAP, "site-map"),
        "sections": planner.layout.menu,
        "pages": pages,
        "all_categories": categories,
    }
    return RenderTask(Urls.output_path(Urls.SITE_MAP), "site-map.html", context)


def feeds_page(planner: PagePlanner) -> RenderTask:
    """/rss/: what a feed is, in Vietnamese, and the address of each one."""
    urls = planner.urls
    feeds = [Link("Tất cả tin mới", urls.absolute(Urls.FEED))] + [
        Link(group.name, urls.absolute(Urls.category_feed(group.slug)))
        for group in planner.index.categories
        if group.articles
    ]
    context = {
        "page": planner.page_meta("Nhận tin mới qua RSS", Urls.FEEDS, "feeds"),
        "feeds": feeds,
    }
    return RenderTask(Urls.output_path(Urls.FEEDS), "feeds.html", context)


def static_page_task(planner: PagePlanner, page: Page) -> RenderTask:
    """A static page; the leaders, the lists of links and the contact block are data."""
    urls = planner.urls
    media = planner.media
    meta = page.meta
    english = page.lang == "en"
    labels = LEADER_LABELS_EN if english else LEADER_LABELS
    photo_label = LABELS["en" if english else "vi"]["photo"]
    leaders = []
    for person in meta.leaders:
        fields = dict(person)
        name = fields["name"]
        details = tuple(
            Detail(k, labels[k], fields[k]) for k in ("duties", "phone", "email") if fields[k]
        )
        photo = planner.image(fields["photo"], f"{photo_label} {name}")
        leaders.append(Leader(name, fields["position"], fields["bio"], photo, details))
    url = urls.link(page.rel_url)
    parent = next(
        (
            entry
            for entry in planner.layout.menu[1:]
            if any(child.url == url for child in entry.children)
        ),
        None,
    )
    image_alt = meta.image_alt or meta.image_caption or meta.title
    context = {
        "page": planner.page_meta(meta.title, page.rel_url, "page", page.parsed.summary),
        "draft": meta.draft,
        "image": planner.image(meta.image, image_alt),
        "image_caption": meta.image_caption,
        "media_key": media.body_key(page.parsed) if media else "",
        "leaders": leaders,
        "links": [Link(t, urls.rebase(u)) for t, u in meta.links],
        "contact": meta.slug == (ENGLISH_CONTACT_SLUG if english else CONTACT_SLUG),
        "expects_leaders": meta.slug == (ENGLISH_LEADERS_SLUG if english else LEADERS_SLUG),
        "parent": Link(parent.title, parent.url) if parent else None,
    }
    return RenderTask(Urls.output_path(page.rel_url), "page.html", context, page.path, page.parsed)


def home_page(planner: PagePlanner) -> RenderTask:
    """Lead story, latest news, one block per category: no article shown twice."""
    config, urls = planner.config, planner.urls
    shown = {item.url for block in planner.layout.sidebar for item in block.items}
    latest = _unshown_cards(planner, planner.index.listed, shown, 1 + config.home_latest)
    # The lead is the newest story with a photo among the first few, as portals do.
    pictured = next((i for i, item in enumerate(latest[:LEAD_WINDOW]) if item.image), 0)
    if latest:
        latest.insert(0, latest.pop(pictured))
    shown.update(item.url for item in latest)
    blocks = []
    for group in planner.index.categories:
        items = _unshown_cards(planner, group.articles, shown, config.home_per_category)
        if items:
            block = CategoryBlock(
                group.name,
                urls.link(Urls.listing("category", group.slug)),
                tuple(items[: config.home_per_category]),
            )
            blocks.append(block)
            shown.update(item.url for item in block.items)
    context = {
        "page": planner.page_meta(config.title, Urls.HOME, "home"),
        "lead": latest[0] if latest else None,
        "latest": latest[1:],
        "blocks": blocks,
        "documents": planner.documents.home_block() if planner.documents else None,
    }
    return RenderTask(Urls.output_path(Urls.HOME), "home.html", context)


def _unshown_cards(
    planner: PagePlanner, articles: Iterable[Article], shown: set[str], limit: int
) -> list[Card]:
    """The first `limit` cards not already shown (a card is made only when looked at: a
    rebuild after one edit makes a few dozen cards, not one per article)."""
    items: list[Card] = []
    for article in articles:
        card = planner.card(article)
        if card.url not in shown:
            items.append(card)
            if len(items) == limit:
                break
    return items
