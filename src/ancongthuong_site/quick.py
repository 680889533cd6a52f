"""The no-change shortcut: a build that finds every source as the last build saw it, the
output tree as that build wrote it and the clock inside the window where that output
stays right stops here, before the pipeline (Jinja, Markdown, nh3, Pillow) is imported.

The last build records, in `.cache/unchanged.marshal` (signed like every cache file): the
signature (size, modification and change times, inode) of every file under content/,
templates/ and static/, of site.yaml and of the record of published URLs, taken before it
read any of them; the code and options it ran with; the window of time its output is right
for; and the signature of every file of the output tree. Any difference, or a source
modified within two seconds of the recording (a "racy" file, as git calls it: a second
write in the same tick would not show), sends the build the long way, which decides for
itself. The record is only an optimisation: without it every build takes the long way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import marshal
import os
import stat
import time
from pathlib import Path

from .codeversion import CACHE_DIR, code_version
from .errors import BuildFailed, Problem
from .manifest import MARKER, Signature, signature
from .signed import atomic_write, read_private, seal, unseal, usable_folder
from .stages import BuildOptions, BuildResult
from .state import BuildRecord
from .writer import locked_output

log = logging.getLogger(__name__)

RECORD_FILE = "unchanged.marshal"
_FORMAT = 1
RACY_NS = 2_000_000_000  # a file written this close to the recording is read again
SOURCES = ("content", "templates", "static")  # folders walked, beside the files below
SINGLE_FILES = ("site.yaml",)
# Written by the build itself (history.remember): its signature is taken after the build.
URL_RECORD = f"{CACHE_DIR}/published.json"
Entry = tuple[str, int, int, int, int, int]  # (path, mode, size, mtime ns, ctime ns, inode)


def clock() -> dt.datetime:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else the wall clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return dt.datetime.now(dt.UTC)
    if not epoch.isdigit() or int(epoch) > _LAST_EPOCH:
        raise BuildFailed(
            [
                Problem(
                    "SOURCE_DATE_EPOCH",
                    0,
                    "E180",
                    f'SOURCE_DATE_EPOCH="{epoch}" không phải số giây từ 1970 đến năm 9000',
                    "đặt một số nguyên, ví dụ SOURCE_DATE_EPOCH=1709020800",
                )
            ]
        )
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC)


# Later moments overflow the dates computed from "now" (datetime stops at year 9999).
_LAST_EPOCH = int(dt.datetime(9000, 1, 1, tzinfo=dt.UTC).timestamp())


class Sources:
    """The signatures of every source file, taken before a build reads any of them; files
    written too close to that moment ("racy") are also hashed, then and at each check."""

    def __init__(self, root: Path) -> None:
        self.taken_ns = time.time_ns()
        self.entries = _sources(root)
        self.racy = digests_of(root, racy(self.entries, self.taken_ns))

    @classmethod
    def take(cls, root: Path) -> Sources:
        """The walk the shortcut just made of this root if it made one (it found something
        changed, and nothing has been read since), else a new one."""
        global _walked
        found, _walked = _walked, None
        if found is not None and found[0] == str(root):
            return found[1]
        return cls(root)


_walked: tuple[str, Sources] | None = None  # the shortcut's walk, for the build that follows
_loaded: tuple[str, tuple] | None = None  # the record the shortcut read, likewise


def _sources(root: Path) -> tuple[Entry, ...]:
    found: list[Entry] = []
    for name in SINGLE_FILES:
        _add(found, name, f"{root}/{name}")
    for folder in SOURCES:
        _walk(found, folder, f"{root}/{folder}")
    return tuple(found)


def racy(entries: tuple[Entry, ...], taken_ns: int) -> list[str]:
    """Files written so close to `taken_ns` that a second write in the same clock tick
    would leave their signature as it was: their bytes are compared instead."""
    return [e[0] for e in entries if stat.S_ISREG(e[1]) and max(e[3], e[4]) >= taken_ns - RACY_NS]


def digests_of(root: Path, paths: list[str]) -> dict[str, str]:
    found = {}
    for rel in paths:
        try:
            # Never through a link, never waiting on a FIFO swapped in since the walk.
            fd = os.open(f"{root}/{rel}", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    raise OSError(f"{rel} is not a regular file")
                found[rel] = hashlib.blake2b(handle.read(), digest_size=16).hexdigest()
        except OSError:
            found[rel] = ""
    return found


def _url_record(root: Path) -> Entry:
    found: list[Entry] = []
    _add(found, URL_RECORD, f"{root}/{URL_RECORD}")
    return found[0]


def _add(found: list[Entry], rel: str, path: str) -> None:
    try:
        info = os.lstat(path)
    except OSError:
        found.append((rel, 0, 0, 0, 0, 0))  # missing: recorded as such
        return
    found.append((rel, info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino))


def _walk(found: list[Entry], rel: str, path: str) -> None:
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError:
        found.append((rel, 0, 0, 0, 0, 0))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue  # the builder never reads dotfiles
        inner = f"{rel}/{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            _walk(found, inner, entry.path)
        else:
            info = entry.stat(follow_symlinks=False)
            found.append(
                (inner, info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
            )


def _key(root: Path, out: Path, options: BuildOptions) -> tuple:
    return (_FORMAT, code_version(), str(root.resolve()), str(out), *_option_key(options))


def _option_key(options: BuildOptions) -> tuple[bool, bool, bool]:
    return (options.drafts, options.future, options.redirect_moved)


def shortcut(root: Path, options: BuildOptions) -> BuildResult | None:
    """The result of a build that finds nothing to do, or None: take the long way."""
    if not options.use_cache or options.session is not None:
        return None
    global _loaded
    record = _load(root)
    if record is None:
        return None
    _loaded = (str(root), record)  # for a local build that follows (see `recorded`)
    with locked_output(root, options.out or root / "_site", force=options.force) as out:
        now = options.now or clock()
        seen = _still_right(root, out, options, record, now.timestamp())
        return None if seen is None else kept_result(out, seen, now)


def _still_right(
    root: Path, out: Path, options: BuildOptions, record: tuple, moment: float
) -> BuildRecord | None:
    key, taken_ns, entries, racy_digests, urls, marker, files, signatures, inputs = record
    if key != _key(root, out, options):
        return None
    seen = BuildRecord.from_json(inputs, len(files))
    if seen is None or not seen.valid_at(moment):
        return None
    if signature(f"{out}/{MARKER}") != marker:
        return None  # another tree (another build, or the output replaced)
    if _url_record(root) != urls:
        return None
    global _walked
    walked = Sources(root)
    _walked = (str(root), walked)
    if walked.entries != entries:
        return None
    if racy_digests != digests_of(root, racy(entries, taken_ns)):
        return None  # a file written in the same clock tick as the recording changed
    for rel, sig in zip(files, signatures, strict=True):
        if signature(f"{out}/{rel}") != sig:
            return None  # a file of the output was removed or changed by hand
    if racy_digests and not walked.racy:
        # The sources are the recorded ones, now too old to be racy: record them as seen
        # now, so the next check compares signatures only (no file read again).
        remember_output(root, options, walked, seen, dict(zip(files, signatures, strict=True)))
    return seen


def recorded(root: Path, out: Path, options: BuildOptions) -> tuple | None:
    """What the last build recorded (see `remember_output`), if it was made with this code,
    root, output and options, for its output tree as it is now."""
    global _loaded
    found, _loaded = _loaded, None
    record = found[1] if found is not None and found[0] == str(root) else _load(root)
    if record is None or record[0] != _key(root, out, options):
        return None
    if signature(f"{out}/{MARKER}") != record[5] or _url_record(root) != record[4]:
        return None
    return record


def kept_result(out: Path, seen: BuildRecord, now: dt.datetime) -> BuildResult:
    """The result of a build that found nothing to do."""
    from .vietnamese import VN_TZ

    until = seen.valid_until
    return BuildResult(
        out,
        seen.articles,
        seen.pages,
        kept=seen.files,
        next_change=dt.datetime.fromtimestamp(until, VN_TZ) if until else None,
        documents=seen.documents,
        scheduled=tuple(
            dt.datetime.fromtimestamp(t, VN_TZ) for t in seen.scheduled if t > now.timestamp()
        ),
    )


def remember_output(
    root: Path,
    options: BuildOptions,
    sources: Sources,
    record: BuildRecord,
    signatures: dict[str, Signature],
) -> None:
    """Record what the build that just finished saw and made (its output is in place)."""
    out = options.out or root / "_site"
    try:
        out = out.resolve()
        files = tuple(sorted(signatures))
        data = (
            _key(root, out, options),
            sources.taken_ns,
            sources.entries,
            sources.racy,
            _url_record(root),
            signature(f"{out}/{MARKER}"),
            files,
            tuple(signatures[rel] for rel in files),
            record.as_json(),
        )
        atomic_write(root / CACHE_DIR / RECORD_FILE, seal(marshal.dumps(data)))
    except (OSError, ValueError) as error:
        log.info("no-change record not written: %s", error)


def _load(root: Path) -> tuple | None:
    folder = root / CACHE_DIR
    if not usable_folder(folder, create=False):
        return None
    try:
        blob = read_private(folder / RECORD_FILE)
    except OSError:
        return None
    data = unseal(blob)
    if data is None:
        return None
    try:
        record = marshal.loads(data)  # signed by this key, verified just above
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(record, tuple) or len(record) != 9:
        return None
    return record
