"""Source files read safely: walked without following links, decoded strictly as UTF-8."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from .errors import ContentError, Problem
from .vietnamese import nfc


def file_digest(data: bytes) -> str:
    """The identity of a file's content: what caches and manifests are keyed on."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# C0 controls but tab and newline, DEL, C1 controls, and the non-characters U+FFFE/U+FFFF.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")


def discover(content_dir: Path) -> tuple[list[tuple[str, Path]], list[Problem]]:
    """Every .md file under content/, sorted by relative path; symlinks are refused."""
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
    for rel, path, is_link in _walk(content_dir):
        label = f"content/{rel}"
        if is_link:
            problems.append(
                Problem(
                    label,
                    0,
                    "E160",
                    "không cho phép liên kết tượng trưng (symlink)",
                    "thay liên kết bằng tệp thật",
                )
            )
        elif rel.endswith(".md"):
            found.append((rel, path))
    found.sort()
    return found, problems


def _walk(top: Path, prefix: str = "") -> Iterator[tuple[str, Path, bool]]:
    """Yield (relative path, path, is_symlink) without following links; dotfiles skipped."""
    with os.scandir(top) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            rel = nfc(prefix + entry.name)
            if entry.is_symlink():
                yield rel, Path(entry.path), True
            elif entry.is_dir(follow_symlinks=False):
                yield from _walk(Path(entry.path), rel + "/")
            else:
                yield rel, Path(entry.path), False


def walk_files(top: Path) -> Iterator[tuple[str, Path, bool]]:
    """Public walk used for static/ and templates/: (relative path, path, is_symlink)."""
    if top.is_dir():
        yield from _walk(top)


def read_bytes(path: Path) -> bytes:
    """Read without following a symlink swapped in since discovery."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError("not a regular file")
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
