"""Images and attachments in the build: which static files pages use, their derivatives
(cached in .cache/images/, made in the worker pool), and what pages need to show them.

Photos under static/images/ are editors' camera files: they are published only as
processed derivatives (resized, upright, without EXIF/GPS), plus a clean full-size copy at
the original's address when an article links to it (`[Tải ảnh gốc](/images/…jpg)`) or
lists it as an attachment. Every other static file is a site asset, copied as it is.
"""

from __future__ import annotations

import functools
import hashlib
import html
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .attachments import FILE_TYPES, describe, extension
from .cache import CACHE_DIR, ParseCache
from .config import SiteConfig
from .documents import parse_source
from .errors import BuildFailed, Problem, problem_order
from .files import locate, read_bytes
from .imagecache import IMAGE_DIGEST, ImageCache, file_size
from .images import (
    RASTER_SUFFIXES,
    ImageProblem,
    ImageSettings,
    Processed,
    process,
)
from .loader import FileProblems
from .markup import MarkupSettings
from .models import Article, Meta, PageMeta, ParsedFile, Placed
from .picture import picture_html
from .pool import map_in_order, renderer
from .urls import Urls

log = logging.getLogger(__name__)
PHOTO_DIR = "images/"  # static/images/: editors' photos, never published as they are
_FALLBACK_WIDTH = 960  # the <img src> for browsers without srcset, and for feed readers
# The stylesheet's colour for each kind of attached file (the badge shows the extension).
_ICONS = {
    "pdf": "pdf",
    "doc": "word",
    "docx": "word",
    "odt": "word",
    "xls": "excel",
    "xlsx": "excel",
}

Place = tuple[str, int]  # (content file label, line)


def is_raster(rel: str) -> bool:
    return rel.lower().endswith(RASTER_SUFFIXES)


@dataclass
class Media:
    """What pages need to know about the static files they show or link to."""

    urls: Urls
    images: dict[str, dict[str, Any]] = field(default_factory=dict)  # static rel → markup data
    sizes: dict[str, int] = field(default_factory=dict)  # static rel → published size in bytes
    # (output rel, cache file, manifest digest): shaped like the static files' entries
    outputs: list[tuple[str, Path, str]] = field(default_factory=list)
    withheld: set[str] = field(default_factory=set)  # static files not copied as they are
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    decoded: int = 0  # originals decoded by this build (0 when nothing changed)
    reused: int = 0

    def image(self, url: str) -> dict[str, Any] | None:
        """Markup data of a local image as an editor wrote its address; None if not ours."""
        rel = Urls.static_file(url)
        return self.images.get(rel) if rel else None

    def attachments(self, parsed: ParsedFile) -> list[dict[str, str]]:
        items = []
        meta = parsed.meta
        for target, title in meta.attachments if isinstance(meta, Meta) else ():
            rel = Urls.static_file(target)
            name = target.rstrip("/").rsplit("/", 1)[-1]
            ext = extension(target)
            items.append(
                {
                    "url": self.urls.rebase(target),
                    "title": title or name,
                    "hint": describe(ext, self.sizes.get(rel) if rel else None),
                    "icon": _ICONS.get(ext, "file"),
                    "badge": (ext or "tệp").upper()[:4],
                }
            )
        return items

    def body_key(self, parsed: ParsedFile) -> str:
        """Stands for the media a body shows, so its page is rendered again when they change."""
        used = [self.image(src) for src, _, _ in parsed.images]
        hints = [self._hint(href) for href, _ in parsed.links]
        if not any(used) and not any(hints):
            return ""
        return hashlib.blake2b(repr((used, hints)).encode(), digest_size=12).hexdigest()

    def _hint(self, href: str) -> str:
        rel = Urls.static_file(href)
        if rel is None or rel not in self.sizes or extension(rel) not in FILE_TYPES:
            return ""
        return describe(extension(rel), self.sizes[rel])

    def rewrite(self, parsed: ParsedFile, body: str) -> str:
        """Body HTML with its local images as <picture>s and size hints after file links."""
        if not parsed.images and not parsed.links:
            return body
        by_src = {self.urls.rebase(src): self.image(src) for src, _, _ in parsed.images}
        hints = {self.urls.rebase(href): self._hint(href) for href, _ in parsed.links}

        def image(match: re.Match[str]) -> str:
            attrs = {k: html.unescape(v) for k, v in _ATTRIBUTE.findall(match.group(1))}
            src = attrs.get("src", "")
            alt = attrs.get("alt") or attrs.get("title", "")
            return str(picture_html(by_src.get(src), src, alt, "column"))

        def link(match: re.Match[str]) -> str:
            hint = hints.get(html.unescape(match.group(1)))
            if not hint:
                return match.group(0)
            return f'{match.group(0)} <span class="file-hint">({html.escape(hint)})</span>'

        body = _IMAGE.sub(image, body) if parsed.images else body
        return _LINK.sub(link, body) if any(hints.values()) else body


# The sanitizer writes every attribute double-quoted and escaped, so these are exact.
_IMAGE = re.compile(r"<img\b([^>]*)>")
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')
_LINK = re.compile(r'<a\b[^>]*?\bhref="([^"]*)"[^>]*>.*?</a>', re.DOTALL)


# -- bodies as pages show them ----------------------------------------------------------


class BodyReader:
    """Bodies and search terms: from the parse, else the cache, else the file parsed again;
    closed when the build ends (it keeps the cache's pack file open between reads)."""

    def __init__(
        self, config: SiteConfig, settings: MarkupSettings, cache: ParseCache | None
    ) -> None:
        self.config, self.settings, self.cache = config, settings, cache
        self.media: Media | None = None  # set once images are known: bodies show them

    def __call__(self, parsed: ParsedFile, field: str = "body_html") -> str:
        value = getattr(parsed, field)
        if value is None and self.cache:
            value = self.cache.body(parsed) if field == "body_html" else self.cache.terms(parsed)
        if value is None:
            data = read_bytes(self.config.content_dir / parsed.path)
            try:
                value = getattr(parse_source(parsed.path, data, renderer(self.settings)), field)
            except FileProblems as error:  # the file changed during the build
                raise BuildFailed(error.problems) from None
        if field == "body_html" and self.media:
            return self.media.rewrite(parsed, value)
        return value

    terms = functools.partialmethod(__call__, field="search_terms")

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()


# -- the build step ---------------------------------------------------------------------------


def prepare_media(
    config: SiteConfig,
    static: Iterable[tuple[str, Path, str]],
    articles: Iterable[Article],
    *,
    jobs: int | None,
    use_cache: bool,
    settings: ImageSettings | None = None,
) -> Media:
    """Find the static files pages use, make (or reuse) image derivatives, check both."""
    settings = settings or ImageSettings()
    urls = Urls(config.base_url)
    media = Media(urls)
    files = {rel: (path, digest) for rel, path, digest in static}
    uses: dict[str, list[tuple[Place, bool]]] = {}  # shown as an image: (place, has alt)
    linked: dict[str, list[Place]] = {}  # linked to as a file: its original is published
    for article in articles:
        _collect(config.content_dir, article, files, uses, linked, media)
    cache = ImageCache(config.root, settings) if use_cache else None
    wanted = sorted(rel for rel in set(uses) | set(linked) if is_raster(rel))
    results = _process_all(config, files, wanted, set(linked), cache, settings, jobs, media)
    if cache:
        cache.save()
    assets = _asset_text(config)
    for rel, _path in ((r, p) for r, (p, _d) in files.items()):
        if is_raster(rel) and rel.startswith(PHOTO_DIR) and f"/{rel}" not in assets:
            media.withheld.add(rel)
        elif rel not in media.sizes:
            media.sizes[rel] = file_size(_path)
    for rel, outcome in results.items():
        places = [place for place, _ in uses.get(rel, [])] + linked.get(rel, [])
        if isinstance(outcome, ImageProblem):
            for label, line in places or [(f"static/{rel}", 0)]:
                media.problems.append(
                    Problem(
                        label, line, outcome.code, f'ảnh "/{rel}": {outcome.message}', outcome.hint
                    )
                )
            continue
        processed, folder, key = outcome
        _publish(rel, processed, folder, key, rel in linked, media)
        _warn(config, rel, files[rel][0], processed, places, media)
    media.warnings.sort(key=problem_order)  # by file and line, as errors are
    return media


def _asset_text(config: SiteConfig) -> str:
    """site.yaml, the templates and the stylesheets: images they name (a logo, a banner)
    are the site's own and are published as they are, wherever they live."""
    parts = []
    for folder, pattern in (
        (config.root, "site.yaml"),
        (config.templates_dir, "*"),
        (config.static_dir, "**/*.css"),
    ):
        for path in sorted(folder.glob(pattern)):
            if path.is_file() and not path.is_symlink():
                parts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def _line_of(path: Path, needle: str, default: int) -> int:
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return default
    return locate(text, (needle,), default)


def _collect(
    content_dir: Path,
    article: Placed,
    files: dict[str, tuple[Path, str]],
    uses: dict[str, list[tuple[Place, bool]]],
    linked: dict[str, list[Place]],
    media: Media,
) -> None:
    parsed, meta = article.parsed, article.meta
    label = f"content/{parsed.path}"
    shown = [(meta.image, parsed.line_of("image"), bool(meta.image_alt or meta.image_caption))]
    leaders = meta.leaders if isinstance(meta, PageMeta) else ()
    # A leader's photo has the person's name as its alt text.
    shown += [
        (dict(person).get("photo", ""), parsed.line_of("leaders"), True) for person in leaders
    ]
    for src, line, has_alt in [*shown, *parsed.images]:
        if src and not has_alt:
            media.warnings.append(
                Problem(
                    label,
                    line,
                    "W199",
                    f'ảnh "{src}" chưa có mô tả (alt)',
                    "ảnh đại diện: thêm image_alt hoặc image_caption; ảnh trong bài: "
                    "ghi mô tả trong ![mô tả](…)",
                )
            )
        rel = Urls.static_file(src) if src else None
        if rel in files:
            uses.setdefault(rel, []).append(((label, line), has_alt))
    for href, line in parsed.links:
        rel = Urls.static_file(href)
        if rel in files and is_raster(rel):
            linked.setdefault(rel, []).append((label, line))
    for target, _title in meta.attachments:
        rel = Urls.static_file(target)
        if rel is None:
            continue  # an https URL: nothing to check here
        if rel not in files:
            line = _line_of(content_dir / parsed.path, target, parsed.line_of("attachments"))
            media.problems.append(
                Problem(
                    label,
                    line,
                    "E170",
                    f'tệp đính kèm "{target}" không tồn tại',
                    f"đặt tệp vào static/{rel} hoặc sửa đường dẫn",
                )
            )
        elif is_raster(rel):
            linked.setdefault(rel, []).append((label, line))


def _process_all(
    config: SiteConfig,
    files: dict[str, tuple[Path, str]],
    wanted: list[str],
    linked: set[str],
    cache: ImageCache | None,
    settings: ImageSettings,
    jobs: int | None,
    media: Media,
) -> dict[str, ImageProblem | tuple[Processed, Path, str]]:
    results: dict[str, ImageProblem | tuple[Processed, Path, str]] = {}
    todo: list[tuple[str, str, str, bool]] = []
    scratch = config.root / CACHE_DIR / "images"
    for rel in wanted:
        path, digest = files[rel]
        key = hashlib.blake2b(f"{digest}|{settings.key()}".encode(), digest_size=4).hexdigest()
        want_original = rel in linked and rel.startswith(PHOTO_DIR)
        hit = cache.get(key, want_original) if cache else None
        if hit is not None:
            results[rel] = (hit, scratch / key, key)
            media.reused += 1
        else:
            todo.append((rel, str(path), str(scratch / key), want_original))
    folders = {item[0]: Path(item[2]) for item in todo}
    for rel, outcome in map_in_order(
        _init_worker, (settings,), _process_one, todo, len(todo), jobs, threshold=2
    ):
        if isinstance(outcome, tuple):
            results[rel] = ImageProblem(*outcome)
            continue
        key = folders[rel].name
        results[rel] = (outcome, folders[rel], key)
        media.decoded += int(outcome.decoded)
        if cache:
            cache.put(key, outcome)
    for rel in wanted:  # keep the order of `wanted` (deterministic outputs)
        results[rel] = results.pop(rel)
    return results


_worker_settings: ImageSettings | None = None


def _init_worker(settings: ImageSettings) -> None:
    global _worker_settings
    _worker_settings = settings


def _process_one(
    item: tuple[str, str, str, bool],
) -> tuple[str, Processed | tuple[str, str, str]]:
    assert _worker_settings is not None
    rel, path, folder, want_original = item
    try:
        data = read_bytes(Path(path))
        return rel, process(data, Path(folder), _worker_settings, want_original)
    except ImageProblem as problem:
        return rel, (problem.code, problem.message, problem.hint)
    except OSError as error:
        return rel, ("E198", f"không đọc được tệp ảnh: {error.strerror or error}", "")


def _publish(
    rel: str, processed: Processed, folder: Path, key: str, linked: bool, media: Media
) -> None:
    urls = media.urls
    links: dict[str, list[tuple[int, str]]] = {}
    for variant in processed.variants:
        suffix = variant.name.rsplit(".", 1)[-1]
        out = Urls.image_variant(rel, variant.width, key, suffix)
        media.outputs.append((out, folder / variant.name, IMAGE_DIGEST + variant.digest))
        links.setdefault(variant.format, []).append((variant.width, urls.link(out)))
    if linked and processed.original and rel.startswith(PHOTO_DIR):
        media.outputs.append(
            (rel, folder / processed.original, IMAGE_DIGEST + processed.original_digest)
        )
        media.sizes[rel] = file_size(folder / processed.original)
    largest = processed.variants[-1]
    fallback_format = next(f for f in ("jpeg", "png", "gif") if f in links)
    fallback = links[fallback_format]
    chosen = [link for width, link in fallback if width <= _FALLBACK_WIDTH] or [fallback[0][1]]
    media.images[rel] = {
        "kind": processed.kind,
        "width": largest.width,
        "height": largest.height,
        "src": chosen[-1],
        "largest": fallback[-1][1],
        "webp": ", ".join(f"{link} {width}w" for width, link in links.get("webp", [])),
        "fallback": ", ".join(f"{link} {width}w" for width, link in fallback),
    }


def _warn(
    config: SiteConfig,
    rel: str,
    path: Path,
    processed: Processed,
    places: list[Place],
    media: Media,
) -> None:
    label, line = places[0] if places else (f"static/{rel}", 0)
    size = file_size(path)
    megapixels = processed.width * processed.height / 1_000_000
    limit_mb, limit_mp = config.image_warn_mb, config.image_warn_megapixels
    if size > limit_mb * 1_000_000 or megapixels > limit_mp:
        media.warnings.append(
            Problem(
                label,
                line,
                "W198",
                f'ảnh gốc "/{rel}" lớn ({size / 1_000_000:.1f} MB, {megapixels:.0f} triệu điểm ảnh; '
                f"giới hạn {limit_mb} MB, {limit_mp} triệu điểm ảnh)",
                "thu nhỏ ảnh trước khi đưa lên (ví dụ chiều rộng 4000 điểm ảnh, chất lượng 85)",
            )
        )
