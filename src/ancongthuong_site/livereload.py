"""The live-reload protocol between the dev server and the pages it serves: the script
and the error overlay added to every page, the messages on the event stream, and which
files a rebuild wrote are pages a reader may have open."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

LIVERELOAD_PATH = "/__livereload"

# A message is "epoch" (reload any page older) or "epoch /path/ /path/" (only those pages;
# "epoch -" for none).
# The page says which epoch it was served at, so that a change made before its stream
# opened reloads it only if it is one of the pages that change named.
_RELOAD_SCRIPT = (
    '<script>(function(){{var p={epoch},s=new EventSource("' + LIVERELOAD_PATH + '?since="+p);'
    's.onmessage=function(e){{var d=e.data.split(" "),n=Number(d[0]);if(n>p){{'
    "if(d.length<2||d.indexOf(location.pathname,1)>0){{s.close();location.reload();}}"
    "else{{p=n;}}}}}};}})();</script>"
)
_OVERLAY = (
    '<div id="ancongthuong-error-overlay" lang="vi" role="alert" style="position:fixed;inset:0;'
    "z-index:2147483647;overflow:auto;box-sizing:border-box;padding:24px;"
    'background:rgba(32,0,0,.94);color:#fff;font:15px/1.5 system-ui,sans-serif">'
    '<h2 style="margin:0 0 12px;color:#ff8a80">Lỗi khi dựng trang</h2>'
    '<pre style="margin:0;white-space:pre-wrap;font:14px/1.5 ui-monospace,monospace">'
    "{lines}</pre></div>"
)


_PAGES_PER_MESSAGE = 300  # more changed pages than this: every page reloads
_CHANGES_KEPT = 64


class ChangeLog:
    """The pages each recent epoch changed (None: any page may have), so that a page learns
    whether it must reload. Not thread-safe: the server calls it under its own lock."""

    def __init__(self) -> None:
        self._changes: dict[int, frozenset[str] | None] = {}

    def record(self, epoch: int, pages: Iterable[str] | None) -> None:
        changed = None if pages is None else frozenset(pages)
        if changed is not None and len(changed) > _PAGES_PER_MESSAGE:
            changed = None
        self._changes[epoch] = changed
        self._changes.pop(epoch - _CHANGES_KEPT, None)

    def between(self, seen: int, current: int) -> frozenset[str] | None:
        """The pages changed after epoch `seen` up to `current`; None: reload any page."""
        if current - seen > _CHANGES_KEPT:
            return None  # older than the changes kept (or another server's epoch)
        pages: set[str] = set()
        for epoch in range(seen + 1, current + 1):
            changed = self._changes.get(epoch)
            if changed is None:
                return None
            pages |= changed
        return frozenset(pages) if len(pages) <= _PAGES_PER_MESSAGE else None


def decorate(body: bytes, epoch: int, lines: Sequence[str] | None) -> bytes:
    """The page with the live-reload script (and the error overlay when `lines`) before its
    last </body>."""
    snippet = _RELOAD_SCRIPT.format(epoch=epoch)
    if lines is not None:
        escaped = "\n".join(html.escape(line, quote=True) for line in lines)
        snippet = _OVERLAY.format(lines=escaped) + snippet
    extra = snippet.encode()
    at = body.lower().rfind(b"</body")
    if at < 0:
        return body + extra
    return body[:at] + extra + body[at:]


def message(epoch: int, pages: frozenset[str] | None) -> bytes:
    """The event for a change: every page older reloads (None), else only `pages` ("-"
    when none: a rebuild that changed no page reloads none)."""
    listed = "" if pages is None else "".join(" " + page for page in sorted(pages)) or " -"
    return b"data: %d%s\n\n" % (epoch, listed.encode())


def since(target: str) -> int | None:
    """The epoch a page was served at, from its stream's `?since=`; None if absent or odd."""
    query = target.partition("?")[2]
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if name == "since" and value.isascii() and value.isdigit() and len(value) < 20:
            return int(value)
    return None


# Files a page loads while it is shown: when one changes, every open page reloads.
_SUBRESOURCES = (
    ".css",
    ".js",
    ".mjs",
    ".png",
    ".jpg",
    ".jpeg",
    ".webp",
    ".gif",
    ".svg",
    ".avif",
    ".ico",
    ".woff",
    ".woff2",
)


def changed_pages(written: Iterable[str]) -> list[str] | None:
    """URL paths of the HTML pages among files a build wrote; None when a stylesheet, a
    script, an image or a font changed (every page may show it). Feeds, the sitemap and
    the search index are no page a reader has open."""
    pages = []
    for rel in written:
        if rel.lower().endswith(_SUBRESOURCES):
            return None
        if rel == "index.html" or rel.endswith("/index.html"):
            pages.append("/" + rel[: -len("index.html")])
        elif rel.endswith(".html"):
            pages.append("/" + rel)
    return pages
