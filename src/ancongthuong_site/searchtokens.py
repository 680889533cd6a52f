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
from collections.abc import Mapping, Sequence

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


# Letters and digits a Vietnamese token is made of, each with a 7-bit code: a token of at
# most KEY_LENGTH of them is known by one 64-bit number, found for all tokens at once.
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
KEY_LENGTH = 9  # 9 × 7 bits
assert len(_LETTERS) < 128


@functools.cache
def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every character of the Basic Multilingual Plane: may a token start with it, may
    a token go on with it (as TOKEN says), and its letter code (0: not one of _LETTERS)."""
    starts = np.fromiter((chr(c).isalnum() for c in range(0x10000)), bool, 0x10000)
    goes_on = starts.copy()
    goes_on[0x300:0x370] = True
    codes = np.zeros(0x10000, np.uint64)
    for number, letter in enumerate(_LETTERS, start=1):
        codes[ord(letter)] = number
    return starts, goes_on, codes


class Cutter:
    """Cuts texts into tokens and numbers them through `ids` (a mapping that numbers a
    token on first sight), remembering which number each short token's key has."""

    def __init__(self, ids: Mapping[str, int]) -> None:
        self.ids = ids
        self.by_key: dict[int, int] = {}

    def cut(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The number of every token of the texts, in order, and how many each text has."""
        ready = [prepared(text) for text in texts]
        joined = "\n".join(ready)  # a newline is never in a token
        try:
            chars = np.frombuffer(joined.encode("utf-32-le"), np.uint32)
        except UnicodeEncodeError:  # a lone surrogate: cut as the rule says
            return self._cut_one_by_one(ready)
        if not len(chars) or chars.max() > 0xFFFF:  # none, or beyond the tables (emoji…)
            return self._cut_one_by_one(ready)
        may_start, may_go_on, letter_codes = _tables()
        index = chars.astype(np.intp)  # converted once for both lookups
        starts, goes_on = may_start[index], may_go_on[index]
        # A run of characters a token may go on with holds one token: from its first
        # character a token may start with to the run's end (marks before it are skipped).
        after_run = np.concatenate(([False], goes_on[:-1]))
        begins = np.flatnonzero(starts & ~after_run)
        run_ends = np.flatnonzero(goes_on & ~np.concatenate((goes_on[1:], [False]))) + 1
        marked = np.flatnonzero(goes_on & ~after_run & ~starts)  # rare: NFD marks first
        start_at = np.flatnonzero(starts) if len(marked) else marked
        if len(start_at):
            first = start_at[np.minimum(np.searchsorted(start_at, marked), len(start_at) - 1)]
            inside = (first > marked) & (first < run_ends[np.searchsorted(run_ends, marked)])
            begins = np.union1d(begins, first[inside])
        if not len(begins):
            return np.zeros(0, np.int64), np.zeros(len(texts), np.int64)
        ends = run_ends[np.searchsorted(run_ends, begins, side="right")]
        text_starts = np.cumsum([0, *(len(text) + 1 for text in ready[:-1])])
        counts = np.bincount(
            np.searchsorted(text_starts, begins, side="right") - 1, minlength=len(texts)
        )
        return self._numbers(joined, chars, begins, ends, letter_codes), counts

    def _numbers(
        self,
        joined: str,
        chars: np.ndarray,
        begins: np.ndarray,
        ends: np.ndarray,
        letter_codes: np.ndarray,
    ) -> np.ndarray:
        lengths = ends - begins
        keys = np.zeros(len(begins), np.uint64)
        unknown = lengths > KEY_LENGTH
        last = len(chars) - 1
        for place in range(KEY_LENGTH):
            inside = place < lengths
            code = letter_codes[chars[np.minimum(begins + place, last)]] * inside
            unknown |= inside & (code == 0)
            keys |= code << np.uint64(7 * place)
        numbers = np.empty(len(begins), np.int64)
        known = ~unknown
        present, where = np.unique(keys[known], return_inverse=True)
        by_key = self.by_key
        for key in set(present.tolist()).difference(by_key):
            by_key[key] = self.ids[_spelt(key)]
        numbers[known] = np.fromiter(map(by_key.__getitem__, present.tolist()), np.int64)[where]
        if unknown.any():
            spans = zip(begins[unknown].tolist(), ends[unknown].tolist(), strict=True)
            numbers[unknown] = [self.ids[joined[a:b]] for a, b in spans]
        return numbers

    def _cut_one_by_one(self, ready: list[str]) -> tuple[np.ndarray, np.ndarray]:
        cuts = [TOKEN.findall(text) for text in ready]
        tokens = [token for cut in cuts for token in cut]
        numbers = np.fromiter(map(self.ids.__getitem__, tokens), np.int64, len(tokens))
        return numbers, np.array([len(cut) for cut in cuts], np.int64)


def _spelt(key: int) -> str:
    """The token a key stands for."""
    letters = []
    while key:
        letters.append(_LETTERS[(key & 127) - 1])
        key >>= 7
    return "".join(letters)
