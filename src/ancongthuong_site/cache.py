"""The parse cache (.cache/ under the site root) and the digests that key incremental work.

The cache is an optimisation only: deleting it is always safe, and a cache that is corrupt,
foreign or from another version is ignored, never trusted.

Two files: `parse.pickle` holds every parsed file without its body HTML (small, read on
every build), `bodies.pack` holds the bodies back to back (read only for the pages that
are rendered again). Each body carries a checksum, so a damaged pack is noticed and the
file is parsed again.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import logging
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from . import __version__
from .files import file_digest
from .models import ParsedFile, SharedData

log = logging.getLogger(__name__)
CACHE_DIR = ".cache"
_INDEX_FILE = "parse.pickle"
_PACK_FILE = "bodies.pack"

Key = tuple[str, str]  # (path relative to content/, digest of the file's bytes)
Location = tuple[int, int, str]  # (offset, length, checksum) in the pack


@functools.cache
def code_version() -> str:
    """Changes whenever the builder's code or the Python running it changes.

    The sources are hashed, not just the version string, so a developer's edit to the
    builder can never be mistaken for "nothing changed".
    """
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return f"{__version__}|{sys.version_info[:2]}|{digest.hexdigest()}"


class ParseCache:
    """ParsedFile by (relative path, file digest), valid for one set of markup settings."""

    def __init__(self, root: Path, settings_key: str) -> None:
        self.folder = root / CACHE_DIR
        self.stamp = f"{code_version()}|{settings_key}"
        self.entries: dict[Key, tuple[ParsedFile, Location]] = {}
        self.used: dict[Key, tuple[ParsedFile, Location]] = {}
        self.pack_size = 0
        self._append: BinaryIO | None = None
        self._reader: BinaryIO | None = None
        self.broken = False
        self._end = 0
        self._load()

    def _load(self) -> None:
        try:
            with open(self.folder / _INDEX_FILE, "rb") as handle:
                stamp, pack_size, entries = pickle.load(handle)
            actual = (self.folder / _PACK_FILE).stat().st_size
        except FileNotFoundError:
            return
        except Exception as error:  # noqa: BLE001 - any damage means "no cache"
            log.info("ignoring unreadable parse cache: %s", error)
            return
        if stamp != self.stamp or not isinstance(entries, dict) or actual < pack_size:
            return
        self.pack_size = pack_size
        self.entries = {
            key: value
            for key, value in entries.items()
            if isinstance(value, tuple) and isinstance(value[0], ParsedFile)
        }

    def get(self, rel: str, digest: str) -> ParsedFile | None:
        """The cached ParsedFile, its body_html None (see `body`)."""
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
        data = parsed.body_html.encode("utf-8")
        if self.broken:
            return parsed
        try:
            if self._append is None:
                self.folder.mkdir(parents=True, exist_ok=True)
                self._append = open(self.folder / _PACK_FILE, "ab")  # noqa: SIM115 - kept open
                self._append.truncate(self.pack_size)  # drop what a killed build appended
                self._end = self.pack_size
            self._append.write(data)
        except OSError as error:
            # A cache that cannot be written (disk full) only makes the next build slower.
            log.warning("the parse cache cannot be written: %s", error)
            self.broken = True
            return parsed
        location = (self._end, len(data), file_digest(data))
        self._end += len(data)
        stripped = dataclasses.replace(parsed, body_html=None)
        self.used[key] = (stripped, location)
        return stripped

    def body(self, parsed: ParsedFile) -> str | None:
        """The body HTML of a cached file; None if the pack is missing or damaged."""
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
        offset, length, checksum = entry[1]
        try:
            if self._reader is None:
                self._reader = open(self.folder / _PACK_FILE, "rb")  # noqa: SIM115 - kept open
            data = os.pread(self._reader.fileno(), length, offset)
        except OSError:
            return None
        if len(data) != length or file_digest(data) != checksum:
            log.info("damaged body in the parse cache: %s", parsed.path)
            return None
        return data.decode("utf-8")

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
        else:
            self._write_index(self.pack_size, dict(self.used))

    def _compact(self) -> None:
        index: dict[Key, tuple[ParsedFile, Location]] = {}
        bodies: list[bytes] = []
        offset = 0
        for key, (parsed, _location) in self.used.items():
            text = self.body(parsed)
            if text is None:
                continue
            data = text.encode("utf-8")
            bodies.append(data)
            index[key] = (parsed, (offset, len(data), file_digest(data)))
            offset += len(data)
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        _atomic_write(self.folder / _PACK_FILE, b"".join(bodies))
        self._write_index(offset, index)

    def _write_index(self, pack_size: int, index: dict) -> None:
        data = pickle.dumps((self.stamp, pack_size, index), protocol=pickle.HIGHEST_PROTOCOL)
        _atomic_write(self.folder / _INDEX_FILE, data)
        self.used, self.entries, self.pack_size = dict(index), dict(index), pack_size


def _atomic_write(path: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".cache")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class StatCache:
    """File digests by (size, mtime, ctime, inode), so unchanged files need not be read.

    The digest is still of the content: this only remembers it. ctime changes on every
    write (and cannot be set back by hand), and a file modified within two seconds of the
    last save is read again, as git does for "racy" entries.
    """

    RACY_NS = 2_000_000_000

    def __init__(self, root: Path) -> None:
        self.path = root / CACHE_DIR / "stat.pickle"
        self.saved_ns = 0
        self.known: dict[str, tuple[tuple[int, int, int, int], str]] = {}
        self.seen: dict[str, tuple[tuple[int, int, int, int], str]] = {}
        try:
            with open(self.path, "rb") as handle:
                stamp, self.saved_ns, self.known = pickle.load(handle)
            if stamp != code_version() or not isinstance(self.known, dict):
                self.known = {}
        except Exception:  # noqa: BLE001 - any damage means "no cache"
            self.known = {}

    def digest(self, rel: str, path: Path) -> str | None:
        """The remembered digest if the file is unchanged, else None (read and hash it)."""
        try:
            info = os.stat(path, follow_symlinks=False)
        except OSError:
            return None
        key = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
        found = self.known.get(rel)
        if found is None or found[0] != key or info.st_mtime_ns >= self.saved_ns - self.RACY_NS:
            self.seen[rel] = (key, "")
            return None
        self.seen[rel] = found
        return found[1]

    def learn(self, rel: str, digest: str) -> None:
        key = self.seen.get(rel, ((0, 0, 0, 0), ""))[0]
        self.seen[rel] = (key, digest)

    def save(self) -> None:
        entries = {rel: value for rel, value in self.seen.items() if value[1]}
        if entries == self.known:
            return
        data = pickle.dumps((code_version(), time.time_ns(), entries), protocol=5)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(self.path, data)
        except OSError as error:
            log.warning("the stat cache cannot be written: %s", error)


class _DigestPickler(pickle.Pickler):
    """Pickles shared data (article cards) as their own digest: same bytes, far fewer."""

    def reducer_override(self, obj: object) -> object:
        if isinstance(obj, SharedData):
            return (str, (obj.key,))
        return NotImplemented


def task_digest(global_digest: str, template: str, context: dict, body_digest: str = "") -> str:
    """Covers everything a page shows: its context, the templates, the config, the code.

    A page that shows an article's body carries the digest of the article's file instead
    of the body itself: the body is a function of those bytes and of the markup settings,
    which the config digest covers.
    """
    buffer = io.BytesIO()
    _DigestPickler(buffer, protocol=5).dump(context)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(global_digest.encode())
    digest.update(template.encode())
    digest.update(body_digest.encode())
    digest.update(buffer.getbuffer())
    return digest.hexdigest()
