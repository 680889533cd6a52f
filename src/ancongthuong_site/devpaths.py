"""What the development server may serve: a URL path mapped safely to a file, its content
type, and the Host names it answers to.

Paths are decoded once, dot segments and escaping symlinks are refused, and only loopback
Host headers (or names given on purpose) are accepted, so a web page elsewhere cannot read
the preview through DNS rebinding.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")
WILDCARD_HOSTS = ("", "0.0.0.0", "::")

# Our own table first: the system's mime.types differs between machines.
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
}


def resolve(root: Path, raw_path: str) -> tuple[Path, bool] | None:
    """Like `resolve_request_path`, also saying whether a directory's index was chosen."""
    path = raw_path.split("?", 1)[0].split("#", 1)[0]
    # No leading slash (`../x`), absolute form and `//host` are never file paths here.
    if not path.startswith("/") or path.startswith("//"):
        return None
    try:
        decoded = unquote(path, encoding="utf-8", errors="strict")  # once, then never again
    except UnicodeDecodeError:
        return None  # includes overlong forms such as %c0%ae
    if "\\" in decoded or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in decoded):
        return None
    *dirs, last = decoded[1:].split("/")
    # Empty, `.`, `..`, `....` and dotfiles (.git, .env) are all refused by the same rule.
    if any(not name or name.startswith(".") for name in dirs) or last.startswith("."):
        return None
    try:
        base = root.resolve()  # every call: the builder swaps the folder by renames
        target = base.joinpath(*dirs, last).resolve()
        if not target.is_relative_to(base):
            return None  # a symlink pointing out of the site
        if target.is_dir():
            index = (target / "index.html").resolve()
            if index.is_relative_to(base) and index.is_file():
                return index, True
            return None  # no directory listings
        if last and target.is_file():
            return target, False
    except (OSError, RuntimeError, ValueError):
        pass  # name too long, symlink loop, …: all just "not found"
    return None


def resolve_request_path(root: Path, raw_path: str) -> Path | None:
    """Map a raw (still percent-encoded) URL path to a file inside `root`, or None.

    The path is decoded exactly once. NUL and control characters, backslashes, empty, `.`
    and `..` segments, and any segment starting with "." are refused. The result is
    resolved and must stay inside `root.resolve()`, so symlinks out of the site are refused.
    A directory maps to its `index.html`; without one the answer is None (no listings).
    """
    found = resolve(root, raw_path)
    return found[0] if found else None


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _CONTENT_TYPES:
        return _CONTENT_TYPES[suffix]
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if guessed.startswith("text/"):
        guessed += "; charset=utf-8"
    return guessed


def strip_port(value: str) -> str | None:
    """`name[:port]` or `[v6][:port]` → the name part; None when malformed."""
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[: end + 1], value[end + 1 :]
    else:
        name, sep, port = value.partition(":")
        rest = sep + port
    if rest and not (rest.startswith(":") and rest[1:].isascii() and rest[1:].isdigit()):
        return None
    return name


def normalise_hosts(names: Iterable[str]) -> frozenset[str]:
    hosts: set[str] = set()
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        hosts.add(name)
        # Accept an IPv6 literal both bare and in brackets, as Host headers carry it bracketed.
        if name.startswith("[") and name.endswith("]"):
            hosts.add(name[1:-1])
        elif ":" in name:
            hosts.add(f"[{name}]")
    return frozenset(hosts)
