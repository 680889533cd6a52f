"""After a build: every internal link, image and #anchor in the output resolves."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import Problem
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


def check_links(
    out: Path, base_url: str, sources: dict[str, tuple[str, int, Path]]
) -> list[Problem]:
    """Broken internal links in the built tree at `out`.

    `sources` maps an output path to (content file, body line, source path) so that a problem
    is reported at the line an editor can fix; generated pages are reported by output path.
    """
    urls = Urls(base_url)
    pages: dict[str, _PageScan] = {}
    for path in sorted(out.rglob("*.html")):
        scan = _PageScan()
        scan.feed(path.read_text(encoding="utf-8"))
        pages[path.relative_to(out).as_posix()] = scan
    problems: list[Problem] = []
    for rel, scan in pages.items():
        for link in sorted(set(scan.links)):
            target, fragment = _resolve(link, rel, urls)
            if target is None:
                continue  # external or not a page of ours
            file = out / target
            if file.is_dir():
                target = f"{target.rstrip('/')}/index.html".lstrip("/")
                file = out / target
            if not file.is_file():
                problems.append(_problem(rel, link, "không tồn tại", sources, out, urls))
            elif fragment and target in pages and fragment not in pages[target].ids:
                problems.append(
                    _problem(rel, link, f"không có mục #{fragment}", sources, out, urls)
                )
    return problems


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


def _problem(
    page: str,
    link: str,
    what: str,
    sources: dict[str, tuple[str, int, Path]],
    out: Path,
    urls: Urls,
) -> Problem:
    source = sources.get(page)
    if source is None:
        return Problem(f"{out.name}/{page}", 0, "E170", f'liên kết "{link}" {what}',
                       "sửa mẫu hoặc nội dung tạo ra liên kết này")  # fmt: skip
    path, body_line, file = source
    text = file.read_text(encoding="utf-8-sig", errors="replace") if file.is_file() else ""
    # The link as the editor wrote it: root-relative links were given the base path.
    written = "/" + link[len(urls.base_path) :] if link.startswith(urls.base_path) else link
    return Problem(path, locate(text, (written, link), body_line), "E170",
                   f'liên kết "{written}" {what}',
                   "sửa đường dẫn hoặc tạo trang/tệp mà nó trỏ tới")  # fmt: skip


def locate(text: str, needles: tuple[str, ...], default: int) -> int:
    """The 1-based line where one of `needles` first appears in a source text, else `default`."""
    for needle in needles:
        index = text.find(needle)
        if index >= 0:
            return text.count("\n", 0, index) + 1
    return default
