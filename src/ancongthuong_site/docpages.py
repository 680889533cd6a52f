"""The register's pages: /van-ban/ and its filtered listings, one page per document, the
drafts open for comment, the documents' feed; and the rows other pages show (home block,
sitemap, search index).

Called by the planner, whose helpers (page_meta, pager, urls, body_of) it uses, so that a
document page is made exactly like every other page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from .attachments import describe
from .documents import STATUSES
from .index import paginate
from .layout import asset_link, build_layout
from .models import Attachment, Document, ParsedFile, RenderTask
from .register import DocumentGroup, Register, days_left, start
from .searchindex import SearchEntry, reader, source_key
from .sitepages import PagePlanner
from .urls import Urls
from .vietnamese import VN_TZ, format_date, format_datetime
from .views import (
    Comment,
    DocumentRow,
    DocumentView,
    DraftRow,
    FeedEntry,
    FeedHead,
    FileLink,
    FilterBlock,
    FilterItem,
    Headline,
    HomeDocuments,
    Link,
    MissingDocument,
    PageHead,
    Pager,
    PagerLink,
    RegisterFilters,
    SitemapEntry,
    Status,
)
from .views import DocumentGroup as OtherDocuments

FILTER_TITLES = {
    "type": "Loại văn bản",
    "issuer": "Cơ quan ban hành",
    "year": "Năm ban hành",
    "field": "Lĩnh vực",
    "status": "Trạng thái",
}


def _day(moment: dt.datetime | None) -> str:
    return f"{moment.astimezone(VN_TZ):%d/%m/%Y}" if moment else ""


class DocumentPages:
    def __init__(self, planner: PagePlanner, register: Register) -> None:
        self.planner = planner
        self.register = register
        self.urls = planner.urls
        self.config = planner.config
        self.now: dt.datetime = planner.index.now
        self._rows: dict[str, DocumentRow] = {}
        self.css_url = asset_link(self.urls, self.config.static_dir, Urls.DOCUMENTS_CSS)
        self._groups: dict[str, tuple[DocumentGroup, ...]] = {
            "type": register.types,
            "issuer": register.issuers,
            "year": register.years,
            "field": register.fields,
            "status": register.statuses,
        }
        self._by_slug = {key: {g.slug: g for g in groups} for key, groups in self._groups.items()}

    # -- shared pieces --------------------------------------------------------------
    def row(self, document: Document) -> DocumentRow:
        """How a document appears in every list; computed once per document."""
        found = self._rows.get(document.path)
        if found is None:
            meta = document.meta
            status = self.register.status[document.path]
            link = self.urls.link
            found = DocumentRow(
                number=meta.number,
                title=meta.title,
                url=link(document.rel_url),
                type=Link(document.type_name, link(Urls.documents("type", document.type_slug))),
                issuer=Link(meta.issuer, link(Urls.documents("issuer", document.issuer_slug))),
                issued_iso=f"{meta.issued.astimezone(VN_TZ):%Y-%m-%d}",
                issued_text=_day(meta.issued),
                status=Status(status, STATUSES[status], link(Urls.documents("status", status))),
                files=tuple(self._file(a) for a in document.attachments),
            )
            self._rows[document.path] = found
        return found

    def _file(self, attachment: Attachment) -> FileLink:
        return FileLink(
            url=self.urls.rebase(attachment.url),
            name=attachment.name,
            label=describe(attachment.ext, attachment.size),
            pdf=attachment.ext == "pdf",
        )

    def filters(self, current: str = "") -> RegisterFilters:
        """Links to every filtered listing, with counts: plain links, no script needed."""
        blocks = []
        for kind, groups in self._groups.items():
            items = tuple(
                FilterItem(
                    group.name,
                    self.urls.link(Urls.documents(kind, group.slug)),
                    len(group.documents),
                    current == f"{kind}/{group.slug}",
                )
                for group in groups
            )
            if items:
                blocks.append(FilterBlock(FILTER_TITLES[kind], kind, items))
        return RegisterFilters(
            all_url=self.urls.link(Urls.documents()),
            drafts_url=self.urls.link(Urls.DOCUMENT_DRAFTS),
            drafts=len(self.register.open_drafts),
            feed_url=self.urls.link(Urls.DOCUMENT_FEED),
            blocks=tuple(blocks),
        )

    def links_of(self, numbers: tuple[str, ...]) -> dict[str, str]:
        """Number → URL for the documents a body links (checked to exist before planning)."""
        links = {}
        for number in numbers:
            found = self.register.find(number)
            if len(found) == 1:
                links[number] = self.urls.link(found[0].rel_url)
        return links

    def attach(self) -> None:
        """Join the planner: its pages, home and sitemap now include the register's, and its
        sidebar is made again, so that a "documents" block can list the newest ones."""
        planner = self.planner
        planner.documents = self
        planner.layout = build_layout(planner.config, planner.index, planner.card, self.newest)

    def newest(self, count: int) -> list[Headline]:
        """The newest documents as the sidebar lists items (title, link, date)."""
        return [
            Headline(f"{row.number}: {row.title}", row.url, row.issued_iso, row.issued_text)
            for row in map(self.row, self.register.listed[:count])
        ]

    def _page_meta(self, title: str, rel_url: str, kind: str, description: str = "") -> PageHead:
        """Every page of the register sits under "Văn bản" in the menu."""
        section = self.urls.link(Urls.documents())
        return self.planner.page_meta(title, rel_url, kind, description, section=section)

    def _pager(self, rel_urls: list[str], number: int) -> Pager:
        """Like the planner's pager, with the page numbers cut to the first, the last and
        those near this one: a register of thousands has hundreds of pages, and a pager
        listing all of them on every page is long to read (and to digest)."""
        total = len(rel_urls)
        links: list[PagerLink] = []
        for n in sorted({1, total, *range(max(number - 2, 1), min(number + 2, total) + 1)}):
            if links and n > links[-1].number + 1:
                links.append(PagerLink(0, ""))  # a gap, shown as "…"
            links.append(PagerLink(n, self.urls.link(rel_urls[n - 1])))
        return Pager(
            number=number,
            total=total,
            links=tuple(links),
            prev=self.urls.link(rel_urls[number - 2]) if number > 1 else "",
            next=self.urls.link(rel_urls[number]) if number < total else "",
        )

    def link_bodies(self, tasks: list[RenderTask]) -> None:
        """Give every page whose body links documents by number (van-ban:…) their URLs.

        In the page's context, so the page's digest changes when a linked document moves.
        """
        for task in tasks:
            if task.body is not None and task.body.document_refs:
                task.context["doc_links"] = self.links_of(task.body.document_refs)

    # -- pages --------------------------------------------------------------------------
    def tasks(self) -> list[RenderTask]:
        register = self.register
        tasks = self._listing("", "", "Văn bản", register.listed)
        for kind, groups in self._groups.items():
            for group in groups:
                title = f"{FILTER_TITLES[kind]}: {group.name}"
                tasks += self._listing(kind, group.slug, title, group.documents)
        tasks.append(self._drafts())
        tasks += [self._page(d) for d in register.listed]
        tasks.append(self.feed())
        for document in register.listed:
            for rel in document.meta.alias_urls:
                context = {
                    "page": self._page_meta(document.meta.title, document.rel_url, "redirect"),
                    "target": self.urls.link(document.rel_url),
                }
                output = Urls.output_path(rel)
                tasks.append(RenderTask(output, "redirect.html", context, document.path))
        return tasks

    def _listing(
        self, kind: str, slug: str, title: str, documents: tuple[Document, ...]
    ) -> list[RenderTask]:
        chunks = paginate(documents, self.config.paginate)
        rel_urls = [Urls.documents(kind, slug, n + 1) for n in range(len(chunks))]
        filters = self.filters(f"{kind}/{slug}" if kind else "all")
        tasks = []
        for number, (chunk, rel_url) in enumerate(zip(chunks, rel_urls, strict=True), start=1):
            page_title = title if number == 1 else f"{title} – Trang {number}"
            context = {
                "page": self._page_meta(page_title, rel_url, "documents"),
                "heading": title,
                "count": len(documents),
                "rows": [self.row(d) for d in chunk],
                "pager": self._pager(rel_urls, number),
                "filters": filters,
                "drafts": None,
                "css_url": self.css_url,
            }
            tasks.append(RenderTask(Urls.output_path(rel_url), "documents.html", context))
        return tasks

    def _drafts(self) -> RenderTask:
        drafts = [
            DraftRow(self.row(d), self._comment(d, self.register.comment_closes[d.path]))
            for d in self.register.open_drafts
        ]
        title = "Dự thảo lấy ý kiến"
        context = {
            "page": self._page_meta(title, Urls.DOCUMENT_DRAFTS, "documents"),
            "heading": title,
            "count": len(drafts),
            "rows": [],
            "pager": self._pager([Urls.DOCUMENT_DRAFTS], 1),
            "filters": self.filters("drafts"),
            "drafts": drafts,
            "css_url": self.css_url,
        }
        return RenderTask(Urls.output_path(Urls.DOCUMENT_DRAFTS), "documents.html", context)

    def _comment(self, document: Document, closes: dt.datetime) -> Comment:
        meta = document.meta
        contact = meta.comment_contact
        until = meta.comment_until
        assert until is not None
        is_open = closes > self.now
        linked = "://" in contact or contact.startswith("mailto:")
        return Comment(
            until=format_datetime(until) if meta.comment_has_time else format_date(until),
            open=is_open,
            days_left=days_left(closes, self.now) if is_open else 0,
            contact=contact.removeprefix("mailto:"),
            contact_url=contact if linked else f"mailto:{contact}",
        )

    def _page(self, document: Document) -> RenderTask:
        meta = document.meta
        register = self.register
        row = self.row(document)
        closes = register.comment_closes.get(document.path)

        def numbered(numbers: tuple[str, ...]) -> tuple[DocumentRow | MissingDocument, ...]:
            found: list[DocumentRow | MissingDocument] = []
            for number in numbers:
                docs = register.find(number)
                found += [self.row(d) for d in docs] or [MissingDocument(number)]
            return tuple(found)

        def others(key: str, slug: str) -> OtherDocuments:
            group = self._by_slug[key].get(slug)
            first = group.documents[: self.config.related + 1] if group else ()
            items = [self.row(d) for d in first if d.path != document.path][: self.config.related]
            url = self.urls.link(Urls.documents(key, slug))
            title = f"{FILTER_TITLES[key]}: {group.name if group else ''}"
            return OtherDocuments(title, url, tuple(items))

        fields = tuple(
            Link(name, self.urls.link(Urls.documents("field", slug)))
            for name, slug in zip(meta.fields, document.field_slugs, strict=True)
        )
        effective = meta.effective or meta.issued
        data = DocumentView(
            row=row,
            signer=meta.signer,
            fields=fields,
            effective_text=_day(effective) if meta.effective or not meta.comment_until else "",
            effective_until_text=_day(meta.effective_until),
            replaces=numbered(meta.replaces),
            replaced_by=tuple(self.row(d) for d in register.replaced_by.get(document.path, ())),
            related=numbered(meta.related),
            comment=self._comment(document, closes) if closes else None,
            draft=meta.draft,
        )
        lists = [others("type", document.type_slug)]
        lists += [others("field", slug) for slug in document.field_slugs]
        lists.append(others("issuer", document.issuer_slug))
        description = f"{document.type_name} số {meta.number}: {meta.title}"
        title = f"{document.type_name} {meta.number}"
        context = {
            "page": self._page_meta(title, document.rel_url, "document", description),
            "document": data,
            "others": [item for item in lists if item.items],
            "register_url": self.urls.link(Urls.documents()),
            "css_url": self.css_url,
        }
        output = Urls.output_path(document.rel_url)
        return RenderTask(output, "document.html", context, document.path, document.parsed)

    def feed(self) -> RenderTask:
        chosen = self.register.listed[: self.config.feed_size]
        entries = []
        for document in chosen:
            meta = document.meta
            entries.append(
                FeedEntry(
                    title=f"{document.type_name} {meta.number}: {meta.title}",
                    url=self.urls.absolute(document.rel_url),
                    published=meta.issued.isoformat(),
                    updated=meta.issued.isoformat(),
                    summary=document.parsed.summary,
                    content=self.planner.body_of(document.parsed),
                    category=document.type_name,
                    author=meta.issuer,
                )
            )
        newest = max((d.meta.issued for d in chosen), default=None)
        context = {
            "feed": FeedHead(
                title=f"Văn bản – {self.config.title}",
                id=self.urls.absolute(Urls.DOCUMENT_FEED),
                self_url=self.urls.absolute(Urls.DOCUMENT_FEED),
                site_url=self.urls.absolute(Urls.documents()),
                updated=(newest or dt.datetime(2000, 1, 1, tzinfo=dt.UTC)).isoformat(),
            ),
            "entries": entries,
        }
        return RenderTask(Urls.DOCUMENT_FEED, "feed.xml", context)

    # -- rows other pages show ----------------------------------------------------------
    def home_block(self) -> HomeDocuments | None:
        """ "Văn bản mới" on the home page: as many as each category block shows, none of
        them one the sidebar already shows (the home page shows nothing twice)."""
        shown = {item.url for block in self.planner.layout.sidebar for item in block.items}
        rows: list[DocumentRow] = []
        for document in self.register.listed:
            if len(rows) == self.config.home_per_category:
                break
            if self.row(document).url not in shown:
                rows.append(self.row(document))
        if not rows:
            return None
        return HomeDocuments(
            css_url=self.css_url,
            url=self.urls.link(Urls.documents()),
            drafts_url=self.urls.link(Urls.DOCUMENT_DRAFTS),
            drafts=len(self.register.open_drafts),
            items=tuple(rows),
        )

    def sitemap_entries(self) -> list[SitemapEntry]:
        entries = [SitemapEntry(self.urls.absolute(Urls.documents()))]
        for document in self.register.listed:
            lastmod = max(document.meta.issued, start(document.meta))
            entries.append(SitemapEntry(self.urls.absolute(document.rel_url), lastmod.isoformat()))
        return entries

    def search_entries(self, terms_of: Callable[[ParsedFile], str]) -> list[SearchEntry]:
        """Listed documents for the search index: number, type, abstract, issuer, signer,
        fields and text are searchable; the type stands as their category."""
        return [
            SearchEntry(
                "document",
                self.urls.link(d.rel_url),
                f"{d.type_name} {d.meta.number}: {d.meta.title}",
                d.meta.issued,
                self.row(d).issued_text,
                d.type_name,
                reader(terms_of, d.parsed),
                source_key(d.parsed),
            )
            for d in self.register.listed
        ]
