"""`check`: the site validated now and at every later moment it changes by itself.

A scheduled article appears, or one expires, with no push: the hourly rebuild publishes
whatever the content says at that hour. So `check` renders the site at each such moment
up to the last one and link-checks it, and names the moment in what it reports; a site
that passes `check` today cannot be broken by the clock tomorrow.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from .build import BuildOptions, BuildResult, Loaded, clock, load_for_check, render_at
from .errors import BuildFailed, Problem
from .index import SiteIndex
from .linkcheck import LinkOwners, ScanCache, check_links
from .models import ArticleMeta
from .register import Register
from .urls import Urls
from .vietnamese import format_datetime


@dataclass(frozen=True)
class CheckReport:
    result: BuildResult  # the site as it is now
    moments: tuple[dt.datetime, ...]  # the later moments that were checked too


def check_site(root: Path, options: BuildOptions | None = None) -> CheckReport:
    """Validate, render and link-check at now and each later change; raise BuildFailed."""
    options = options or BuildOptions()
    loaded = load_for_check(root, options)
    now = options.now or clock()
    moments = loaded.moments_after(now)
    temp = Path(tempfile.mkdtemp(prefix="ancongthuong-check-"))
    out = temp / "site"
    problems: dict[tuple[str, int, str, str], Problem] = {}
    cache = ScanCache()
    first: BuildResult | None = None
    try:
        for moment in [now, *moments]:
            try:
                result = render_at(loaded, moment, out)
            except BuildFailed as error:
                found = list(error.problems)
            else:
                first = first or result
                owners = link_owners(root, result.index, loaded.config.base_url, result.register)
                found = check_links(out, loaded.config.base_url, owners, cache)
            for problem in found:
                key = (problem.path, problem.line, problem.code, problem.message)
                if key not in problems:
                    problems[key] = problem if moment == now else _at(problem, loaded, moment)
    finally:
        loaded.body_of.close()
        shutil.rmtree(temp, ignore_errors=True)
    if problems:
        raise BuildFailed(list(problems.values()))
    assert first is not None
    return CheckReport(first, tuple(moments))


def _at(problem: Problem, loaded: Loaded, moment: dt.datetime) -> Problem:
    """The problem, saying at which future moment (and through which article) it appears."""
    events = []
    for article in loaded.articles:
        meta = article.meta
        if not isinstance(meta, ArticleMeta):
            continue
        if meta.date == moment:
            events.append(f'bài "content/{article.path}" được đăng')
        elif meta.expires == moment:
            events.append(f'bài "content/{article.path}" hết hạn')
    what = events[0] if events else "nội dung thay đổi"
    if len(events) > 1:
        what += f" (cùng {len(events) - 1} thay đổi khác)"
    return replace(problem, message=f"{problem.message} — khi {what} lúc {format_datetime(moment)}")


def link_owners(
    root: Path, index: SiteIndex | None, base_url: str, register: Register | None = None
) -> LinkOwners:
    """Output page → (content file, line of its body, its path); lead image → its line."""
    site_yaml = root / "site.yaml"
    text = (
        site_yaml.read_text(encoding="utf-8-sig", errors="replace") if site_yaml.is_file() else ""
    )
    owners = LinkOwners(site_yaml=text)
    if index is None:
        return owners
    urls = Urls(base_url)
    for document in register.listed if register else ():
        owners.pages[Urls.output_path(document.rel_url)] = (
            f"content/{document.path}",
            document.parsed.body_line,
            root / "content" / document.path,
        )
    for article in index.listed + index.unlisted + index.pages:
        label = f"content/{article.path}"
        owners.pages[Urls.output_path(article.rel_url)] = (
            label,
            article.parsed.body_line,
            root / "content" / article.path,
        )
        if article.meta.image:
            owners.images.setdefault(
                urls.rebase(article.meta.image), (label, article.parsed.line_of("image"))
            )
    return owners
