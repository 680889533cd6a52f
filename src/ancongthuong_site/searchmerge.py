"""The full-text search index's files: every entry's terms merged, sharded by folded syllable.

Files (under `Urls.SEARCH_INDEX`, see searchindex.py), all JSON with named fields:

- `meta.json`: how many entries, what each one is (type and category, one character per
  entry into `groups`), which entries each year holds, the first syllable of every
  shard (sorted; a syllable lives in the last shard whose first syllable is ≤ it), and
  `pairs`: the heaviest syllables and the first key of every pair shard;
- `s/<first syllable>.json`: for each syllable of the shard, the entries holding it
  (`doc`: gaps between entry numbers), with per entry `title` (how many hits are in the
  title), `pos` (gaps between positions) and `form` (two characters per hit naming the
  exact spelling, or two for all when they are spelt alike, see `searchterms`). Each is
  one string: `doc` and `title` the number codes of `searchterms.number_codes`, one per
  entry, `pos` and `form` one group per entry separated by spaces (the numbers of an
  entry's positions are codes too). Strings parse at once and weigh half the arrays;
  search.js decodes only the syllables a query needs;
- `p/<name>.json`: for two heavy syllables that stand side by side somewhere ("cong
  thuong"), the entries where they do (`doc`), and per entry `form`: each distinct pair
  of spellings found there (four characters), those seen in the title first, `title` of
  them. A two-word query of heavy syllables reads this instead of every position of both
  (a syllable held about a dozen times by every article weighs 150 KB at 10,000 articles);
- `d/<n>.json`: url, title, date, category and type of entries n×CHUNK … (n+1)×CHUNK−1,
  fetched only for the results a reader is shown.

Entries are numbered pages first, then by date, oldest first: a newer article is appended,
so the numbers of the others — and every shard it does not touch — stay the same, and the
build rewrites only the files whose bytes changed. A higher number is a more recent entry.

A shard starts at a syllable held by many entries (it gets a shard of its own), after one,
or where a hash of the syllable says so (about one in 32: fewer, larger files): cuts depend
on the syllables themselves, not on sizes that shift, so one edit moves no other shard's
boundary.

The merge handles millions of (entry, syllable) postings at 10,000 articles: each entry's
terms are read only when it is merged, and postings are kept as integer arrays and joined
text, not as millions of small objects (the build's memory stays flat).
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .searchpairs import PairRows, PairSource, pairs
from .searchterms import Numbered, codes_of, count_numbers, form_code
from .searchtexts import Blob, MemoryTexts, Texts
from .searchtokens import KEY_LENGTH, KEY_MASKS, KeyTable
from .vietnamese import VN_TZ

# Entries per d/<n>.json: ten results of a page touch two to four files, fetched in one round
# of the browser's six connections (32 made it ten, in two rounds, and 313 files at 10,000).
CHUNK = 128
# A syllable with at least this many positions per entry gets pair postings (bytes grow
# with positions: at 10,000 entries that is 80,000 positions, over 100 KB compressed).
PAIR_POSITIONS = 8
ENTRY_CHUNK = 64  # entries whose terms are kept together (an edit reads one group)
COMPACT_EVERY = 256  # entries between two joins of the pending postings (memory stays low)
_SAFE_NAME = re.compile(r"^[a-z0-9]{1,40}$")


@dataclass(frozen=True)
class SearchEntry:
    """One thing search can find: an article, a document or a static page."""

    kind: str  # "article", "document" or "page"
    url: str  # the link, with the base path
    title: str
    date: dt.datetime | None  # None for static pages
    date_text: str
    category: str  # the category's (or the document type's) name; "" for pages
    # searchterms.encode_terms(...), or what reads it when the merge needs it (so the
    # terms of thousands of entries are never all in memory at once)
    terms: str | Callable[[], str]
    source: str = ""  # what the terms are made from (a file and its digest), if known


def shard_name(first: str) -> str:
    """The file name of the shard that starts at `first` (search.js makes the same)."""
    if _SAFE_NAME.match(first):
        return first
    return "x" + first.encode("utf-8").hex()[:60]


def _cuts_before(key: str) -> bool:
    code = form_code(key)
    return code[0] in "01"  # 2 of the 64 characters


@dataclass
class Merged:
    """An index made: where its texts are, and what a later build needs to update it
    (searchindex). Small: the texts themselves are in a `Texts`."""

    files: dict[str, Blob]  # every file, by path under the index folder
    shards: list[list[str]]  # the syllables of each s/ shard, in order
    counts: dict[str, int]  # how many entries hold each syllable
    positions: dict[str, int]  # how many positions each syllable has in all
    # per s/ shard (by file): its syllables' entry numbers, int32 arrays one after another
    numbers: dict[str, Blob]
    entries: list[Blob]  # the terms of each ENTRY_CHUNK entries (see `entry_chunk`)
    pair_syllables: list[str]  # the syllables heavy enough for pair postings
    pair_firsts: list[str]  # the first key of each p/ shard


def ordered_entries(entries: Iterable[SearchEntry]) -> list[SearchEntry]:
    """Pages first, then by date, oldest first (see the module's note on numbers)."""
    return sorted(
        entries,
        key=lambda e: (e.date is not None, e.date.timestamp() if e.date else 0.0, e.url),
    )


def read_terms(entry: SearchEntry) -> str:
    return entry.terms if isinstance(entry.terms, str) else entry.terms()


def heavy_count(entries: int) -> int:
    """A key held by this many entries gets a shard of its own."""
    return max(64, entries // 64)


def build_search_index(entries: Iterable[SearchEntry]) -> dict[str, str]:
    """Every index file, by its path under the index folder, with its text."""
    texts = MemoryTexts()
    files = merge(ordered_entries(entries), texts).files
    return {name: texts.get(blob).decode() for name, blob in files.items()}


def merge(ordered: list[SearchEntry], texts: Texts) -> Merged:
    """The index of these entries (already in order), made from all their terms; each
    text is put in `texts` as soon as it is made."""
    postings = _Postings()
    entries: list[Blob] = []
    group: list[str] = []
    for number, entry in enumerate(ordered):
        group.append(read_terms(entry))
        postings.add(number, group[-1])
        if len(group) == ENTRY_CHUNK or number == len(ordered) - 1:
            entries.append(texts.put(entry_chunk(group)))
            group = []
    postings.finish()
    counts = {syllable: len(numbers) for syllable, numbers in postings.numbers.items()}
    positions: dict[str, int] = {}
    files: dict[str, Blob] = {}
    numbers_of: dict[str, Blob] = {}
    sources: dict[str, PairSource] = {}
    shards = list(shard_members(counts, heavy_count(len(ordered))))
    for members in shards:
        parts = []
        for syllable in members:
            numbers, titles, places, forms = postings.columns(syllable)
            parts.append(_syllable_json(syllable, numbers, titles, places, forms))
            positions[syllable] = count_numbers(places)
            if positions[syllable] >= PAIR_POSITIONS * len(ordered):
                sources[syllable] = (numbers, titles, places, forms)
        name = shard_file(members)
        files[name] = texts.put(shard_text(parts).encode())
        numbers_of[name] = texts.put(b"".join(postings.numbers.pop(s).tobytes() for s in members))
    heavy = sorted(sources)
    made, pair_firsts = pair_files(pairs(sources), len(ordered))
    made.update(index_files(ordered, shards, heavy, pair_firsts))
    for name, text in made.items():
        files[name] = texts.put(text.encode())
    return Merged(files, shards, counts, positions, numbers_of, entries, heavy, pair_firsts)


def entry_chunk(terms: list[str]) -> bytes:
    """The terms of a few entries, as kept between builds (an update compares an edited
    entry's rows with them: only the syllables whose row changed are touched)."""
    return "\x1e".join(terms).encode()


def read_entry_chunk(data: bytes) -> list[str]:
    return data.decode().split("\x1e")


def shard_file(members: list[str]) -> str:
    return f"s/{shard_name(members[0])}.json"


def shard_text(parts: list[str]) -> str:
    """An s/ shard from its syllables' texts (see `syllable_text`)."""
    return '{"syllables":{' + ",".join(parts) + "}}"


def pair_files(rows: dict[str, PairRows], entries: int) -> tuple[dict[str, str], list[str]]:
    """The pair shards, and the first key of each."""
    files = {}
    firsts = []
    counts = {key: len(numbers) for key, (numbers, _, _) in rows.items()}
    for members in shard_members(counts, heavy_count(entries)):
        parts = [pair_text(key, *rows[key]) for key in members]
        files[f"p/{shard_name(members[0])}.json"] = '{"pairs":{' + ",".join(parts) + "}}"
        firsts.append(members[0])
    return files, firsts


def index_files(
    ordered: list[SearchEntry], shards: list[list[str]], heavy: list[str], pair_firsts: list[str]
) -> dict[str, str]:
    """meta.json and the d/ chunks."""
    files = {}
    files["meta.json"] = _meta(ordered, [members[0] for members in shards], heavy, pair_firsts)
    for start in range(0, len(ordered), CHUNK):
        chunk = [
            {
                "url": e.url,
                "title": e.title,
                "date": e.date_text,
                "category": e.category,
                "type": e.kind,
            }
            for e in ordered[start : start + CHUNK]
        ]
        files[f"d/{start // CHUNK}.json"] = _dump({"docs": chunk})
    return files


class _Postings:
    """Each syllable's postings, entry after entry: entry numbers, and the three strings
    its shard writes (title counts, positions, forms), in pieces of COMPACT_EVERY entries.

    The rows of COMPACT_EVERY entries are filed under their syllables at once, as numpy
    arrays of their bytes (one stable sort by syllable, then gathers): no Python runs per
    row, and no object is made per row (millions of small strings would weigh far more).
    """

    def __init__(self) -> None:
        self.ids: dict[str, int] = Numbered(self._syllable)  # by first sight
        self.known = KeyTable(lambda key: self.ids[key.to_bytes(8, "little").strip(b"\0").decode()])
        self.names: list[str] = []
        self.pending: list[tuple[int, str]] = []
        self.entries: list[list[np.ndarray]] = []  # per syllable number, its pieces
        self.titles: list[list[bytes]] = []
        self.places: list[list[bytes]] = []
        self.forms: list[list[bytes]] = []
        self.numbers: dict[str, np.ndarray] = {}  # by syllable, once every entry is added
        self.scratch = np.empty(0, np.int64)  # see `_gather`

    def add(self, number: int, terms: str) -> None:
        if terms:
            self.pending.append((number, terms))
        if len(self.pending) == COMPACT_EVERY:
            self._file()

    def finish(self) -> None:
        self._file()
        self.numbers = {
            name: np.concatenate(parts)
            for name, parts in zip(self.names, self.entries, strict=True)
        }

    def _numbered(self, names: bytes) -> np.ndarray:
        """The number of each syllable of a text of names split by newlines: a name of at
        most eight bytes is known by the number they make (see searchtokens.KeyTable)."""
        data = np.frombuffer(names + bytes(KEY_LENGTH), np.uint8)
        starts = np.flatnonzero(data[: len(names)] == 10) + 1
        lengths = np.diff(starts, prepend=0, append=len(names) + 1) - 1
        starts = np.concatenate(([0], starts))
        eights = np.ndarray((len(names),), "<u8", buffer=data, strides=(1,))
        long = lengths > KEY_LENGTH
        keys = eights[starts] & KEY_MASKS[np.minimum(lengths, KEY_LENGTH)]
        if not long.any():
            return self.known.numbers(keys)
        numbers = np.empty(len(starts), np.int64)
        numbers[~long] = self.known.numbers(keys[~long])
        spans = zip(starts[long].tolist(), (starts + lengths)[long].tolist(), strict=True)
        numbers[long] = [self.ids[names[a:b].decode()] for a, b in spans]
        return numbers

    def _syllable(self, name: str) -> int:
        self.names.append(name)
        for pieces in (self.entries, self.titles, self.places, self.forms):
            pieces.append([])
        return len(self.names) - 1

    def _file(self) -> None:
        if not self.pending:
            return
        halves = [terms.partition("\0") for _, terms in self.pending]
        syllable = self._numbered("\n".join(half[0] for half in halves).encode())
        counts = [half[0].count("\n") + 1 for half in halves]
        entry = np.repeat(np.array([n for n, _ in self.pending], np.int32), counts)
        text = "\n".join(half[2] for half in halves) + "\n"
        data = np.frombuffer(text.encode("ascii"), np.uint8)
        self.pending = []
        tabs = np.flatnonzero(data == 9)
        ends = np.flatnonzero(data == 10)
        starts = np.concatenate(([0], ends[:-1] + 1))
        # Stable, and a radix sort when the numbers fit in 16 bits (the usual case).
        small = syllable.astype(np.uint16) if len(self.names) <= 65536 else syllable
        order = np.argsort(small, kind="stable")
        syllable = syllable[order]
        cuts = np.flatnonzero(np.concatenate(([True], syllable[1:] != syllable[:-1])))
        bounds = [*cuts.tolist(), len(order)]
        numbers = syllable[cuts].tolist()
        firsts, seconds = tabs[0::2][order], tabs[1::2][order]
        # Each field is taken with the character after it: none after a title count; after
        # positions and forms a tab and a newline, which become the spaces between entries.
        for column, begin, end, after in (
            (self.titles, starts[order], firsts, b""),
            (self.places, firsts + 1, seconds + 1, b"\t"),
            (self.forms, seconds + 1, ends[order] + 1, b"\n"),
        ):
            lengths = end - begin
            gathered, self.scratch = _gather(data, begin, lengths, self.scratch)
            if after:
                gathered = gathered.replace(after, b" ")
            at = [0, *np.cumsum(lengths)[np.array(bounds[1:]) - 1].tolist()]
            for n, number in enumerate(numbers):
                column[number].append(gathered[at[n] : at[n + 1]])
        entry = entry[order]
        for n, number in enumerate(numbers):
            self.entries[number].append(entry[bounds[n] : bounds[n + 1]])

    def columns(self, syllable: str) -> tuple[np.ndarray, str, str, str]:
        """Entry numbers, and title counts, positions and forms as the text of their
        strings in the shard, of one syllable (its pieces are let go)."""
        number = self.ids[syllable]
        pieces = (self.titles[number], self.places[number], self.forms[number])
        titles, places, forms = (b"".join(parts).decode("ascii") for parts in pieces)
        for parts in pieces:
            parts.clear()
        return self.numbers[syllable], titles, places[:-1], forms[:-1]


def _gather(
    data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, scratch: np.ndarray
) -> tuple[bytes, np.ndarray]:
    """The bytes of data[start:start + length] for each range, one after another; and the
    scratch array given (the next call's), grown if it was too short. The same memory is
    used again: a fresh array of that size costs more in page faults than in work."""
    kept = lengths > 0
    starts, lengths = starts[kept], lengths[kept]
    total = int(lengths.sum())
    if not total:
        return b"", scratch
    if len(scratch) < total:
        scratch = np.empty(2 * total, np.int64)
    # Where each byte is taken from, as steps from the one before: 1 within a range, a
    # jump at the start of the next (a cumulative sum is far cheaper than a repeat).
    steps = scratch[:total]
    steps.fill(1)
    steps[0] = starts[0]
    steps[np.cumsum(lengths[:-1])] = starts[1:] - starts[:-1] - lengths[:-1] + 1
    return data[np.cumsum(steps, out=steps)].tobytes(), scratch


def shard_members(counts: dict[str, int], heavy: int) -> Iterator[list[str]]:
    """Keys grouped into shards, from how many entries hold each (see the module's note)."""
    members: list[str] = []
    previous_heavy = True
    for key in sorted(counts):
        is_heavy = counts[key] >= heavy
        if members and (is_heavy or previous_heavy or _cuts_before(key)):
            yield members
            members = []
        members.append(key)
        previous_heavy = is_heavy
    if members:
        yield members


def _syllable_json(
    syllable: str, numbers: np.ndarray, titles: str, positions: str, forms: str
) -> str:
    return (
        f'"{syllable}":{{"doc":"{codes_of(np.diff(numbers, prepend=0))}","title":"{titles}",'
        f'"pos":"{positions}","form":"{forms}"}}'
    )


def _gaps(numbers: Sequence[int]) -> list[int]:
    return [numbers[0], *map(operator.sub, numbers[1:], numbers)]


def pair_text(key: str, numbers: list[int], titles: list[int], forms: list[str]) -> str:
    return f'"{key}":' + _dump({"doc": _gaps(numbers), "title": titles, "form": forms})


def _meta(
    ordered: list[SearchEntry], firsts: list[str], pair_syllables: list[str], pair_firsts: list[str]
) -> str:
    groups: dict[tuple[str, str], int] = {}
    kinds: list[str] = []
    years: dict[str, list[int]] = {}
    for number, entry in enumerate(ordered):
        group = groups.setdefault((entry.kind, entry.category), len(groups))
        kinds.append(_group_char(group))
        if entry.date is not None:
            span = years.setdefault(str(entry.date.astimezone(VN_TZ).year), [number, number])
            span[1] = number
    return _dump(
        {
            "version": 3,
            "count": len(ordered),
            "chunk": CHUNK,
            "groups": [{"type": kind, "category": category} for kind, category in groups],
            "kinds": "".join(kinds),
            "years": years,
            "shards": firsts,
            "pairs": {"syllables": pair_syllables, "shards": pair_firsts},
        }
    )


def _group_char(index: int) -> str:
    # Printable, JSON-safe and never a quote or backslash; thousands of groups fit.
    return chr(0x30 + index) if index < 0x2C else chr(0x100 + index)


def _dump(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
