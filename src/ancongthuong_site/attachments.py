"""Attached files (PDF, Word, Excel, OpenDocument): what a file is, and how it is described.

Shared by anything that lists downloadable files under a page ("PDF, 245 KB"). A file's
type is taken from its extension and confirmed by its first bytes, so a renamed file (a
Word document saved as .pdf) is caught before readers download it.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

# Extension → (label shown to readers, the first bytes every such file starts with).
# Old Office files are OLE2 compound files; new ones and OpenDocument are ZIP archives.
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
FILE_TYPES: dict[str, tuple[str, bytes]] = {
    "pdf": ("PDF", b"%PDF-"),
    "doc": ("DOC", _OLE2),
    "xls": ("XLS", _OLE2),
    "docx": ("DOCX", _ZIP),
    "xlsx": ("XLSX", _ZIP),
    "odt": ("ODT", _ZIP),
}
ALLOWED_EXTENSIONS = tuple(FILE_TYPES)
_HEAD = max(len(magic) for _, magic in FILE_TYPES.values())


def extension(url: str) -> str:
    """Lowercase extension of a path or URL ("/files/a.PDF?x=1" → "pdf"); "" if none."""
    path = urlsplit(url).path if "://" in url else url
    name = posixpath.basename(unquote(path))
    return name.rpartition(".")[2].lower() if "." in name else ""


def bytes_match(ext: str, head: bytes) -> bool:
    """Whether a file's first bytes are what its extension says it is."""
    found = FILE_TYPES.get(ext)
    return found is not None and head.startswith(found[1])


def read_head(path: Path) -> bytes:
    """The first bytes of a file, enough to recognise every allowed type."""
    with open(path, "rb") as handle:
        return handle.read(_HEAD)


def format_size(size: int) -> str:
    """Sizes as Vietnamese readers write them: "245 KB", "1,2 MB" (decimal comma)."""
    if size < 1000:
        return f"{size} B"
    if size < 1000 * 1000:
        return f"{round(size / 1000)} KB"
    value = size / (1000 * 1000)
    text = f"{value:.1f}" if value < 100 else f"{value:.0f}"
    return text.replace(".", ",") + " MB"


def describe(ext: str, size: int | None) -> str:
    """ "PDF, 245 KB"; the type alone when the size is unknown (a file on another site)."""
    label = FILE_TYPES[ext][0] if ext in FILE_TYPES else ext.upper()
    return label if size is None else f"{label}, {format_size(size)}"
