"""The last search index, kept signed in .cache/ so that a rebuild merges again only the
entries whose file changed (searchindex.index_with_state).

The index is tens of megabytes at 10,000 articles, so it is pickled straight into the
file and read straight from it, signed as it streams: no second copy of it is ever held
in memory (the build's peak memory counts). The HMAC is the parse cache's (its key),
checked over the whole file before anything is unpickled.
"""

from __future__ import annotations

import hmac
import logging
import os
import pickle
import tempfile
from pathlib import Path
from typing import BinaryIO

from .signed import cache_key, open_private, usable_folder

log = logging.getLogger(__name__)
STATE_FILE = "search-index.pickle"
_MAGIC = b"ASI1"
_MAC_SIZE = 32
_BLOCK = 1 << 20


class SearchState:
    """Kept beside the parse cache, valid only with its stamp: the terms of a file are
    the same only for the same code and markup settings."""

    def __init__(self, folder: Path, stamp: str) -> None:
        self.path = folder / STATE_FILE
        self.stamp = stamp

    def load(self) -> object | None:
        if not usable_folder(self.path.parent, create=False):
            return None
        try:
            with open_private(self.path, os.O_RDONLY) as handle:
                if not _verified(handle):
                    log.info("ignoring %s: not signed with this cache key", STATE_FILE)
                    return None
                found = pickle.load(handle)  # noqa: S301 - signed by this key, just verified
        except FileNotFoundError:
            return None
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
            fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
            with os.fdopen(fd, "w+b") as handle:
                handle.write(_MAGIC + bytes(_MAC_SIZE))
                signing = _Signing(handle)
                pickle.Pickler(signing, protocol=5).dump((self.stamp, saved))
                handle.seek(len(_MAGIC))
                handle.write(signing.mac.digest())
            os.replace(temp, self.path)
        except OSError as error:  # a cache that cannot be written only slows the next build
            log.warning("the search index cannot be kept in the cache: %s", error)
            if temp is not None:
                Path(temp).unlink(missing_ok=True)


class _Signing:
    """A file that signs what is written to it."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.mac = hmac.new(cache_key(), digestmod="sha256")

    def write(self, data: bytes) -> int:
        self.mac.update(data)
        return self.handle.write(data)


def _verified(handle: BinaryIO) -> bool:
    """Whether the rest of the file is signed with this key; leaves it at the pickle."""
    head = handle.read(len(_MAGIC) + _MAC_SIZE)
    if len(head) < len(_MAGIC) + _MAC_SIZE or not head.startswith(_MAGIC):
        return False
    mac = hmac.new(cache_key(), digestmod="sha256")
    while block := handle.read(_BLOCK):
        mac.update(block)
    handle.seek(len(head))
    return hmac.compare_digest(head[len(_MAGIC) :], mac.digest())
