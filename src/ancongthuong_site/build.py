"""`build()`: config → load → index → plan → render → write. The only orchestrator."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from .cache import ParseCache, code_version
from .collisions import find_collisions
from .config import SiteConfig, load_config
from .docpages import DocumentPages
from .errors import BuildFailed, Problem, cannot_read
from .filecaches import TemplateCache
from .files import read_bytes
from .history import remember, urls_key, with_record
from .index import SiteIndex, build_index
from .inputs import Inputs, read_inputs, unchanged
from .layout import site_globals
from .loader import load_all, rejected_problems
from .localbuild import local_build, redirect_pages
from .manifest import MARKER
from .markup import MarkupSettings
from .media import BodyReader, prepare_media
from .models import Article, Document, ParsedFile
from .plan import NEEDED_TEMPLATES, Planner
from .pool import environment, parse_all
from .quick import Sources, clock, kept_result, remember_output
from .register import (
    Register,
    build_register,
    document_moments,
    place_documents,
    register_problems,
)
from .render import Incomplete, write_site
from .replan import Replan, card_digests, local_change, settings_digest, shared_digest
from .searchstate import SearchState
from .snapshot import keep_site
from .stages import BuildOptions, BuildResult, Prepared, Session, report
from .state import PlanRecord, load_plan
from .templating import check_templates, page_ids
from .writer import locked_output, mirror_standby

__all__ = [
    "BuildOptions",
    "BuildResult",
    "Loaded",
    "Session",
    "build",
    "clock",
    "load_for_check",
    "render_at",
]

log = logging.getLogger(__name__)


def build(root: Path, options: BuildOptions | None = None) -> BuildResult:
    """Build the site at `root` into its output folder, or raise BuildFailed / RefusedError."""
    options = options or BuildOptions()
    sources = Sources.take(root) if options.use_cache and options.session is None else None
    config = load_config(root)
    with locked_output(root, options.out or root / "_site", force=options.force) as out:
        now = options.now or clock()
        if sources is not None:  # an edit inside some articles: from the last build's site
            result = local_build(config, out, options, sources, now)
            if result is not None and result.record and result.signatures is not None:
                remember_output(root, options, sources, result.record, result.signatures)
                return result
        inputs = read_inputs(
            config,
            use_cache=options.use_cache,
            drafts=options.drafts,
            future=options.future,
            walked=sources.entries if sources else None,
        )
        base = inputs.fingerprint
        if options.redirect_moved:  # the URLs earlier builds published decide redirects
            inputs.fingerprint = with_record(base, root)
        seen = unchanged(out, inputs, now)
        if seen is not None:
            record, signatures = seen
            result = kept_result(out, record, now)
        else:
            result = _rebuild(config, out, options, inputs, now, base)
            record, signatures = result.record, result.signatures
        if sources is not None and record is not None and signatures is not None:
            remember_output(root, options, sources, record, signatures)
        try:
            if options.standby:
                mirror_standby(out)
        except OSError as error:  # only the next build's speed depends on it
            log.warning("the standby tree cannot be prepared: %s", error)
        return result


def _rebuild(
    config: SiteConfig,
    out: Path,
    options: BuildOptions,
    inputs: Inputs,
    now: dt.datetime,
    fingerprint: str,
) -> BuildResult:
    """Load, plan (only what a local change touches, when it is one), render, write."""
    # A plan record describes the output it was made with: with no output (a CI run that
    # restored the cache) it cannot save any work, only hold memory.
    kept = options.session is not None or (out / MARKER).is_file()
    previous = _previous_plan(config, options) if kept else None
    loaded = _load(config, options, inputs, previous)
    try:
        local = loaded.local_change(previous, now)
        if local is None:
            previous = None  # every page is planned: the record is of no more use
        prepared = _plan(loaded, now, previous, local)
        # A local change moves no URL: the URLs recorded by the build before stand (and a
        # record that lost any would change the redirect pages: then every page is planned).
        if options.redirect_moved and prepared.base is None:
            index = prepared.index
            remember(config.root, [*index.listed, *index.unlisted, *index.pages], now)
            inputs.fingerprint = with_record(fingerprint, config.root)
            if prepared.earlier is not None:  # the URLs just recorded move no article
                key = urls_key(config.root, config.content_dir)
                earlier = dataclasses.replace(prepared.earlier, key=key)
                prepared = dataclasses.replace(prepared, earlier=earlier)
        try:
            result = write_site(config, out, prepared, options)
        except Incomplete:  # the output is not what the record says: plan every page
            prepared = _plan(loaded, now)
            result = write_site(config, out, prepared, options)
        if options.session is not None:
            options.session.keep(loaded, prepared)
    finally:
        loaded.body_of.close()
    if options.session is None and options.use_cache and options.standby:
        # Every page's task is let go first: the snapshot is written at the build's peak.
        body_of = loaded.body_of
        kept = dataclasses.replace(prepared, tasks=[])
        keep_site(config, loaded.inputs, body_of.settings, body_of.cache, kept, out)
    return result


def _previous_plan(config: SiteConfig, options: BuildOptions) -> PlanRecord | None:
    if not options.use_cache:
        return None
    session = options.session
    if session is not None and not session.first:
        return session.plan  # serve: the previous build's, kept in memory
    return load_plan(config.root)


@dataclass
class Loaded:
    """A site read and validated once, to be planned and rendered at several moments."""

    config: SiteConfig
    options: BuildOptions
    inputs: Inputs
    articles: list[Article]
    documents: list[Document]
    body_of: BodyReader
    parsed: dict[str, ParsedFile] = field(default_factory=dict)  # content file → parsed
    before: dict[str, ParsedFile] = field(default_factory=dict)  # what changed files said

    def moments_after(self, now: dt.datetime) -> list[dt.datetime]:
        """Every later moment the site changes by itself: an article appears or expires, a
        document takes or loses effect, a comment window closes."""
        moments = set(document_moments(self.documents, now, drafts=self.options.drafts))
        for article in self.articles:
            meta = article.meta
            if article.parsed.kind == "page" or (meta.draft and not self.options.drafts):
                continue
            moments.update(m for m in (meta.date, meta.expires) if m is not None and m > now)
        return sorted(moments)

    def settings(self) -> str:
        """Every input but the content files, in one digest (see replan)."""
        options, inputs = self.options, self.inputs
        return settings_digest(
            [
                code_version(),
                self.config.digest,
                inputs.templates,
                repr(inputs.static),
                repr((options.drafts, options.future, options.redirect_moved)),
            ]
        )

    def local_change(self, previous: PlanRecord | None, now: dt.datetime) -> list[str] | None:
        sources = self.inputs.digests()
        return local_change(
            previous,
            self.settings(),
            now.timestamp(),
            sources,
            lambda rel, _digest: self.before.get(rel),
            self.parsed,
        )


def load_for_check(root: Path, options: BuildOptions | None = None) -> Loaded:
    """Read and validate everything once (raises BuildFailed with every problem)."""
    options = options or BuildOptions()
    config = load_config(root)
    inputs = read_inputs(
        config, use_cache=options.use_cache, drafts=options.drafts, future=options.future
    )
    return _load(config, options, inputs, None)


def render_at(loaded: Loaded, now: dt.datetime, out: Path) -> BuildResult:
    """Render the site as it is at `now` into the private folder `out` (not a live output).

    Called again with a later moment and the same folder, only the pages that changed
    are rendered again. The plan record stays the last build's: it describes the output,
    which the next build brings up to date from it.
    """
    return write_site(loaded.config, out, _plan(loaded, now), loaded.options, private=True)


def _load(
    config: SiteConfig,
    options: BuildOptions,
    inputs: Inputs,
    previous: PlanRecord | None,
) -> Loaded:
    problems = list(inputs.problems)
    settings = MarkupSettings(
        config.base_url, config.allow_raw_html, page_ids(config.templates_dir)
    )
    report(options, f"Đọc {len(inputs.content)} tệp nội dung…")
    compiled = TemplateCache(config.root) if options.use_cache else None
    env = environment(config.templates_dir, inputs.templates, site_globals(config), compiled)
    problems += check_templates(env, config.templates_dir, NEEDED_TEMPLATES)
    before: dict[str, ParsedFile] = {}
    parsed, body_of = _parse_all(config, inputs, settings, options, problems, previous, before)
    documents = place_documents(config, [p for p in parsed if p.kind == "document"], problems)
    problems += register_problems(config.content_dir, documents, parsed, drafts=options.drafts)
    others = [p for p in parsed if p.kind != "document"]
    try:
        articles = load_all(config, others, problems)  # raises BuildFailed with every problem
    except BaseException:
        body_of.close()
        raise
    by_path = {p.path: p for p in parsed}
    return Loaded(config, options, inputs, articles, documents, body_of, by_path, before)


def _plan(
    loaded: Loaded,
    now: dt.datetime,
    previous: PlanRecord | None = None,
    local: list[str] | None = None,
) -> Prepared:
    """Every page's task, or only those a local change touches (`local`, with the record
    of the previous build)."""
    config, options, inputs = loaded.config, loaded.options, loaded.inputs
    body_of = loaded.body_of
    register = build_register(config, loaded.documents, now=now, drafts=options.drafts)
    index = build_index(
        config, loaded.articles, now=now, drafts=options.drafts, future=options.future
    )
    index = _with_register_moments(index, register)
    report(options, "Xử lý ảnh…")
    media = prepare_media(
        config,
        inputs.static,
        index.listed + index.unlisted + index.pages,
        jobs=options.jobs,
        use_cache=options.use_cache,
    )
    problems = list(media.problems)
    body_of.media = media  # bodies are shown with their images processed
    planner = Planner(config, index, body_of, body_of.terms, media)
    if body_of.cache is not None:  # the last search index is kept beside the parse cache
        planner.search_state = SearchState(body_of.cache.folder, body_of.cache.stamp)
    documents = DocumentPages(planner, register)
    documents.attach()
    tasks = None
    earlier = None
    if previous is not None and local is not None:
        kept = (rel for rel, page in previous.pages.items() if page.template != "redirect.html")
        earlier = previous.earlier  # a local change moves no URL: the last answer may stand
        redirects, moved, earlier = redirect_pages(
            options, loaded.articles, planner, kept, now, earlier
        )
        tasks = Replan(planner, previous, local).tasks(planner.aliases() + redirects)
    if tasks is None:
        previous = None
        tasks = planner.tasks()
        taken = {t.output_path for t in tasks}
        redirects, moved, earlier = redirect_pages(
            options, loaded.articles, planner, taken, now, earlier
        )
        tasks = sorted(tasks + redirects, key=lambda t: t.output_path)
    documents.link_bodies(tasks)
    static = [entry for entry in inputs.static if entry[0] not in media.withheld]
    problems += find_collisions(tasks, [rel for rel, _, _ in static + media.outputs])
    if problems:
        raise BuildFailed(problems)
    if inputs.stats:
        inputs.stats.save()
    return Prepared(
        tasks,
        static,
        index,
        body_of,
        inputs,
        register,
        media,
        moved,
        loaded.settings(),
        shared_digest(planner.layout),
        card_digests(planner),
        previous,
        planner,
        earlier,
    )


def _with_register_moments(index: SiteIndex, register: Register) -> SiteIndex:
    """The next and last moments the site changes by itself, documents' dates included."""
    upcoming = [m for m in (index.next_change, register.next_change) if m is not None]
    past = [m for m in (index.last_change, register.last_change) if m is not None]
    return dataclasses.replace(
        index,
        next_change=min(upcoming, default=None),
        last_change=max(past, default=None),
    )


# -- parsing ----------------------------------------------------------------------------------


def _parse_all(
    config: SiteConfig,
    inputs: Inputs,
    settings: MarkupSettings,
    options: BuildOptions,
    problems: list[Problem],
    previous: PlanRecord | None,
    before: dict[str, ParsedFile],
) -> tuple[list[ParsedFile], BodyReader]:
    """Parse what the cache does not hold; `before` gets what each changed file said when
    the previous build recorded it (from the cache, which still holds it)."""
    cache = _parse_cache(config, settings, options)
    results: dict[str, ParsedFile] = {}
    todo: list[tuple[str, bytes]] = []
    for rel, path, digest, data in inputs.content:
        hit = cache.get(rel, digest) if cache else None
        if hit is not None:
            results[rel] = hit
            continue
        if cache and previous and rel in previous.sources:
            old = cache.peek(rel, previous.sources[rel])
            if old is not None:
                before[rel] = old
        if data is None:  # known by its stats, but not in the parse cache: read it now
            try:
                data = read_bytes(path)
            except OSError as error:
                problems.append(cannot_read(f"content/{rel}", error))
                continue
        todo.append((rel, data))
    for outcome in parse_all(settings, todo, options.jobs):
        if isinstance(outcome, ParsedFile):
            results[outcome.path] = cache.put(outcome) if cache else outcome
        else:
            problems.extend(rejected_problems(config, *outcome))
    if cache and not problems:
        cache.save()
    parsed = [results[rel] for rel, _, _, _ in inputs.content if rel in results]
    # The bytes are parsed now: let them go before pages are planned (memory stays flat).
    inputs.content = [(rel, path, digest, None) for rel, path, digest, _ in inputs.content]
    return parsed, BodyReader(config, settings, cache)


def _parse_cache(
    config: SiteConfig, settings: MarkupSettings, options: BuildOptions
) -> ParseCache | None:
    """serve keeps its parse cache in memory: the index is read from disk only once."""
    if not options.use_cache:
        return None
    session = options.session
    if session is None:
        return ParseCache(config.root, settings.key())
    if session.cache is None or session.cache.stamp != ParseCache.stamp_for(settings.key()):
        session.cache = ParseCache(config.root, settings.key())
    else:
        session.cache.begin()
    session.first = False
    return session.cache
