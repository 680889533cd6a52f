"""The one place that maps a page to its URL and its output file; honours base_url's path."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from urllib.parse import unquote, urlsplit

from .vietnamese import VN_TZ

_ALIAS_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")


class Urls:
    """Site-relative URLs look like "2024/02/slug/"; links add the base path ("/portal/")."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.base_path = urlsplit(self.base_url).path or "/"
        self.origin = self.base_url[: len(self.base_url) - len(self.base_path)]

    # -- pages ---------------------------------------------------------------------
    @staticmethod
    def article(date: dt.datetime, slug: str) -> str:
        local = date.astimezone(VN_TZ)
        return f"{local:%Y}/{local:%m}/{slug}/"

    @staticmethod
    def listing(kind: str, slug: str, page: int = 1) -> str:
        prefix = {"category": "chuyen-muc", "source": "nguon", "tag": "the"}[kind]
        base = f"{prefix}/{slug}/"
        return base if page == 1 else f"{base}trang/{page}/"

    @staticmethod
    def archive(year: int | None = None, page: int = 1) -> str:
        base = "luu-tru/" if year is None else f"luu-tru/{year}/"
        return base if page == 1 else f"{base}trang/{page}/"

    @staticmethod
    def page(slug: str, lang: str = "vi") -> str:
        """A static page; English pages (content/pages/en/) live under /en/."""
        return f"{slug}/" if lang == "vi" else f"{lang}/{slug}/"

    @staticmethod
    def category_feed(slug: str) -> str:
        return f"chuyen-muc/{slug}/feed.xml"

    # -- the documents register (content/van-ban/) -------------------------------
    DOCUMENT_FILTERS = {
        "type": "loai",
        "issuer": "co-quan",
        "year": "nam",
        "field": "linh-vuc",
        "status": "trang-thai",
    }

    @staticmethod
    def document(slug: str) -> str:
        return f"van-ban/{slug}/"

    @staticmethod
    def documents(kind: str = "", slug: str = "", page: int = 1) -> str:
        """The register ("van-ban/"), or one of its filtered listings ("van-ban/loai/<slug>/")."""
        base = f"van-ban/{Urls.DOCUMENT_FILTERS[kind]}/{slug}/" if kind else "van-ban/"
        return base if page == 1 else f"{base}trang/{page}/"

    DOCUMENT_DRAFTS = "van-ban/du-thao/"
    DOCUMENT_FEED = "van-ban/feed.xml"
    DOCUMENTS_CSS = "css/van-ban.css"

    @staticmethod
    def image_variant(original: str, width: int, key: str, suffix: str) -> str:
        """A processed image beside its original, named by content so it can be cached
        forever: "images/2024/02/anh.jpg" → "images/2024/02/anh-640.1a2b3c4d.webp"."""
        folder, _, name = original.rpartition("/")
        stem = name.rsplit(".", 1)[0]
        return (
            f"{folder}/{stem}-{width}.{key}.{suffix}"
            if folder
            else f"{stem}-{width}.{key}.{suffix}"
        )

    @staticmethod
    def static_file(link: str, base_path: str = "/") -> str | None:
        """The file under static/ a root-relative link names ("/files/a.pdf" → "files/a.pdf")."""
        if link.startswith(base_path) and not link.startswith("//"):
            path = unquote(urlsplit(link).path)[len(base_path) :]
            if path and ".." not in path.split("/") and "\\" not in path:
                return path
        return None

    HOME = ""
    FEED = "feed.xml"
    SITEMAP = "sitemap.xml"
    ROBOTS = "robots.txt"
    NOT_FOUND = "404.html"
    SEARCH = "tim-kiem/"
    SITE_MAP = "so-do-cong/"  # the HTML site map readers use (sitemap.xml is for robots)
    FEEDS = "rss/"
    SEARCH_INDEX = "tim-kiem/chi-muc/"  # a folder: see searchmerge.py
    SEARCH_INDEX_META = SEARCH_INDEX + "meta.json"  # what the search page fetches first
    # Files of static/ that every page, or one kind of page, loads.
    CSS = "css/style.css"
    PORTAL_JS = "js/portal.js"
    SEARCH_CSS = "css/search.css"
    SEARCH_JS = "js/search.js"

    # -- links and files -----------------------------------------------------------
    def link(self, rel_url: str) -> str:
        """Root-relative link for use in pages: "/portal/2024/02/slug/"."""
        return self.base_path + rel_url

    def absolute(self, rel_url: str) -> str:
        return self.base_url + rel_url

    def rebase(self, url: str) -> str:
        """Prefix a root-relative URL written by an editor ("/images/a.jpg") with the base path."""
        if url.startswith("/") and not url.startswith("//") and self.base_path != "/":
            return self.base_path + url[1:]
        return url

    @staticmethod
    def output_path(rel_url: str) -> str:
        """File written for a site-relative URL: folders get index.html."""
        if rel_url == "" or rel_url.endswith("/"):
            return rel_url + "index.html"
        return rel_url

    @staticmethod
    def alias_rel_url(alias: str) -> str | None:
        """Normalise an old URL to a site-relative one; None if it is not a safe local path."""
        path = urlsplit(alias).path if "://" in alias else alias
        path = path.strip()
        if not path or "\\" in path or "%" in path or "\x00" in path:
            return None
        segments = [s for s in path.split("/") if s]
        # No dot segment, nor a hidden name (.git/, .ancongthuong-site.json): never served.
        if not segments or any(s.startswith(".") or not _ALIAS_SEGMENT.match(s) for s in segments):
            return None
        joined = posixpath.join(*segments)
        if segments[-1].endswith((".html", ".htm")):
            return joined
        return joined + "/"
