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

import bisect
import html
import itertools
import operator
import re
from collections.abc import Iterable

from .vietnamese import fold, nfc

# A token starts with a letter or digit and may carry combining marks (text typed in NFD
# that has no precomposed form); "_" and punctuation separate tokens. `syllables` turns
# "_" into a space first, so that one character class follows the first character (an
# alternation there is twice as slow).
TOKEN = re.compile(r"[^\W_][\w\u0300-\u036f]*")
_TAG = re.compile(r"<[^>]*>")
_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"


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
    value = 0x811C9DC5
    for char in form:
        value = ((value ^ ord(char)) * 0x01000193) & 0xFFFFFFFF
    return _CODE_ALPHABET[value & 63] + _CODE_ALPHABET[(value >> 6) & 63]


def syllables(text: str) -> list[str]:
    """The lowercase NFC tokens of a text, in order; the look-alikes of đ spelt đ."""
    lowered = nfc(text).lower()
    if "ð" in lowered or "ɖ" in lowered:  # rare: two searches cost less than a translate
        lowered = lowered.replace("ð", "đ").replace("ɖ", "đ")
    if "_" in lowered:
        lowered = lowered.replace("_", " ")
    return TOKEN.findall(lowered)


# Numbers in the index (gaps between positions or entries, counts) are written as codes:
# base 32, most significant digit first, every digit but the last from _CONTINUED, the last
# from _FINAL, so that codes follow one another with no separator and a small number is
# one character (a JSON array of decimals takes three or four a number).
_FINAL = "0123456789abcdefghijklmnopqrstuv"
_CONTINUED = "ABCDEFGHIJKLMNOPQRSTUVWXYZ@$&*+-"
_ONE_CODE = re.compile(r"[A-Z@$&*+\-]*[0-9a-v]")
_FINAL_BYTES = _FINAL.encode()


def number_code(value: int) -> str:
    """The code of a number ≥ 0 (see above; search.js reads it back)."""
    text = _FINAL[value & 31]
    value >>= 5
    while value:
        text = _CONTINUED[value & 31] + text
        value >>= 5
    return text


def _code_value(code: str) -> int:
    value = 0
    for char in code[:-1]:
        value = value * 32 + _CONTINUED.index(char)
    return value * 32 + _FINAL.index(code[-1])


def split_codes(text: str) -> list[str]:
    """The codes of a text of codes, one a number."""
    return _ONE_CODE.findall(text)


def read_numbers(text: str) -> list[int]:
    """The numbers of a text of codes."""
    return list(map(_values.__getitem__, _ONE_CODE.findall(text)))


def count_numbers(text: str) -> int:
    """How many numbers a text of codes (and spaces) holds: one final digit each."""
    data = text.encode()
    return len(data) - len(data.translate(None, _FINAL_BYTES))


_folded = _Memo(fold)
_codes = _Memo(form_code)
_numbers = _Memo(number_code)
_values = _Memo(_code_value)


def number_codes(values: Iterable[int]) -> str:
    """The codes of numbers, one after another."""
    return "".join(map(_numbers.__getitem__, values))


_GAP = "\t"  # stands between two fields; never a token, folded to itself, never written
FIELDS_START = 64  # where the fields after a title of fewer syllables begin


def encode_terms(title: str, fields: Iterable[str]) -> str:
    """The terms of a document whose title is `title` and whose other texts are `fields`.

    Every step per token is a C loop (map, sort, join); Python loops once per syllable.
    """
    tokens = syllables(title)
    title_length = len(tokens)
    # The other fields start at a fixed place whatever the title's length, so that a title
    # edit moves only the title's syllables, not every posting of the document.
    tokens += [_GAP] * (FIELDS_START - 1 - title_length)
    for text in fields:
        tokens.append(_GAP)
        tokens += syllables(text)
    if not tokens:
        return ""
    folds = list(map(_folded.__getitem__, tokens))
    order = sorted(range(len(tokens)), key=folds.__getitem__)  # stable: positions ascend
    by_order = list(map(folds.__getitem__, order))
    codes = list(map(_codes.__getitem__, map(tokens.__getitem__, order)))
    starts = [
        0,
        *itertools.compress(range(1, len(order)), map(operator.ne, by_order[1:], by_order)),
    ]
    ends = [*starts[1:], len(order)]
    gaps = [order[0], *map(operator.sub, order[1:], order)]
    for start in starts:
        gaps[start] = order[start]
    texts = list(map(_numbers.__getitem__, gaps))
    if by_order[0] == _GAP:  # the gaps sort first: "\t" is below every letter and digit
        del starts[0], ends[0]
        if not starts:
            return ""
    rows = [
        f"{_numbers[bisect.bisect_left(order, title_length, a, b) - a]}"
        f"\t{''.join(texts[a:b])}\t{_forms(codes[a:b])}"
        for a, b in zip(starts, ends, strict=True)
    ]
    return "\n".join(map(by_order.__getitem__, starts)) + "\0" + "\n".join(rows)


def _forms(codes: list[str]) -> str:
    """One code when every hit is spelt alike (the usual case), else one per hit."""
    return codes[0] if codes.count(codes[0]) == len(codes) else "".join(codes)
