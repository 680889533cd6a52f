"""From planned pages to the output tree: digest each page, render the ones whose digest
changed (in the worker pool), write them into the standby tree and swap it in; record the
plan for the next build (state.PlanRecord)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .cache import code_version, task_digest
from .config import SiteConfig
from .errors import BuildFailed, Problem, stop_point
from .imagecache import output_bytes
from .layout import site_globals
from .manifest import Signature, read_manifest, read_signatures, signature, update_marker
from .markup import resolve_document_links
from .media import BodyReader
from .models import RenderTask
from .pool import init_render_worker, map_in_order, raw_bytes, render_one
from .replan import page_records, remade
from .stages import BuildOptions, BuildResult, Prepared, report
from .state import BuildRecord, PlanRecord, save_plan
from .writer import Standby, cannot_write


class Incomplete(Exception):
    """A page the partial plan relies on is not in the output as recorded: plan them all."""


def write_site(
    config: SiteConfig,
    out: Path,
    prepared: Prepared,
    options: BuildOptions,
    known: tuple[dict[str, str], dict[str, Signature]] | None = None,
    *,
    private: bool = False,
) -> BuildResult:
    """Bring the output up to date with the prepared pages; raises Incomplete when the
    plan was partial and the output is not what the plan record says. `known`: the live
    tree's manifest and signatures, when the caller has them from records tied to it.
    `private`: a folder of `check`'s, whose plan is never the next build's record."""
    index = prepared.index
    counts = (len(index.listed) + len(index.unlisted), len(index.pages))
    documents = len(prepared.register.listed)
    media = prepared.media
    more = {
        "documents": documents,
        "register": prepared.register,
        "warnings": prepared.register.warnings + prepared.moved + tuple(media.warnings),
        "scheduled": index.scheduled,
        "images_decoded": media.decoded,
    }
    if known is not None:
        previous, recorded = known
    else:
        previous = read_manifest(out) if out.is_dir() else {}
        recorded = read_signatures(out) if previous else {}
    shown: dict[str, set[str]] = {}
    manifest, changed = _plan_changes(config, prepared, previous, recorded, out, shown)
    removed = tuple(sorted(set(previous) - set(manifest)))
    more["planned"] = len(prepared.tasks)
    record = BuildRecord(
        prepared.inputs.fingerprint,
        index.last_change.timestamp() if index.last_change else None,
        index.next_change.timestamp() if index.next_change else None,
        *counts,
        documents,
        tuple(moment.timestamp() for moment in index.scheduled),
    )
    inputs = record.as_json()
    keep = options.use_cache and not private
    plan = _plan_record(prepared, record, manifest, shown) if keep else None
    if out.is_dir() and not changed and not removed and previous:
        try:
            update_marker(out, manifest, inputs)
        except OSError as error:
            raise cannot_write(out, error) from None
        _keep_plan(config, options, plan)
        return BuildResult(
            out,
            *counts,
            kept=len(manifest),
            next_change=index.next_change,
            index=index,
            record=record,
            signatures={rel: recorded[rel] for rel in manifest},
            **more,
        )

    try:
        standby = Standby(out)
    except OSError as error:
        raise cannot_write(out, error) from None
    try:
        written = _render_into(standby, config, prepared, changed, manifest, options)
        stale = [
            rel
            for rel in sorted(set(manifest) - written)
            if not standby.current(rel, manifest[rel])
        ]
        for rel in standby.link_all([(rel, manifest[rel]) for rel in stale]):
            stop_point()
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
    _keep_plan(config, options, plan)
    return BuildResult(
        output=out,
        articles=counts[0],
        pages=counts[1],
        written=tuple(sorted(written)),
        kept=len(manifest) - len(written),
        removed=removed,
        next_change=index.next_change,
        index=index,
        record=record,
        signatures={rel: standby.stats[rel] for rel in manifest if rel in standby.stats},
        **more,
    )


def _plan_changes(
    config: SiteConfig,
    prepared: Prepared,
    previous: dict[str, str],
    recorded: dict[str, Signature],
    out: Path,
    shown: dict[str, set[str]],
) -> tuple[dict[str, str], list[RenderTask | tuple[str, Path]]]:
    """Every output file's digest, and the tasks and static files to write: those whose
    digest changed, and any the output lost (deleted or replaced by hand).

    After a partial plan the pages not planned keep their recorded digests, provided the
    output still holds each as it was written (else: Incomplete)."""

    def current(rel: str, digest: str) -> bool:
        return previous.get(rel) == digest and signature(f"{out}/{rel}") == recorded.get(rel, ())

    global_digest = site_digest(config, prepared.inputs.templates)
    base = prepared.base
    if base is not None and base.files != previous:
        raise Incomplete  # the output is not the tree the record describes
    manifest: dict[str, str] = {}
    if base is not None:  # the pages not planned keep their digests; the search index is new
        gone = remade(base)
        manifest = {rel: digest for rel, digest in previous.items() if rel not in gone}
    changed: list[RenderTask | tuple[str, Path]] = []
    for task in prepared.tasks:
        body_digest = task.body.digest if task.body else ""
        seen = shown.setdefault(task.output_path, set())
        digest = task_digest(global_digest, task.template, task.context, body_digest, seen)
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
    if base is not None and any(
        not current(rel, digest) for rel, digest in manifest.items() if rel not in shown
    ):
        raise Incomplete  # a page not planned was deleted or changed by hand
    return manifest, changed


def site_digest(config: SiteConfig, templates: str) -> str:
    """What every page's digest starts from: the code, the config, the templates, and
    what every page shows besides them (`site_globals`: the links naming static files)."""
    shown = repr(site_globals(config))
    return hashlib.blake2b(
        f"{code_version()}|{config.digest}|{templates}|{shown}".encode(), digest_size=16
    ).hexdigest()


def _plan_record(
    prepared: Prepared,
    record: BuildRecord,
    manifest: dict[str, str],
    shown: dict[str, set[str]],
) -> PlanRecord:
    base = prepared.base
    cards = {**base.cards, **prepared.cards} if base else dict(prepared.cards)
    gone = remade(base) if base else set()
    pages = {rel: page for rel, page in base.pages.items() if rel not in gone} if base else {}
    pages.update(page_records(prepared.tasks, manifest, shown, cards))
    sources = dict(prepared.inputs.digests())
    return PlanRecord(
        prepared.settings,
        record.valid_from,
        record.valid_until,
        prepared.layout,
        sources,
        cards,
        pages,
        manifest,
        prepared.earlier,
    )


def _keep_plan(config: SiteConfig, options: BuildOptions, plan: PlanRecord | None) -> None:
    """Recorded once the tree is in place; a record that does not match the output's marker
    is never used (a failed build leaves the previous record, which matches the old tree)."""
    if plan is None:
        return
    if options.session is not None:
        options.session.plan = plan  # serve: kept in memory, never read back from disk
    else:
        save_plan(config.root, plan)


def _render_into(
    standby: Standby,
    config: SiteConfig,
    prepared: Prepared,
    changed: list[RenderTask | tuple[str, Path]],
    manifest: dict[str, str],
    options: BuildOptions,
) -> set[str]:
    """Render the changed pages (in a pool) and write each as it arrives; copy static files."""
    tasks = [item for item in changed if isinstance(item, RenderTask) and item.template]
    written: set[str] = set()
    for item in changed:  # raw files (the search index) are written here: no worker needed
        if isinstance(item, RenderTask) and not item.template:
            standby.write(item.output_path, manifest[item.output_path], raw_bytes(item))
            written.add(item.output_path)
    report(options, f"Dựng {len(tasks)} trang…")
    problems: list[Problem] = []
    site = site_globals(config)
    ready = (with_body(task, prepared.body_of) for task in tasks)
    setup = (config.templates_dir, prepared.inputs.templates, site)
    for output_path, outcome in map_in_order(
        init_render_worker, setup, render_one, ready, len(tasks), options.jobs
    ):
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


def with_body(task: RenderTask, body_of: BodyReader) -> RenderTask:
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
    _, outcome = render_one(with_body(task, prepared.body_of))
    if isinstance(outcome, Problem):
        raise BuildFailed([outcome])
    return outcome
