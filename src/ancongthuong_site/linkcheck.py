"""After a build: every internal link, image and #anchor in the output resolves."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import Problem
from .files import locate
from .urls import Urls

_LINK_ATTRIBUTES = {"a": "href", "link": "href", "img": "src", "script": "src", "iframe": "src"}


class _PageScan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        if tag == "a" and values.get("name"):
            self.ids.add(values["name"] or "")
        wanted = _LINK_ATTRIBUTES.get(tag)
        if wanted and values.get(wanted):
            if tag == "link" and values.get("rel") not in ("stylesheet", "icon", "alternate"):
                return
            self.links.append(values[wanted] or "")


@dataclass
class LinkOwners:
    """Who wrote a link, so that a broken one is reported where an editor can fix it.

    `pages` maps an output page to (content file, body line, source path); `images` maps a
    lead image link to (content file, line of its `image:` key): the image appears on the
    article, the home page and every listing that shows the article, but it is one
    mistake at one line.
    """

    pages: dict[str, tuple[str, int, Path]] = field(default_factory=dict)
    images: dict[str, tuple[str, int]] = field(default_factory=dict)
    site_yaml: str = ""  # its text: a menu or footer link is reported at its line there


@dataclass
class ScanCache:
    """Scans of pages by (inode, mtime, size): a page unchanged between two checks of one
    folder (at two moments) is not parsed again."""

    scans: dict[str, tuple[tuple[int, int, int], _PageScan]] = field(default_factory=dict)

    def scan(self, path: Path, rel: str) -> _PageScan:
        info = path.stat()
        key = (info.st_ino, info.st_mtime_ns, info.st_size)
        found = self.scans.get(rel)
        if found is not None and found[0] == key:
            return found[1]
        scan = _PageScan()
        scan.feed(path.read_text(encoding="utf-8"))
        self.scans[rel] = (key, scan)
        return scan


def check_links(
    out: Path, base_url: str, owners: LinkOwners | None = None, cache: ScanCache | None = None
) -> list[Problem]:
    """Broken internal links in the built tree at `out`, each reported once at its source.

    A link no content file explains comes from a template or site.yaml; it is reported by
    the page's address, never by the folder it was checked in.
    """
    owners = owners or LinkOwners()
    cache = cache or ScanCache()
    urls = Urls(base_url)
    pages: dict[str, _PageScan] = {}
    for path in sorted(out.rglob("*.html")):
        rel = path.relative_to(out).as_posix()
        pages[rel] = cache.scan(path, rel)
    problems: set[Problem] = set()
    shared: dict[tuple[str, str], list[str]] = {}  # (link, what) → pages the template put it on
    for rel, scan in pages.items():
        for link in sorted(set(scan.links)):
            what = _broken(link, rel, pages, out, urls)
            if what is None:
                continue
            written = _as_written(link, urls)
            problem = _content_problem(rel, link, written, what, owners)
            if problem is None:
                shared.setdefault((written, what), []).append(rel)
            else:
                problems.add(problem)
    for (written, what), on_pages in shared.items():
        problems.add(_template_problem(written, what, on_pages, owners))
    return sorted(problems)


def _broken(link: str, rel: str, pages: dict[str, _PageScan], out: Path, urls: Urls) -> str | None:
    """What is wrong with `link` on page `rel`, or None if it resolves (or is not ours)."""
    target, fragment = _resolve(link, rel, urls)
    if target is None:
        return None  # external or not a page of ours
    if target not in pages:
        file = out / target
        if _mode(file, stat.S_ISDIR):
            target = f"{target.rstrip('/')}/index.html".lstrip("/")
            file = out / target
        if target not in pages and not _mode(file, stat.S_ISREG):
            return "không tồn tại"
    if fragment and target in pages and fragment not in pages[target].ids:
        return f"không có mục #{fragment}"
    return None


def _mode(path: Path, test: Callable[[int], bool]) -> bool:
    """Whether the path exists and passes `test`; a name too long (a link with a segment
    over 255 bytes) or otherwise impossible simply does not exist."""
    try:
        return test(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _resolve(link: str, page: str, urls: Urls) -> tuple[str | None, str]:
    parts = urlsplit(link)
    if parts.scheme or parts.netloc:
        if not link.startswith(urls.base_url):
            return None, ""
        parts = urlsplit(link[len(urls.origin) :])
    fragment = unquote(parts.fragment)
    if not parts.path:
        return page, fragment
    path = unquote(parts.path)
    if path.startswith("/"):
        if not path.startswith(urls.base_path):
            return path.lstrip("/") or "index.html", fragment  # outside the base: still ours
        relative = path[len(urls.base_path) :]
    else:
        folder = page.rpartition("/")[0]
        relative = f"{folder}/{path}" if folder else path
    segments: list[str] = []
    for segment in relative.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    joined = "/".join(segments)
    if relative.endswith("/") or not joined:
        joined = f"{joined}/index.html" if joined else "index.html"
    return joined, fragment


def _as_written(link: str, urls: Urls) -> str:
    """The link as the editor wrote it: root-relative links were given the base path."""
    return "/" + link[len(urls.base_path) :] if link.startswith(urls.base_path) else link


def _content_problem(
    page: str, link: str, written: str, what: str, owners: LinkOwners
) -> Problem | None:
    """The problem at the content line that wrote the link; None if no content file did."""
    image = owners.images.get(link)
    if image is not None:
        hint = "sửa đường dẫn ở dòng image: hoặc thêm tệp ảnh vào static/"
        return Problem(image[0], image[1], "E170", f'ảnh "{written}" {what}', hint)
    source = owners.pages.get(page)
    if source is None:
        return None
    path, _, file = source
    text = file.read_text(encoding="utf-8-sig", errors="replace") if file.is_file() else ""
    line = locate(text, (written, link, unquote(written)), 0)
    if not line:
        return None  # on an article's page, but put there by the template or the menu
    hint = "sửa đường dẫn hoặc tạo trang/tệp mà nó trỏ tới"
    return Problem(path, line, "E170", f'liên kết "{written}" {what}', hint)


def _template_problem(written: str, what: str, pages: list[str], owners: LinkOwners) -> Problem:
    """One problem for a link the templates or site.yaml put on many pages: at its line in
    site.yaml when it is written there, else at the first page that shows it."""
    addresses = sorted("/" + page.removesuffix("index.html") for page in pages)
    where = (
        f"có trên {len(addresses)} trang" if len(addresses) > 1 else f"trên trang {addresses[0]}"
    )
    message = f'liên kết "{written}" {what} ({where})'
    line = locate(owners.site_yaml, (f'"{written}"', f"'{written}'", f" {written}\n"), 0)
    if line:
        hint = "sửa địa chỉ này (menu hoặc chân trang) trong site.yaml, hoặc tạo trang nó trỏ tới"
        return Problem("site.yaml", line, "E170", message, hint)
    hint = "liên kết này do mẫu (templates/) tạo ra: sửa ở đó"
    return Problem(f"trang {addresses[0]}", 0, "E170", message, hint)
