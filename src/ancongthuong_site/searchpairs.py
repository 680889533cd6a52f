"""Pair postings: where two heavy syllables stand side by side ("cong thuong"), per entry,
with the spellings seen there (see searchmerge's note on `p/` files).

Made from the heavy syllables' postings as their shard writes them, decoded and matched
as numpy arrays: at 10,000 articles that is about a million positions, so no Python
runs per position, nor per entry and syllable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .searchterms import CONTINUED_DIGITS, FINAL_DIGITS

# One heavy syllable's postings: entry numbers, and the shard's strings of title counts
# (a code per entry), positions (gaps, a group of codes per entry, groups split by spaces)
# and forms (two characters per hit, or two for all, per entry, split by spaces).
PairSource = tuple[Sequence[int], str, str, str]
PairRows = tuple[list[int], list[int], list[str]]  # entry numbers, title counts, forms

_DIGIT = np.zeros(256, np.int64)
_IS_FINAL = np.zeros(256, bool)
for _value, (_final, _continued) in enumerate(zip(FINAL_DIGITS, CONTINUED_DIGITS, strict=True)):
    _DIGIT[ord(_final)] = _DIGIT[ord(_continued)] = _value
    _IS_FINAL[ord(_final)] = True


def _numbers(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The numbers of a text of codes split by spaces, and the group each belongs to."""
    data = np.frombuffer(text.encode("ascii"), np.uint8)
    space = data == 32
    group_of_byte = np.cumsum(space)
    digits = data[~space]
    group_of_digit = group_of_byte[~space]
    final = _IS_FINAL[digits]
    ends = np.flatnonzero(final)
    code_of_digit = np.cumsum(final) - final
    below = ends[code_of_digit] - np.arange(len(digits))  # digits after this one in its code
    values = np.bincount(code_of_digit, _DIGIT[digits] * 32.0**below, minlength=len(ends))
    return values.astype(np.int64), group_of_digit[ends]


def _hits(number: int, source: PairSource) -> tuple[np.ndarray, ...]:
    """entry, position, syllable number, spelling and in-title flag of every hit."""
    entries, titles, places, forms = source
    gaps, row = _numbers(places)
    counts = np.bincount(row, minlength=len(entries))
    firsts = np.cumsum(counts) - counts
    totals = np.cumsum(gaps)
    # positions: the gaps summed from the row's first hit (written whole) on
    positions = totals - np.repeat(totals[firsts] - gaps[firsts], counts)
    rank = np.arange(len(gaps)) - np.repeat(firsts, counts)
    in_title = rank < np.repeat(_numbers(titles)[0], counts)
    data = np.frombuffer(forms.encode("ascii"), np.uint8)
    letters = data[data != 32].astype(np.int64)
    codes = letters[0::2] * 256 + letters[1::2]  # ordered as the two characters are
    code_counts = np.bincount(np.cumsum(data == 32)[data != 32][0::2], minlength=len(entries))
    code_firsts = np.cumsum(code_counts) - code_counts
    one_for_all = np.repeat(code_counts == 1, counts)
    spelling = codes[np.repeat(code_firsts, counts) + np.where(one_for_all, 0, rank)]
    entry = np.repeat(np.asarray(entries, np.int64), counts)
    return entry, positions, np.full(len(gaps), number), spelling, in_title


def pairs(sources: dict[str, PairSource], only: Iterable[int] | None = None) -> dict[str, PairRows]:
    """For every two heavy syllables standing side by side somewhere, the entries where
    they do (of `only`, when given), with per entry the distinct pairs of spellings found
    there: those at a place in the title first (how many: the title count), each group in
    the order of its characters."""
    names = list(sources)
    if not names:
        return {}
    entry, position, syllable, spelling, in_title = (
        np.concatenate(column)
        for column in zip(*(_hits(n, sources[name]) for n, name in enumerate(names)), strict=True)
    )
    if only is not None:
        kept = np.isin(entry, np.fromiter(only, np.int64))
        entry, position, syllable, spelling, in_title = (
            column[kept] for column in (entry, position, syllable, spelling, in_title)
        )
    # Each (entry, position) is one hit: one sort of a combined number orders them.
    order = np.argsort(entry * (int(position.max()) + 1) + position)
    entry, position, syllable, spelling, in_title = (
        column[order] for column in (entry, position, syllable, spelling, in_title)
    )
    side = np.flatnonzero((entry[1:] == entry[:-1]) & (position[1:] == position[:-1] + 1))
    if not len(side):
        return {}
    first, second = syllable[side], syllable[side + 1]
    pair_entry, titled = entry[side], in_title[side]
    spelt = spelling[side] * 65536 + spelling[side + 1]
    # One row per entry, pair and spelling, titled if it is anywhere in the title; then the
    # titled spellings of each entry and pair first, each group in order.
    order = np.lexsort((~titled, spelt, second, first, pair_entry))
    key = np.stack((pair_entry, first, second, spelt))[:, order]
    new = np.concatenate(([True], (key[:, 1:] != key[:, :-1]).any(axis=0)))
    pair_entry, first, second, spelt = key[:, new]
    titled = titled[order][new]
    order = np.lexsort((spelt, ~titled, pair_entry, second, first))
    pair_entry, first, second, spelt, titled = (
        column[order] for column in (pair_entry, first, second, spelt, titled)
    )
    letters = np.stack([(spelt >> shift) & 255 for shift in (24, 16, 8, 0)], axis=1)
    text = letters.astype(np.uint8).tobytes().decode("ascii")
    group = np.stack((first, second, pair_entry))
    starts = np.flatnonzero(np.concatenate(([True], (group[:, 1:] != group[:, :-1]).any(axis=0))))
    ends = [*starts[1:].tolist(), len(spelt)]
    title_counts = np.add.reduceat(titled, starts, dtype=np.int64).tolist()
    firsts, seconds, numbers = first.tolist(), second.tolist(), pair_entry.tolist()
    rows: dict[str, PairRows] = {}
    for start, end, count in zip(starts.tolist(), ends, title_counts, strict=True):
        key_text = f"{names[firsts[start]]} {names[seconds[start]]}"
        held, counts, forms = rows.setdefault(key_text, ([], [], []))
        held.append(numbers[start])
        counts.append(count)
        forms.append(text[4 * start : 4 * end])
    return rows
