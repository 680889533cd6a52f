"""The loaded site kept between CLI builds, so that an edit inside an article is rebuilt
from it without reading, placing and indexing 10,000 files again (see localbuild.py).

Every build that plans the whole site saves, in `.cache/site.pickle` (signed like every
cache file), what serve keeps in memory after a build: the parse cache's entries, the
index, the documents register, the images pages show, and the digests of
everything but the content files. A local build then appends to `.cache/site.log` one
small signed record naming the files it parsed again, instead of writing the 20 MB whole.

A snapshot is tied to the output tree, the parse cache and the plan record it was made
with (the signatures of the tree's marker, of the cache's two files and of the record):
once anything else has written one of them (another build, serve, a `check` that parsed
new files, a hand), it no longer describes them and is not used. It is an optimisation
only: without it every build takes the long way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import pickle
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from .cache import CacheState, ParseCache
from .codeversion import CACHE_DIR
from .config import SiteConfig
from .index import SiteIndex
from .inputs import Inputs
from .loader import FileProblems, place
from .manifest import MARKER, Signature, signature
from .markup import MarkupSettings
from .models import Article, ParsedFile
from .register import Register
from .replan import swapped_index
from .signed import (
    append_log,
    atomic_write,
    read_log,
    read_private,
    unseal,
    usable_folder,
    write_sealed,
)
from .stages import Prepared
from .state import PLAN_FILE

log = logging.getLogger(__name__)

BASE_FILE = "site.pickle"
LOG_FILE = "site.log"
_MAX_RECORDS = 100  # then the next full build writes the base again (it always does)
Tie = tuple[Signature | None, ...]  # the signatures of the files a snapshot goes with


@dataclass
class SiteSnapshot:
    """The site as the last build left it, and what it was made with."""

    # site.yaml as the build read it: pages are digested by pickling, which tells shared
    # strings (a category's name) from equal ones, so the site is placed with this one.
    config: SiteConfig
    settings: str  # every input but the content files, in one digest (see replan)
    templates: str
    static: list[tuple[str, Path, str]]
    markup: MarkupSettings
    cache: CacheState
    index: SiteIndex
    register: Register
    media: object  # media.Media (that module sits above this one)
    tie: Tie = ()
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    records: int = 0  # local builds recorded in the log since the base was written
    log_size: int = 0

    def parsed(self) -> dict[str, ParsedFile]:
        """Content file → what it said at the last build."""
        return {rel: entry[0] for (rel, _digest), entry in self.cache.entries.items()}


def tie(root: Path, out: Path) -> Tie:
    """What a snapshot is valid with: the output tree's marker, the parse cache's files and
    the plan record as they are now (each build, serve and `check` that writes them
    changes these). The plan record's pages are then the tree's, as the marker lists them."""
    folder = root / CACHE_DIR
    return (
        signature(f"{out}/{MARKER}"),
        signature(f"{folder}/parse.log"),
        signature(f"{folder}/bodies.pack"),
        signature(f"{folder}/{PLAN_FILE}"),
    )


def keep_site(
    config: SiteConfig,
    inputs: Inputs,
    markup: MarkupSettings,
    cache: ParseCache | None,
    prepared: Prepared,
    out: Path,
) -> None:
    """After a build that planned the whole site: what the next CLI build needs to rebuild
    an edit inside some articles (localbuild). `prepared` without its tasks."""
    if cache is None or cache.broken or prepared.planner is None:
        forget(config.root)
        return
    snapshot = SiteSnapshot(
        config,
        prepared.settings,
        inputs.templates,
        inputs.static,
        markup,
        cache.state(),
        prepared.index,
        prepared.register,
        dataclasses.replace(prepared.media, decoded=0, problems=[]),
        tie(config.root, out),
    )
    save_base(config.root, snapshot)


def save_base(root: Path, snapshot: SiteSnapshot) -> None:
    """Write the whole snapshot and start its log afresh (after a full build)."""
    folder = root / CACHE_DIR
    try:
        atomic_write(folder / LOG_FILE, b"")
        write_sealed(folder / BASE_FILE, snapshot)
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as error:
        log.info("site snapshot not written: %s", error)
        forget(root)


def append(
    root: Path, snapshot: SiteSnapshot, fresh: dict[str, ParsedFile], old: dict[str, str]
) -> None:
    """Record a local build: the files it parsed again (as the cache now holds them, with
    the digest each had before: `old`), where the cache's files stand and what the
    snapshot is now tied to."""
    state = snapshot.cache
    files = {rel: (old[rel], state.entries[(rel, p.digest)]) for rel, p in fresh.items()}
    moved = (state.pack_size, state.log_size, state.records, state.dead)
    record = pickle.dumps((snapshot.token, snapshot.tie, moved, files), protocol=5)
    try:
        snapshot.log_size = append_log(root / CACHE_DIR / LOG_FILE, snapshot.log_size, record)
    except OSError as error:
        log.info("site snapshot not recorded: %s", error)
        forget(root)


def forget(root: Path) -> None:
    """No snapshot: the next build takes the long way and writes one."""
    with contextlib.suppress(OSError):
        (root / CACHE_DIR / BASE_FILE).unlink(missing_ok=True)


def load(root: Path, config: SiteConfig, now_tie: Tie) -> SiteSnapshot | None:
    """The snapshot, brought up to its last recorded local build, if it is tied to the tree
    and the cache as they are now; else None."""
    folder = root / CACHE_DIR
    if not usable_folder(folder, create=False):
        return None
    try:
        records, good = read_log(folder / LOG_FILE)
        data = unseal(read_private(folder / BASE_FILE))
        if data is None or len(records) >= _MAX_RECORDS:
            return None
        snapshot = pickle.loads(data)  # noqa: S301 - signed by this key, just verified
        if not isinstance(snapshot, SiteSnapshot) or snapshot.config.digest != config.digest:
            return None
        changed = _replay(snapshot, records)
    except Exception as error:  # noqa: BLE001 - any damage means "take the long way"
        log.info("ignoring the site snapshot: %s", error)
        return None
    snapshot.log_size = good
    if snapshot.tie != now_tie:
        return None
    if changed:
        try:
            snapshot.index = _placed(snapshot, changed)
        except FileProblems:
            return None
    return snapshot


def _replay(snapshot: SiteSnapshot, records: list[object]) -> set[str]:
    """Apply the log's records (each a local build); the content files they replaced."""
    changed: set[str] = set()
    if not records:
        return changed
    state = snapshot.cache
    entries = dict(state.entries)
    for record in records:
        token, tied, moved, files = record  # type: ignore[misc]
        if token != snapshot.token:
            break  # a log left by another base
        for rel, (before, entry) in files.items():
            del entries[(rel, before)]  # a log that does not follow its base is refused
            entries[(rel, entry[0].digest)] = entry
            changed.add(rel)
        pack_size, log_size, count, dead = moved
        state = CacheState(state.stamp, entries, pack_size, log_size, count, dead)
        snapshot.tie = tied
        snapshot.records += 1
    snapshot.cache = state
    return changed


def _placed(snapshot: SiteSnapshot, changed: set[str]) -> SiteIndex:
    """The base's index with the articles the log replaced put in their places."""
    index = snapshot.index
    parsed = snapshot.parsed()
    old = [a for a in (*index.listed, *index.unlisted) if a.path in changed]
    new = []
    for article in old:
        placed = place(parsed[article.path], snapshot.config)
        assert isinstance(placed, Article)  # a local change: only articles
        new.append(placed)
    return swapped_index(index, old, new)
