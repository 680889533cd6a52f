"""One document's search terms: its text cut into syllables, folded, with their positions.

Runs where the file is parsed (a worker process) and is cached with the body, so a build
only merges terms; `searchindex` shards them. static/js/search.js cuts and folds queries the
same way (the browser tests check that both agree).

A document's terms are one string: its folded syllables, sorted, one a line; a NUL; then
a line per syllable, in the same order:

    title TAB positions TAB forms

(two blocks, so that the merge can file a document's rows under their syllables with a
few C loops instead of cutting every line in Python)

- positions: where the syllable stands in the document's token stream, as the number codes
  of the gaps (first from 0; see `number_codes`). The title comes first; the other fields
  follow from position `FIELDS_START` (or one past a longer title), one empty position
  between two fields, so a phrase never runs from one field into the next;
- title: how many of those positions are in the title (they come first), a number code;
- forms: per position, two characters naming the exact lowercase spelling that was folded
  (`form_code`), so that "Đảng ủy" can rank above "đang ủy" without storing the words;
  just two when every position is spelt alike.
"""

from __future__ import annotations

import functools
import html
import re
import threading
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from .searchtokens import Cutter
from .vietnamese import fold

_TAG = re.compile(r"<[^>]*>")
_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
# The 4096 form codes, by `form_index`: two characters of the alphabet, low bits first.
_FORM_CODES = [_CODE_ALPHABET[i & 63] + _CODE_ALPHABET[i >> 6] for i in range(4096)]


class _Memo(dict):
    """key → value, computed on first use; bounded so a worker's memory stays flat."""

    def __init__(self, function) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.function = function

    def __missing__(self, key):  # type: ignore[no-untyped-def]
        if len(self) > 200_000:
            self.clear()
        value = self[key] = self.function(key)
        return value


def plain_text(body_html: str) -> str:
    """The words of an HTML body: tags become spaces, entities characters."""
    return html.unescape(_TAG.sub(" ", body_html))


def form_code(form: str) -> str:
    """Two characters from a 32-bit FNV-1a hash of the spelling's code points.

    Spellings of one folded syllable are a handful, so two of them sharing a code (1 in
    4096) only costs ranking, never a result.
    """
    return _FORM_CODES[form_index(form)]


def form_index(form: str) -> int:
    """Which of the 4096 form codes a spelling has (see `form_code`)."""
    value = 0x811C9DC5
    for char in form:
        value = ((value ^ ord(char)) * 0x01000193) & 0xFFFFFFFF
    return value & 4095


# Numbers in the index (gaps between positions or entries, counts) are written as codes:
# base 32, most significant digit first, every digit but the last from CONTINUED_DIGITS,
# the last from FINAL_DIGITS, so that codes follow one another with no separator and a
# small number is one character (a JSON array of decimals takes three or four a number).
FINAL_DIGITS = "0123456789abcdefghijklmnopqrstuv"
CONTINUED_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ@$&*+-"
_ONE_CODE = re.compile(r"[A-Z@$&*+\-]*[0-9a-v]")
_FINAL_BYTES = FINAL_DIGITS.encode()


def number_code(value: int) -> str:
    """The code of a number ≥ 0 (see above; search.js reads it back)."""
    text = FINAL_DIGITS[value & 31]
    value >>= 5
    while value:
        text = CONTINUED_DIGITS[value & 31] + text
        value >>= 5
    return text


def _code_value(code: str) -> int:
    value = 0
    for char in code[:-1]:
        value = value * 32 + CONTINUED_DIGITS.index(char)
    return value * 32 + FINAL_DIGITS.index(code[-1])


def read_numbers(text: str) -> list[int]:
    """The numbers of a text of codes."""
    return list(map(_values.__getitem__, _ONE_CODE.findall(text)))


def count_numbers(text: str) -> int:
    """How many numbers a text of codes (and spaces) holds: one final digit each."""
    data = text.encode()
    return len(data) - len(data.translate(None, _FINAL_BYTES))


_numbers = _Memo(number_code)
_values = _Memo(_code_value)


def number_codes(values: Iterable[int]) -> str:
    """The codes of numbers, one after another."""
    return "".join(map(_numbers.__getitem__, values))


SHORT_CODES = 1 << 20  # the numbers whose code has at most four characters


@functools.cache
def code_table(size: int) -> np.ndarray:
    """The codes of 0 … size - 1 (at most SHORT_CODES), a row of four bytes each, NULs
    after the code: made at once, where a memo would make each number's in Python."""
    assert size <= SHORT_CODES
    values = np.arange(size)
    lengths = 1 + (values >= 1 << 5) + (values >= 1 << 10) + (values >= 1 << 15)
    final = np.frombuffer(FINAL_DIGITS.encode(), np.uint8)
    continued = np.frombuffer(CONTINUED_DIGITS.encode(), np.uint8)
    table = np.zeros((size, 4), np.uint8)
    for place in range(4):
        after = lengths - 1 - place  # the digits after this one
        digit = (values >> 5 * np.maximum(after, 0)) & 31
        table[:, place] = np.where(after == 0, final[digit], continued[digit]) * (after >= 0)
    return table


def codes_of(values: np.ndarray) -> str:
    """`number_codes` of an array of numbers, at once."""
    if not len(values):
        return ""
    largest = int(values.max())
    if largest >= SHORT_CODES:
        return number_codes(values.tolist())
    table = code_table(max(4096, 1 << largest.bit_length()))
    return table[values].tobytes().translate(None, b"\0").decode("ascii")


FIELDS_START = 64  # where the fields after a title of fewer syllables begin

# A document's title and its other texts, as the parser hands them to `encode_many`.
SearchText = tuple[str, Sequence[str]]


def encode_terms(title: str, fields: Iterable[str]) -> str:
    """The terms of a document whose title is `title` and whose other texts are `fields`."""
    return encode_many([(title, tuple(fields))])[0]


def encode_many(texts: Sequence[SearchText]) -> list[str]:
    """The terms of several documents (as `encode_terms` of each, in one go).

    The work per token is done by numpy on the whole batch at once: a parse worker hands
    its chunk of files here, so numpy's cost per call is paid per chunk, not per file.
    """
    return _ENCODER.encode(texts)


class _Encoder:
    """What is known of every token seen (its folded syllable, its spelling's code), and
    the bytes every terms text is cut from: the number codes, the form codes, tab, newline."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.start_over()

    def start_over(self) -> None:
        self.ids: dict[str, int] = Numbered(self._token_id)
        self.cutter = Cutter(self.ids)
        self.fold_ids: dict[str, int] = {}
        self.folds: list[str] = []
        self.token_fold = np.zeros(4096, np.int64)
        self.token_form = np.zeros(4096, np.int64)  # form_index of the spelling
        self.fold_rank = np.zeros(4096, np.int64)  # scratch: a batch's order of syllables
        self._grow_numbers(4096)

    def _grow_numbers(self, size: int) -> None:
        """The pieces terms are cut from, each padded with NULs to a unit of 4 bytes (8 once
        a number's code is longer): the number codes 0 … size - 1 (their unit is the number
        itself), the 4096 form codes, tab, newline, and the end of a document's rows."""
        self.form_at = size
        self.tab = size + len(_FORM_CODES)
        self.newline = self.tab + 1
        self.end = self.tab + 2
        others = [*_FORM_CODES, "\t", "\n", _END]
        if size <= SHORT_CODES:
            rows = np.frombuffer(
                b"".join(piece.encode().ljust(4, b"\0") for piece in others), "<u4"
            )
            self.units = np.concatenate((code_table(size).view("<u4").ravel(), rows))
            return
        pieces = [*(number_code(value) for value in range(size)), *others]
        self.units = np.frombuffer(
            b"".join(piece.encode().ljust(8, b"\0") for piece in pieces), "<u8"
        )

    def _token_id(self, token: str) -> int:
        number = len(self.ids)
        if number >= len(self.token_fold):
            self.token_fold = np.resize(self.token_fold, 2 * number)
            self.token_form = np.resize(self.token_form, 2 * number)
        folded = fold(token)
        fold_id = self.fold_ids.get(folded)
        if fold_id is None:
            fold_id = self.fold_ids[folded] = len(self.folds)
            self.folds.append(folded)
            if fold_id >= len(self.fold_rank):
                self.fold_rank = np.resize(self.fold_rank, 2 * fold_id)
        self.token_fold[number] = fold_id
        self.token_form[number] = form_index(token)
        return number

    def encode(self, texts: Sequence[SearchText]) -> list[str]:
        found: list[str] = []
        with self.lock:  # the tables are shared by every thread (serve builds on its own)
            for start in range(0, len(texts), BATCH):
                found += self._batch(texts[start : start + BATCH])
        return found

    def _batch(self, texts: Sequence[SearchText]) -> list[str]:
        if len(self.ids) > 500_000:  # a worker's or serve's memory stays flat (never mid-batch)
            self.start_over()
        ids, counts = self.cutter.cut(
            [text for title, fields in texts for text in (title, *fields)]
        )
        if not len(ids):
            return [""] * len(texts)
        field_starts: list[int] = []  # per text: where its first token stands in its document
        title_lengths: list[int] = []
        token_counts: list[int] = []
        lengths = counts.tolist()
        field = 0
        for _, fields in texts:
            title_length = lengths[field]
            title_lengths.append(title_length)
            field_starts.append(0)
            # The other fields start at a fixed place whatever the title's length, so that a
            # title edit moves only the title's syllables, not every posting of the document;
            # one empty position between two fields keeps a phrase from running across.
            at = max(FIELDS_START, title_length + 1)
            for length in lengths[field + 1 : field + 1 + len(fields)]:
                field_starts.append(at)
                at += length + 1
            token_counts.append(sum(lengths[field : field + 1 + len(fields)]))
            field += 1 + len(fields)
        positions = np.arange(len(ids)) + np.repeat(
            np.array(field_starts, np.int64) - (np.cumsum(counts) - counts), counts
        )
        documents = np.array(token_counts, np.int64)
        in_title = positions < np.repeat(np.array(title_lengths, np.int64), documents)
        return self._texts(ids, positions, in_title, documents)

    def _texts(
        self, ids: np.ndarray, positions: np.ndarray, in_title: np.ndarray, counts: np.ndarray
    ) -> list[str]:
        """Each document's terms text, from its tokens (ids) and their positions."""
        total = len(ids)
        if positions.max() >= self.form_at:
            self._grow_numbers(1 << int(positions.max()).bit_length())
        # Rows are ordered by document, then by folded syllable, then by position: one
        # stable sort of (document, the syllable's rank among the batch's syllables).
        fold_ids = self.token_fold[ids]
        present = np.flatnonzero(np.bincount(fold_ids))  # the batch's syllables, by number
        names = list(map(self.folds.__getitem__, present.tolist()))
        by_name = sorted(range(len(names)), key=names.__getitem__)
        width = len(names)
        self.fold_rank[present[by_name]] = np.arange(width)
        ranks = self.fold_rank[fold_ids]
        document = np.repeat(np.arange(len(counts)), counts)
        if width <= 65536 and len(counts) <= 65536:  # two radix sorts on 16 bits: linear
            order = np.argsort(ranks.astype(np.uint16), kind="stable")
            order = order[np.argsort(document[order].astype(np.uint16), kind="stable")]
        else:
            order = np.argsort(document * width + ranks, kind="stable")
        keys = (document * width + ranks)[order]
        row_starts = np.empty(total, bool)  # whether a hit is its row's first
        row_starts[0] = True
        np.not_equal(keys[1:], keys[:-1], out=row_starts[1:])
        starts = np.flatnonzero(row_starts)
        hits = np.diff(np.append(starts, total))
        places = positions[order]
        gaps = np.diff(places, prepend=0)
        gaps[starts] = places[starts]  # a row's first position is written whole
        rows = len(starts)
        titles = np.bincount(
            np.searchsorted(starts, np.flatnonzero(in_title[order]), side="right") - 1,
            minlength=rows,
        )
        forms = self.form_at + self.token_form[ids[order]]
        # Rows whose hits are not all spelt alike (rare) write a form code per hit.
        changes = np.flatnonzero(forms[1:] != forms[:-1]) + 1
        changes = changes[~row_starts[changes]]
        is_mixed = np.zeros(len(starts), bool)
        is_mixed[np.searchsorted(starts, changes, side="right") - 1] = True
        mixed = np.flatnonzero(is_mixed)
        rows_of = np.bincount(keys[starts] // width, minlength=len(counts))
        # A row is pieces: title, tab, a code per hit, tab, one form code (or one per hit
        # when spellings differ), newline, or the end of the document after its last row.
        pieces = 5 + hits
        pieces[mixed] += hits[mixed] - 1
        first_piece = np.cumsum(pieces) - pieces
        after_hits = first_piece + 2 + hits
        at = np.empty(int(pieces[-1] + first_piece[-1]), np.int64)
        is_hit = np.ones(len(at), bool)
        for place, value in ((first_piece, titles), (first_piece + 1, self.tab)):
            at[place] = value
            is_hit[place] = False
        is_hit[after_hits] = False
        at[after_hits] = self.tab
        form_piece = after_hits + 1
        is_hit[form_piece] = False
        at[form_piece] = forms[starts]
        row_ends = first_piece + pieces - 1
        is_hit[row_ends] = False
        at[row_ends] = self.newline
        if len(mixed):
            mixed_hits = hits[mixed]
            within = np.arange(int(mixed_hits.sum())) - np.repeat(
                np.cumsum(mixed_hits) - mixed_hits, mixed_hits
            )
            form_places = np.repeat(form_piece[mixed], mixed_hits) + within
            is_hit[form_places] = False
            at[form_places] = forms[np.repeat(starts[mixed], mixed_hits) + within]
        at[is_hit] = gaps
        last_rows = np.cumsum(rows_of)[rows_of > 0] - 1
        at[row_ends[last_rows]] = self.end
        text = self.units[at].tobytes().translate(None, b"\0").decode("ascii")
        bodies = iter(text.split(_END))
        # Every row's syllable, a line each, in one string; each document's lines cut from it.
        ranked = [names[rank] for rank in by_name]
        row_ranks = keys[starts] % width
        lines = "\n".join(np.array(ranked, object)[row_ranks].tolist()) + "\n"
        line_ends = np.cumsum(np.fromiter(map(len, ranked), np.int64, width)[row_ranks] + 1)
        cuts = iter(line_ends[last_rows].tolist())
        found = []
        start = 0
        for count in rows_of.tolist():
            if count:
                end = next(cuts)
                found.append(lines[start : end - 1] + "\0" + next(bodies))
                start = end
            else:
                found.append("")
        return found


class Numbered(dict):
    """key → its number, given on first sight by `number` (never forgotten)."""

    def __init__(self, number: Callable[[str], int]) -> None:
        super().__init__()
        self.number = number

    def __missing__(self, key: str) -> int:
        value = self[key] = self.number(key)
        return value


_END = "\x1f"  # ends a document's rows in a batch's text; never in a terms text
BATCH = 64  # documents per numpy pass: enough to spread numpy's cost per call, little memory
_ENCODER = _Encoder()
