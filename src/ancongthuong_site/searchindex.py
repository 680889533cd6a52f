"""The search index as the build makes it: merged whole, or updated from the last build.

The last index is kept between builds (see `IndexState`: build.py keeps it in .cache/,
searchstate.py) with what each entry was made from; a rebuild merges again only the
entries whose file changed (searchupdate.py), byte for byte what a whole merge makes, and
falls back to the whole merge where the update cannot be simple. Either way the index's
texts wait in the kept pack (or in memory), not in the build's tasks: each output file's
task carries a `searchtexts.IndexFile` that reads its bytes when it is written."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import pickle
import signal
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

__all__ = [
    "SearchEntry",
    "build_search_index",
    "shard_lookup",
    "shard_name",
]
log = logging.getLogger(__name__)
_SAVED = 2  # the version of what is kept between builds
_GROWTH = 3  # kept texts may weigh this many times the index's before a whole merge
FORK_FROM = 500  # entries from which a whole merge runs in a process of its own


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


def start_search_index(
    index: SiteIndex,
    urls: Urls,
    terms_of: Callable[[ParsedFile], str],
    documents: Iterable[SearchEntry] = (),
    state: IndexState | None = None,
) -> PendingIndex:
    """The index's files as raw tasks, to be taken later: listed articles, static pages and
    `documents` (the register's entries, of type "document"). A whole merge kept in the
    cache's pack runs meanwhile in a child process (the build plans its pages on one core
    while it merges on the other); anything else is done at once."""
    return PendingIndex(_entries(index, urls, terms_of, documents), state)


def _entries(
    index: SiteIndex,
    urls: Urls,
    terms_of: Callable[[ParsedFile], str],
    documents: Iterable[SearchEntry],
) -> list[SearchEntry]:
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
    return [*entries, *documents]


def shard_lookup(tasks: list[RenderTask]) -> str:
    """What the search page carries so that its script asks for the shards at once: the
    entries per d/ chunk and how many there are (the newest chunks are asked for with the
    shards), the first syllable of every shard and the pair postings' (from meta.json,
    which the page still fetches for its filters), as JSON safe in a script."""
    meta_path = Urls.SEARCH_INDEX_META
    meta = next((t.context["raw"] for t in tasks if t.output_path == meta_path), None)
    if meta is None:
        return ""
    found = json.loads(meta.data() if isinstance(meta, IndexFile) else meta)
    lookup = {key: found[key] for key in ("chunk", "count", "shards", "pairs")}
    text = json.dumps(lookup, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _tasks(files: dict[str, IndexFile]) -> list[RenderTask]:
    return [RenderTask(Urls.SEARCH_INDEX + name, "", {"raw": file}) for name, file in files.items()]


class PendingIndex:
    """The search index being made: `tasks()` waits for it (see `start_search_index`)."""

    def __init__(
        self, entries: Iterable[SearchEntry], state: IndexState | None, fork: bool = True
    ) -> None:
        self.state = state
        self.ordered = ordered_entries(entries)
        self.idents = [_ident(entry) for entry in self.ordered]
        self.files: dict[str, IndexFile] | None = None
        self.child: tuple[int, int] | None = None  # process id, end of the pipe read
        texts = state.texts if state else None
        merged = None
        if state is not None and texts is not None:
            merged = _updated(self.ordered, self.idents, state, texts)
        if merged is not None:
            self.files = _index_files(texts, merged)  # type: ignore[arg-type]
        elif (
            fork
            and texts is not None
            and not isinstance(texts, MemoryTexts)
            and _can_fork(self.ordered)
        ):
            self.child = _fork_merge(self.ordered, self.idents, state)  # type: ignore[arg-type]
        if self.files is None and self.child is None:
            self.files = _whole_merge(self.ordered, self.idents, state)

    def tasks(self) -> list[RenderTask]:
        if self.child is not None:
            pid, reader = self.child
            self.child = None
            merged = _child_result(pid, reader)
            if merged is None:  # the child failed: merge here, as without one
                self.files = _whole_merge(self.ordered, self.idents, self.state)
            else:
                self.files = _index_files(self.state.texts, merged)  # type: ignore[union-attr]
        assert self.files is not None
        return _tasks(self.files)

    def cancel(self) -> None:
        """Stop a child still merging (the build failed before it took the index)."""
        if self.child is not None:
            pid, reader = self.child
            self.child = None
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
            _child_result(pid, reader)


def reader(terms_of: Callable[[ParsedFile], str], parsed: ParsedFile) -> Callable[[], str]:
    """What reads a file's terms when the merge needs them (never all at once)."""
    return functools.partial(terms_of, parsed)


def source_key(parsed: ParsedFile) -> str:
    """What an entry's terms are made from: its file, by path and digest."""
    return f"{parsed.path}\0{parsed.digest}"


def index_with_state(
    entries: Iterable[SearchEntry], state: IndexState | None
) -> dict[str, IndexFile]:
    """Every index file, made in this process; updated from the last build's index where
    `state` holds one."""
    files = PendingIndex(entries, state, fork=False).files
    assert files is not None  # made at once without a child
    return files


def _updated(
    ordered: list[SearchEntry], idents: list[str], state: IndexState, texts: Texts
) -> Merged | None:
    """The last build's index updated to these entries (and kept), or None where a whole
    merge must be made."""
    saved = state.load()
    if not (isinstance(saved, tuple) and len(saved) == 4 and saved[0] == _SAVED):
        return None
    _, urls, old_idents, previous = saved
    # Each update adds its texts to the kept ones: past a point, start over.
    if not isinstance(previous, Merged) or texts.stored() > _GROWTH * _kept_size(previous):
        return None
    try:
        merged = update(previous, texts, urls, old_idents, ordered, idents)
    except (DamagedText, OSError) as error:
        log.info("the kept search index cannot be updated: %s", error)
        return None
    state.save((_SAVED, [e.url for e in ordered], idents, merged))
    return merged


def _whole_merge(
    ordered: list[SearchEntry], idents: list[str], state: IndexState | None
) -> dict[str, IndexFile]:
    texts = state.texts if state else MemoryTexts()
    try:
        merged = _merge_kept(ordered, idents, state, texts)
    except OSError as error:  # the cache cannot be written: keep the texts in memory
        log.warning("the search index cannot be kept in the cache: %s", error)
        texts = MemoryTexts()
        merged = merge(ordered, texts)
    return _index_files(texts, merged)


def _merge_kept(
    ordered: list[SearchEntry], idents: list[str], state: IndexState | None, texts: Texts
) -> Merged:
    texts.start_over()
    merged = merge(ordered, texts)
    if state:
        state.save((_SAVED, [e.url for e in ordered], idents, merged))
    return merged


def _index_files(texts: Texts, merged: Merged) -> dict[str, IndexFile]:
    return {name: IndexFile(texts, blob) for name, blob in merged.files.items()}


def _fork_merge(
    ordered: list[SearchEntry], idents: list[str], state: IndexState
) -> tuple[int, int]:
    """A child process makes the whole merge into the kept pack and sends back where each
    text lies (a Merged: small). The pack is opened anew by each side: the parent reads it
    only once the child is done."""
    read_terms(ordered[0])  # the parse cache's pending appends reach its file before the fork
    state.texts.close()  # the child starts the pack over: the parent opens it again after
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 1
        try:
            os.close(reader)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            data = pickle.dumps(_merge_kept(ordered, idents, state, state.texts))
            with os.fdopen(writer, "wb") as pipe:
                pipe.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(writer)
    return pid, reader


def _can_fork(ordered: list[SearchEntry]) -> bool:
    # Worth a process only for a large index; fork itself exists on POSIX systems only.
    return hasattr(os, "fork") and len(ordered) >= FORK_FROM


def _child_result(pid: int, reader: int) -> Merged | None:
    """What the child sent, once it has ended; None if it failed."""
    with os.fdopen(reader, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        log.info("the search index's merge failed in its process: merging again here")
        return None
    found = pickle.loads(data)  # noqa: S301 - made by this build's own child, through a pipe
    return found if isinstance(found, Merged) else None


def _kept_size(merged: Merged) -> int:
    blobs = [*merged.files.values(), *merged.numbers.values(), *merged.entries]
    return sum(length for _, length, _ in blobs)


def _ident(entry: SearchEntry) -> str:
    """What an entry's postings depend on: its source file, else its terms themselves."""
    made_from = entry.source or read_terms(entry)
    return hashlib.blake2b(made_from.encode(), digest_size=16).hexdigest()
