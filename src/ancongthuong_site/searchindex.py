"""The full-text search index: every entry's terms merged, sharded by folded syllable.

Files (under `Urls.SEARCH_INDEX`), all JSON with named fields:

- `meta.json`: how many entries, what each one is (type and category, one character per
  entry into `groups`), which entries each year holds, and the first syllable of every
  shard (sorted; a syllable lives in the last shard whose first syllable is ≤ it);
- `s/<first syllable>.json`: for each syllable of the shard, the entries holding it
  (`doc`: gaps between entry numbers), with per entry `title` (how many hits are in the
  title), `pos` (gaps between positions) and `form` (two characters per hit naming the
  exact spelling, or two for all when they are spelt alike, see `searchterms`);
- `d/<n>.json`: url, title, date, category and type of entries n×CHUNK … (n+1)×CHUNK−1,
  fetched only for the results a reader is shown.

Entries are numbered pages first, then by date, oldest first: a newer article is appended,
so the numbers of the others — and every shard it does not touch — stay the same, and the
build rewrites only the files whose bytes changed. A higher number is a more recent entry.

A shard starts at a syllable held by many entries (it gets a shard of its own), after one,
or where a hash of the syllable says so (about one in eight): cuts depend on the syllables
themselves, not on sizes that shift, so one edit moves no other shard's boundary.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .index import SiteIndex
from .models import ParsedFile, RenderTask
from .searchterms import form_code
from .urls import Urls
from .vietnamese import VN_TZ, format_date

CHUNK = 32  # entries per d/<n>.json: one page of results fetches a few small files
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
    terms: str  # searchterms.encode_terms(...)


def search_index_tasks(
    index: SiteIndex,
    urls: Urls,
    terms_of: Callable[[ParsedFile], str],
    documents: Iterable[SearchEntry] = (),
) -> list[RenderTask]:
    """The index's files as raw tasks: listed articles, static pages and `documents` (the
    register's entries, of type "document")."""
    entries = [
        SearchEntry("article", urls.link(a.rel_url), a.meta.title, a.meta.date,
                    format_date(a.meta.date), a.category_name, terms_of(a.parsed))
        for a in index.listed
        if a.meta.date is not None
    ]  # fmt: skip
    entries += [
        SearchEntry("page", urls.link(p.rel_url), p.meta.title, None, "", "", terms_of(p.parsed))
        for p in index.pages
    ]
    files = build_search_index([*entries, *documents])
    return [RenderTask(Urls.SEARCH_INDEX + name, "", {"raw": text}) for name, text in files.items()]


def shard_name(first: str) -> str:
    """The file name of the shard that starts at `first` (search.js makes the same)."""
    if _SAFE_NAME.match(first):
        return first
    return "x" + first.encode("utf-8").hex()[:60]


def _cuts_before(syllable: str) -> bool:
    code = form_code(syllable)
    return code[0] in "01234567"  # 8 of the 64 characters


def build_search_index(entries: Iterable[SearchEntry]) -> dict[str, str]:
    """Every index file, by its path under the index folder, with its text."""
    ordered = sorted(
        entries,
        key=lambda e: (e.date is not None, e.date.timestamp() if e.date else 0.0, e.url),
    )
    docs: dict[str, list[int]] = {}
    rests: dict[str, list[str]] = {}
    for number, entry in enumerate(ordered):
        if not entry.terms:
            continue
        for line in entry.terms.split("\n"):
            syllable, _, rest = line.partition("\t")
            found = docs.get(syllable)
            if found is None:
                docs[syllable] = [number]
                rests[syllable] = [rest]
            else:
                found.append(number)
                rests[syllable].append(rest)
    files: dict[str, str] = {}
    heavy = max(64, len(ordered) // 64)
    shards: list[list[str]] = []
    previous_heavy = True
    for syllable in sorted(docs):
        is_heavy = len(docs[syllable]) >= heavy
        if not shards or is_heavy or previous_heavy or _cuts_before(syllable):
            shards.append([])
        shards[-1].append(syllable)
        previous_heavy = is_heavy
    for members in shards:
        parts = [_syllable_json(s, docs[s], rests[s]) for s in members]
        files[f"s/{shard_name(members[0])}.json"] = '{"syllables":{' + ",".join(parts) + "}}"
    files["meta.json"] = _meta(ordered, [members[0] for members in shards])
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


def _syllable_json(syllable: str, numbers: list[int], rests: list[str]) -> str:
    gaps = [numbers[0], *map(operator.sub, numbers[1:], numbers)]
    columns = "\t".join(rests).split("\t")  # title, [positions], "forms" for each entry
    return (
        f'"{syllable}":{{"doc":[{",".join(map(str, gaps))}],'
        f'"title":[{",".join(columns[0::3])}],'
        f'"pos":[{",".join(columns[1::3])}],'
        f'"form":[{",".join(columns[2::3])}]}}'
    )


def _meta(ordered: list[SearchEntry], firsts: list[str]) -> str:
    groups: dict[tuple[str, str], int] = {}
    kinds: list[str] = []
    years: dict[str, list[int]] = {}
    for number, entry in enumerate(ordered):
        group = groups.setdefault((entry.kind, entry.category), len(groups))
        kinds.append(_group_char(group))
        if entry.date is not None:
            span = years.setdefault(str(entry.date.astimezone(VN_TZ).year), [number, number])
            span[1] = number
    return _dump({
        "version": 1,
        "count": len(ordered),
        "chunk": CHUNK,
        "groups": [{"type": kind, "category": category} for kind, category in groups],
        "kinds": "".join(kinds),
        "years": years,
        "shards": firsts,
    })  # fmt: skip


def _group_char(index: int) -> str:
    # Printable, JSON-safe and never a quote or backslash; thousands of groups fit.
    return chr(0x30 + index) if index < 0x2C else chr(0x100 + index)


def _dump(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
