"""The parse cache (.cache/ under the site root) and the digests that key incremental work.

The cache is an optimisation only: deleting it is always safe, and a cache that is corrupt,
foreign or from another version is ignored, never trusted.

Two files: `parse.log` holds every parsed file without its body HTML and search terms
(small, read on every build), `bodies.pack` holds each body followed by its search terms,
back to back (bodies read only for the pages that are rendered again, terms for the search
index). Each body carries a checksum, so a damaged pack is noticed and the
file is parsed again. The log is append-only: a build adds one signed record with the
files it parsed and the ones that are gone, never rewriting the 10,000 that did not change
(it is rewritten as one record once it holds more dead entries than live ones).

The cache may come from storage that others can write (a CI cache), so nothing in it is
unpickled before its HMAC is verified, keyed by a secret kept outside the cache
(`ANCONGTHUONG_CACHE_KEY`, else a key file in the user's configuration folder); a cache
signed with another key is simply cold. Files in `.cache/` are never opened through a
symlink, and a `.cache` that is itself a link is not used at all.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import os
import pickle
from pathlib import Path
from typing import BinaryIO

from .codeversion import CACHE_DIR, code_version
from .files import file_digest
from .models import ParsedFile
from .signed import (
    append_log,
    atomic_write,
    log_record,
    open_private,
    read_log,
    usable_folder,
)
from .views import Shared

log = logging.getLogger(__name__)
_INDEX_FILE = "parse.log"
_PACK_FILE = "bodies.pack"

Key = tuple[str, str]  # (path relative to content/, digest of the file's bytes)
_MAX_RECORDS = 200  # then the parse log is written again as one record
# In the pack: offset, length, body length, digest of the body, digest of the terms (after it)
Location = tuple[int, int, int, str, str]


@dataclasses.dataclass(frozen=True)
class CacheState:
    """A saved parse cache: its entries and where its log and pack stand."""

    stamp: str
    entries: dict[Key, tuple[ParsedFile, Location]]
    pack_size: int
    log_size: int
    records: int
    dead: int


class ParseCache:
    """ParsedFile by (relative path, file digest), valid for one set of markup settings."""

    def __init__(self, root: Path, settings_key: str) -> None:
        self.folder = root / CACHE_DIR
        self.stamp = self.stamp_for(settings_key)
        self.entries: dict[Key, tuple[ParsedFile, Location]] = {}
        self.used: dict[Key, tuple[ParsedFile, Location]] = {}
        self.pack_size = 0
        self._append: BinaryIO | None = None
        self._reader: BinaryIO | None = None
        self.broken = False
        self._end = 0
        self._log_size = self._records = self._dead = 0  # the log's good bytes, its records
        self._load()

    def _load(self) -> None:
        try:
            records, self._log_size = read_log(self.folder / _INDEX_FILE)
            actual = os.stat(self.folder / _PACK_FILE, follow_symlinks=False).st_size
        except FileNotFoundError:
            return
        except Exception as error:  # noqa: BLE001 - any damage means "no cache"
            log.info("ignoring unreadable parse cache: %s", error)
            return
        entries: dict[Key, tuple[ParsedFile, Location]] = {}
        pack_size = dead = 0
        for record in records:
            stamp, pack_size, added, dropped = record  # type: ignore[misc]
            if stamp != self.stamp or not isinstance(added, dict):
                return
            dead += len(dropped) + sum(1 for key in added if key in entries)
            entries.update(added)
            for key in dropped:
                entries.pop(key, None)
        if not records or actual < pack_size:
            return
        self.pack_size, self._records, self._dead = pack_size, len(records), dead
        self.entries = {
            key: value
            for key, value in entries.items()
            if isinstance(value, tuple) and isinstance(value[0], ParsedFile)
        }

    def state(self) -> CacheState:
        """What this cache knows, as saved: kept in a snapshot, so that a later build can
        take it up without reading the log again (see `restore`)."""
        return CacheState(
            self.stamp,
            dict(self.entries),
            self.pack_size,
            self._log_size,
            self._records,
            self._dead,
        )

    @classmethod
    def restore(cls, root: Path, state: CacheState) -> ParseCache:
        """The cache as `state()` left it; the caller has checked that its files are still
        the ones it describes."""
        cache = cls.__new__(cls)
        cache.folder, cache.stamp = root / CACHE_DIR, state.stamp
        cache.entries, cache.used = dict(state.entries), dict(state.entries)
        cache.pack_size, cache._log_size = state.pack_size, state.log_size
        cache._records, cache._dead = state.records, state.dead
        cache._append = cache._reader = None
        cache.broken, cache._end = False, 0
        return cache

    @staticmethod
    def stamp_for(settings_key: str) -> str:
        return f"{code_version()}|{settings_key}"

    def begin(self) -> None:
        """Start another build with the same cache (serve keeps it between builds)."""
        self.used = {}

    def peek(self, rel: str, digest: str) -> ParsedFile | None:
        """A cached ParsedFile, without keeping it for this build."""
        found = self.entries.get((rel, digest))
        return found[0] if found else None

    def get(self, rel: str, digest: str) -> ParsedFile | None:
        """The cached ParsedFile, its body_html and search_terms None (see `body`, `terms`)."""
        found = self.entries.get((rel, digest))
        if found is None:
            return None
        self.used[(rel, digest)] = found
        return found[0]

    def put(self, parsed: ParsedFile) -> ParsedFile:
        """Store a freshly parsed file; its body goes to the pack at once (memory stays flat).

        Returns the cached form, without the body.
        """
        key = (parsed.path, parsed.digest)
        assert parsed.body_html is not None
        body = parsed.body_html.encode("utf-8")
        terms = (parsed.search_terms or "").encode("utf-8")
        data = body + terms
        if self.broken:
            return parsed
        try:
            if self._append is None:
                if not usable_folder(self.folder, create=True):
                    raise OSError(f"{CACHE_DIR} is not a usable folder")
                self._append = open_private(
                    self.folder / _PACK_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT
                )
                self._append.truncate(self.pack_size)  # drop what a killed build appended
                self._end = self.pack_size
            self._append.write(data)
        except OSError as error:
            # A cache that cannot be written (disk full) only makes the next build slower.
            log.warning("the parse cache cannot be written: %s", error)
            self.broken = True
            return parsed
        location = (self._end, len(data), len(body), file_digest(body), file_digest(terms))
        self._end += len(data)
        stripped = dataclasses.replace(parsed, body_html=None, search_terms=None)
        self.used[key] = (stripped, location)
        return stripped

    def body(self, parsed: ParsedFile) -> str | None:
        """The body HTML of a cached file; None if the pack is missing or damaged."""
        data = self._read(parsed, terms=False)
        return None if data is None else data.decode("utf-8")

    def terms(self, parsed: ParsedFile) -> str | None:
        """The search terms of a cached file; None if the pack is missing or damaged."""
        data = self._read(parsed, terms=True)
        return None if data is None else data.decode("utf-8")

    def _read(self, parsed: ParsedFile, terms: bool) -> bytes | None:
        """The body's bytes or the terms' (each read and checked alone: a page's body is
        read without the terms, which weigh more)."""
        key = (parsed.path, parsed.digest)
        entry = self.used.get(key) or self.entries.get(key)
        if entry is None:
            return None
        if self._append is not None:
            try:
                self._append.flush()
            except OSError:
                self.broken = True
                return None
        offset, length, body_length, body_digest, terms_digest = entry[1]
        if terms:
            offset, length, checksum = offset + body_length, length - body_length, terms_digest
        else:
            length, checksum = body_length, body_digest
        try:
            if self._reader is None:
                self._reader = open_private(self.folder / _PACK_FILE, os.O_RDONLY)
            data = os.pread(self._reader.fileno(), length, offset) if length else b""
        except OSError:
            return None
        if len(data) != length or file_digest(data) != checksum:
            log.info("damaged body in the parse cache: %s", parsed.path)
            return None
        return data

    def close(self) -> None:
        """Release the open pack files (bodies are read until the last page is rendered)."""
        for handle in (self._reader, self._append):
            if handle is not None:
                try:
                    handle.close()
                except OSError:  # a full disk fails the last flush: the cache is unusable
                    self.broken = True
        self._reader = self._append = None

    def save(self) -> None:
        """Keep only the entries of this build and write the small index.

        The pack is rewritten whole when less than half of it is still in use. A failure
        (disk full) leaves the cache unusable, never wrong: the index is written last.
        """
        if self.broken:
            return
        try:
            self._save()
        except OSError as error:
            log.warning("the parse cache cannot be written: %s", error)
            self.broken = True

    def _save(self) -> None:
        if self._append is not None:
            self._append.close()
            self._append = None
            self.pack_size = self._end
        elif self.used.keys() == self.entries.keys():
            return
        live = sum(location[1] for _, location in self.used.values())
        if live * 2 < self.pack_size:
            self._compact()
            return
        added = {key: value for key, value in self.used.items() if key not in self.entries}
        dropped = [key for key in self.entries if key not in self.used]
        dead = self._dead + len(dropped)
        if not self._records or dead > len(self.used) or self._records >= _MAX_RECORDS:
            self._write_index(self.pack_size, dict(self.used))
            return
        record = pickle.dumps((self.stamp, self.pack_size, added, dropped), protocol=5)
        self._log_size = append_log(self.folder / _INDEX_FILE, self._log_size, record)
        self._records, self._dead = self._records + 1, dead
        self.entries, self.used = dict(self.used), dict(self.used)

    def _compact(self) -> None:
        index: dict[Key, tuple[ParsedFile, Location]] = {}
        bodies: list[bytes] = []
        offset = 0
        for key, (parsed, location) in self.used.items():
            body, terms = self._read(parsed, terms=False), self._read(parsed, terms=True)
            if body is None or terms is None:
                continue
            bodies += (body, terms)
            index[key] = (parsed, (offset, len(body) + len(terms), *location[2:]))
            offset += len(body) + len(terms)
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        atomic_write(self.folder / _PACK_FILE, b"".join(bodies))
        self._write_index(offset, index)

    def _write_index(self, pack_size: int, index: dict) -> None:
        data = pickle.dumps((self.stamp, pack_size, index, []), protocol=pickle.HIGHEST_PROTOCOL)
        blob = log_record(data)
        atomic_write(self.folder / _INDEX_FILE, blob)
        self.used, self.entries, self.pack_size = dict(index), dict(index), pack_size
        self._log_size, self._records, self._dead = len(blob), 1, 0


class _DigestPickler(pickle.Pickler):
    """Pickles shared data (article cards, the layout) as their digest: same meaning, far
    fewer bytes. Notes each digest, so a build knows which cards every page shows."""

    def __init__(self, file: io.BytesIO, shown: set[str]) -> None:
        super().__init__(file, protocol=5)
        self.shown = shown
        # No memo: equal data gives equal bytes whether or not two of its strings are one
        # object (a site read back from a snapshot shares fewer than one just loaded).
        self.fast = True

    def reducer_override(self, obj: object) -> object:
        if isinstance(obj, Shared):
            self.shown.add(obj.digest)
            return (str, (obj.digest,))
        return NotImplemented


def task_digest(
    global_digest: str,
    template: str,
    context: dict,
    body_digest: str = "",
    shown: set[str] | None = None,
) -> str:
    """Covers everything a page shows: its context, the templates, the config, the code.

    A page that shows an article's body carries the digest of the article's file instead
    of the body itself: the body is a function of those bytes and of the markup settings,
    which the config digest covers. `shown` receives the digests of the shared data.
    """
    buffer = io.BytesIO()
    _DigestPickler(buffer, set() if shown is None else shown).dump(context)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(global_digest.encode())
    digest.update(template.encode())
    digest.update(body_digest.encode())
    digest.update(buffer.getbuffer())
    return digest.hexdigest()
