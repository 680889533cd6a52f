"""Where the search index's texts wait until they are written: in memory, or in the pack
the last index is kept in (searchstate.PackedTexts), so that the build never holds the
whole index (tens of megabytes at 10,000 articles) and a rebuild reads only what it needs.

A text is put once and known after by its `Blob`: where it lies, how long it is, and the
digest of its bytes, which also stands for it in the output file's task digest.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from .views import Shared

Blob = tuple[int, int, str]  # offset, length, blake2b digest of the bytes


class DamagedText(Exception):
    """A kept text is not what was recorded: the update gives way to a whole merge."""


class Texts(Protocol):
    def put(self, data: bytes) -> Blob: ...

    def get(self, blob: Blob) -> bytes: ...

    def start_over(self) -> None:
        """Forget every text (a whole merge puts them all anew)."""

    def stored(self) -> int:
        """How many bytes are kept, those no longer used included."""
        ...

    def close(self) -> None:
        """Let go of any open file (the texts are read again from where they are kept)."""


class MemoryTexts:
    """Texts kept in memory (no cache, one that cannot be written, or serve's session)."""

    def __init__(self) -> None:
        self.items: dict[int, bytes] = {}
        self.added = 0
        self.size = 0

    def put(self, data: bytes) -> Blob:
        self.added += 1
        self.items[self.added] = data
        self.size += len(data)
        return (self.added, len(data), digest_of(data))

    def get(self, blob: Blob) -> bytes:
        found = self.items.get(blob[0])
        if found is None:
            raise DamagedText("a text of an earlier index")
        return found

    def start_over(self) -> None:
        self.items.clear()
        self.size = 0

    def stored(self) -> int:
        return self.size

    def close(self) -> None:
        pass


def digest_of(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class IndexFile(Shared):
    """One file of the index in a task's context: its bytes are read only to be written,
    and its task digest is that of its bytes (see views.Shared), never a pickle of them."""

    def __init__(self, texts: Texts, blob: Blob) -> None:
        self.texts = texts
        self.blob = blob
        self.digest = blob[2]  # type: ignore[misc]

    def data(self) -> bytes:
        return self.texts.get(self.blob)

    def __repr__(self) -> str:
        return f"IndexFile({self.blob!r})"
