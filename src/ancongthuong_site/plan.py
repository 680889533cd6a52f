"""`SiteIndex` → sorted `RenderTask`s: one per output file, each with the data it shows.

A context maps the names a template reads to typed page data (views.py), prepared here so
templates stay simple and so a task's digest (the hash of its context) covers everything the
page shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container
from typing import Any

from .config import SiteConfig
from .index import Group, SiteIndex, paginate
from .layout import build_layout, menu_urls, translations
from .models import Article, MediaLookup, Page, ParsedFile, Placed, RenderTask
from .searchindex import IndexState, PendingIndex, shard_lookup, start_search_index
from .sitepages import (
    feeds_page,
    home_page,
    related_articles,
    site_map_page,
    static_page_task,
)
from .urls import Urls
from .vietnamese import format_date, format_datetime
from .views import (
    Alternate,
    ArticleView,
    Card,
    FeedEntry,
    FeedHead,
    Image,
    Link,
    ListingView,
    PageHead,
    Pager,
    PagerLink,
    SitemapEntry,
    YearLink,
)

_LISTING_TITLES = {"category": "Chuyên mục", "source": "Nguồn", "tag": "Thẻ"}

NEEDED_TEMPLATES = (
    "base.html",
    "home.html",
    "article.html",
    "list.html",
    "archive.html",
    "page.html",
    "404.html",
    "search.html",
    "redirect.html",
    "feed.xml",
    "sitemap.xml",
    "robots.txt",
    "site-map.html",
    "feeds.html",
    "documents.html",
    "document.html",
)


class Planner:
    def __init__(
        self,
        config: SiteConfig,
        index: SiteIndex,
        body_of: Callable[[ParsedFile], str],
        terms_of: Callable[[ParsedFile], str] | None = None,
        media: MediaLookup | None = None,
    ) -> None:
        self.config = config
        self.media = media
        self.body_of = body_of  # bodies are read lazily: only feeds need them while planning
        self.terms_of = terms_of or (lambda parsed: parsed.search_terms or "")
        self.index = index
        self.urls = Urls(config.base_url)
        self._cards: dict[str, Card] = {}
        self._categories = {group.slug: group for group in index.categories}
        self._sources = {group.slug: group for group in index.sources}
        # A listing page exists only while it has members: an article whose tag or source
        # has no listing at this moment (it expired, it is the only one) names it unlinked.
        self._tags = {group.slug: group for group in index.tags}
        self.layout = build_layout(config, index, self.card)
        self.menu_urls = menu_urls(self.layout.menu + self.layout.menu_en)
        self.translations = translations(index, self.urls)
        self.documents: Any = None  # the register's pages (docpages), added by build
        self.search_state: IndexState | None = None  # the last search index, set by build

    # -- shared pieces --------------------------------------------------------------
    def card(self, article: Article) -> Card:
        """How an article appears in a list; computed once per article."""
        found = self._cards.get(article.path)
        if found is None:
            meta = article.meta
            date = meta.date
            found = Card(
                title=meta.title,
                url=self.urls.link(article.rel_url),
                date_iso=date.isoformat() if meta.date_has_time else f"{date:%Y-%m-%d}",
                date_text=format_date(date),
                datetime_text=format_datetime(date) if meta.date_has_time else format_date(date),
                summary=article.parsed.summary,
                image=self.image(meta.image, meta.image_alt or meta.image_caption or meta.title),
                category=Link(
                    article.category_name,
                    self.urls.link(Urls.listing("category", article.category_slug)),
                ),
            )
            self._cards[article.path] = found
        return found

    def adopt_cards(self, cards: dict[str, Card], stale: set[str]) -> None:
        """Take the cards another planner made, but those of the articles in `stale`
        (a saved article is planned again without making 10,000 cards again)."""
        self._cards.update((p, card) for p, card in cards.items() if p not in stale)

    def image(self, src: str, alt: str) -> Image | None:
        """A photo written in front matter, as pages show it (None when there is none)."""
        if not src:
            return None
        return Image(self.urls.rebase(src), alt, self.media.image(src) if self.media else None)

    def pager(
        self, rel_urls: list[str], number: int, links: tuple[PagerLink, ...] | None = None
    ) -> Pager:
        """Page `number` of a listing; `links` (from `pager_links`) shared by its pages: a
        listing of 300 pages would otherwise hold 300 × 300 links."""
        if links is None:
            links = self.pager_links(rel_urls)
        return Pager(
            number=number,
            total=len(rel_urls),
            links=links,
            prev=links[number - 2].url if number > 1 else "",
            next=links[number].url if number < len(links) else "",
        )

    def pager_links(self, rel_urls: list[str]) -> tuple[PagerLink, ...]:
        return tuple(PagerLink(i + 1, self.urls.link(u)) for i, u in enumerate(rel_urls))

    def page_meta(
        self,
        title: str,
        rel_url: str,
        kind: str,
        description: str = "",
        section: str = "",
        og_type: str = "website",
        og_image: str = "",
    ) -> PageHead:
        """`section` is the page's place in the menu (an article's is its category)."""
        url = self.urls.link(rel_url)
        section = section or url
        other = self.translations.get(url)
        english = rel_url.startswith("en/")
        lang = "en" if english else "vi"
        alternates = (
            (
                Alternate(lang, self.urls.origin + url),
                Alternate("vi" if english else "en", self.urls.origin + other),
            )
            if other
            else ()
        )
        return PageHead(
            title=title,
            url=url,
            kind=kind,
            canonical=self.urls.absolute(rel_url),
            description=description or self.config.description,
            lang=lang,
            html_lang="en" if english else self.config.language,
            section=section if section in self.menu_urls else "",
            alternates=alternates,
            switch_url=other or "",
            og_type=og_type,
            og_image=og_image,
        )

    # -- tasks ----------------------------------------------------------------------------
    def tasks(self) -> list[RenderTask]:
        search = self.start_search_index()  # a whole merge runs meanwhile on the other core
        try:
            return self._all_tasks(search)
        finally:
            search.cancel()  # only if planning failed before the index was taken

    def _all_tasks(self, search: PendingIndex) -> list[RenderTask]:
        tasks: list[RenderTask] = [self.home()]
        tasks += self.article_pages()
        tasks += [self.static_page(page) for page in self.index.pages]
        for group in self.index.categories:
            tasks += self.group_listing("category", group)
            tasks.append(self.category_feed(group))
        for group in self.index.sources:
            tasks += self.group_listing("source", group)
        for group in self.index.tags:
            tasks += self.group_listing("tag", group)
        tasks += self.archives()
        tasks.append(self.main_feed())
        tasks += self.aliases()
        tasks += [
            self.sitemap(),
            *self._with_search_page(search.tasks()),
            self.not_found(),
            RenderTask(Urls.ROBOTS, "robots.txt", {"sitemap": self.urls.absolute(Urls.SITEMAP)}),
            site_map_page(self),
            feeds_page(self),
        ]
        tasks += self.documents.tasks() if self.documents else []
        self.add_layout(tasks)
        tasks.sort(key=lambda t: t.output_path)
        return tasks

    def add_layout(self, tasks: list[RenderTask]) -> None:
        for task in tasks:
            if task.template.endswith(".html") and task.template != "redirect.html":
                task.context["layout"] = self.layout

    # -- the pages of one group, for a build that plans only what a change touches ------
    def group(self, kind: str, slug: str) -> Group | None:
        """The category, source or tag with this slug, while it has a listing."""
        groups = {"category": self._categories, "source": self._sources, "tag": self._tags}
        return groups[kind].get(slug)

    def group_listing(
        self, kind: str, group: Group, only: Container[str] | None = None
    ) -> list[RenderTask]:
        """`only`: the output paths wanted (a listing of 300 pages shows a card on one)."""
        return self.listing(kind, group, f"{_LISTING_TITLES[kind]}: {group.name}", only)

    def category_feed(self, group: Group) -> RenderTask:
        return self.feed(Urls.category_feed(group.slug), group.articles, group.name)

    def main_feed(self) -> RenderTask:
        return self.feed(Urls.FEED, self.index.listed, "")

    def search_index(self) -> list[RenderTask]:
        """The index's files and the search page, which tells its script where they are."""
        return self._with_search_page(self.start_search_index().tasks())

    def _with_search_page(self, files: list[RenderTask]) -> list[RenderTask]:
        page = self.search_page(shard_lookup(files))
        self.add_layout([page])  # serve writes it with the index, outside any other plan
        return [page, *files]

    def start_search_index(self) -> PendingIndex:
        documents = self.documents.search_entries(self.terms_of) if self.documents else []
        return start_search_index(
            self.index, self.urls, self.terms_of, documents, self.search_state
        )

    def home(self) -> RenderTask:
        return home_page(self)

    def article_pages(self) -> list[RenderTask]:
        tasks = []
        listed = self.index.listed
        position = {a.path: i for i, a in enumerate(listed)}
        for article in listed + self.index.unlisted:
            i = position.get(article.path)
            newer = self.card(listed[i - 1]) if i is not None and i > 0 else None
            older = self.card(listed[i + 1]) if i is not None and i + 1 < len(listed) else None
            tasks.append(self.article_page(article, newer, older))
        return tasks

    def article_page(self, article: Article, newer: Card | None, older: Card | None) -> RenderTask:
        meta = article.meta
        date = meta.date
        card = self.card(article)
        groups = [self._tags.get(slug) for slug in article.tag_slugs]
        groups += [self._sources.get(article.source_slug), self._categories[article.category_slug]]
        related = [self.card(a) for a in related_articles(article, groups, self.config.related)]
        source = None
        if article.source_slug:
            source_group = self._sources.get(article.source_slug)
            listing = self.urls.link(Urls.listing("source", article.source_slug))
            source = Link(source_group.name, listing) if source_group else Link(meta.source, "")
        tags = tuple(
            Link(name, self._tag_url(slug))
            for name, slug in zip(meta.tags, article.tag_slugs, strict=True)
        )
        now = self.index.now
        view = ArticleView(
            card=card,
            lede=meta.summary,
            image_caption=meta.image_caption,
            author=meta.author,
            source=source,
            tags=tags,
            updated_iso=meta.updated.isoformat() if meta.updated else "",
            updated_text=format_datetime(meta.updated) if meta.updated else "",
            draft=meta.draft,
            scheduled=date > now,
            expired=meta.expires is not None and meta.expires <= now,
            attachments=tuple(self.media.attachments(article.parsed)) if self.media else (),
            media_key=self.media.body_key(article.parsed) if self.media else "",
        )
        canonical = self.urls.absolute(article.rel_url)
        json_ld: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": meta.title,
            "datePublished": date.isoformat(),
            "dateModified": (meta.updated or date).isoformat(),
            "mainEntityOfPage": canonical,
            "articleSection": article.category_name,
            "inLanguage": "vi",
            "publisher": {"@type": "GovernmentOrganization", "name": self.config.title},
        }
        if meta.author:
            json_ld["author"] = {"@type": "Person", "name": meta.author}
        shared_image = ""
        if card.image:
            # A processed photo is shared by its largest JPEG: the original is not published.
            media = card.image.media
            shared_image = self._absolute_link(media["largest"] if media else card.image.src)
            json_ld["image"] = shared_image
        context = {
            "page": self.page_meta(
                meta.title,
                article.rel_url,
                "article",
                article.parsed.summary,
                section=card.category.url,
                og_type="article",
                og_image=shared_image,
            ),
            "article": view,
            "breadcrumb": [card.category],
            "related": related,
            "newer": newer,
            "older": older,
            "json_ld": json_ld,
        }
        return RenderTask(
            Urls.output_path(article.rel_url), "article.html", context, article.path, article.parsed
        )

    def _tag_url(self, slug: str) -> str:
        return self.urls.link(Urls.listing("tag", slug)) if slug in self._tags else ""

    def _absolute_link(self, link: str) -> str:
        if link.startswith("/") and not link.startswith("//"):
            return self.urls.origin + link
        return link

    def static_page(self, page: Page) -> RenderTask:
        return static_page_task(self, page)

    def listing(
        self, kind: str, group: Group, title: str, only: Container[str] | None = None
    ) -> list[RenderTask]:
        chunks = paginate(group.articles, self.config.paginate)
        rel_urls = [Urls.listing(kind, group.slug, n + 1) for n in range(len(chunks))]
        feed = self.urls.link(Urls.category_feed(group.slug)) if kind == "category" else ""
        return self._listing_tasks(
            kind, title, group.name, chunks, rel_urls, len(group.articles), feed, only
        )

    def _listing_tasks(
        self,
        kind: str,
        title: str,
        name: str,
        chunks: list[tuple[Article, ...]],
        rel_urls: list[str],
        count: int,
        feed: str,
        only: Container[str] | None = None,
    ) -> list[RenderTask]:
        tasks = []
        links = self.pager_links(rel_urls)
        for number, (chunk, rel_url) in enumerate(zip(chunks, rel_urls, strict=True), start=1):
            if only is not None and Urls.output_path(rel_url) not in only:
                continue
            page_title = title if number == 1 else f"{title} – Trang {number}"
            listing = ListingView(
                heading=title,
                name=name,
                count=count,
                items=tuple(self.card(a) for a in chunk),
                pager=self.pager(rel_urls, number, links),
                feed=feed,
            )
            context = {"page": self.page_meta(page_title, rel_url, kind), "listing": listing}
            tasks.append(RenderTask(Urls.output_path(rel_url), "list.html", context))
        return tasks

    def archives(self) -> list[RenderTask]:
        years = [
            YearLink(year, len(items), self.urls.link(Urls.archive(year)))
            for year, items in self.index.years
        ]
        tasks = [
            RenderTask(
                Urls.output_path(Urls.archive()),
                "archive.html",
                {"page": self.page_meta("Lưu trữ", Urls.archive(), "archive"), "years": years},
            )
        ]
        for year, _items in self.index.years:
            tasks += self.year_listing(year)
        return tasks

    def year_listing(self, year: int, only: Container[str] | None = None) -> list[RenderTask]:
        """The pages of one year of the archive (none for a year without articles)."""
        items = dict(self.index.years).get(year, ())
        if not items:
            return []
        chunks = paginate(items, self.config.paginate)
        rel_urls = [Urls.archive(year, n + 1) for n in range(len(chunks))]
        return self._listing_tasks(
            "year", f"Lưu trữ năm {year}", str(year), chunks, rel_urls, len(items), "", only
        )

    def feed(self, rel_url: str, articles: tuple[Article, ...], category: str) -> RenderTask:
        chosen = articles[: self.config.feed_size]
        entries = []
        for article in chosen:
            meta = article.meta
            entries.append(
                FeedEntry(
                    title=meta.title,
                    url=self.urls.absolute(article.rel_url),
                    published=meta.date.isoformat(),
                    updated=(meta.updated or meta.date).isoformat(),
                    summary=article.parsed.summary,
                    content=self.body_of(article.parsed),
                    category=article.category_name,
                    author=meta.author or meta.source or self.config.title,
                )
            )
        newest = max((a.meta.updated or a.meta.date for a in chosen), default=None)
        title = self.config.title if not category else f"{category} – {self.config.title}"
        context = {
            "feed": FeedHead(
                title=title,
                id=self.urls.absolute(rel_url),
                self_url=self.urls.absolute(rel_url),
                site_url=self.urls.absolute(Urls.HOME),
                # From content, never the clock: an empty feed carries a fixed date.
                updated=(newest or dt.datetime(2000, 1, 1, tzinfo=dt.UTC)).isoformat(),
            ),
            "entries": entries,
        }
        return RenderTask(rel_url, "feed.xml", context)

    def aliases(self) -> list[RenderTask]:
        placed: tuple[Placed, ...] = (*self.index.listed, *self.index.unlisted, *self.index.pages)
        return [self.redirect(item, url) for item in placed for url in item.meta.alias_urls]

    def redirect(self, article: Placed, rel: str) -> RenderTask:
        context = {
            "page": self.page_meta(article.meta.title, article.rel_url, "redirect"),
            "target": self.urls.link(article.rel_url),
        }
        return RenderTask(Urls.output_path(rel), "redirect.html", context, article.path)

    def sitemap(self) -> RenderTask:
        entries = [SitemapEntry(self.urls.absolute(Urls.HOME))]
        for article in self.index.listed:
            meta = article.meta
            lastmod = (meta.updated or meta.date).isoformat()
            entries.append(SitemapEntry(self.urls.absolute(article.rel_url), lastmod))
        for page in self.index.pages:
            entries.append(SitemapEntry(self.urls.absolute(page.rel_url)))
        for group in self.index.categories:
            entries.append(SitemapEntry(self.urls.absolute(Urls.listing("category", group.slug))))
        entries += self.documents.sitemap_entries() if self.documents else []
        return RenderTask(Urls.SITEMAP, "sitemap.xml", {"entries": entries})

    def search_page(self, lookup: str) -> RenderTask:
        """`lookup`: searchindex.shard_lookup of the index's files."""
        context = {
            "page": self.page_meta("Tìm kiếm", Urls.SEARCH, "search"),
            "index_url": self.urls.link(Urls.SEARCH_INDEX),
            "index_meta_url": self.urls.link(Urls.SEARCH_INDEX_META),
            "index_lookup": lookup,
        }
        return RenderTask(Urls.output_path(Urls.SEARCH), "search.html", context)

    def not_found(self) -> RenderTask:
        context = {"page": self.page_meta("Không tìm thấy trang", Urls.NOT_FOUND, "404")}
        return RenderTask(Urls.NOT_FOUND, "404.html", context)
