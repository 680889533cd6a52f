"""The build's inputs: every source file found, its digest known, and the fingerprint of all.

The fingerprint and the clock window recorded by the previous build decide whether a build
can stop before parsing anything (nothing that shows on a page can have changed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .codeversion import code_version
from .config import SiteConfig
from .errors import Problem, cannot_read, stop_point
from .filecaches import StatCache
from .files import FILE, discover, file_digest, is_markdown, odd_file, read_bytes, walk_files
from .manifest import Signature, intact_signatures, read_marker
from .state import BuildRecord
from .templating import templates_digest
from .vietnamese import nfc

# (path under the root, mode, size, mtime, ctime, inode), as quick.Sources walks them
FileStat = tuple[str, int, int, int, int, int]


@dataclass
class Inputs:
    """Every source file, with the digest of its bytes; the bytes only where they were read."""

    content: list[tuple[str, Path, str, bytes | None]]  # (rel, path, digest, data)
    static: list[tuple[str, Path, str]]
    templates: str
    problems: list[Problem]
    fingerprint: str
    stats: StatCache | None
    # Content file → digest, where `content` was not made (a local build reads one file).
    known: dict[str, str] | None = None

    def digests(self) -> dict[str, str]:
        """Every content file's digest, in the order the build read them."""
        if self.known is not None:
            return self.known
        return {rel: digest for rel, _path, digest, _data in self.content}


def read_inputs(
    config: SiteConfig,
    *,
    use_cache: bool,
    drafts: bool,
    future: bool,
    walked: Sequence[FileStat] | None = None,
) -> Inputs:
    """Find every source file and know its digest (reading only files whose stats changed).

    `walked`: the walk the build made before reading anything (quick.Sources.entries); the
    content files and their stats are taken from it instead of walking and stat-ing them
    again."""
    problems: list[Problem] = []
    found_files = _walked_content(walked) if walked is not None else None
    if found_files is None:
        files, found = discover(config.content_dir)
        problems += found
        known: dict[str, tuple[int, int, int, int]] = {}
    else:
        top = config.content_dir
        files = [(rel, top / rel) for rel in found_files]
        known = found_files
    static_files, found = _static_files(config)
    problems += found
    problems += _template_links(config)
    stats = StatCache(config.root) if use_cache else None
    content = []
    for rel, path in files:
        stop_point()
        digest = stats.digest(rel, path, known.get(rel)) if stats else None
        data = None
        if digest is None:
            try:
                data = read_bytes(path)
            except OSError as error:
                problems.append(cannot_read(f"content/{rel}", error))
                continue
            digest = file_digest(data)
            if stats:
                stats.learn(rel, digest)
        content.append((rel, path, digest, data))
    static = []
    for rel, path in static_files:
        try:
            static.append((rel, path, _static_digest(stats, rel, path)))
        except OSError as error:
            problems.append(cannot_read(f"static/{rel}", error))
    templates = templates_digest(config.templates_dir)
    digests = {rel: digest for rel, _path, digest, _data in content}
    fingerprint = fingerprint_of(config, templates, (drafts, future), digests, static)
    return Inputs(content, static, templates, problems, fingerprint, stats)


def fingerprint_of(
    config: SiteConfig,
    templates: str,
    options: tuple[bool, bool],
    content: dict[str, str],
    static: list[tuple[str, Path, str]],
) -> str:
    """One digest of every input: the code, site.yaml, the templates, the options (drafts,
    future) and each content and static file's digest."""
    fingerprint = hashlib.blake2b(digest_size=16)
    for part in (
        code_version(),
        config.digest,
        templates,
        repr(options),
        repr(list(content.items())),
        repr([(r, d) for r, _, d in static]),
    ):
        fingerprint.update(part.encode() + b"\0")
    return fingerprint.hexdigest()


def _walked_content(walked: Sequence[FileStat]) -> dict[str, tuple[int, int, int, int]] | None:
    """Content file (relative to content/, NFC) → its stat key, sorted, from the walk; None
    when the walk met anything discover() reports (no content/, a link, a FIFO)."""
    found: dict[str, tuple[int, int, int, int]] = {}
    for rel, mode, size, mtime, ctime, inode in walked:
        if not rel.startswith("content/") and rel != "content":
            continue
        if rel == "content" or not stat.S_ISREG(mode):
            return None
        if is_markdown(rel):
            name = nfc(rel[len("content/") :])
            if name in found:
                return None  # two spellings of one name (NFC and NFD): let discover() tell
            found[name] = (size, mtime, ctime, inode)
    return dict(sorted(found.items()))


def _static_digest(stats: StatCache | None, rel: str, path: Path) -> str:
    """Static files are read only when their stats changed: camera photos weigh megabytes."""
    key = "static/" + rel  # beside content/ paths in the same stat cache
    digest = stats.digest(key, path) if stats else None
    if digest is None:
        digest = file_digest(read_bytes(path))
        if stats:
            stats.learn(key, digest)
    return digest


def unchanged(
    out: Path, inputs: Inputs, now: dt.datetime
) -> tuple[BuildRecord, dict[str, Signature]] | None:
    """The previous build's record, with the signatures of the output's files, when no
    input changed and no scheduled moment passed."""
    if inputs.problems:
        return None
    marker = read_marker(out)
    files = marker.get("files", {})
    seen = BuildRecord.from_json(marker.get("inputs"), len(files)) if marker else None
    if seen is None or seen.fingerprint != inputs.fingerprint or not seen.valid_at(now.timestamp()):
        return None
    signatures = intact_signatures(out, files)
    if signatures is None:
        return None  # a file of the output was removed or changed by hand: make it again
    if inputs.stats:
        inputs.stats.save()
    return seen, {rel: signatures[rel] for rel in files}


def _static_files(config: SiteConfig) -> tuple[list[tuple[str, Path]], list[Problem]]:
    files, problems = [], []
    for rel, path, kind in walk_files(config.static_dir):
        if kind == FILE:
            files.append((rel, path))
        else:
            problems.append(odd_file(f"static/{rel}", kind))
    return files, problems


def _template_links(config: SiteConfig) -> list[Problem]:
    return [
        odd_file(f"templates/{rel}", kind)
        for rel, _path, kind in walk_files(config.templates_dir)
        if kind != FILE
    ]
