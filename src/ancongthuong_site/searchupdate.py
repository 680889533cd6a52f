"""The last build's search index with a few entries merged again (searchindex uses it).

A rebuild after an edit should not merge millions of postings again for one article: the
changed entries' old syllables are read from their group (searchmerge.ENTRY_CHUNK), the
shards holding their old and new syllables are read from the kept texts, the entries'
rows are put in, taken out or replaced there, and only the shards whose text changed are
made again; pair postings are made again for those entries only. Each syllable's entry
numbers are kept beside its shard, so no shard is decoded but the rows that change. The
result is the same, byte for byte, as a whole merge (tested); whatever the update cannot
do simply (entries that moved or went, many changes, a threshold crossed) gives None,
and the caller merges it all again.
"""

from __future__ import annotations

import bisect
import json
import logging
import re
from array import array
from itertools import accumulate

from .searchmerge import (
    ENTRY_CHUNK,
    PAIR_POSITIONS,
    Merged,
    SearchEntry,
    entry_chunk,
    heavy_count,
    index_files,
    pair_files,
    read_entry_chunk,
    read_terms,
    shard_file,
    shard_members,
    shard_text,
)
from .searchpairs import PairRows, PairSource, pairs
from .searchterms import count_numbers, number_codes
from .searchtexts import Blob, Texts, digest_of

log = logging.getLogger(__name__)
Row = tuple[str, str, str]  # an entry's title count, positions and forms, as their codes


def update(
    previous: Merged,
    texts: Texts,
    old_urls: list[str],
    old_idents: list[str],
    ordered: list[SearchEntry],
    idents: list[str],
) -> Merged | None:
    """The last index with the changed entries merged again, or None where only a whole
    merge is simple. Raises DamagedText if a kept text is not what was recorded."""
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
    entries, touched = _changed_rows(previous.entries, texts, lines)
    counts, positions = dict(previous.counts), dict(previous.positions)
    old = _OldShards(previous, texts)
    parts: dict[str, str] = {}
    numbers: dict[str, array] = {}
    for syllable in sorted(touched):
        columns = old.columns(syllable)
        for n in changed:
            columns.put(n, lines[n].get(syllable))
        if columns.changed:
            if len(columns.numbers):
                parts[syllable] = columns.text(syllable)
                numbers[syllable] = columns.numbers
                counts[syllable] = len(columns.numbers)
                positions[syllable] = columns.positions()
            else:
                del counts[syllable], positions[syllable]
    heavy = sorted(s for s, n in positions.items() if n >= PAIR_POSITIONS * count)
    if heavy != previous.pair_syllables:
        return None
    files: dict[str, Blob] = {}
    numbers_of: dict[str, Blob] = {}
    shards = list(shard_members(counts, heavy_count(count)))
    kept = {tuple(members) for members in previous.shards}
    for members in shards:
        name = shard_file(members)
        if tuple(members) in kept and not any(s in parts for s in members):
            files[name], numbers_of[name] = previous.files[name], previous.numbers[name]
            continue
        text = shard_text([parts.get(s) or old.part(s) for s in members])
        files[name] = texts.put(text.encode())
        held = [numbers[s] if s in numbers else old.numbers(s) for s in members]
        numbers_of[name] = texts.put(b"".join(column.tobytes() for column in held))
    made: dict[str, str] = {}
    pair_firsts = previous.pair_firsts
    if touched.intersection(heavy):  # else no pair of heavy syllables moved
        rows = _pair_rows(old.pair_rows(set(changed)), lines, changed, heavy)
        made, pair_firsts = pair_files(rows, count)
    else:
        files.update((name, blob) for name, blob in previous.files.items() if name[:2] == "p/")
    made.update(index_files(ordered, shards, heavy, pair_firsts))
    for name, made_text in made.items():
        data = made_text.encode()
        before = previous.files.get(name)
        same = before is not None and before[2] == digest_of(data)
        files[name] = before if same and before is not None else texts.put(data)
    return Merged(files, shards, counts, positions, numbers_of, entries, heavy, pair_firsts)


def _changed_rows(
    kept: list[Blob], texts: Texts, lines: dict[int, dict[str, Row]]
) -> tuple[list[Blob], set[str]]:
    """The entries' groups of terms with the changed entries' new terms, and every
    syllable whose row in a changed entry is not what it was."""
    entries = list(kept)
    groups: dict[int, list[str]] = {}
    touched: set[str] = set()
    for n, found in sorted(lines.items()):
        at, index = divmod(n, ENTRY_CHUNK)
        if at not in groups:
            groups[at] = read_entry_chunk(texts.get(entries[at])) if at < len(entries) else []
        group = groups[at]
        group += [""] * (index + 1 - len(group))
        was = _lines(group[index])
        touched.update(s for s in was.keys() | found.keys() if was.get(s) != found.get(s))
        group[index] = _terms(found)
    for at, group in sorted(groups.items()):  # new entries come last: groups in order
        blob = texts.put(entry_chunk(group))
        if at < len(entries):
            entries[at] = blob
        else:
            entries.append(blob)
    return entries, touched


def _pair_rows(
    rows: dict[str, PairRows],
    lines: dict[int, dict[str, Row]],
    changed: list[int],
    heavy: list[str],
) -> dict[str, PairRows]:
    """The kept pair postings with those of the changed entries made again."""
    sources: dict[str, PairSource] = {}
    for syllable in heavy:
        held = [n for n in changed if syllable in lines[n]]
        if held:
            rows_of = [lines[n][syllable] for n in held]
            sources[syllable] = (
                held,
                "".join(row[0] for row in rows_of),
                " ".join(row[1] for row in rows_of),
                " ".join(row[2] for row in rows_of),
            )
    for key, made in pairs(sources, changed).items():
        numbers, titles, forms = rows.setdefault(key, ([], [], []))
        for number, title, form in zip(*made, strict=True):  # the kept rows are in order
            at = bisect.bisect_left(numbers, number)
            numbers.insert(at, number)
            titles.insert(at, title)
            forms.insert(at, form)
    return rows


def _terms(lines: dict[str, Row]) -> str:
    """The terms text of `_lines` (the syllables are in order, as the terms keep them)."""
    if not lines:
        return ""
    return "\n".join(lines) + "\0" + "\n".join(map("\t".join, lines.values()))


def _lines(terms: str) -> dict[str, Row]:
    """An entry's terms as syllable → (title count, positions, forms), as their codes."""
    names, _, rows = terms.partition("\0")
    found = {}
    for syllable, row in zip(names.split("\n"), rows.split("\n"), strict=True) if names else ():
        title, places, forms = row.split("\t")
        found[syllable] = (title, places, forms)
    return found


class _Columns:
    """One syllable's postings as its shard's four strings and its entry numbers; an
    entry's row is put in, taken out or replaced by cutting the strings where it stands
    (found by C loops of the regular expression engine): nothing else is decoded."""

    def __init__(self, numbers: array, doc: str, titles: str, places: str, forms: str) -> None:
        self.numbers = numbers
        self.doc, self.titles, self.places, self.forms = doc, titles, places, forms
        self.changed = False

    def put(self, number: int, row: Row | None) -> None:
        numbers = self.numbers
        at = bisect.bisect_left(numbers, number)
        present = at < len(numbers) and numbers[at] == number
        if not present and row is None:
            return
        title = _code_span(self.titles, at, len(numbers))
        place = _group_span(self.places, at) if present else (0, 0)
        form = _group_span(self.forms, at) if present else (0, 0)
        old = (self.titles[slice(*title)], self.places[slice(*place)], self.forms[slice(*form)])
        if present and row == old:
            return
        self.changed = True
        if present and row is not None:
            self.titles = _replace(self.titles, title, row[0])
            self.places = _replace(self.places, place, row[1])
            self.forms = _replace(self.forms, form, row[2])
            return
        before = numbers[at - 1] if at else 0
        after = numbers[at + present] if at + present < len(numbers) else None
        doc = _code_span(self.doc, at, -1)
        width = None
        if present and after is not None:  # the removed entry's code and the next one's
            width = _code_span(self.doc, at + 1, -1)[1] - doc[0]
        if row is None:  # out: the next entry's gap now runs from the one before
            del numbers[at]
            self.titles = _replace(self.titles, title, "")
            self.places = _cut_group(self.places, place)
            self.forms = _cut_group(self.forms, form)
            gaps = [after - before] if after is not None else []
            span = (doc[0], doc[0] + width) if width is not None else doc
        else:  # in: its own gap, and the next entry's from it
            numbers.insert(at, number)
            self.titles = _replace(self.titles, (title[0], title[0]), row[0])  # before it
            self.places = _add_group(self.places, at, row[1])
            self.forms = _add_group(self.forms, at, row[2])
            gaps = [number - before] + ([after - number] if after is not None else [])
            span = doc
        self.doc = _replace(self.doc, span, number_codes(gaps))

    def positions(self) -> int:
        return count_numbers(self.places)

    def text(self, syllable: str) -> str:
        """The syllable's part of its shard: the same text as the merge writes."""
        return (
            f'"{syllable}":{{"doc":"{self.doc}","title":"{self.titles}",'
            f'"pos":"{self.places}","form":"{self.forms}"}}'
        )


def _replace(text: str, span: tuple[int, int], new: str) -> str:
    return text[: span[0]] + new + text[span[1] :]


def _code_span(text: str, index: int, count: int) -> tuple[int, int]:
    """Where the index-th code of a text of codes stands (its end if there are fewer);
    `count`: how many codes it holds, if known (one character each when it is its length)."""
    if count == len(text):
        return (min(index, count), min(index + 1, count))
    start = _skip(_CODE, index, text)
    found = _ONE_CODE.match(text, start)
    return (start, found.end() if found else start)


def _group_span(text: str, index: int) -> tuple[int, int]:
    """Where the index-th of the space-separated groups stands."""
    start = _skip(_GROUP, index, text)
    end = text.find(" ", start)
    return (start, len(text) if end < 0 else end)


def _cut_group(text: str, span: tuple[int, int]) -> str:
    """The text without a group (and one space beside it)."""
    start, end = span
    if end < len(text):
        return text[:start] + text[end + 1 :]
    return text[: max(start - 1, 0)]


def _add_group(text: str, index: int, group: str) -> str:
    """The text with a group made the index-th (the groups after it move on)."""
    if not text:
        return group
    at = _skip(_GROUP, index, text + " ")
    if at > len(text):
        return text + " " + group
    return text[:at] + group + " " + text[at:]


def _skip(unit: str, count: int, text: str) -> int:
    """Where `count` units (a regular expression) from the start of the text end; the end
    of the text if it holds fewer."""
    found = re.match(f"(?:{unit}){{0,{count}}}", text)
    return found.end() if found else 0


_CODE = r"[A-Z@$&*+\-]*[0-9a-v]"  # one number code (searchterms.number_code)
_GROUP = r"[^ ]* "  # one group of a space-separated text, with its space
_ONE_CODE = re.compile(_CODE)


class _OldShards:
    """The last index's shards, cut into their syllables' parts only where needed."""

    def __init__(self, previous: Merged, texts: Texts) -> None:
        self.previous = previous
        self.texts = texts
        self.firsts = [members[0] for members in previous.shards]
        self.parts: dict[str, str] = {}
        self.held: dict[str, array] = {}

    def _read(self, syllable: str) -> None:
        at = bisect.bisect_right(self.firsts, syllable) - 1
        members = self.previous.shards[at]
        name = shard_file(members)
        text = self.texts.get(self.previous.files[name]).decode()
        numbers = array("i")
        numbers.frombytes(self.texts.get(self.previous.numbers[name]))
        # '{"syllables":{"a":{...},"b":{...}}}': no '},"' stands inside a part.
        pieces = text[len('{"syllables":{') : -2].split('},"')
        start = 0
        for index, (member, piece) in enumerate(zip(members, pieces, strict=True)):
            head = "" if index == 0 else '"'
            tail = "" if index == len(members) - 1 else "}"
            self.parts[member] = head + piece + tail
            end = start + self.previous.counts[member]
            self.held[member] = numbers[start:end]
            start = end

    def part(self, syllable: str) -> str:
        if syllable not in self.parts:
            self._read(syllable)
        return self.parts[syllable]

    def numbers(self, syllable: str) -> array:
        if syllable not in self.held:
            self._read(syllable)
        return self.held[syllable]

    def columns(self, syllable: str) -> _Columns:
        if syllable not in self.previous.counts:
            return _Columns(array("i"), "", "", "", "")
        part = self.part(syllable)
        # '"s":{"doc":"D","title":"T","pos":"P","form":"F"}': no '","' inside D, T, P, F
        doc, title, places, forms = part[len(syllable) + len('":{"doc":"') + 1 : -2].split('","')
        return _Columns(
            array("i", self.numbers(syllable)),
            doc,
            title[len('title":"') :],
            places[len('pos":"') :],
            forms[len('form":"') :],
        )

    def pair_rows(self, gone: set[int]) -> dict[str, PairRows]:
        """Every pair's postings but those of the entries in `gone`."""
        rows: dict[str, PairRows] = {}
        for name, blob in self.previous.files.items():
            if not name.startswith("p/"):
                continue
            for key, entry in json.loads(self.texts.get(blob))["pairs"].items():
                numbers = list(accumulate(entry["doc"]))
                titles, forms = entry["title"], entry["form"]
                for number in sorted(gone, reverse=True):
                    at = bisect.bisect_left(numbers, number)
                    if at < len(numbers) and numbers[at] == number:
                        del numbers[at], titles[at], forms[at]
                if numbers:
                    rows[key] = (numbers, titles, forms)
        return rows
