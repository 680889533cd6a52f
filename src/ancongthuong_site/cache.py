"""The parse cache (.cache/ under the site root) and the digests that key incremental work.

The cache is an optimisation only: deleting it is always safe, and a cache that is corrupt,
foreign or from another version is ignored, never trusted.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from pathlib import Path

from . import __version__
from .models import ParsedFile

log = logging.getLogger(__name__)
CACHE_DIR = ".cache"
_PARSE_FILE = "parse.pickle"


def code_version() -> str:
    """Changes whenever the code or the Python that made a cache entry changes."""
    return f"{__version__}|{sys.version_info[:2]}"


class ParseCache:
    """ParsedFile by (relative path, file digest), valid for one set of markup settings."""

    def __init__(self, root: Path, settings_key: str) -> None:
        self.path = root / CACHE_DIR / _PARSE_FILE
        self.stamp = f"{code_version()}|{settings_key}"
        self.entries: dict[tuple[str, str], ParsedFile] = {}
        self.used: dict[tuple[str, str], ParsedFile] = {}
        self._load()

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                stamp, entries = pickle.load(handle)
        except FileNotFoundError:
            return
        except Exception as error:  # noqa: BLE001 - any damage means "no cache"
            log.info("ignoring unreadable parse cache: %s", error)
            return
        if stamp != self.stamp or not isinstance(entries, dict):
            return
        self.entries = {
            key: value for key, value in entries.items() if isinstance(value, ParsedFile)
        }

    def get(self, rel: str, digest: str) -> ParsedFile | None:
        found = self.entries.get((rel, digest))
        if found is not None:
            self.used[(rel, digest)] = found
        return found

    def put(self, parsed: ParsedFile) -> None:
        self.used[(parsed.path, parsed.digest)] = parsed

    def save(self) -> None:
        """Keep only the entries of this build; write atomically."""
        if self.used.keys() == self.entries.keys():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".parse-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((self.stamp, self.used), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def file_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def task_digest(global_digest: str, template: str, context: dict) -> str:
    """Covers everything a page shows: its context, the templates, the config, the code."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(global_digest.encode())
    digest.update(template.encode())
    digest.update(pickle.dumps(context, protocol=5))
    return digest.hexdigest()
