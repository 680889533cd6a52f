"""The search index as the build makes it: merged whole, or updated from the last build.

The last index is kept between builds (see `IndexState`: build.py keeps it in .cache/,
searchstate.py) with what each entry was made from; a rebuild merges again only the
entries whose file changed (searchupdate.py), byte for byte what a whole merge makes, and
falls back to the whole merge where the update cannot be simple. Either way the index's
texts wait in the kept pack (or in memory), not in the build's tasks: each output file's
task carries a `searchtexts.IndexFile` that reads its bytes when it is written."""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Iterable
from typing import Protocol

from .index import SiteIndex
from .models import ParsedFile, RenderTask
from .searchmerge import (
    Merged,
    SearchEntry,
    build_search_index,
    merge,
    ordered_entries,
    read_terms,
    shard_name,
)
from .searchtexts import DamagedText, IndexFile, MemoryTexts, Texts
from .searchupdate import update
from .urls import Urls
from .vietnamese import format_date

__all__ = ["SearchEntry", "build_search_index", "search_index_tasks", "shard_name"]
log = logging.getLogger(__name__)
_SAVED = 2  # the version of what is kept between builds
_GROWTH = 3  # kept texts may weigh this many times the index's before a whole merge


class IndexState(Protocol):
    """Where the last index is kept between builds (searchstate.SearchState: a signed
    record in .cache/ and a pack of its texts; `MemoryIndexState` in memory)."""

    texts: Texts

    def load(self) -> object | None: ...

    def save(self, saved: object) -> None: ...


class MemoryIndexState:
    """The last index kept in memory, for a process that rebuilds again and again (serve):
    give the same one to every build, and an edit updates the index as from the cache."""

    def __init__(self) -> None:
        self.texts: Texts = MemoryTexts()
        self.saved: object | None = None

    def load(self) -> object | None:
        return self.saved

    def save(self, saved: object) -> None:
        self.saved = saved


def search_index_tasks(
    index: SiteIndex,
    urls: Urls,
    terms_of: Callable[[ParsedFile], str],
    documents: Iterable[SearchEntry] = (),
    state: IndexState | None = None,
) -> list[RenderTask]:
    """The index's files as raw tasks: listed articles, static pages and `documents` (the
    register's entries, of type "document")."""
    entries = [
        SearchEntry(
            "article",
            urls.link(a.rel_url),
            a.meta.title,
            a.meta.date,
            format_date(a.meta.date),
            a.category_name,
            reader(terms_of, a.parsed),
            source_key(a.parsed),
        )
        for a in index.listed
        if a.meta.date is not None
    ]
    entries += [
        SearchEntry(
            "page",
            urls.link(p.rel_url),
            p.meta.title,
            None,
            "",
            "",
            reader(terms_of, p.parsed),
            source_key(p.parsed),
        )
        for p in index.pages
    ]
    files = index_with_state([*entries, *documents], state)
    return [RenderTask(Urls.SEARCH_INDEX + name, "", {"raw": file}) for name, file in files.items()]


def reader(terms_of: Callable[[ParsedFile], str], parsed: ParsedFile) -> Callable[[], str]:
    """What reads a file's terms when the merge needs them (never all at once)."""
    return functools.partial(terms_of, parsed)


def source_key(parsed: ParsedFile) -> str:
    """What an entry's terms are made from: its file, by path and digest."""
    return f"{parsed.path}\0{parsed.digest}"


def index_with_state(
    entries: Iterable[SearchEntry], state: IndexState | None
) -> dict[str, IndexFile]:
    """Every index file; updated from the last build's index where `state` holds one."""
    ordered = ordered_entries(entries)
    idents = [_ident(entry) for entry in ordered]
    texts = state.texts if state else MemoryTexts()
    saved = state.load() if state else None
    merged = None
    if isinstance(saved, tuple) and len(saved) == 4 and saved[0] == _SAVED:
        _, urls, old_idents, previous = saved
        # Each update adds its texts to the kept ones: past a point, start over.
        if isinstance(previous, Merged) and texts.stored() <= _GROWTH * _kept_size(previous):
            try:
                merged = update(previous, texts, urls, old_idents, ordered, idents)
            except (DamagedText, OSError) as error:
                log.info("the kept search index cannot be updated: %s", error)
    if merged is None:
        try:
            texts.start_over()
            merged = merge(ordered, texts)
        except OSError as error:  # the cache cannot be written: keep the texts in memory
            log.warning("the search index cannot be kept in the cache: %s", error)
            texts, state = MemoryTexts(), None
            merged = merge(ordered, texts)
    if state:
        state.save((_SAVED, [e.url for e in ordered], idents, merged))
    return {name: IndexFile(texts, blob) for name, blob in merged.files.items()}


def _kept_size(merged: Merged) -> int:
    blobs = [*merged.files.values(), *merged.numbers.values(), *merged.entries]
    return sum(length for _, length, _ in blobs)


def _ident(entry: SearchEntry) -> str:
    """What an entry's postings depend on: its source file, else its terms themselves."""
    made_from = entry.source or read_terms(entry)
    return hashlib.blake2b(made_from.encode(), digest_size=16).hexdigest()
