"""The small caches of .cache/ besides the parse cache: compiled templates, and each file's
digest by its stats (so that unchanged files are not read again). Both are signed like
every cache file and, like it, only an optimisation: deleting them is always safe."""

from __future__ import annotations

import logging
import os
import pickle
import time
from pathlib import Path

import jinja2

from .codeversion import CACHE_DIR, code_version
from .signed import atomic_write, load_sealed, read_private, seal, unseal, usable_folder

log = logging.getLogger(__name__)


class TemplateCache(jinja2.BytecodeCache):
    """Compiled templates in .cache/templates/, signed like every cache file: compiling the
    templates costs more than a small rebuild. Jinja checks each against its source's hash;
    the code version is checked here (it decides how templates are compiled)."""

    def __init__(self, root: Path) -> None:
        self.folder = root / CACHE_DIR / "templates"
        self.stamp = code_version().encode() + b"\0"

    def _usable(self, *, create: bool) -> bool:
        return usable_folder(self.folder.parent, create=create) and usable_folder(
            self.folder, create=create
        )

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if not self._usable(create=False):
            return
        try:
            data = unseal(read_private(self.folder / f"{bucket.key}.bin"))
        except OSError:
            return
        if data is not None and data.startswith(self.stamp):
            bucket.bytecode_from_string(data[len(self.stamp) :])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if not self._usable(create=True):
            return
        try:
            atomic_write(
                self.folder / f"{bucket.key}.bin", seal(self.stamp + bucket.bytecode_to_string())
            )
        except OSError as error:
            log.info("compiled templates not cached: %s", error)


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
            loaded = load_sealed(self.path)
            if loaded is not None:
                stamp, self.saved_ns, self.known = loaded  # type: ignore[misc]
                if stamp != code_version() or not isinstance(self.known, dict):
                    self.known = {}
        except Exception:  # noqa: BLE001 - any damage means "no cache"
            self.known = {}

    def digest(
        self, rel: str, path: Path, key: tuple[int, int, int, int] | None = None
    ) -> str | None:
        """The remembered digest if the file is unchanged, else None (read and hash it).
        `key`: the file's (size, mtime, ctime, inode) if the caller has just read them."""
        if key is None:
            try:
                info = os.stat(path, follow_symlinks=False)
            except OSError:
                return None
            key = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
        found = self.known.get(rel)
        if found is None or found[0] != key or key[1] >= self.saved_ns - self.RACY_NS:
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
            atomic_write(self.path, seal(data))
        except OSError as error:
            log.warning("the stat cache cannot be written: %s", error)
