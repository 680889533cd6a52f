"""serve's builds: a saved article rebuilt in memory (livesite) when the change allows,
anything else through `build()`; the work no reader waits for done once saves pause."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from .build import BuildOptions, BuildResult, build, clock
from .livesite import Announce, LiveSite

__all__ = ["ServeBuilds", "remove_in_background"]

log = logging.getLogger(__name__)


def give_back_memory() -> None:
    """Hand the memory a build or the search index freed back to the system: glibc keeps
    freed blocks for reuse, and serve would otherwise hold its peak (≈ 100 MiB more at
    10,000 articles) for as long as it runs. Elsewhere than glibc, nothing happens."""
    global _trim
    if _trim is None:
        name = ctypes.util.find_library("c")
        _trim = getattr(ctypes.CDLL(name), "malloc_trim", False) if name else False
    if _trim:
        _trim(0)


_trim: Callable[[int], int] | bool | None = None

# Saves this close together are one editing session: what no reader waits for waits.
FLUSH_AFTER = 1.5


class ServeBuilds:
    """serve's builds: in memory when a save allows (LiveSite), else through `build()`;
    the work no reader waits for is done once saves pause for FLUSH_AFTER seconds."""

    def __init__(self, root: Path, options: BuildOptions) -> None:
        self.root, self.options = root, options
        self.session = options.session
        self.live: LiveSite | None = None
        self._timer: threading.Timer | None = None

    def full(self) -> BuildResult:
        """A build through `build()`, after the deferred work of the local ones."""
        self._cancel()
        live, self.live = self.live, None
        if live is not None and not live.broken:
            try:
                live.flush()
            except Exception:  # the build makes again whatever the records miss
                log.exception("deferred work after a save failed")
            live = None if live.broken else live
        self.session.built = None
        result = build(self.root, self.options)  # raises: no live site until one succeeds
        if self.session.built is not None:
            live = LiveSite.after_build(self.session, result.output or self.root)
            self.session.built = None  # the live site holds what it needs of it
        elif live is not None and live.broken:
            live = None
        self.live = live  # a build that found nothing to do leaves the site as it was
        give_back_memory()
        return result

    def local(self, changed: Iterable[str], announce: Announce) -> tuple[str, ...] | None:
        """The files a local rebuild wrote, or None when `full()` must run."""
        live = self.live
        if live is None or not changed:
            return None
        self._cancel()
        try:
            written = live.rebuild(changed, announce, self.options.now or clock())
        except OSError:  # build() reports what cannot be read or written
            live.broken = True
            written = None
        if written is None:
            return None
        self._timer = threading.Timer(FLUSH_AFTER, self._flush)
        self._timer.daemon = True
        self._timer.start()
        return written

    def close(self) -> None:
        """Before serve stops: the cache and the search index kept for the next build."""
        self._cancel()
        self._flush()
        if self.live is not None:
            self.live.body_of.close()  # the parse cache's pack, open since the last save

    def _flush(self) -> None:
        live = self.live
        if live is None:
            return
        try:
            live.flush()
        except Exception:  # the next build through build() makes it all again
            log.exception("deferred work after a save failed")
            live.broken = True
        give_back_memory()

    def _cancel(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()


def remove_in_background(folder: Path) -> None:
    """Delete serve's private output (two trees of the site's size) in a process of its
    own, so that Ctrl-C does not wait for it: at 10,000 articles on a busy disk that took
    over a minute. Where no process can be started, here and now."""
    quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    code = "import shutil, sys; shutil.rmtree(sys.argv[1], True)"
    try:
        # Its own session: a Ctrl-C in the terminal does not stop it. Serve exits next, so
        # the process is never waited for here.
        os.posix_spawn(
            sys.executable,
            [sys.executable, "-c", code, str(folder)],
            os.environ,
            file_actions=quiet,
            setsid=True,
        )
    except (OSError, AttributeError):  # no posix_spawn on this system
        shutil.rmtree(folder, ignore_errors=True)
