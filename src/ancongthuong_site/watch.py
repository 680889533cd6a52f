"""Watch the site sources and call back once per burst of editor saves.

Editors save in many ways (in place, temp file + rename, vim's rename dance) and each save
produces several raw events, plus swap and probe files. This module turns that noise into one
`on_change(paths)` call per burst, with only the paths a rebuild cares about.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from watchdog.events import (
    DirCreatedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

__all__ = ["ChangeKind", "Watcher", "classify_change"]

logger = logging.getLogger(__name__)

# Reads emit opened/closed_no_write and writes emit modified several times; "closed after
# write" plus create/move/delete is enough to see every save once (measured with watchdog's
# inotify observer on Linux, for editors that write in place and those that save by renaming).
_INOTIFY_EVENTS: list[type[FileSystemEvent]] = [
    DirCreatedEvent,  # a source folder made after serve started is watched from then on
    DirMovedEvent,
    FileCreatedEvent,
    FileClosedEvent,
    FileMovedEvent,
    FileDeletedEvent,
]
# The polling observer never emits "closed", so there a content change is "modified".
_POLLING_EVENTS: list[type[FileSystemEvent]] = [*_INOTIFY_EVENTS, FileModifiedEvent]

# Editor swap, backup, lock and safe-write names (vim, emacs, JetBrains, VS Code, kate).
_NOISE_SUFFIXES = (
    ".swp",
    ".swx",
    ".swo",
    "~",
    ".tmp",
    ".crswap",
    "___jb_tmp___",
    "___jb_old___",
    ".kate-swp",
)
_NOISE_NAMES = frozenset({"4913"})  # vim's "can I write here?" probe file


class ChangeKind(enum.Enum):
    """What a changed file means for the next rebuild."""

    IGNORE = "ignore"
    CONTENT = "content"
    TEMPLATE = "template"
    STATIC = "static"
    CONFIG = "config"


def _parts(path: str) -> tuple[str, ...] | None:
    """Split a relative POSIX path; None if it is absolute or climbs out with `..`."""
    if path.startswith("/"):
        return None
    parts = tuple(p for p in path.split("/") if p not in ("", "."))
    if ".." in parts:
        return None
    return parts


def _is_noise(name: str) -> bool:
    if name.startswith("."):  # dotfiles: .git, .cache, .#lock, .file.swp, .goutputstream-…
        return True
    if name in _NOISE_NAMES:
        return True
    if name.startswith("#") and name.endswith("#"):  # emacs auto-save
        return True
    return name.endswith(_NOISE_SUFFIXES)


def classify_change(rel_path: str, *, output_dir: str = "_site") -> ChangeKind:
    """Classify a POSIX path relative to the site root.

    Pure: it looks only at the string, never at the disk, so it also works for files that
    were just deleted or renamed away.
    """
    parts = _parts(rel_path)
    if not parts:
        return ChangeKind.IGNORE
    if any(_is_noise(part) for part in parts):
        return ChangeKind.IGNORE
    out_parts = _parts(output_dir)
    # The builder writes there; watching it would make every build trigger the next one.
    if out_parts and parts[: len(out_parts)] == out_parts:
        return ChangeKind.IGNORE
    if parts == ("site.yaml",):
        return ChangeKind.CONFIG
    if len(parts) < 2:
        return ChangeKind.IGNORE
    top = parts[0]
    if top == "content":
        # Images and attachments live next to the articles; they are copied, not parsed.
        return ChangeKind.CONTENT if parts[-1].lower().endswith(".md") else ChangeKind.STATIC
    if top == "templates":
        return ChangeKind.TEMPLATE
    if top == "static":
        return ChangeKind.STATIC
    return ChangeKind.IGNORE


# Only these are watched: never the output, the standby tree, .cache/ or .git/, whose
# thousands of folders a concurrent build makes and removes (each one an inotify watch).
SOURCE_DIRS = ("content", "templates", "static")


class _Handler(FileSystemEventHandler):
    """Turns watchdog events into relevant relative paths on a queue."""

    def __init__(
        self,
        root: Path,
        output_dir: str,
        sink: queue.Queue[tuple[str, bool] | None],
        on_source_dir: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self._root = root
        self._output_dir = output_dir
        self._sink = sink
        self._on_source_dir = on_source_dir

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            if self._on_source_dir is not None:
                for raw in (event.src_path, getattr(event, "dest_path", "")):
                    rel = self._relative(raw)
                    if rel in SOURCE_DIRS:
                        self._on_source_dir(rel)
            return
        # Whether the file is whole now: closed after writing, or renamed into place.
        paths = [(event.src_path, isinstance(event, FileClosedEvent))]
        if isinstance(event, FileMovedEvent):
            # A rename-save has the real file as destination, a rename-away as source.
            paths.append((event.dest_path, True))
        for raw, whole in paths:
            rel = self._relative(raw)
            if rel is not None and classify_change(rel, output_dir=self._output_dir) is not (
                ChangeKind.IGNORE
            ):
                self._sink.put((rel, whole))

    def _relative(self, raw: str | bytes) -> str | None:
        if not raw:
            return None
        try:
            return Path(os.fsdecode(raw)).relative_to(self._root).as_posix()
        except ValueError:
            return None  # a move from or to outside the watched tree


WHOLE_QUIET = 0.01


class Watcher:
    """Watch `root` recursively and call `on_change(paths)` once per burst of changes.

    `paths` are POSIX paths relative to `root`, spelled as on disk. The callback runs on the
    watcher's own thread, one call at a time; changes made while it runs are delivered in the
    next call. Set `polling=True` on network or bind mounts where inotify sees nothing.
    """

    def __init__(
        self,
        root: Path,
        on_change: Callable[[frozenset[str]], None],
        *,
        quiet: float = 0.25,
        output_dir: str = "_site",
        polling: bool = False,
    ) -> None:
        if quiet <= 0:
            raise ValueError("quiet must be positive")
        self.root = Path(root)
        self.quiet = quiet
        self.output_dir = output_dir
        self._on_change = on_change
        self._polling = polling
        self._queue: queue.Queue[tuple[str, bool] | None] = queue.Queue()
        self._observer: BaseObserver | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start watching. Raises OSError if the OS refuses (e.g. inotify watch limit)."""
        if self._thread is not None:
            raise RuntimeError("watcher already started")
        # Event paths are prefixed with the path we schedule, so relativise against the same.
        root = self.root.resolve()
        self._queue = queue.Queue()  # nothing stale from a previous start/stop
        observer: BaseObserver = PollingObserver() if self._polling else Observer()
        events = _POLLING_EVENTS if self._polling else _INOTIFY_EVENTS
        handler = _Handler(root, self.output_dir, self._queue)
        self._watched: set[str] = set()

        def watch_source(name: str) -> None:
            if name not in self._watched and (root / name).is_dir():
                self._watched.add(name)
                observer.schedule(handler, str(root / name), recursive=True, event_filter=events)
                self._queue.put((f"{name}/", False))  # whatever it holds is new: rebuild once

        # site.yaml and the source folders' names: the root itself, not below it.
        top = _Handler(root, self.output_dir, self._queue, on_source_dir=watch_source)
        observer.schedule(top, str(root), recursive=False, event_filter=events)
        for name in SOURCE_DIRS:
            if (root / name).is_dir():
                self._watched.add(name)
                observer.schedule(handler, str(root / name), recursive=True, event_filter=events)
        observer.start()
        self._observer = observer
        # Daemon: a hung rebuild must not keep the process alive after Ctrl+C.
        self._thread = threading.Thread(target=self._run, name="ancongthuong-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching; waits for a running callback to return. Pending changes are dropped."""
        if self._observer is not None:
            # watchdog's inotify raises for a watched folder that was deleted meanwhile.
            with contextlib.suppress(KeyError, OSError):
                self._observer.stop()
            self._observer.join()
            self._observer = None
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            if thread is not threading.current_thread():  # stop() called from on_change
                thread.join()

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            paths = {first[0]}
            whole = first[1]
            # Keep collecting until the tree has been quiet for `quiet` seconds, or for
            # WHOLE_QUIET while every event was a file written whole (an editor's save: its
            # events come within a millisecond; a file created, deleted or renamed away may
            # be the start of more).
            while True:
                try:
                    wait = min(WHOLE_QUIET, self.quiet) if whole else self.quiet
                    item = self._queue.get(timeout=wait)
                except queue.Empty:
                    break
                if item is None:
                    return
                paths.add(item[0])
                whole = whole and item[1]
            try:
                self._on_change(frozenset(paths))
            except Exception:
                # A broken build must not stop the watcher: the next save should retry.
                logger.exception("change callback failed for %d path(s)", len(paths))
