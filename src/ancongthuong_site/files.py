"""Source files read safely: walked without following links, decoded strictly as UTF-8."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import ContentError, Problem, not_regular, symlink_refused
from .vietnamese import nfc


def file_digest(data: bytes) -> str:
    """The identity of a file's content: what caches and manifests are keyed on."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# C0 controls but tab and newline, DEL, C1 controls, and the non-characters U+FFFE/U+FFFF.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")


def discover(content_dir: Path) -> tuple[list[tuple[str, Path]], list[Problem]]:
    """Every .md file under content/ (any case: .MD too), sorted by relative path; symlinks
    and anything that is not a regular file (a FIFO would block a read forever) refused."""
    found: list[tuple[str, Path]] = []
    problems: list[Problem] = []
    if not content_dir.is_dir():
        return found, [
            Problem(
                "content",
                0,
                "E180",
                "không có thư mục content/",
                "tạo thư mục content/ chứa các bài viết",
            )
        ]
    for rel, path, kind in _walk(content_dir):
        if kind != FILE:
            problems.append(odd_file(f"content/{rel}", kind))
        elif is_markdown(rel):
            found.append((rel, path))
    found.sort()
    return found, problems


FILE, LINK, OTHER = "file", "link", "other"  # what a walk finds: only files are read


def is_markdown(rel: str) -> bool:
    return rel.lower().endswith(".md")


def odd_file(label: str, kind: str) -> Problem:
    """The problem of a link (E160) or a FIFO, socket or device (E161) among the sources."""
    return symlink_refused(label) if kind == LINK else not_regular(label)


def _walk(top: Path, prefix: str = "") -> Iterator[tuple[str, Path, str]]:
    """Yield (relative path, path, FILE/LINK/OTHER) without following links; dotfiles
    skipped. The kind comes from lstat, so nothing is ever opened to find it."""
    with os.scandir(top) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            rel = nfc(prefix + entry.name)
            if entry.is_symlink():
                yield rel, Path(entry.path), LINK
            elif entry.is_dir(follow_symlinks=False):
                yield from _walk(Path(entry.path), rel + "/")
            elif entry.is_file(follow_symlinks=False):
                yield rel, Path(entry.path), FILE
            else:
                yield rel, Path(entry.path), OTHER


def walk_files(top: Path) -> Iterator[tuple[str, Path, str]]:
    """Public walk used for static/ and templates/: (relative path, path, kind)."""
    if top.is_dir():
        yield from _walk(top)


def read_bytes(path: Path) -> bytes:
    """Read a regular file; never through a symlink or a FIFO swapped in since discovery
    (O_NONBLOCK: opening a FIFO would otherwise wait for a writer forever)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(errno.EINVAL, "không phải tệp thường", str(path))
        return handle.read()


# -- one file -------------------------------------------------------------------------------


def decode(label: str, data: bytes) -> str:
    """UTF-8 only (BOM allowed); line ends normalised to LF; NFC; no control characters."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ContentError(
            Problem(
                label, 1, "E121", "tệp được lưu dạng UTF-16", "mở tệp và lưu lại với bảng mã UTF-8"
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = data[: error.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise ContentError(
            Problem(
                label,
                line,
                "E120",
                f"tệp không phải UTF-8 (byte 0x{data[error.start]:02X} ở cột {column})",
                "có thể tệp dùng bảng mã TCVN3/VNI/Windows-1258: mở và lưu lại dạng UTF-8",
            )
        ) from None
    text = nfc(text.replace("\r\n", "\n").replace("\r", "\n"))
    bad = FORBIDDEN.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise ContentError(
            Problem(
                label,
                line,
                "E122",
                f"ký tự điều khiển U+{ord(bad.group()):04X} không được phép",
                "xóa ký tự này (thường lẫn vào khi dán từ Word)",
            )
        )
    return text


def locate(text: str, needles: tuple[str, ...], default: int) -> int:
    """The 1-based line where one of `needles` first appears in a source text, else `default`."""
    for needle in needles:
        index = text.find(needle)
        if index >= 0:
            return text.count("\n", 0, index) + 1
    return default


TEMP_PREFIX = ".tmp-"  # a file being written beside the one it will replace


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` so that a reader never sees half a file (a link there is replaced)."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def remove_file(root: Path, rel: str) -> None:
    """Remove `root/rel` and the folders it leaves empty, up to `root` (kept)."""
    target = root / rel
    target.unlink(missing_ok=True)
    folder = target.parent
    while folder != root:
        try:
            folder.rmdir()
        except OSError:  # not empty (or already gone): the folders above stay too
            break
        folder = folder.parent
