"""`build()`: config → load → index → plan → render → write. The only orchestrator."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .cache import ParseCache, TemplateCache, code_version, task_digest
from .collisions import find_collisions
from .config import SiteConfig, load_config
from .docpages import DocumentPages
from .errors import BuildFailed, Problem, cannot_read, stop_point
from .files import read_bytes
from .history import moved_warnings, old_urls, remember, with_record
from .index import SiteIndex, build_index
from .inputs import Inputs, read_inputs, unchanged
from .layout import site_globals
from .loader import load_all, rejected_problems
from .manifest import read_manifest, read_signatures, signature, update_marker
from .markup import MarkupSettings, resolve_document_links
from .media import BodyReader, Media, output_bytes, prepare_media
from .models import Article, Document, ParsedFile, RenderTask
from .plan import NEEDED_TEMPLATES, Planner
from .pool import (
    environment,
    init_parse_worker,
    init_render_worker,
    map_in_order,
    parse_one,
    render_one,
)
from .register import (
    Register,
    build_register,
    document_moments,
    place_documents,
    register_problems,
)
from .state import BuildRecord
from .templating import check_templates, page_ids
from .urls import Urls
from .vietnamese import VN_TZ
from .writer import OutputLock, Standby, cannot_write, guard_output, mirror_standby, recover

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildOptions:
    out: Path | None = None  # default: <root>/_site
    drafts: bool = False
    future: bool = False
    jobs: int | None = None  # default: the CPU count
    force: bool = False
    now: dt.datetime | None = None  # default: SOURCE_DATE_EPOCH, else the clock
    use_cache: bool = True
    warm_standby: bool = False  # serve: prepare the next build's tree right away
    redirect_moved: bool = True  # old URLs of moved articles redirect (serve has no need)
    progress: Callable[[str], None] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class BuildResult:
    output: Path | None
    articles: int
    pages: int
    written: tuple[str, ...] = ()
    kept: int = 0
    removed: tuple[str, ...] = ()
    next_change: dt.datetime | None = None
    index: SiteIndex | None = field(default=None, repr=False, compare=False)
    documents: int = 0
    register: Register | None = field(default=None, repr=False, compare=False)
    warnings: tuple[Problem, ...] = ()
    scheduled: tuple[dt.datetime, ...] = ()  # articles still to appear, soonest first
    images_decoded: int = 0  # originals decoded by this build (cached ones are not)


def clock() -> dt.datetime:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else the wall clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return dt.datetime.now(dt.UTC)
    if not epoch.isdigit() or int(epoch) > _LAST_EPOCH:
        raise BuildFailed([Problem(
            "SOURCE_DATE_EPOCH", 0, "E180",
            f'SOURCE_DATE_EPOCH="{epoch}" không phải số giây từ 1970 đến năm 9000',
            "đặt một số nguyên, ví dụ SOURCE_DATE_EPOCH=1709020800",
        )])  # fmt: skip
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC)


# Later moments overflow the dates computed from "now" (datetime stops at year 9999).
_LAST_EPOCH = int(dt.datetime(9000, 1, 1, tzinfo=dt.UTC).timestamp())


def build(root: Path, options: BuildOptions | None = None) -> BuildResult:
    """Build the site at `root` into its output folder, or raise BuildFailed / RefusedError."""
    options = options or BuildOptions()
    config = load_config(root)
    out = guard_output(root, options.out or root / "_site", force=options.force)
    with OutputLock(out):
        try:
            recover(out)
        except OSError as error:
            raise cannot_write(out, error) from None
        now = options.now or clock()
        inputs = read_inputs(config, use_cache=options.use_cache, drafts=options.drafts,
                             future=options.future)  # fmt: skip
        base = inputs.fingerprint
        if options.redirect_moved:  # the URLs earlier builds published decide redirects
            inputs.fingerprint = with_record(base, root)
        seen = unchanged(out, inputs, now)
        if seen is not None:
            result = _kept(out, seen, now)
        else:
            prepared = _prepare(config, options, inputs, now)
            if options.redirect_moved:
                index = prepared.index
                remember(root, [*index.listed, *index.unlisted, *index.pages], now)
                inputs.fingerprint = with_record(base, root)
            try:
                result = _write(config, out, prepared, options)
            finally:
                prepared.body_of.close()
        if options.warm_standby:
            try:
                mirror_standby(out)
            except OSError as error:  # only the next build's speed depends on it
                log.warning("the standby tree cannot be prepared: %s", error)
        return result


def _kept(out: Path, seen: BuildRecord, now: dt.datetime) -> BuildResult:
    """The result of a build that found nothing to do."""
    until = seen.valid_until
    return BuildResult(
        out, seen.articles, seen.pages, kept=seen.files,
        next_change=dt.datetime.fromtimestamp(until, VN_TZ) if until else None,
        documents=seen.documents, scheduled=tuple(dt.datetime.fromtimestamp(t, VN_TZ)
                                                  for t in seen.scheduled if t > now.timestamp()),
    )  # fmt: skip


@dataclass
class Loaded:
    """A site read and validated once, to be planned and rendered at several moments."""

    config: SiteConfig
    options: BuildOptions
    inputs: Inputs
    articles: list[Article]
    documents: list[Document]
    body_of: BodyReader

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


def load_for_check(root: Path, options: BuildOptions | None = None) -> Loaded:
    """Read and validate everything once (raises BuildFailed with every problem)."""
    options = options or BuildOptions()
    config = load_config(root)
    inputs = read_inputs(config, use_cache=options.use_cache, drafts=options.drafts,
                         future=options.future)  # fmt: skip
    articles, documents, body_of = _load(config, options, inputs)
    return Loaded(config, options, inputs, articles, documents, body_of)


def render_at(loaded: Loaded, now: dt.datetime, out: Path) -> BuildResult:
    """Render the site as it is at `now` into the private folder `out` (not a live output).

    Called again with a later moment and the same folder, only the pages that changed
    are rendered again.
    """
    prepared = _plan(loaded.config, loaded.options, loaded.inputs, loaded.articles,
                     loaded.documents, loaded.body_of, now)  # fmt: skip
    return _write(loaded.config, out, prepared, loaded.options)


def _report(options: BuildOptions, message: str) -> None:
    if options.progress is not None:
        options.progress(message)


@dataclass(frozen=True)
class Prepared:
    """Everything known before the first page is rendered."""

    tasks: list[RenderTask]
    static: list[tuple[str, Path, str]]
    index: SiteIndex
    body_of: BodyReader
    inputs: Inputs
    register: Register
    media: Media
    moved: tuple[Problem, ...] = ()  # warnings: articles whose URL changed (old ones redirect)


def _prepare(
    config: SiteConfig, options: BuildOptions, inputs: Inputs, now: dt.datetime
) -> Prepared:
    articles, documents, body_of = _load(config, options, inputs)
    try:
        return _plan(config, options, inputs, articles, documents, body_of, now)
    except BaseException:
        body_of.close()
        raise


def _load(
    config: SiteConfig, options: BuildOptions, inputs: Inputs
) -> tuple[list[Article], list[Document], BodyReader]:
    problems = list(inputs.problems)
    settings = MarkupSettings(
        config.base_url, config.allow_raw_html, page_ids(config.templates_dir)
    )
    _report(options, f"Đọc {len(inputs.content)} tệp nội dung…")
    compiled = TemplateCache(config.root) if options.use_cache else None
    env = environment(config.templates_dir, inputs.templates, site_globals(config), compiled)
    problems += check_templates(env, config.templates_dir, NEEDED_TEMPLATES)
    parsed, body_of = _parse_all(config, inputs, settings, options, problems)
    documents = place_documents(config, [p for p in parsed if p.kind == "document"], problems)
    problems += register_problems(config.content_dir, documents, parsed, drafts=options.drafts)
    others = [p for p in parsed if p.kind != "document"]
    articles = load_all(config, others, problems)  # raises BuildFailed with every problem
    return articles, documents, body_of


def _plan(
    config: SiteConfig,
    options: BuildOptions,
    inputs: Inputs,
    articles: list[Article],
    documents: list[Document],
    body_of: BodyReader,
    now: dt.datetime,
) -> Prepared:
    register = build_register(config, documents, now=now, drafts=options.drafts)
    index = build_index(config, articles, now=now, drafts=options.drafts, future=options.future)
    index = _with_register_moments(index, register)
    _report(options, "Xử lý ảnh…")
    media = prepare_media(config, inputs.static, index.listed + index.unlisted + index.pages,
                          jobs=options.jobs, use_cache=options.use_cache)  # fmt: skip
    problems = list(media.problems)
    body_of.media = media  # bodies are shown with their images processed
    planner = Planner(config, index, body_of, body_of.terms, media)
    documents = DocumentPages(planner, register)
    documents.attach()
    tasks = planner.tasks()
    documents.link_bodies(tasks)
    moved: tuple[Problem, ...] = ()
    if options.redirect_moved:
        old = old_urls(config.root, config.content_dir, articles, now)
        published = index.listed + index.unlisted + index.pages
        taken = {t.output_path for t in tasks}
        redirects = [planner.redirect(article, rel) for article in published
                     for rel in old.get(article.path, ()) if Urls.output_path(rel) not in taken]  # fmt: skip
        tasks = sorted(tasks + redirects, key=lambda t: t.output_path)
        moved = moved_warnings(published, old, {t.output_path for t in redirects})
    static = [entry for entry in inputs.static if entry[0] not in media.withheld]
    problems += find_collisions(tasks, [rel for rel, _, _ in static + media.outputs])
    if problems:
        raise BuildFailed(problems)
    if inputs.stats:
        inputs.stats.save()
    return Prepared(tasks, static, index, body_of, inputs, register, media, moved)


def _with_register_moments(index: SiteIndex, register: Register) -> SiteIndex:
    """The next and last moments the site changes by itself, documents' dates included."""
    upcoming = [m for m in (index.next_change, register.next_change) if m is not None]
    past = [m for m in (index.last_change, register.last_change) if m is not None]
    return dataclasses.replace(
        index, next_change=min(upcoming, default=None), last_change=max(past, default=None)
    )


# -- parsing ----------------------------------------------------------------------------------


def _parse_all(
    config: SiteConfig,
    inputs: Inputs,
    settings: MarkupSettings,
    options: BuildOptions,
    problems: list[Problem],
) -> tuple[list[ParsedFile], BodyReader]:
    cache = ParseCache(config.root, settings.key()) if options.use_cache else None
    results: dict[str, ParsedFile] = {}
    todo: list[tuple[str, bytes]] = []
    for rel, path, digest, data in inputs.content:
        hit = cache.get(rel, digest) if cache else None
        if hit is not None:
            results[rel] = hit
            continue
        if data is None:  # known by its stats, but not in the parse cache: read it now
            try:
                data = read_bytes(path)
            except OSError as error:
                problems.append(cannot_read(f"content/{rel}", error))
                continue
        todo.append((rel, data))
    for outcome in map_in_order(init_parse_worker, (settings,), parse_one, todo, len(todo),
                                options.jobs):  # fmt: skip
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


def _write(
    config: SiteConfig,
    out: Path,
    prepared: Prepared,
    options: BuildOptions,
    *,
    use_manifest: bool = True,
) -> BuildResult:
    index = prepared.index
    counts = (len(index.listed) + len(index.unlisted), len(index.pages))
    documents = len(prepared.register.listed)
    media = prepared.media
    more = {"documents": documents, "register": prepared.register,
            "warnings": prepared.register.warnings + prepared.moved + tuple(media.warnings),
            "scheduled": index.scheduled, "images_decoded": media.decoded}  # fmt: skip
    previous = read_manifest(out) if use_manifest and out.is_dir() else {}
    manifest, changed = _plan_changes(config, prepared, previous, out)
    removed = tuple(sorted(set(previous) - set(manifest)))
    record = BuildRecord(
        prepared.inputs.fingerprint,
        index.last_change.timestamp() if index.last_change else None,
        index.next_change.timestamp() if index.next_change else None,
        *counts, documents, tuple(moment.timestamp() for moment in index.scheduled),
    )  # fmt: skip
    inputs = record.as_json()
    if out.is_dir() and not changed and not removed and previous:
        try:
            update_marker(out, manifest, inputs)
        except OSError as error:
            raise cannot_write(out, error) from None
        return BuildResult(out, *counts, kept=len(manifest), next_change=index.next_change,
                           index=index, **more)  # fmt: skip

    try:
        standby = Standby(out)
    except OSError as error:
        raise cannot_write(out, error) from None
    try:
        written = _render_into(standby, config, prepared, changed, manifest, options)
        for rel in sorted(set(manifest) - set(written)):
            stop_point()
            if not standby.current(rel, manifest[rel]) and not standby.link(rel, manifest[rel]):
                # The live file vanished (deleted by hand): make it again.
                standby.write(rel, manifest[rel], _render_missing(config, prepared, rel))
        standby.remove_others(manifest)
        stop_point()  # the last moment a stop leaves the old output in place
        standby.commit(manifest, inputs)
    except OSError as error:
        standby.abort()
        raise cannot_write(out, error) from None
    except BaseException:
        standby.abort()
        raise
    return BuildResult(
        output=out,
        articles=counts[0],
        pages=counts[1],
        written=tuple(sorted(written)),
        kept=len(manifest) - len(written),
        removed=removed,
        next_change=index.next_change,
        index=index,
        **more,
    )


def _plan_changes(
    config: SiteConfig, prepared: Prepared, previous: dict[str, str], out: Path
) -> tuple[dict[str, str], list[RenderTask | tuple[str, Path]]]:
    """Every output file's digest, and the tasks and static files to write: those whose
    digest changed, and any the output lost (deleted or replaced by hand)."""

    recorded = read_signatures(out) if previous else {}

    def current(rel: str, digest: str) -> bool:
        return previous.get(rel) == digest and signature(out / rel) == recorded.get(rel, ())

    global_digest = hashlib.blake2b(
        f"{code_version()}|{config.digest}|{prepared.inputs.templates}".encode(),
        digest_size=16,
    ).hexdigest()
    manifest: dict[str, str] = {}
    changed: list[RenderTask | tuple[str, Path]] = []
    for task in prepared.tasks:
        body_digest = task.body.digest if task.body else ""
        digest = task_digest(global_digest, task.template, task.context, body_digest)
        manifest[task.output_path] = digest
        if not current(task.output_path, digest):
            changed.append(task)
    for rel, path, digest in prepared.static:
        manifest[rel] = "static:" + digest
        if not current(rel, manifest[rel]):
            changed.append((rel, path))
    for rel, path, digest in prepared.media.outputs:
        manifest[rel] = digest
        if not current(rel, digest):
            changed.append((rel, path))
    return manifest, changed


def _render_into(
    standby: Standby,
    config: SiteConfig,
    prepared: Prepared,
    changed: list[RenderTask | tuple[str, Path]],
    manifest: dict[str, str],
    options: BuildOptions,
) -> set[str]:
    """Render the changed pages (in a pool) and write each as it arrives; copy static files."""
    tasks = [item for item in changed if isinstance(item, RenderTask)]
    written: set[str] = set()
    _report(options, f"Dựng {len(tasks)} trang…")
    problems: list[Problem] = []
    site = site_globals(config)
    ready = (_with_body(task, prepared.body_of) for task in tasks)
    setup = (config.templates_dir, prepared.inputs.templates, site)
    for output_path, outcome in map_in_order(init_render_worker, setup,
                                     render_one, ready, len(tasks), options.jobs):  # fmt: skip
        if isinstance(outcome, Problem):
            problems.append(outcome)
        elif not problems:
            standby.write(output_path, manifest[output_path], outcome)
            written.add(output_path)
    if problems:
        # A broken template fails every page that uses it: report each place once.
        unique: dict[tuple[str, int], Problem] = {}
        for problem in problems:
            unique.setdefault((problem.path, problem.line), problem)
        raise BuildFailed(list(unique.values()))
    for item in changed:
        if isinstance(item, tuple):
            rel, path = item
            standby.write(rel, manifest[rel], output_bytes(rel, path, manifest[rel]))
            written.add(rel)
    return written


def _with_body(task: RenderTask, body_of: BodyReader) -> RenderTask:
    """The task ready to render: its body read in, nothing else to carry to a worker."""
    if task.body is None:
        return task
    body_html = resolve_document_links(body_of(task.body), task.context.get("doc_links", {}))
    context = {**task.context, "body_html": body_html}
    return RenderTask(task.output_path, task.template, context, task.source)


def _render_missing(config: SiteConfig, prepared: Prepared, rel: str) -> bytes:
    for static_rel, path, digest in prepared.static + prepared.media.outputs:
        if static_rel == rel:  # a static file's digest is its bytes'; a derivative's is checked
            return output_bytes(rel, path, digest)
    init_render_worker(config.templates_dir, prepared.inputs.templates, site_globals(config))
    task = next(t for t in prepared.tasks if t.output_path == rel)
    _, outcome = render_one(_with_body(task, prepared.body_of))
    if isinstance(outcome, Problem):
        raise BuildFailed([outcome])
    return outcome
