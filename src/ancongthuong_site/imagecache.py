"""The derivative cache: processed images kept in .cache/images/ between builds, by the
original's content hash and the pipeline's settings, and read back checked against the
digest the build recorded for them.
"""

from __future__ import annotations

import logging
import pickle
import shutil
from pathlib import Path

from .cache import CACHE_DIR
from .errors import BuildFailed, Problem
from .files import read_bytes, write_atomic
from .images import ImageSettings, Processed, content_digest
from .signed import read_private, seal, unseal, usable_folder

log = logging.getLogger(__name__)
_INDEX = "index.pickle"
IMAGE_DIGEST = "image:"  # an output's manifest digest: this prefix and the file's content hash


def output_bytes(rel: str, path: Path, digest: str) -> bytes:
    """A static file, or a processed image from the cache, checked against its digest."""
    if not digest.startswith(IMAGE_DIGEST):
        return read_bytes(path)
    data = read_derivative(path, digest)
    if data is None:
        raise BuildFailed(
            [
                Problem(
                    f"{CACHE_DIR}/images",
                    0,
                    "E210",
                    f"ảnh đã xử lý trong bộ nhớ đệm bị hỏng hoặc bị thay (/{rel}); đã xóa bản hỏng",
                    "chạy lại lệnh: ảnh sẽ được xử lý lại",
                )
            ]
        )
    return data


def read_derivative(path: Path, digest: str) -> bytes | None:
    """A derivative's bytes from the cache, None if they are not what the build made."""
    data = read_private(path)
    if content_digest(data) != digest.removeprefix(IMAGE_DIGEST):
        shutil.rmtree(path.parent, ignore_errors=True)  # made again by the next build
        return None
    return data


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class ImageCache:
    """Processed images by the original's content hash and the pipeline's settings.

    One folder per original under .cache/images/, and a small index of what each holds.
    A damaged or foreign index is ignored (the images are made again); folders no build
    uses any more are removed when the index is saved.
    """

    def __init__(self, root: Path, settings: ImageSettings) -> None:
        self.folder = root / CACHE_DIR / "images"
        self.stamp = settings.key()
        self.entries: dict[str, Processed] = {}
        self.used: dict[str, Processed] = {}
        try:
            data = unseal(read_private(self.folder / _INDEX))
            if data is not None:  # never unpickle what this cache key did not sign
                stamp, entries = pickle.loads(data)  # noqa: S301 - signed, verified above
                if stamp == self.stamp and isinstance(entries, dict):
                    self.entries = entries
        except FileNotFoundError:
            pass
        except Exception as error:  # noqa: BLE001 - any damage means "no cache"
            log.info("ignoring unreadable image cache: %s", error)

    def get(self, key: str, want_original: bool) -> Processed | None:
        found = self.entries.get(key)
        if not isinstance(found, Processed) or (want_original and not found.original):
            return None
        sizes = {v.name: v.size for v in found.variants}
        if not all(file_size(self.folder / key / name) == size for name, size in sizes.items()):
            return None  # removed or damaged by hand: make them again
        if found.original and not (self.folder / key / found.original).is_file():
            return None
        self.used[key] = found
        return found

    def put(self, key: str, processed: Processed) -> None:
        self.used[key] = processed

    def save(self) -> None:
        if self.used == self.entries and (self.folder.is_dir() or not self.used):
            return
        if not usable_folder(self.folder.parent, create=True):
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            data = pickle.dumps((self.stamp, self.used), protocol=pickle.HIGHEST_PROTOCOL)
            write_atomic(self.folder / _INDEX, seal(data))
            for entry in self.folder.iterdir():
                if entry.is_dir() and entry.name not in self.used:
                    shutil.rmtree(entry, ignore_errors=True)
        except OSError as error:
            log.warning("the image cache cannot be written: %s", error)
