"""Files in .cache/: never opened through a link, never unpickled unless signed by us.

The cache may come from storage that others can write (a CI cache), so nothing in it is
unpickled before its HMAC is verified, keyed by a secret kept outside the cache
(`ANCONGTHUONG_CACHE_KEY`, else a key file in the user's configuration folder); a cache
signed with another key is simply cold.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
import pickle
import secrets
import stat
import struct
from pathlib import Path
from typing import BinaryIO

from .files import write_atomic

log = logging.getLogger(__name__)

KEY_ENV = "ANCONGTHUONG_CACHE_KEY"
_SEAL = b"ACS1"
_MAC_SIZE = 32


def _key_file() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(config) / "ancongthuong-site" / "cache-key"


@functools.cache
def cache_key() -> bytes:
    """The secret that signs the cache: from the environment, else a private key file
    (made on first use); a process that can keep neither signs with a key of its own."""
    given = os.environ.get(KEY_ENV, "")
    if given:
        return hashlib.sha256(given.encode()).digest()
    path = _key_file()
    try:
        return read_private(path)[:_MAC_SIZE] or _make_key(path)
    except OSError:
        try:
            return _make_key(path)
        except OSError as error:
            log.info("no cache key file (%s): the cache lasts one process", error)
            return secrets.token_bytes(_MAC_SIZE)


def _make_key(path: Path) -> bytes:
    key = secrets.token_bytes(_MAC_SIZE)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    os.replace(temp, path)
    return read_private(path)[:_MAC_SIZE]  # another process may have won the race: use its key


def seal(data: bytes) -> bytes:
    return _SEAL + hmac.digest(cache_key(), data, "sha256") + data


def unseal(blob: bytes) -> bytes | None:
    """The signed data, or None if the signature is not ours (foreign, damaged, planted)."""
    head = len(_SEAL) + _MAC_SIZE
    if len(blob) < head or not blob.startswith(_SEAL):
        return None
    data = blob[head:]
    if not hmac.compare_digest(blob[len(_SEAL) : head], hmac.digest(cache_key(), data, "sha256")):
        return None
    return data


def read_private(path: Path) -> bytes:
    """Read a regular file without following a link at its name."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path.name} is not a regular file")
        return handle.read()


def open_private(path: Path, flags: int) -> BinaryIO:
    """Open a cache file without following a link at its name; regular files only."""
    fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path.name} is not a regular file")
    mode = "rb" if flags & (os.O_WRONLY | os.O_RDWR) == 0 else "ab"
    return os.fdopen(fd, mode)


def usable_folder(folder: Path, *, create: bool) -> bool:
    """Whether `.cache` is a real folder (made if asked); a link there disables the cache."""
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        if not create:
            return False
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return False
        return usable_folder(folder, create=False)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode):
        log.warning("%s is not a folder (a link?): the cache is not used", folder)
        return False
    return True


def load_sealed(path: Path) -> object | None:
    """Unpickle a cache file only if this key signed it."""
    if not usable_folder(path.parent, create=False):
        return None
    try:
        blob = read_private(path)
    except OSError:
        return None
    data = unseal(blob)
    if data is None:
        log.info("ignoring %s: not signed with this cache key", path.name)
        return None
    return pickle.loads(data)  # noqa: S301 - signed by this key, verified just above


# -- signed logs: records appended, each signed on its own -----------------------------------


_LOG_HEAD = struct.Struct(">4sQ")  # magic, length of the signed record that follows
_LOG_MAGIC = b"ACL1"


def log_record(data: bytes) -> bytes:
    sealed = seal(data)
    return _LOG_HEAD.pack(_LOG_MAGIC, len(sealed)) + sealed


def read_log(path: Path) -> tuple[list[object], int]:
    """The records of a signed log, up to the first torn or foreign one, and the length of
    that good part (a build killed while appending leaves a torn last record)."""
    if not usable_folder(path.parent, create=False):
        return [], 0
    blob = read_private(path)
    records: list[object] = []
    at = 0
    while at + _LOG_HEAD.size <= len(blob):
        magic, length = _LOG_HEAD.unpack_from(blob, at)
        end = at + _LOG_HEAD.size + length
        if magic != _LOG_MAGIC or end > len(blob):
            break
        data = unseal(blob[at + _LOG_HEAD.size : end])
        if data is None:
            log.info("ignoring the rest of %s: not signed with this cache key", path.name)
            break
        records.append(pickle.loads(data))  # noqa: S301 - signed by this key, just verified
        at = end
    return records, at


def append_log(path: Path, good: int, data: bytes) -> int:
    """Append one record after the first `good` bytes; the log's new length."""
    blob = log_record(data)
    with open_private(path, os.O_WRONLY | os.O_APPEND) as handle:
        handle.truncate(good)
        handle.write(blob)
    return good + len(blob)


def write_sealed(path: Path, value: object) -> None:
    """Pickle `value` into `path`, signed as `seal` signs, without ever holding the pickle
    in memory (a site's snapshot is tens of megabytes), and replace the file at once."""
    if not usable_folder(path.parent, create=True):
        raise OSError(f"{path.parent.name} is not a usable folder")
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    mac = hmac.new(cache_key(), digestmod="sha256")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_SEAL + bytes(_MAC_SIZE))

            class Signing:
                def write(self, data: bytes) -> int:
                    mac.update(data)
                    return handle.write(data)

            pickle.dump(value, Signing(), protocol=pickle.HIGHEST_PROTOCOL)
            handle.seek(len(_SEAL))
            handle.write(mac.digest())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` (a link at that name is replaced, never followed)."""
    if not usable_folder(path.parent, create=True):
        raise OSError(f"{path.parent.name} is not a usable folder")
    write_atomic(path, data)
