"""The search index as the build makes it: merged whole, or updated from the last build.

A rebuild after an edit should not merge millions of postings again for one article: the
last index is kept (see `IndexState`: build.py keeps it signed in .cache/) with what each
entry was made from, and only the entries whose file changed are merged again. Their
syllables' shards are updated from the last texts, other shards are kept as they were,
and the pair postings are made again for those entries only. The result is the same, byte
for byte, as a whole merge (tested); whatever the update cannot do simply (entries that
moved or went, many changes, a threshold crossed) falls back to the whole merge.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import json
import logging
import operator
from collections.abc import Callable, Iterable
from itertools import accumulate
from typing import Protocol

from .index import SiteIndex
from .models import ParsedFile, RenderTask
from .searchmerge import (
    PAIR_POSITIONS,
    Merged,
    PairRows,
    PairSource,
    SearchEntry,
    build_search_index,
    heavy_count,
    index_files,
    merge,
    ordered_entries,
    pairs,
    read_terms,
    shard_file,
    shard_members,
    shard_name,
    shard_text,
)
from .searchterms import count_numbers, number_codes, read_numbers, split_codes
from .urls import Urls
from .vietnamese import format_date

__all__ = ["SearchEntry", "build_search_index", "search_index_tasks", "shard_name"]
log = logging.getLogger(__name__)
_SAVED = 1  # the version of what is kept between builds


class IndexState(Protocol):
    """Where the last index is kept between builds (a signed file in .cache/)."""

    def load(self) -> object | None: ...

    def save(self, saved: object) -> None: ...


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
    return [RenderTask(Urls.SEARCH_INDEX + name, "", {"raw": text}) for name, text in files.items()]


def reader(terms_of: Callable[[ParsedFile], str], parsed: ParsedFile) -> Callable[[], str]:
    """What reads a file's terms when the merge needs them (never all at once)."""
    return functools.partial(terms_of, parsed)


def source_key(parsed: ParsedFile) -> str:
    """What an entry's terms are made from: its file, by path and digest."""
    return f"{parsed.path}\0{parsed.digest}"


def index_with_state(entries: Iterable[SearchEntry], state: IndexState | None) -> dict[str, str]:
    """Every index file; updated from the last build's index where `state` holds one."""
    ordered = ordered_entries(entries)
    idents = [_ident(entry) for entry in ordered]
    saved = state.load() if state else None
    merged = None
    if isinstance(saved, tuple) and len(saved) == 4 and saved[0] == _SAVED:
        _, urls, old_idents, previous = saved
        if isinstance(previous, Merged):
            merged = _update(previous, urls, old_idents, ordered, idents)
    if merged is None:
        merged = merge(ordered)
    if state:
        state.save((_SAVED, [e.url for e in ordered], idents, merged))
    return merged.files


def _ident(entry: SearchEntry) -> str:
    """What an entry's postings depend on: its source file, else its terms themselves."""
    made_from = entry.source or read_terms(entry)
    return hashlib.blake2b(made_from.encode(), digest_size=16).hexdigest()


def _update(
    previous: Merged,
    old_urls: list[str],
    old_idents: list[str],
    ordered: list[SearchEntry],
    idents: list[str],
) -> Merged | None:
    """The last index with the changed entries merged again, or None where only a whole
    merge is simple: entries that moved or went, many changes, another shard threshold, a
    syllable becoming heavy enough for pair postings or ceasing to be."""
    count, old_count = len(ordered), len(old_urls)
    if count < old_count or [e.url for e in ordered[:old_count]] != old_urls:
        return None  # numbers would shift: every shard changes anyway
    if heavy_count(count) != heavy_count(old_count):
        return None
    changed = [n for n in range(count) if n >= old_count or idents[n] != old_idents[n]]
    if len(changed) > max(16, count // 50):
        return None
    log.debug("search index: %d of %d entries merged again", len(changed), count)
    lines = {n: _lines(read_terms(ordered[n])) for n in changed}
    syllables = list(previous.syllables) + [""] * (count - old_count)
    touched: set[str] = set()
    for n in changed:
        touched.update(filter(None, syllables[n].split("\n")))
        touched.update(lines[n])
        syllables[n] = "\n".join(lines[n])
    counts, positions = dict(previous.counts), dict(previous.positions)
    old = _OldShards(previous)
    parts: dict[str, str] = {}
    for syllable in sorted(touched):
        columns = old.columns(syllable)
        for n in changed:
            columns.put(n, lines[n].get(syllable))
        if columns.changed:
            if columns.numbers:
                parts[syllable] = columns.text(syllable)
                counts[syllable] = len(columns.numbers)
                positions[syllable] = columns.positions()
            else:
                del counts[syllable], positions[syllable]
    heavy = sorted(s for s, n in positions.items() if n >= PAIR_POSITIONS * count)
    if heavy != previous.pair_syllables:
        return None
    files: dict[str, str] = {}
    shards = list(shard_members(counts, heavy_count(count)))
    kept = {tuple(members) for members in previous.shards}
    for members in shards:
        name = shard_file(members)
        if tuple(members) in kept and not any(s in parts for s in members):
            files[name] = previous.files[name]
        else:
            files[name] = shard_text([parts.get(s) or old.part(s) for s in members])
    sources: dict[str, PairSource] = {}
    for n in changed:  # pair postings are made again for the changed entries only
        for syllable in heavy:
            if syllable in lines[n]:
                title, places, forms = lines[n][syllable]
                numbers, titles, gaps, codes = sources.setdefault(syllable, ([], [], [], []))
                numbers.append(n)  # type: ignore[attr-defined]
                titles.append(read_numbers(title)[0])
                gaps.append(read_numbers(places))
                codes.append(forms)
    rows = old.pair_rows(set(changed))
    for key, (numbers, titles, forms) in pairs(sources, changed).items():
        mine = rows.setdefault(key, ([], [], []))
        for column, values in zip(mine, (numbers, titles, forms), strict=True):
            column.extend(values)
    rows = {key: _sorted_pair_rows(value) for key, value in rows.items()}
    files.update(index_files(ordered, shards, heavy, rows))
    return Merged(files, shards, counts, positions, syllables, heavy)


def _lines(terms: str) -> dict[str, tuple[str, str, str]]:
    """An entry's terms as syllable → (title count, positions, forms), as their codes."""
    names, _, rows = terms.partition("\0")
    found = {}
    for syllable, row in zip(names.split("\n"), rows.split("\n"), strict=True) if names else ():
        title, places, forms = row.split("\t")
        found[syllable] = (title, places, forms)
    return found


def _sorted_pair_rows(rows: PairRows) -> PairRows:
    ordered = sorted(zip(*rows, strict=True))
    return [r[0] for r in ordered], [r[1] for r in ordered], [r[2] for r in ordered]


class _Columns:
    """One syllable's postings as the codes of its shard strings (no number read but the
    entry gaps), to put an entry's row in, take it out or replace it."""

    def __init__(
        self, gaps: list[int], titles: list[str], places: list[str], forms: list[str]
    ) -> None:
        self.numbers = list(accumulate(gaps))
        self.titles, self.places, self.forms = titles, places, forms
        self.changed = False

    def put(self, number: int, row: tuple[str, str, str] | None) -> None:
        at = bisect.bisect_left(self.numbers, number)
        present = at < len(self.numbers) and self.numbers[at] == number
        if present and row == (self.titles[at], self.places[at], self.forms[at]):
            return
        self.changed = True
        if present:
            del self.numbers[at], self.titles[at], self.places[at], self.forms[at]
        if row is not None:
            self.numbers.insert(at, number)
            self.titles.insert(at, row[0])
            self.places.insert(at, row[1])
            self.forms.insert(at, row[2])

    def positions(self) -> int:
        return count_numbers("".join(self.places))

    def text(self, syllable: str) -> str:
        """The syllable's part of its shard: the same text as the merge writes."""
        gaps = [self.numbers[0], *map(operator.sub, self.numbers[1:], self.numbers)]
        return (
            f'"{syllable}":{{"doc":"{number_codes(gaps)}","title":"{"".join(self.titles)}",'
            f'"pos":"{" ".join(self.places)}","form":"{" ".join(self.forms)}"}}'
        )


class _OldShards:
    """The last index's shards, cut into their syllables' parts only where needed."""

    def __init__(self, previous: Merged) -> None:
        self.previous = previous
        self.firsts = [members[0] for members in previous.shards]
        self.parts: dict[str, str] = {}

    def part(self, syllable: str) -> str:
        if syllable not in self.parts:
            at = bisect.bisect_right(self.firsts, syllable) - 1
            members = self.previous.shards[at]
            text = self.previous.files[shard_file(members)]
            # '{"syllables":{"a":{...},"b":{...}}}': no '},"' stands inside a part.
            pieces = text[len('{"syllables":{') : -2].split('},"')
            for index, (member, piece) in enumerate(zip(members, pieces, strict=True)):
                head = "" if index == 0 else '"'
                tail = "" if index == len(members) - 1 else "}"
                self.parts[member] = head + piece + tail
        return self.parts[syllable]

    def columns(self, syllable: str) -> _Columns:
        if syllable not in self.previous.counts:
            return _Columns([], [], [], [])
        part = self.part(syllable)
        # '"s":{"doc":"D","title":"T","pos":"P","form":"F"}': no '","' inside D, T, P, F
        doc, title, places, forms = part[len(syllable) + len('":{"doc":"') + 1 : -2].split('","')
        return _Columns(
            read_numbers(doc),
            split_codes(title[len('title":"') :]),
            places[len('pos":"') :].split(" "),
            forms[len('form":"') :].split(" "),
        )

    def pair_rows(self, gone: set[int]) -> dict[str, PairRows]:
        """Every pair's postings but those of the entries in `gone`."""
        rows: dict[str, PairRows] = {}
        for name, text in self.previous.files.items():
            if not name.startswith("p/"):
                continue
            for key, entry in json.loads(text)["pairs"].items():
                kept = [
                    row
                    for row in zip(
                        accumulate(entry["doc"]), entry["title"], entry["form"], strict=True
                    )
                    if row[0] not in gone
                ]
                if kept:
                    numbers, titles, forms = zip(*kept, strict=True)
                    rows[key] = (list(numbers), list(titles), list(forms))
        return rows
