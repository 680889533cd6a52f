"""The last search index, kept in .cache/ so that a rebuild merges again only the entries
whose file changed (searchindex.index_with_state).

Two files. `search-index.pack` holds the index's texts (every file, each shard's entry
numbers, each group of entries' syllables) one after another; a rebuild appends what it
changes, so an edit writes a few hundred KB, not the tens of megabytes of the index.
`search-index.pickle` is small: where each text lies in the pack, with its digest, and the
counts the update needs; it is signed with the parse cache's key (HMAC) and checked before
anything is unpickled. A text read back from the pack is used only if its digest is the
one recorded (the pack itself is not signed: the digests are, in the pickle).
"""

from __future__ import annotations

import hmac
import logging
import os
import pickle
import stat
import tempfile
from pathlib import Path

from .searchtexts import Blob, DamagedText, digest_of
from .signed import cache_key, open_private, usable_folder

log = logging.getLogger(__name__)
STATE_FILE = "search-index.pickle"
PACK_FILE = "search-index.pack"
_MAGIC = b"ASI2"
_MAC_SIZE = 32


class SearchState:
    """Kept beside the parse cache, valid only with its stamp: the terms of a file are
    the same only for the same code and markup settings."""

    def __init__(self, folder: Path, stamp: str) -> None:
        self.path = folder / STATE_FILE
        self.stamp = stamp
        self.texts = PackedTexts(folder / PACK_FILE)

    def load(self) -> object | None:
        if not usable_folder(self.path.parent, create=False):
            return None
        try:
            with open_private(self.path, os.O_RDONLY) as handle:
                data = handle.read()
        except FileNotFoundError:
            return None
        except OSError as error:
            log.info("ignoring the saved search index: %s", error)
            return None
        head = len(_MAGIC) + _MAC_SIZE
        mac = hmac.new(cache_key(), data[head:], "sha256").digest()
        if not data.startswith(_MAGIC) or not hmac.compare_digest(data[len(_MAGIC) : head], mac):
            log.info("ignoring %s: not signed with this cache key", STATE_FILE)
            return None
        try:
            found = pickle.loads(data[head:])  # noqa: S301 - signed by this key, just verified
        except Exception as error:  # noqa: BLE001 - any damage means "merge it all again"
            log.info("ignoring the saved search index: %s", error)
            return None
        if isinstance(found, tuple) and len(found) == 2 and found[0] == self.stamp:
            return found[1]
        return None

    def save(self, saved: object) -> None:
        temp = None
        try:
            if not usable_folder(self.path.parent, create=True):
                raise OSError(f"{self.path.parent.name} is not a usable folder")
            data = pickle.dumps((self.stamp, saved), protocol=5)
            mac = hmac.new(cache_key(), data, "sha256").digest()
            fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(_MAGIC + mac + data)
            os.replace(temp, self.path)
        except OSError as error:  # a cache that cannot be written only slows the next build
            log.warning("the search index cannot be kept in the cache: %s", error)
            if temp is not None:
                Path(temp).unlink(missing_ok=True)


class PackedTexts:
    """Texts appended to one file and read back by (offset, length, digest).

    One open file serves both, so that a build reads back what it wrote even if another
    build starts the pack over meanwhile; a text's offset is read from where its write left
    the file (appends are atomic: another process's cannot slip in between)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def start_over(self) -> None:
        """Empty the pack: a whole merge writes every text anew."""
        self.close()
        if usable_folder(self.path.parent, create=False):
            self.path.unlink(missing_ok=True)

    def put(self, data: bytes) -> Blob:
        fd = self._open(create=True)
        if os.write(fd, data) != len(data):
            raise OSError(f"{PACK_FILE}: a short write (is the disk full?)")
        end = os.lseek(fd, 0, os.SEEK_CUR)
        return (end - len(data), len(data), digest_of(data))

    def get(self, blob: Blob) -> bytes:
        offset, length, digest = blob
        try:
            data = os.pread(self._open(create=False), length, offset)
        except OSError as error:
            raise DamagedText(str(error)) from None
        if len(data) != length or digest_of(data) != digest:
            raise DamagedText(f"{PACK_FILE} does not hold what was recorded")
        return data

    def stored(self) -> int:
        try:
            return os.fstat(self.fd).st_size if self.fd is not None else self.path.stat().st_size
        except OSError:
            return 0

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _open(self, *, create: bool) -> int:
        """The pack, open to read and append to; OSError if it cannot be (a whole merge
        follows, its texts kept in memory if the pack cannot be made either)."""
        if self.fd is None:
            if create and not usable_folder(self.path.parent, create=True):
                raise OSError(f"{self.path.parent.name} is not a usable folder")
            flags = os.O_RDWR | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(self.path, flags | (os.O_CREAT if create else 0), 0o644)
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise OSError(f"{PACK_FILE} is not a regular file")
            self.fd = fd
        return self.fd

    def __del__(self) -> None:
        self.close()
