"""`SiteIndex`: what is published now, newest first, grouped by category, source, tag, year."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import TypeVar

from .config import SiteConfig
from .models import Article, Page, Placed
from .vietnamese import VN_TZ, vi_key


@dataclass(frozen=True)
class Group:
    """Articles sharing a category, source or tag; `name` is the most common spelling."""

    slug: str
    name: str
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class SiteIndex:
    listed: tuple[Article, ...]  # published and not expired, newest first
    unlisted: tuple[Article, ...]  # expired: the page stays, marked, but no listing shows it
    pages: tuple[Page, ...]
    categories: tuple[Group, ...]  # in site.yaml order, empty ones included
    sources: tuple[Group, ...]
    tags: tuple[Group, ...]
    years: tuple[tuple[int, tuple[Article, ...]], ...]  # newest year first
    now: dt.datetime
    next_change: dt.datetime | None  # when a scheduled article appears or one expires
    last_change: dt.datetime | None = None  # the latest such moment up to now
    scheduled: tuple[dt.datetime, ...] = ()  # publication times still to come, soonest first


Item = TypeVar("Item")  # what a listing lists: articles, or the register's documents


def sort_key(article: Article) -> tuple[float, str]:
    """Newest first; the path breaks ties so the order never depends on the file system."""
    return (-article.meta.date.timestamp(), article.path)


def build_index(
    config: SiteConfig,
    placed: list[Placed],
    *,
    now: dt.datetime,
    drafts: bool = False,
    future: bool = False,
) -> SiteIndex:
    visible: list[Article] = []
    expired: list[Article] = []
    pages = [p for p in placed if isinstance(p, Page) and (drafts or not p.meta.draft)]
    articles = [a for a in placed if isinstance(a, Article)]
    upcoming: list[dt.datetime] = []
    for article in articles:
        meta = article.meta
        if meta.draft and not drafts:
            continue
        if meta.date > now:
            upcoming.append(meta.date)  # it appears then, or loses its "scheduled" notice
            if not future:
                continue
        if meta.expires is not None and meta.expires <= now:
            expired.append(article)
            continue
        if meta.expires is not None:
            upcoming.append(meta.expires)
        visible.append(article)
    if config.outage is not None and config.outage.end > now:
        upcoming.append(config.outage.end)  # the notice leaves the pages then
    visible.sort(key=sort_key)
    expired.sort(key=sort_key)
    pages.sort(key=lambda page: page.path)

    by_category: dict[str, list[Article]] = {c.slug: [] for c in config.categories}
    for article in visible:
        by_category[article.category_slug].append(article)
    categories = tuple(Group(c.slug, c.name, tuple(by_category[c.slug])) for c in config.categories)
    sources = _group(visible, lambda a: [(a.source_slug, a.meta.source)] if a.source_slug else [])
    tags = _group(visible, lambda a: list(zip(a.tag_slugs, a.meta.tags, strict=True)))
    years: dict[int, list[Article]] = {}
    for article in visible:
        # The year in Vietnam, as in the article's URL (00:30 on 1 January is the new year).
        years.setdefault(article.meta.date.astimezone(VN_TZ).year, []).append(article)
    return SiteIndex(
        listed=tuple(visible),
        unlisted=tuple(expired),
        pages=tuple(pages),
        categories=categories,
        sources=sources,
        tags=tags,
        years=tuple(sorted(((y, tuple(a)) for y, a in years.items()), reverse=True)),
        now=now,
        next_change=min(upcoming) if upcoming else None,
        scheduled=tuple(
            sorted(
                a.meta.date for a in articles if a.meta.date > now and (drafts or not a.meta.draft)
            )
        ),
        last_change=max(
            (
                moment
                for a in articles
                for moment in (a.meta.date, a.meta.expires)
                if moment is not None and moment <= now
            ),
            default=None,
        ),
    )


def _group(articles: list[Article], keys) -> tuple[Group, ...]:  # type: ignore[no-untyped-def]
    return tuple(Group(slug, name, items) for slug, name, items in group_by(articles, keys))


def group_by(items: list, keys) -> list[tuple[str, str, tuple]]:  # type: ignore[no-untyped-def]
    """(slug, name, members) for every slug `keys(item)` gives, in Vietnamese name order.

    `keys` returns (slug, spelling) pairs; the most common spelling names the group, ties
    going to the first in Vietnamese order.
    """
    members: dict[str, list] = {}
    spellings: dict[str, Counter[str]] = {}
    for item in items:
        for slug, name in keys(item):
            members.setdefault(slug, []).append(item)
            spellings.setdefault(slug, Counter())[name] += 1
    groups = []
    for slug, found in members.items():
        name = min(spellings[slug].items(), key=lambda i: (-i[1], vi_key(i[0]), i[0]))[0]
        groups.append((slug, name, tuple(found)))
    groups.sort(key=lambda g: (vi_key(g[1]), g[0]))
    return groups


def paginate(items: tuple[Item, ...], per_page: int) -> list[tuple[Item, ...]]:
    """Pages of `per_page`; an empty listing still has one (empty) page."""
    if not items:
        return [()]
    return [items[i : i + per_page] for i in range(0, len(items), per_page)]
