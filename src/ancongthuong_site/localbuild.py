"""A CLI build after an edit inside some articles, from the site kept by the last build.

When the only sources that changed since the last build are content files it read, and
their change stays inside their articles (`replan.local_change`: a body, a title, a
summary…), the site the last build loaded (`snapshot.py`) stands but for those articles:
each is parsed again and takes its old place in the index, the plan record names the
pages that show it (`replan.Replan`), and only those are planned, rendered and written,
through the same standby tree and atomic swap as any build (`render.write_site`). This is
what serve does in memory (livesite.py), across processes.

Anything else returns None and the build takes the long way, which decides for itself: a
new, deleted or renamed file, a change to site.yaml, a template or a static file, another
code version or options, a clock past a scheduled moment, an output or a cache that is
not the one the snapshot was made with, a file that does not parse, a page the plan
record cannot account for.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import stat
from collections.abc import Iterable
from pathlib import Path

from .cache import ParseCache
from .collisions import find_collisions
from .config import SiteConfig
from .docpages import DocumentPages
from .documents import parse_source
from .errors import BuildFailed, Problem
from .filecaches import TemplateCache
from .files import file_digest, is_markdown, read_bytes
from .history import moved_warnings, old_urls, urls_key, with_record
from .inputs import Inputs, fingerprint_of
from .layout import site_globals
from .loader import FileProblems, place
from .manifest import Signature
from .media import BodyReader
from .models import Article, ParsedFile, RenderTask
from .plan import Planner
from .pool import environment, renderer
from .quick import Sources, digests_of, racy, recorded
from .render import Incomplete, write_site
from .replan import Replan, card_digests, local_change, shared_digest, swapped_index
from .searchstate import SearchState
from .snapshot import SiteSnapshot, append, load, tie
from .stages import BuildOptions, BuildResult, Prepared
from .state import BuildRecord, EarlierUrls, PlanRecord, load_plan
from .urls import Urls
from .vietnamese import nfc

__all__ = ["local_build", "redirect_pages", "redirect_tasks"]

CONTENT = "content/"


def local_build(
    config: SiteConfig, out: Path, options: BuildOptions, sources: Sources, now: dt.datetime
) -> BuildResult | None:
    """The result of a build that only a local change required, or None (the long way)."""
    # A million objects read back at once: the collector would walk them over and over
    # (a third of the work), for cycles this short-lived build never makes in numbers.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _local_build(config, out, options, sources, now)
    finally:
        if options.last:
            gc.freeze()  # a last collection would walk a million objects for nothing
        if collecting:
            gc.enable()


def _local_build(
    config: SiteConfig, out: Path, options: BuildOptions, sources: Sources, now: dt.datetime
) -> BuildResult | None:
    root = config.root
    edited = _edited(root, out, options, sources, now)
    if edited is None or not edited[0]:
        return None
    found, signatures = edited
    snapshot = load(root, config, tie(root, out))
    if snapshot is not None:  # the site.yaml the snapshot was placed with, at this root
        config = dataclasses.replace(snapshot.config, root=config.root)
    plan = load_plan(root) if snapshot is not None else None
    if snapshot is None or plan is None or plan.settings != snapshot.settings:
        return None
    before = snapshot.parsed()
    if before.keys() != plan.sources.keys() or any(
        before[rel].digest != digest for rel, digest in plan.sources.items()
    ):
        return None  # the cache holds other versions than the plan record names
    parsed = _parse(root, snapshot, found, plan.sources)
    if not parsed:
        return None  # unreadable, not parsable, or saved as it was: the long way tells
    moment = now.timestamp()
    plan_sources = {rel: plan.sources[rel] for rel in parsed}  # the record is updated below
    digests = {**plan.sources, **{rel: p.digest for rel, p in parsed.items()}}
    local = local_change(
        plan, snapshot.settings, moment, digests, lambda rel, _d: before.get(rel), parsed
    )
    if not local:
        return None
    earlier = plan.earlier
    if options.redirect_moved and (
        earlier is None or not earlier.still(urls_key(root, config.content_dir), moment)
    ):
        return None
    cache = ParseCache.restore(root, snapshot.cache)
    # The compiled templates kept in the cache: compiling them costs more than the edit.
    environment(config.templates_dir, snapshot.templates, site_globals(config), TemplateCache(root))
    body_of = BodyReader(config, snapshot.markup, cache)
    body_of.media = snapshot.media  # type: ignore[assignment]
    try:
        prepared = _prepare(config, options, snapshot, plan, parsed, body_of, digests)
        if prepared is None:
            return None
        try:
            # The tree is the one the plan record lists (the snapshot's tie says so).
            known = (plan.files, signatures)
            result = write_site(config, out, prepared, options, known)
        except (Incomplete, BuildFailed):
            return None  # the long way makes the output right, or reports the problem
        cache.save()
    finally:
        body_of.close()
    if cache.broken:
        return result
    snapshot.index = prepared.index
    snapshot.cache, snapshot.tie = cache.state(), tie(root, out)
    append(root, snapshot, parsed, plan_sources)
    return result


def _edited(
    root: Path, out: Path, options: BuildOptions, sources: Sources, now: dt.datetime
) -> tuple[list[str], dict[str, Signature]] | None:
    """The content files (relative to content/) whose stats or bytes changed since the
    last build, when nothing else did, and the signatures of the output's files as that
    build recorded them; None when anything else changed."""
    record = recorded(root, out, options)
    if record is None:
        return None
    _key, taken_ns, entries, racy_digests, _urls, _marker, files, sigs, inputs = record
    seen = BuildRecord.from_json(inputs, len(files))
    if seen is None or not seen.valid_at(now.timestamp()):
        return None
    then = {entry[0]: entry for entry in entries}
    current = {entry[0]: entry for entry in sources.entries}
    if then.keys() != current.keys():
        return None  # a file added, deleted or renamed
    changed = {rel for rel, entry in current.items() if then[rel] != entry}
    # A file written in the clock tick of the recording may have changed with the same stats.
    again = digests_of(root, racy(entries, taken_ns))
    changed.update(rel for rel, digest in again.items() if racy_digests.get(rel) != digest)
    found = []
    for rel in sorted(changed):
        mode = current[rel][1]
        name = rel[len(CONTENT) :]
        if not rel.startswith(CONTENT) or not stat.S_ISREG(mode) or not is_markdown(rel):
            return None
        if nfc(name) != name:
            return None  # a name the walk and the build spell differently: the long way
        found.append(name)
    return found, dict(zip(files, sigs, strict=True))


def _parse(
    root: Path, snapshot: SiteSnapshot, found: list[str], recorded: dict[str, str]
) -> dict[str, ParsedFile] | None:
    """The changed files parsed again (those whose bytes changed)."""
    markup = renderer(snapshot.markup)
    parsed = {}
    for rel in found:
        if rel not in recorded:
            return None
        try:
            data = read_bytes(root / "content" / rel)
        except OSError:
            return None
        if file_digest(data) == recorded[rel]:
            continue  # touched, not changed
        try:
            parsed[rel] = parse_source(rel, data, markup)
        except FileProblems:
            return None
    return parsed


def _prepare(
    config: SiteConfig,
    options: BuildOptions,
    snapshot: SiteSnapshot,
    plan: PlanRecord,
    parsed: dict[str, ParsedFile],
    body_of: BodyReader,
    digests: dict[str, str],
) -> Prepared | None:
    """The tasks of the pages the change touches, as build._plan makes them for a local
    change; the parsed files go to the cache. None when the plan record cannot tell."""
    cache = body_of.cache
    assert cache is not None
    articles: dict[str, Article] = {}
    for rel, fresh in parsed.items():
        # Into the cache first, as a build does: pages read the body back from there.
        cache.used.pop((rel, plan.sources[rel]), None)
        try:
            placed = place(cache.put(fresh), config)
        except FileProblems:
            return None
        assert isinstance(placed, Article)  # local_change: only articles
        articles[rel] = placed
    index = snapshot.index
    published = {a.path: a for a in (*index.listed, *index.unlisted)}
    old = [published[rel] for rel in articles if rel in published]
    index = swapped_index(index, old, [articles[a.path] for a in old])
    media = snapshot.media
    planner = Planner(config, index, body_of, body_of.terms, media)  # type: ignore[arg-type]
    planner.search_state = SearchState(cache.folder, cache.stamp)
    documents = DocumentPages(planner, snapshot.register)
    documents.attach()
    redirects: list[RenderTask] = []
    moved: tuple[Problem, ...] = ()
    if options.redirect_moved and plan.earlier is not None:
        kept = (rel for rel, page in plan.pages.items() if page.template != "redirect.html")
        redirects, moved = redirect_tasks(planner, plan.earlier.old, kept)
    tasks = Replan(planner, plan, sorted(parsed)).tasks(planner.aliases() + redirects)
    if tasks is None:
        return None
    documents.link_bodies(tasks)
    static = [entry for entry in snapshot.static if entry[0] not in media.withheld]  # type: ignore[attr-defined]
    outputs = media.outputs  # type: ignore[attr-defined]
    if find_collisions(tasks, [rel for rel, _, _ in static + outputs]):
        return None  # the long way reports it
    drafts_future = (options.drafts, options.future)
    fingerprint = fingerprint_of(
        config, snapshot.templates, drafts_future, digests, snapshot.static
    )
    if options.redirect_moved:
        fingerprint = with_record(fingerprint, config.root)
    inputs = Inputs([], snapshot.static, snapshot.templates, [], fingerprint, None, digests)
    return Prepared(
        tasks,
        static,
        index,
        body_of,
        inputs,
        snapshot.register,
        media,  # type: ignore[arg-type]
        moved,
        snapshot.settings,
        shared_digest(planner.layout),
        card_digests(planner),
        plan,
        planner,
        plan.earlier,
    )


def redirect_pages(
    options: BuildOptions,
    articles: list[Article],
    planner: Planner,
    taken: Iterable[str],
    now: dt.datetime,
    earlier: EarlierUrls | None = None,
) -> tuple[list[RenderTask], tuple[Problem, ...], EarlierUrls | None]:
    """Pages at the URLs moved articles had, a warning for each moved article, and the
    answer they come from (`earlier`, when given, is reused if it still stands)."""
    if not options.redirect_moved:
        return [], (), None
    config = planner.config
    if earlier is None or not earlier.still(
        urls_key(config.root, config.content_dir), now.timestamp()
    ):
        earlier = old_urls(config.root, config.content_dir, articles, now)
    redirects, warnings = redirect_tasks(planner, earlier.old, taken)
    return redirects, warnings, earlier


def redirect_tasks(
    planner: Planner, old: dict[str, list[str]], taken: Iterable[str]
) -> tuple[list[RenderTask], tuple[Problem, ...]]:
    """Pages at the URLs moved articles had (`old`: file → its earlier URLs), but where
    another page is (`taken`), and a warning for each moved article."""
    index = planner.index
    published = index.listed + index.unlisted + index.pages
    aliases = {task.output_path for task in planner.aliases()}
    taken = {rel for rel in taken if rel not in aliases} | aliases
    redirects = [
        planner.redirect(article, rel)
        for article in published
        for rel in old.get(article.path, ())
        if Urls.output_path(rel) not in taken
    ]
    return redirects, moved_warnings(published, old, {t.output_path for t in redirects})
