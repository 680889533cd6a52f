"""The addresses articles had before: from git history of content/, else from .cache/.

An article's URL comes from its `date`, `slug` and file name; correcting any of them moves
it, and links from the press, search engines and other portals would die. Every earlier
version of a file in git (renames followed) says which URL it had, so a build on a fresh
CI runner with an empty cache still knows them; a site outside git falls back to the
URLs recorded by earlier builds in `.cache/`. A deleted file has no current page, so its
old addresses are simply gone: deleting an article on purpose stays possible.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import ContentError, Problem
from .files import decode
from .frontmatter import parse as parse_front_matter
from .loader import PAGES_DIR, page_lang
from .models import Article, ArticleMeta, Placed
from .signed import atomic_write, read_private, seal, unseal
from .state import EarlierUrls
from .urls import Urls
from .values import slug_of
from .vietnamese import parse_date

log = logging.getLogger(__name__)

CACHE_FILE = "published.json"
_GIT_TIMEOUT = 60


@dataclass(frozen=True)
class Version:
    """One earlier version of a content file: where it is now and the URL it had."""

    path: str  # relative to content/, the file's current name (renames followed)
    rel_url: str
    date: float  # when that version was (or would have been) published, as a timestamp
    draft: bool


def old_urls(
    root: Path, content_dir: Path, articles: list[Placed], now: dt.datetime
) -> EarlierUrls:
    """Current file path → earlier URLs that were published (not its current URL).

    A version counts once its date has passed and it was not a draft. The answer stands
    while git's HEAD and the record of published URLs stay the same, no article moves and
    the clock has not reached a version still to come (`EarlierUrls.until`).
    """
    git = _git_key(root, content_dir)
    record = _cached_rows(root)
    versions = _from_git(root, git) + _from_cache(root, checked=False, data=record)
    current = {a.path: a for a in articles}
    moved: dict[str, list[str]] = {}
    cutoff = now.timestamp()
    later = [v.date for v in versions if v.path in current and not v.draft and v.date > cutoff]
    for version in versions:
        article = current.get(version.path)
        if article is None or version.draft or version.date > cutoff:
            continue
        if version.rel_url == article.rel_url or version.rel_url in moved.get(article.path, []):
            continue
        if Urls.alias_rel_url(version.rel_url) == version.rel_url:  # only a safe local path
            moved.setdefault(article.path, []).append(version.rel_url)
    old = {path: sorted(urls) for path, urls in moved.items()}
    return EarlierUrls(_sources_key(git, record), min(later, default=None), old)


def urls_key(root: Path, content_dir: Path) -> tuple[str, ...]:
    """What `old_urls` reads the earlier versions from, as `EarlierUrls.key` holds it."""
    return _sources_key(_git_key(root, content_dir), _cached_rows(root))


def _sources_key(git: tuple[str, str, str] | None, record: bytes | None) -> tuple[str, ...]:
    recorded = hashlib.blake2b(record or b"", digest_size=16).hexdigest()
    return (*(git or ("", "", "")), recorded)


def remember(root: Path, articles: list[Placed], now: dt.datetime) -> None:
    """Record the URLs published by this build, for sites that are not in git."""
    known = {(v.path, v.rel_url): v for v in _from_cache(root)}
    for article in articles:
        meta = article.meta
        published = meta.date if isinstance(meta, ArticleMeta) else None  # pages: always
        if meta.draft or (published is not None and published > now):
            continue
        date = published.timestamp() if published else 0.0
        known.setdefault(
            (article.path, article.rel_url), Version(article.path, article.rel_url, date, False)
        )
    rows = sorted([v.path, v.rel_url, v.date] for v in known.values())
    data = json.dumps(rows).encode()
    if data == _cached_rows(root):
        return
    try:
        atomic_write(root / ".cache" / CACHE_FILE, seal(data))
    except OSError as error:
        log.info("published URLs not recorded: %s", error)


def with_record(fingerprint: str, root: Path) -> str:
    """A build's input fingerprint with the recorded URLs in it: they decide redirects."""
    record = _cached_rows(root) or b""
    return hashlib.blake2b(fingerprint.encode() + b"\0" + record, digest_size=16).hexdigest()


def _cached_rows(root: Path) -> bytes | None:
    try:
        return unseal(read_private(root / ".cache" / CACHE_FILE))
    except OSError:
        return None


def _from_cache(root: Path, *, checked: bool = True, data: bytes | None = None) -> list[Version]:
    """The recorded URLs (`data`: the record, when already read); `checked=False` leaves
    checking each URL to the caller (10,000 checks cost 0.15 s where only the few that
    moved are used)."""
    data = _cached_rows(root) if data is None else data
    try:
        rows = json.loads(data) if data is not None else []
        return [
            Version(str(p), str(u), float(d), False)
            for p, u, d in rows
            if not checked or Urls.alias_rel_url(str(u)) == u
        ]
    except (OSError, ValueError, TypeError):
        return []


def moved_warnings(
    articles: tuple[Article, ...], old: dict[str, list[str]], redirected: set[str]
) -> tuple[Problem, ...]:
    """One W171 per moved article: what happened and how to say it in the file."""
    warnings = []
    for article in articles:
        urls = [u for u in old.get(article.path, ()) if Urls.output_path(u) in redirected]
        if not urls:
            continue
        listed = ", ".join(f'"/{u}"' for u in urls)
        key = "slug" if "slug" in dict(article.parsed.key_lines) else "date"
        warnings.append(
            Problem(
                f"content/{article.path}",
                article.parsed.line_of(key),
                "W171",
                f'địa chỉ của bài đã đổi: {listed} → "/{article.rel_url}"; địa chỉ cũ tự chuyển'
                " hướng sang địa chỉ mới",
                f"để ghi rõ, thêm dòng aliases: [{listed}] vào phần khai báo",
            )
        )
    return tuple(sorted(warnings))


# -- git ----------------------------------------------------------------------------------------


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            input=stdin,
            capture_output=True,
            timeout=_GIT_TIMEOUT,
            check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _git_key(root: Path, content_dir: Path) -> tuple[str, str, str] | None:
    """(top folder, HEAD commit, content/'s place in it), or None outside git."""
    found = _git(root, "rev-parse", "--show-toplevel", "HEAD")
    if found is None or len(found.split(b"\n")) < 2:
        return None  # not in git, or no commit yet
    top, head = found.split(b"\n")[:2]
    toplevel = Path(os.fsdecode(top.strip()))
    try:
        prefix = content_dir.resolve().relative_to(toplevel.resolve()).as_posix() + "/"
    except ValueError:
        return None
    return (str(toplevel), head.decode(), prefix)


def _from_git(root: Path, key: tuple[str, str, str] | None) -> list[Version]:
    """Every committed version of every content file, by its current name."""
    if key is None:
        return []
    if key not in _seen:  # check plans the site at several moments: read git once
        _seen.clear()
        _seen[key] = _versions(root, key[2])
    return _seen[key]


_seen: dict[tuple[str, str, str], list[Version]] = {}


def _versions(root: Path, prefix: str) -> list[Version]:
    log_out = _git(
        root, "log", "-M", "--raw", "--no-abbrev", "-z", "--format=", "HEAD", "--", prefix
    )
    if not log_out:
        return []
    renamed: dict[str, str] = {}  # older name → newer name
    blobs: list[tuple[str, str]] = []  # (path then, blob)
    fields = log_out.split(b"\0")
    i = 0
    while i < len(fields):
        head = fields[i].decode("utf-8", "replace").lstrip("\n")
        if not head.startswith(":"):
            i += 1
            continue
        parts = head.split()
        blob, status = parts[3], parts[4]
        if status[0] in "RC":
            old, new = (os.fsdecode(fields[i + 1]), os.fsdecode(fields[i + 2]))
            if status[0] == "R":
                renamed.setdefault(old, new)  # newest first: the latest rename of a name wins
            path, i = new, i + 3
        else:
            path, i = os.fsdecode(fields[i + 1]), i + 2
        if status[0] != "D" and path.endswith(".md") and path.startswith(prefix):
            blobs.append((path, blob))
    texts = _read_blobs(root, sorted({blob for _, blob in blobs}))
    versions = []
    for path, blob in blobs:
        now_name = _follow(path, renamed)
        version = _version(now_name[len(prefix) :], path[len(prefix) :], texts.get(blob))
        if version is not None:
            versions.append(version)
    return versions


def _follow(path: str, renamed: dict[str, str]) -> str:
    seen = {path}
    while path in renamed and renamed[path] not in seen:
        path = renamed[path]
        seen.add(path)
    return path


def _read_blobs(root: Path, blobs: list[str]) -> dict[str, bytes]:
    if not blobs:
        return {}
    out = _git(root, "cat-file", "--batch", stdin="".join(f"{b}\n" for b in blobs).encode())
    found: dict[str, bytes] = {}
    position = 0
    while out and position < len(out):
        end = out.index(b"\n", position)
        header = out[position:end].split()
        position = end + 1
        if len(header) != 3:
            continue  # "<name> missing"
        size = int(header[2])
        found[header[0].decode()] = out[position : position + size]
        position += size + 1
    return found


def _version(path: str, then: str, data: bytes | None) -> Version | None:
    """The URL a version had (its name then decides the default slug), or None if unreadable."""
    if data is None:
        return None
    try:
        front = parse_front_matter(decode(then, data), then)
        fields = front.data
        draft = fields.get("draft") is True
        slug = slug_of(then, fields.get("slug") or None)
        if not slug:
            return None
        if then.startswith(PAGES_DIR + "/"):
            return Version(path, Urls.page(slug, page_lang(then)), 0.0, draft)
        date = parse_date(str(fields["date"]))
    except (ContentError, KeyError, ValueError, TypeError):
        return None  # an old version that does not parse had no URL
    return Version(path, Urls.article(date, slug), date.timestamp(), draft)
