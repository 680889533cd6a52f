"""What a built tree holds: its marker (each file's digest, what it was built from) and
each file's signature, by which a file changed by hand is recognised and never trusted.

The signatures live in a file of their own beside the marker: they name inodes, so they
differ between two trees built from the same sources, while the marker does not.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

MARKER = ".ancongthuong-site.json"
STATS = ".ancongthuong-site.stats.json"
MANIFEST_VERSION = 1
Signature = tuple[int, int, int]  # (inode, size, mtime in ns) of a regular file


def read_marker(out: Path) -> dict:
    """The marker of a tree this tool wrote: its files' digests and what it was built from."""
    try:
        data = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        return {}
    return data


def read_manifest(out: Path) -> dict[str, str]:
    """Output path → digest of every file the previous build wrote; {} if unknown."""
    files = read_marker(out).get("files")
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}


def read_signatures(out: Path) -> dict[str, Signature]:
    """Output path → the signature its file had when the tree was made ({} if unknown)."""
    try:
        stats = json.loads((out / STATS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(stats, dict):
        return {}
    # A value of another shape never equals a file's signature: that file is made again.
    return {
        rel: tuple(value)  # type: ignore[misc]
        for rel, value in stats.items()
        if type(value) is list and len(value) == 3
    }


def signature(path: str | Path) -> Signature | None:
    """A regular file's (inode, size, mtime): any edit, replace or re-link changes it.

    A tree's files are trusted only while their signatures are the recorded ones, so a
    file edited by hand in the output or the standby tree is made again, never published.
    Called for every file of a tree: a plain string path spares pathlib's parsing.
    """
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def tree_intact(out: Path, files: dict[str, str]) -> bool:
    """Whether every file of the tree is still the one its build wrote."""
    return intact_signatures(out, files) is not None


def intact_signatures(out: Path, files: dict[str, str]) -> dict[str, Signature] | None:
    """The signatures of the tree's files if each is still the one its build wrote."""
    recorded = read_signatures(out)
    for rel in files:
        if recorded.get(rel) is None or signature(f"{out}/{rel}") != recorded[rel]:
            return None
    return recorded


def _marker_bytes(files: dict[str, str], inputs: dict | None) -> bytes:
    marker = {"version": MANIFEST_VERSION, "inputs": inputs, "files": dict(sorted(files.items()))}
    # No indent: that would take the pure-Python encoder, 0.1 s for 10,000 entries.
    return json.dumps(marker, ensure_ascii=False, separators=(",", ":")).encode()


def write_marker(
    tree: Path, files: dict[str, str], inputs: dict | None, stats: dict[str, Signature]
) -> None:
    """Mark a tree complete: the signatures first, the marker (what makes it trusted) last."""
    known = {rel: stats[rel] for rel in sorted(files) if rel in stats}
    (tree / STATS).write_text(json.dumps(known, separators=(",", ":")), encoding="utf-8")
    (tree / MARKER).write_bytes(_marker_bytes(files, inputs))


def update_marker(out: Path, files: dict[str, str], inputs: dict) -> None:
    """Record new inputs for an unchanged tree (one atomic file replace; pages untouched)."""
    temp = out / (MARKER + ".tmp")
    temp.write_bytes(_marker_bytes(files, inputs))
    os.replace(temp, out / MARKER)


def is_regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False
