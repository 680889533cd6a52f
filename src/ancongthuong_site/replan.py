"""Plan only the pages a change touches (dependency-tracked planning).

A change is *local* when every content file that changed is an article whose change stays
inside it: its body, title, summary, author, photo caption or alt text. The index (order,
groups, years, URLs) is then as before, and the last build's record (`state.PlanRecord`)
says which pages to plan again:

- the article's own page;
- when its card changed (a title, a summary), every page that showed the card: listings,
  the home page, the pages of its neighbours and of the articles that list it as related
  (each page is recorded with the cards it showed);
- the feeds that carry it, every redirect page and the search index (small, or another
  module's to make incremental).

Any other change plans every page, as a clean build does: a new, deleted or renamed file,
a date, category, tag, source, slug, draft or expiry change, an image or a link, a
template, site.yaml, the builder, the clock passing a scheduled moment, a card shown in the
layout (the sidebar is on every page) or a page the record cannot account for.

The search index can ride on the same facts: `Replan.changed` are the only articles whose
terms or titles may differ, so an index that keeps per-article postings can rebuild only
the shards that hold their old and new terms.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable

from .index import Group, SiteIndex
from .models import Article, ParsedFile, RenderTask
from .plan import Planner
from .state import PageRecord, PlanRecord
from .views import Shared

# Front-matter fields whose change shows only on the article's page and where its card is.
LOCAL_META = ("title", "summary", "author", "image_caption", "image_alt")
# Redirect pages are planned again on every local change, and must stay the same set.
REDIRECTS = "redirect.html"
# The search index's files (raw, no template) are made again on every local change: a new
# word adds a file, a word gone removes one. The previous ones are replaced as a whole.
REMADE = ""


def settings_digest(parts: Iterable[str]) -> str:
    """Everything but the content files that pages depend on, in one digest."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def local_change(
    previous: PlanRecord | None,
    settings: str,
    moment: float,
    sources: dict[str, str],
    before: Callable[[str, str], ParsedFile | None],
    parsed: dict[str, ParsedFile],
) -> list[str] | None:
    """The content files whose change stays inside their articles (maybe none), or None
    when the change reaches further and every page must be planned."""
    if previous is None or previous.settings != settings or not previous.valid_at(moment):
        return None
    if sources.keys() != previous.sources.keys():
        return None  # a file added, deleted or renamed
    changed = sorted(rel for rel, digest in sources.items() if previous.sources[rel] != digest)
    for rel in changed:
        old, new = before(rel, previous.sources[rel]), parsed.get(rel)
        if old is None or new is None or not _same_outside(old, new):
            return None
    return changed


def _same_outside(old: ParsedFile, new: ParsedFile) -> bool:
    """Whether two versions of an article differ only where a local change may."""
    if old.kind != "article" or new.kind != "article":
        return False
    if (old.document_refs, old.images, old.links) != (
        new.document_refs,
        new.images,
        new.links,
    ):
        return False  # the documents it names, the photos and files it shows
    local = {name: getattr(new.meta, name) for name in LOCAL_META}
    return dataclasses.replace(old.meta, **local) == new.meta  # type: ignore[arg-type]


class Replan:
    """The tasks of the pages a local change touches; None when it cannot tell."""

    def __init__(self, planner: Planner, previous: PlanRecord, changed: list[str]) -> None:
        self.planner = planner
        self.previous = previous
        index = planner.index
        self.published = {a.path: a for a in (*index.listed, *index.unlisted)}
        # Drafts and articles still to appear have no page: nothing shows them.
        self.changed = [self.published[rel] for rel in changed if rel in self.published]

    def tasks(self, redirects: list[RenderTask], *, search: bool = True) -> list[RenderTask] | None:
        """`search=False`: without the search index's files (serve makes them later)."""
        planner, previous = self.planner, self.previous
        if shared_digest(planner.layout) != previous.layout:
            return None  # the sidebar shows a changed card: every page changes
        moved = [
            a for a in self.changed if shared_digest(planner.card(a)) != previous.cards.get(a.path)
        ]
        paths = {a.path for a in moved}
        wanted = {rel for rel, page in previous.pages.items() if paths.intersection(page.cards)}
        owners = {previous.pages[rel].source for rel in wanted}
        articles = {a.path: a for a in self.changed}
        articles.update((p, self.published[p]) for p in sorted(owners) if p in self.published)
        tasks = [self.article_page(article) for article in articles.values()]
        tasks += [
            planner.home(),
            planner.main_feed(),
            *redirects,
            *(planner.search_index() if search else ()),
        ]
        tasks += [planner.category_feed(group) for group in self._groups("category", self.changed)]
        if moved:
            for kind in ("category", "source", "tag"):
                for group in self._groups(kind, moved):
                    tasks += planner.group_listing(kind, group, wanted)
            years = {a.path: year for year, items in planner.index.years for a in items}
            for year in sorted({years[a.path] for a in moved if a.path in years}):
                tasks += planner.year_listing(year, wanted)
        if not self._accounted(tasks, wanted):
            return None
        planner.add_layout(tasks)
        return sorted(tasks, key=lambda t: t.output_path)

    def _groups(self, kind: str, articles: Iterable[Article]) -> list:
        slugs: set[str] = set()
        for article in articles:
            if kind == "category":
                slugs.add(article.category_slug)
            elif kind == "source" and article.source_slug:
                slugs.add(article.source_slug)
            elif kind == "tag":
                slugs.update(article.tag_slugs)
        found = (self.planner.group(kind, slug) for slug in sorted(slugs))
        return [group for group in found if group is not None]

    def _accounted(self, tasks: list[RenderTask], wanted: set[str]) -> bool:
        """Every page that showed a changed card is planned, no page is new (but the search
        index's files), and the redirect pages are the same set as before."""
        planned = {task.output_path for task in tasks}
        pages = self.previous.pages
        if not wanted <= planned:
            return False
        if any(t.output_path not in pages for t in tasks if t.template != REMADE):
            return False
        before = {rel for rel, page in pages.items() if page.template == REDIRECTS}
        return before == {t.output_path for t in tasks if t.template == REDIRECTS}

    def article_page(self, article: Article) -> RenderTask:
        """The page of a published article, with its neighbours in the newest-first list."""
        planner, listed = self.planner, self.planner.index.listed
        i = self._positions().get(article.path)
        newer = planner.card(listed[i - 1]) if i is not None and i > 0 else None
        older = planner.card(listed[i + 1]) if i is not None and i + 1 < len(listed) else None
        return planner.article_page(article, newer, older)

    def _positions(self) -> dict[str, int]:
        if not hasattr(self, "_position"):
            self._position = {a.path: i for i, a in enumerate(self.planner.index.listed)}
        return self._position


def shared_digest(shared: Shared) -> str:
    """The digest by which page digests stand for shared data (a card, the layout)."""
    return shared.digest


def card_digests(planner: Planner) -> dict[str, str]:
    """Article path → the digest of its card, for every card planned."""
    return {path: shared_digest(card) for path, card in planner._cards.items()}


def page_records(
    tasks: Iterable[RenderTask],
    digests: dict[str, str],
    shown: dict[str, set[str]],
    cards: dict[str, str],
) -> dict[str, PageRecord]:
    """The records of planned pages: digest, content file, template, cards shown
    (`shown`: output path → digests of the shared data pickled into its digest)."""
    owners = {digest: path for path, digest in cards.items()}
    return {
        task.output_path: PageRecord(
            digests[task.output_path],
            task.source,
            task.template,
            tuple(sorted({owners[d] for d in shown.get(task.output_path, ()) if d in owners})),
        )
        for task in tasks
    }


def remade(previous: PlanRecord) -> set[str]:
    """The files a partial plan makes anew as a whole (the search index's)."""
    return {rel for rel, page in previous.pages.items() if page.template == REMADE}


def swapped_index(index: SiteIndex, old: list[Article], articles: list[Article]) -> SiteIndex:
    """The index with `articles` in the places of `old` (a local change moves no article:
    same order, same groups). Only the lists that hold one are made again."""
    new = {id(before): after for before, after in zip(old, articles, strict=True)}

    def swap(items: tuple[Article, ...]) -> tuple[Article, ...]:
        if new.keys().isdisjoint(map(id, items)):
            return items
        return tuple(new.get(id(a), a) for a in items)

    def groups(found: tuple[Group, ...]) -> tuple[Group, ...]:
        return tuple(dataclasses.replace(g, articles=swap(g.articles)) for g in found)

    return dataclasses.replace(
        index,
        listed=swap(index.listed),
        unlisted=swap(index.unlisted),
        categories=groups(index.categories),
        sources=groups(index.sources),
        tags=groups(index.tags),
        years=tuple((year, swap(items)) for year, items in index.years),
    )
