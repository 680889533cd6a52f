"""Text cut into syllables for search: the rule (`syllables`), and the same cut made for a
chunk of texts at once with numpy (`Cutter`), which the index's terms are made from.

A token starts with a letter or digit and may carry combining marks (text typed in NFD
that has no precomposed form); "_" and punctuation separate tokens. static/js/search.js
cuts queries the same way (the browser tests check that both agree).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from .vietnamese import nfc

# `prepared` turns "_" into a space first, so that one character class follows the first
# character (an alternation there is twice as slow).
TOKEN = re.compile(r"[^\W_][\w\u0300-\u036f]*")


def prepared(text: str) -> str:
    """The text as it is cut: NFC, lowercase, the look-alikes of đ spelt đ, no "_"."""
    lowered = nfc(text).lower()
    if "ð" in lowered or "ɖ" in lowered:  # rare: two searches cost less than a translate
        lowered = lowered.replace("ð", "đ").replace("ɖ", "đ")
    if "_" in lowered:
        lowered = lowered.replace("_", " ")
    return lowered


def syllables(text: str) -> list[str]:
    """The lowercase NFC tokens of a text, in order; the look-alikes of đ spelt đ."""
    return TOKEN.findall(prepared(text))


# Letters and digits a Vietnamese token is made of, each with a code below 0x80: a token of
# at most KEY_LENGTH of them is known by the 64-bit number its codes' bytes make.
_LETTERS = "".join(
    sorted(
        {
            *"0123456789abcdefghijklmnopqrstuvwxyzđ",
            *(
                unicodedata.normalize("NFC", vowel + mark)
                for vowel in "aăâeêioôơuưy"
                for mark in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
            ),
        }
    )
)
KEY_LENGTH = 8  # bytes of a 64-bit key
_OTHER = 0x80  # the class of any other letter or digit: a token may start with it
_MARK = 0x81  # the class of a combining mark: a token may go on with it, not start with it
assert len(_LETTERS) < _OTHER
# The key of a token of n characters keeps the n low bytes of the 8 read from its start.
KEY_MASKS = np.array([(1 << 8 * n) - 1 for n in range(KEY_LENGTH)] + [2**64 - 1], np.uint64)
_NOT_LETTERS = np.uint64(0x8080808080808080)  # a byte of _OTHER or _MARK: not a key

SLOT_BITS = 18
_HASH = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / the golden ratio, odd


class KeyTable:
    """Numbers of nonzero 64-bit keys, found for many keys at once: an open table of
    2**slot_bits slots by Fibonacci hashing (a worker sees some 30,000 tokens, a merge
    some 20,000 syllables), and a dictionary for the keys whose slot another key holds.
    `number_of` numbers a key on first sight."""

    def __init__(self, number_of: Callable[[int], int], slot_bits: int = SLOT_BITS) -> None:
        self.number_of = number_of
        self.by_key: dict[int, int] = {}
        self.slot_keys = np.zeros(1 << slot_bits, np.uint64)  # 0: a free slot
        self.slot_numbers = np.zeros(1 << slot_bits, np.int64)
        self.shift = np.uint64(64 - slot_bits)

    def numbers(self, keys: np.ndarray) -> np.ndarray:
        slots = (keys * _HASH) >> self.shift
        numbers = self.slot_numbers[slots]
        missed = np.flatnonzero(self.slot_keys[slots] != keys)
        if len(missed):
            new = np.unique(keys[missed])
            by_key = self.by_key
            for key in set(new.tolist()).difference(by_key):
                by_key[key] = self.number_of(key)
            found = np.fromiter(map(by_key.__getitem__, new.tolist()), np.int64, len(new))
            numbers[missed] = found[np.searchsorted(new, keys[missed])]
            new_slots = (new * _HASH) >> self.shift
            free = self.slot_keys[new_slots] == 0
            self.slot_keys[new_slots[free]] = new[free]
            self.slot_numbers[new_slots[free]] = found[free]
        return numbers


@functools.cache
def _classes() -> np.ndarray:
    """The class of every character of the Basic Multilingual Plane: 0 if no token holds
    it, its code if it is one of _LETTERS, else _OTHER or _MARK (as TOKEN says)."""
    classes = np.zeros(0x10000, np.uint8)
    classes[0x300:0x370] = _MARK
    classes[np.fromiter((chr(c).isalnum() for c in range(0x10000)), bool, 0x10000)] = _OTHER
    for code, letter in enumerate(_LETTERS, start=1):
        classes[ord(letter)] = code
    return classes


class Cutter:
    """Cuts texts into tokens and numbers them through `ids` (a mapping that numbers a
    token on first sight), remembering in a KeyTable which number each short token has."""

    def __init__(self, ids: Mapping[str, int], slot_bits: int = SLOT_BITS) -> None:
        self.ids = ids
        self.known = KeyTable(lambda key: ids[_spelt(key)], slot_bits)

    def cut(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The number of every token of the texts, in order, and how many each text has."""
        joined = "\0".join(texts)  # NUL is never in a token, nor changed by `prepared`
        ready = None
        if joined.count("\0") == len(texts) - 1:  # the texts hold none: prepared at once
            joined = prepared(joined)
        else:
            ready = [prepared(text) for text in texts]
            joined = "\n".join(ready)
        try:
            encoded = joined.encode("utf-16-le")
        except UnicodeEncodeError:  # a lone surrogate: cut as the rule says
            return self._cut_one_by_one(joined.split("\0") if ready is None else ready)
        if not texts or len(encoded) != 2 * len(joined):  # none, or beyond the plane (emoji…)
            return self._cut_one_by_one(joined.split("\0") if ready is None else ready)
        chars = np.frombuffer(encoded, np.uint16)
        size = len(joined)
        # A byte of class before the text and eight after it: runs begin and end inside, and
        # a key may be read from any character.
        classes = np.zeros(size + 1 + KEY_LENGTH, np.uint8)
        classes[1 : size + 1] = _classes()[chars]
        in_token = classes[: size + 2] != 0
        # Runs of characters a token may hold begin and end alternately where that changes.
        edges = np.flatnonzero(in_token[1:] != in_token[:-1])
        begins, ends = edges[0::2], edges[1::2]
        marked = classes[begins + 1] == _MARK  # rare: a run that begins with NFD marks
        if marked.any():
            begins, ends = _after_marks(classes[1 : size + 1], begins, ends, marked)
        if not len(begins):
            return np.zeros(0, np.int64), np.zeros(len(texts), np.int64)
        if ready is None:
            text_starts = np.flatnonzero(chars == 0) + 1
        else:
            text_starts = np.cumsum([len(text) + 1 for text in ready[:-1]])
        counts = np.diff(np.searchsorted(begins, text_starts), prepend=0, append=len(begins))
        return self._numbers(joined, classes, begins, ends), counts

    def _numbers(
        self, joined: str, classes: np.ndarray, begins: np.ndarray, ends: np.ndarray
    ) -> np.ndarray:
        lengths = ends - begins
        # Eight bytes of classes from every character: read in place, unaligned.
        eights = np.ndarray(
            (len(classes) - KEY_LENGTH,), "<u8", buffer=classes, offset=1, strides=(1,)
        )
        keys = eights[begins] & KEY_MASKS[np.minimum(lengths, KEY_LENGTH)]
        unknown = (lengths > KEY_LENGTH) | (keys & _NOT_LETTERS != 0)
        if unknown.any():
            numbers = np.empty(len(keys), np.int64)
            numbers[~unknown] = self.known.numbers(keys[~unknown])
            spans = zip(begins[unknown].tolist(), ends[unknown].tolist(), strict=True)
            numbers[unknown] = [self.ids[joined[a:b]] for a, b in spans]
            return numbers
        return self.known.numbers(keys)

    def _cut_one_by_one(self, ready: list[str]) -> tuple[np.ndarray, np.ndarray]:
        cuts = [TOKEN.findall(text) for text in ready]
        tokens = [token for cut in cuts for token in cut]
        numbers = np.fromiter(map(self.ids.__getitem__, tokens), np.int64, len(tokens))
        return numbers, np.array([len(cut) for cut in cuts], np.int64)


def _after_marks(
    classes: np.ndarray, begins: np.ndarray, ends: np.ndarray, marked: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The tokens of runs some of which begin with marks: such a run's token begins at its
    first character a token may start with; a run of marks alone holds none."""
    may_start = np.flatnonzero((classes != 0) & (classes != _MARK))
    after = np.searchsorted(may_start, begins[marked])
    first = may_start[np.minimum(after, len(may_start) - 1)] if len(may_start) else after
    holds = (after < len(may_start)) & (first < ends[marked])
    begins = begins.copy()
    begins[np.flatnonzero(marked)[holds]] = first[holds]
    kept = ~marked
    kept[np.flatnonzero(marked)[holds]] = True
    return begins[kept], ends[kept]


def _spelt(key: int) -> str:
    """The token a key stands for."""
    letters = []
    while key:
        letters.append(_LETTERS[(key & 255) - 1])
        key >>= 8
    return "".join(letters)
