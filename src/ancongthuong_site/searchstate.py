"""The last search index, kept signed in .cache/ so that a rebuild merges again only the
entries whose file changed (searchindex.index_with_state)."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

from .signed import atomic_write, load_sealed, seal

log = logging.getLogger(__name__)
STATE_FILE = "search-index.pickle"


class SearchState:
    """Kept beside the parse cache, valid only with its stamp: the terms of a file are
    the same only for the same code and markup settings."""

    def __init__(self, folder: Path, stamp: str) -> None:
        self.path = folder / STATE_FILE
        self.stamp = stamp

    def load(self) -> object | None:
        try:
            found = load_sealed(self.path)
        except Exception as error:  # noqa: BLE001 - any damage means "merge it all again"
            log.info("ignoring the saved search index: %s", error)
            return None
        if isinstance(found, tuple) and len(found) == 2 and found[0] == self.stamp:
            return found[1]
        return None

    def save(self, saved: object) -> None:
        try:
            atomic_write(self.path, seal(pickle.dumps((self.stamp, saved), protocol=5)))
        except OSError as error:  # a cache that cannot be written only slows the next build
            log.warning("the search index cannot be kept in the cache: %s", error)
