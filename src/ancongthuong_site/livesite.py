"""serve's site in memory: a saved article is parsed, planned and written alone.

After a successful build, serve holds what the build made: the parsed files, the index,
the planner with its cards, the plan record, and the output tree's manifest and file
signatures. A save whose change stays inside existing articles (`replan.local_change`: a
body, a title, a summary…) is then rebuilt from that, without a pass over the site: the
saved file alone is read and parsed, its article takes the old one's place in the index,
the plan record names the pages that show it (`replan.Replan`), and only those whose
digest changed are rendered and written into the live tree, each by a rename. The
article's own page is written and announced first, the other pages right after.

What no reader waits for (the search index, the parse cache's log, the output's marker)
is brought up to date by `flush()` once saves pause, and before any build through
`build()`, so that the tree and the records a build trusts agree again. Any other change
(a new, deleted or renamed file, a date, a category, a template, site.yaml…) goes through
`build()`, which plans every page it touches as a CLI build does.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from .build import Loaded
from .cache import task_digest
from .docpages import DocumentPages
from .documents import parse_source
from .errors import Problem, SiteError
from .files import file_digest, read_bytes, remove_file
from .layout import site_globals
from .loader import FileProblems, place
from .manifest import read_marker, read_signatures, signature, write_marker
from .models import Article, ParsedFile, RenderTask
from .plan import Planner
from .pool import init_render_worker, render_one, renderer
from .render import site_digest, with_body
from .replan import Replan, card_digests, local_change, page_records, remade, swapped_index
from .searchstate import SearchState
from .stages import Prepared
from .state import PlanRecord
from .writer import locked_output

__all__ = ["LiveSite"]

CONTENT = "content/"
Announce = Callable[[list[str]], None]  # output files just written, for the browser


class LiveSite:
    """The site as the last build left it, kept up to date by local rebuilds."""

    def __init__(self, loaded: Loaded, prepared: Prepared, plan: PlanRecord, out: Path) -> None:
        self.config = loaded.config
        self.body_of = prepared.body_of
        self.cache = self.body_of.cache
        self.parsed = dict(loaded.parsed)
        self.paths = {rel: path for rel, path, _digest, _data in loaded.inputs.content}
        self.templates = loaded.inputs.templates
        self.settings = prepared.settings
        self.index = prepared.index
        self.register = prepared.register
        self.media = prepared.media
        self.planner: Planner = prepared.planner
        self.plan = plan
        self.out = out
        self.signatures = read_signatures(out)
        self.record = read_marker(out).get("inputs")
        self.unflushed = False  # the search index, the cache log and the marker lag behind
        self.broken = False  # written but not recorded: flush() must never record it
        self.lock = threading.RLock()

    @classmethod
    def after_build(cls, session: object, out: Path) -> LiveSite | None:
        """The site the session's last build made; None when it cannot be rebuilt in memory."""
        built, plan = getattr(session, "built", None), getattr(session, "plan", None)
        if built is None or plan is None:
            return None
        loaded, prepared = built
        if prepared.planner is None or prepared.body_of.cache is None:
            return None
        if loaded.options.redirect_moved:  # old URLs would need the history: build() knows
            return None
        return cls(loaded, prepared, plan, out)

    # -- a local rebuild -------------------------------------------------------------------
    def rebuild(
        self, changed: Iterable[str], announce: Announce, now: dt.datetime
    ) -> tuple[str, ...] | None:
        """Rebuild after saves of `changed` (paths relative to the site root, as the watcher
        gives them) at the moment `now`: the files written, or None when only `build()` can
        tell. `announce` gets the article's own page first, then the others."""
        with self.lock:
            saved = self._read(changed)
            if saved is None:
                return None
            plan = self.plan
            fresh = {
                rel: data for rel, (digest, data) in saved.items() if plan.sources[rel] != digest
            }
            if not fresh:
                return ()  # saved as it was
            parsed = self._parse(fresh)
            if parsed is None:
                return None
            moment = now.timestamp()
            sources = {**plan.sources, **{rel: p.digest for rel, p in parsed.items()}}
            local = local_change(
                plan, self.settings, moment, sources, lambda rel, _d: self.parsed.get(rel), parsed
            )
            if local is None:
                return None
            try:
                with locked_output(self.config.root, self.out) as target:
                    if target != self.out:
                        return None
                    return self._apply(parsed, announce)
            except SiteError:  # the output was moved, replaced or locked: build() says so
                return None

    def _read(self, changed: Iterable[str]) -> dict[str, tuple[str, bytes]] | None:
        """Each saved content file's digest and bytes; None when a path is no known file."""
        found = {}
        for path in changed:
            if not path.startswith(CONTENT) or not path.lower().endswith(".md"):
                return None
            rel = unicodedata.normalize("NFC", path[len(CONTENT) :])
            known = self.paths.get(rel)
            if known is None or known != self.config.root / path:
                return None  # new, or spelled otherwise than the file the build read
            try:
                data = read_bytes(known)
            except OSError:
                return None  # deleted or replaced by a link: build() reports it
            found[rel] = (file_digest(data), data)
        return found

    def _parse(self, fresh: dict[str, bytes]) -> dict[str, ParsedFile] | None:
        markup = renderer(self.body_of.settings)
        parsed = {}
        for rel, data in fresh.items():
            try:
                parsed[rel] = parse_source(rel, data, markup)
            except FileProblems:
                return None  # build() reports every problem, as a build does
        return parsed

    def _apply(self, parsed: dict[str, ParsedFile], announce: Announce) -> tuple[str, ...] | None:
        cache, plan = self.cache, self.plan
        articles: dict[str, Article] = {}
        for rel, fresh in parsed.items():
            try:
                article = place(fresh, self.config)
            except FileProblems:
                return None
            assert isinstance(article, Article)  # local_change: only articles
            articles[rel] = article
        published = {a.path: a for a in (*self.index.listed, *self.index.unlisted)}
        old = [published[rel] for rel in articles if rel in published]
        index = swapped_index(self.index, old, [articles[a.path] for a in old])
        planner = Planner(self.config, index, self.body_of, self.body_of.terms, self.media)
        planner.adopt_cards(self.planner._cards, set(parsed))
        documents = DocumentPages(planner, self.register)
        documents.attach()
        replan = Replan(planner, plan, sorted(parsed))
        # The saved articles' own pages first: the pages their editor looks at.
        own = [replan.article_page(article) for article in replan.changed]
        documents.link_bodies(own)
        planner.add_layout(own)
        digests, shown, stale = self._digests(own)
        init_render_worker(self.config.templates_dir, self.templates, site_globals(self.config))
        rendered = self._render(stale)
        if rendered is None:
            return None  # a page that cannot be rendered: build() reports it
        written = self._write(rendered)
        announce(written)
        # Then every other page that shows them, if the plan record can tell which.
        tasks = replan.tasks(planner.aliases(), search=False)
        rendered = None
        if tasks is not None:
            tasks = [task for task in tasks if task.output_path not in digests]
            documents.link_bodies(tasks)
            more_digests, more_shown, stale = self._digests(tasks)
            digests.update(more_digests)
            shown.update(more_shown)
            rendered = self._render(stale)
        if tasks is None or rendered is None:
            self.broken = written != []  # pages written that the records do not know
            return None
        # The records follow the tree, and the parse cache keeps the new bodies.
        for rel, fresh in parsed.items():
            cache.used.pop((rel, plan.sources[rel]), None)
            plan.sources[rel] = fresh.digest
            self.parsed[rel] = cache.put(fresh)
        self.index, self.planner, self.unflushed = index, planner, True
        plan.cards.update(card_digests(planner))
        plan.pages.update(page_records(own + tasks, digests, shown, plan.cards))
        plan.files.update(digests)
        more = self._write(rendered)
        announce(more)
        return tuple(written + more)

    def _digests(
        self, tasks: list[RenderTask]
    ) -> tuple[dict[str, str], dict[str, set[str]], list[RenderTask]]:
        """Each planned file's digest, the shared data each shows, and the tasks whose file
        differs from the tree (or was changed there by hand)."""
        base = site_digest(self.config, self.templates)
        digests: dict[str, str] = {}
        shown: dict[str, set[str]] = {}
        stale = []
        for task in tasks:
            rel = task.output_path
            seen = shown.setdefault(rel, set())
            body = task.body.digest if task.body else ""
            digests[rel] = task_digest(base, task.template, task.context, body, seen)
            if not self._intact(rel, digests[rel]):
                stale.append(task)
        return digests, shown, stale

    def _intact(self, rel: str, digest: str) -> bool:
        recorded = self.signatures.get(rel)
        return (
            self.plan.files.get(rel) == digest
            and recorded is not None
            and signature(f"{self.out}/{rel}") == recorded
        )

    def _render(self, tasks: list[RenderTask]) -> list[tuple[str, bytes]] | None:
        pages = []
        for task in tasks:
            rel, outcome = render_one(with_body(task, self.body_of))
            if isinstance(outcome, Problem):
                return None
            pages.append((rel, outcome))
        return pages

    def _write(self, pages: list[tuple[str, bytes]]) -> list[str]:
        """Each file replaced by a rename: a reader gets the old page or the new one."""
        for rel, data in pages:
            target = self.out / rel
            if not target.parent.resolve().is_relative_to(self.out):
                raise OSError(f"{rel}: a folder of the output leads out of it")
            temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            try:
                temp.write_bytes(data)
            except FileNotFoundError:  # the first file of a new folder (a search shard's)
                target.parent.mkdir(parents=True, exist_ok=True)
                temp.write_bytes(data)
            os.replace(temp, target)
            found = signature(target)
            if found is None:
                self.signatures.pop(rel, None)
            else:
                self.signatures[rel] = found
        return [rel for rel, _ in pages]

    def _remove(self, rel: str) -> None:
        """A file the site no longer has, and the folders it leaves empty."""
        remove_file(self.out, rel)

    # -- what waits until saves pause -------------------------------------------------------
    def flush(self) -> None:
        """The search index, the parse cache's log and the output's marker made current."""
        with self.lock:
            if not self.unflushed or self.broken:
                return
            self.unflushed = False
            try:
                with locked_output(self.config.root, self.out) as target:
                    if target == self.out:
                        self._flush()
                        return
            except SiteError:
                pass
            self.broken = True  # the next build through build() makes it all again

    def _flush(self) -> None:
        """flush() with the output guarded and locked."""
        planner, plan = self.planner, self.plan
        planner.search_state = SearchState(self.cache.folder, self.cache.stamp)
        tasks = planner.search_index()
        digests, shown, stale = self._digests(tasks)
        gone = remade(plan) - set(digests)
        init_render_worker(self.config.templates_dir, self.templates, site_globals(self.config))
        for task in stale:  # one at a time: the index is tens of megabytes
            self._write(self._render([task]) or [])
        for rel in gone:
            self._remove(rel)
            for record in (plan.pages, plan.files, self.signatures):
                record.pop(rel, None)
        plan.pages.update(page_records(tasks, digests, shown, plan.cards))
        plan.files.update(digests)
        self.cache.save()
        self.body_of.close()  # a save's bodies are in the pack: no handle stays open
        planner.search_state.texts.close()  # the index's texts too
        # Never "unchanged" again: the fingerprint is of the files the last build read.
        record = dict(self.record or {}, fingerprint="")
        write_marker(self.out, plan.files, record, self.signatures)
