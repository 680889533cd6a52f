"""`build()`: config → load → index → plan → render → write. The only orchestrator."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import itertools
import logging
import multiprocessing
import os
import signal
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import ParseCache, code_version, file_digest, task_digest
from .config import SiteConfig, load_config
from .errors import BuildFailed, Problem
from .index import SiteIndex, build_index
from .loader import FileProblems, discover, load_all, parse_file, read_bytes, walk_files
from .markup import MarkupSettings, Renderer
from .models import ParsedFile, RenderTask
from .plan import NEEDED_TEMPLATES, Planner, find_collisions, site_globals
from .templating import check_templates, make_environment, render_error, templates_digest
from .writer import OutputLock, Standby, guard_output, mirror_standby, read_manifest, recover

log = logging.getLogger(__name__)
# Below this many items a process pool costs more than it saves.
POOL_THRESHOLD = 200
BATCH = 1024


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


def clock() -> dt.datetime:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else the wall clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        if not epoch.isdigit():
            raise BuildFailed(
                [
                    Problem(
                        "SOURCE_DATE_EPOCH",
                        0,
                        "E180",
                        f'SOURCE_DATE_EPOCH="{epoch}" không phải số giây',
                        "đặt một số nguyên, ví dụ SOURCE_DATE_EPOCH=1709020800",
                    )
                ]
            )
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime.now(dt.UTC)


def build(root: Path, options: BuildOptions | None = None) -> BuildResult:
    """Build the site at `root` into its output folder, or raise BuildFailed / RefusedError."""
    options = options or BuildOptions()
    config = load_config(root)
    out = guard_output(root, options.out or root / "_site", force=options.force)
    with OutputLock(out):
        recover(out)
        result = _write(config, out, _prepare(config, options), options)
        if options.warm_standby:
            mirror_standby(out)
        return result


def check(root: Path, options: BuildOptions | None = None) -> tuple[BuildResult, Path]:
    """Validate everything and render into a temporary folder for the link check.

    Returns the result and the temporary folder, which the caller removes.
    """
    options = options or BuildOptions()
    config = load_config(root)
    prepared = _prepare(config, options)
    temp = Path(tempfile.mkdtemp(prefix="ancongthuong-check-"))
    out = temp / "site"
    result = _write(config, out, prepared, options, use_manifest=False)
    return result, out


@dataclass(frozen=True)
class Prepared:
    """Everything known before the first page is rendered."""

    tasks: list[RenderTask]
    static: list[tuple[str, Path]]
    index: SiteIndex
    body_of: Callable[[ParsedFile], str]
    templates: str  # digest of templates/


def _prepare(config: SiteConfig, options: BuildOptions) -> Prepared:
    now = options.now or clock()
    problems: list[Problem] = []
    files, found = discover(config.content_dir)
    problems += found
    static, found = _static_files(config)
    problems += found
    problems += _template_links(config)
    settings = MarkupSettings(config.base_url, config.allow_raw_html)
    parsed, body_of = _parse_all(config, files, settings, options, problems)
    articles = load_all(config, parsed, problems)  # raises BuildFailed with every problem
    index = build_index(config, articles, now=now, drafts=options.drafts, future=options.future)
    tasks = Planner(config, index, body_of).tasks()
    problems += find_collisions(tasks, [rel for rel, _ in static])
    templates = templates_digest(config.templates_dir)
    env = _environment(config.templates_dir, templates, site_globals(config))
    problems += check_templates(env, config.templates_dir, NEEDED_TEMPLATES)
    if problems:
        raise BuildFailed(problems)
    return Prepared(tasks, static, index, body_of, templates)


def _static_files(config: SiteConfig) -> tuple[list[tuple[str, Path]], list[Problem]]:
    files, problems = [], []
    for rel, path, is_link in walk_files(config.static_dir):
        if is_link:
            problems.append(
                Problem(
                    f"static/{rel}",
                    0,
                    "E160",
                    "không cho phép liên kết tượng trưng (symlink)",
                    "thay liên kết bằng tệp thật",
                )
            )
        else:
            files.append((rel, path))
    return files, problems


def _template_links(config: SiteConfig) -> list[Problem]:
    return [
        Problem(
            f"templates/{rel}",
            0,
            "E160",
            "không cho phép liên kết tượng trưng (symlink)",
            "thay liên kết bằng tệp thật",
        )
        for rel, _path, is_link in walk_files(config.templates_dir)
        if is_link
    ]


# -- parsing ----------------------------------------------------------------------------------

_worker_renderer: Renderer | None = None


def _init_parse_worker(settings: MarkupSettings) -> None:
    global _worker_renderer
    _worker_renderer = _renderer(settings)


def _parse_one(item: tuple[str, bytes]) -> ParsedFile | list[Problem]:
    assert _worker_renderer is not None
    rel, data = item
    try:
        return parse_file(rel, data, _worker_renderer)
    except FileProblems as error:
        return error.problems


def _parse_all(
    config: SiteConfig,
    files: list[tuple[str, Path]],
    settings: MarkupSettings,
    options: BuildOptions,
    problems: list[Problem],
) -> tuple[list[ParsedFile], Callable[[ParsedFile], str]]:
    cache = ParseCache(config.root, settings.key()) if options.use_cache else None
    results: dict[str, ParsedFile] = {}
    todo: list[tuple[str, bytes]] = []
    for rel, path in files:
        try:
            data = read_bytes(path)
        except OSError as error:
            problems.append(
                Problem(
                    f"content/{rel}",
                    0,
                    "E160" if error.errno == 40 else "E210",
                    f"không đọc được tệp: {error.strerror or error}",
                    "",
                )
            )
            continue
        hit = cache.get(rel, file_digest(data)) if cache else None
        if hit is not None:
            results[rel] = hit
        else:
            todo.append((rel, data))
    for outcome in _map(_init_parse_worker, (settings,), _parse_one, todo, len(todo), options.jobs):
        if isinstance(outcome, ParsedFile):
            results[outcome.path] = cache.put(outcome) if cache else outcome
        else:
            problems.extend(outcome)
    if cache and not problems:
        cache.save()
    parsed = [results[rel] for rel, _ in files if rel in results]
    return parsed, _body_reader(config, settings, cache)


def _body_reader(
    config: SiteConfig, settings: MarkupSettings, cache: ParseCache | None
) -> Callable[[ParsedFile], str]:
    """Bodies come from the parse, else from the cache, else the file is parsed again."""
    renderer: list[Renderer] = []

    def body_of(parsed: ParsedFile) -> str:
        if parsed.body_html is not None:
            return parsed.body_html
        text = cache.body(parsed) if cache else None
        if text is None:
            renderer[:] = renderer or [_renderer(settings)]
            data = read_bytes(config.content_dir / parsed.path)
            try:
                text = parse_file(parsed.path, data, renderer[0]).body_html
            except FileProblems as error:  # the file changed during the build
                raise BuildFailed(error.problems) from None
        assert text is not None
        return text

    return body_of


def _map(
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    function: Callable[[Any], Any],
    items: Iterable[Any],
    count: int,
    jobs: int | None,
) -> Iterator[Any]:
    """Map in order, in a process pool when it pays; the results are the same either way.

    Items are fed to the pool in batches, so memory holds a batch, not the whole site.
    """
    workers = jobs or os.cpu_count() or 1
    if not count:
        return
    if workers <= 1 or count < POOL_THRESHOLD:
        initializer(*initargs)
        yield from map(function, items)
        return
    context = multiprocessing.get_context("fork")
    chunk = max(1, min(32, count // (workers * 8)))
    iterator = iter(items)
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_pool_worker_init,
        initargs=(initializer, initargs),
    ) as pool:
        while batch := list(itertools.islice(iterator, BATCH)):
            yield from pool.map(function, batch, chunksize=chunk)


def _pool_worker_init(initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C
    initializer(*initargs)


# -- rendering and writing ------------------------------------------------------------------

_worker_env: Any = None
_worker_templates: Path | None = None
# Built once per process and reused while nothing they depend on changes: compiling the
# templates and setting up Python-Markdown cost more than a small rebuild (serve).
_environments: dict[tuple[str, str, str], Any] = {}
_renderers: dict[MarkupSettings, Renderer] = {}


def _environment(templates_dir: Path, templates: str, site: dict[str, Any]) -> Any:
    key = (str(templates_dir), templates, repr(site))
    if key not in _environments:
        _environments.clear()
        _environments[key] = make_environment(templates_dir, site)
    return _environments[key]


def _renderer(settings: MarkupSettings) -> Renderer:
    if settings not in _renderers:
        _renderers.clear()
        _renderers[settings] = Renderer(settings)
    return _renderers[settings]


def _init_render_worker(templates_dir: Path, templates: str, site: dict[str, Any]) -> None:
    global _worker_env, _worker_templates
    _worker_env = _environment(templates_dir, templates, site)
    _worker_templates = templates_dir


def _render_one(task: RenderTask) -> tuple[str, bytes | Problem]:
    assert _worker_env is not None and _worker_templates is not None
    if not task.template:
        return task.output_path, task.context["raw"].encode("utf-8")
    try:
        text = _worker_env.get_template(task.template).render(**task.context)
    except Exception as error:  # noqa: BLE001 - every template failure becomes a Problem
        return task.output_path, render_error(error, _worker_templates, "/" + task.output_path)
    return task.output_path, text.encode("utf-8")


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
    previous = read_manifest(out) if use_manifest and out.is_dir() else {}
    manifest, changed = _plan_changes(config, prepared, previous)
    removed = tuple(sorted(set(previous) - set(manifest)))
    if out.is_dir() and not changed and not removed and previous:
        return BuildResult(out, *counts, kept=len(manifest), next_change=index.next_change,
                           index=index)  # fmt: skip

    standby = Standby(out)
    try:
        written = _render_into(standby, config, prepared, changed, manifest, options)
        for rel in sorted(set(manifest) - set(written)):
            if not standby.current(rel, manifest[rel]) and not standby.link(rel, manifest[rel]):
                # The live file vanished (deleted by hand): make it again.
                standby.write(rel, manifest[rel], _render_missing(config, prepared, rel))
        standby.remove_others(manifest)
        standby.commit(manifest)
    except OSError as error:
        standby.abort()
        raise BuildFailed([Problem(
            out.name, 0, "E210", f"không ghi được đầu ra: {error.strerror or error}",
            "kiểm tra dung lượng đĩa và quyền ghi; đầu ra cũ vẫn giữ nguyên",
        )]) from None  # fmt: skip
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
    )


def _plan_changes(
    config: SiteConfig, prepared: Prepared, previous: dict[str, str]
) -> tuple[dict[str, str], list[RenderTask | tuple[str, Path]]]:
    """Every output file's digest, and the tasks and static files whose digest changed."""
    global_digest = hashlib.blake2b(
        f"{code_version()}|{config.digest}|{prepared.templates}".encode(),
        digest_size=16,
    ).hexdigest()
    manifest: dict[str, str] = {}
    changed: list[RenderTask | tuple[str, Path]] = []
    for task in prepared.tasks:
        body_digest = task.body.digest if task.body else ""
        digest = task_digest(global_digest, task.template, task.context, body_digest)
        manifest[task.output_path] = digest
        if previous.get(task.output_path) != digest:
            changed.append(task)
    for rel, path in prepared.static:
        manifest[rel] = "static:" + file_digest(read_bytes(path))
        if previous.get(rel) != manifest[rel]:
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
    problems: list[Problem] = []
    site = site_globals(config)
    ready = (_with_body(task, prepared.body_of) for task in tasks)
    setup = (config.templates_dir, prepared.templates, site)
    for output_path, outcome in _map(_init_render_worker, setup,
                                     _render_one, ready, len(tasks), options.jobs):  # fmt: skip
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
            standby.write(rel, manifest[rel], read_bytes(path))
            written.add(rel)
    return written


def _with_body(task: RenderTask, body_of: Callable[[ParsedFile], str]) -> RenderTask:
    """The task ready to render: its body read in, nothing else to carry to a worker."""
    if task.body is None:
        return task
    context = {**task.context, "body_html": body_of(task.body)}
    return RenderTask(task.output_path, task.template, context, task.source)


def _render_missing(
    config: SiteConfig, prepared: Prepared, rel: str, site: dict[str, Any]
) -> bytes:
    for static_rel, path in prepared.static:
        if static_rel == rel:
            return read_bytes(path)
    _init_render_worker(config.templates_dir, prepared.templates, site_globals(config))
    task = next(t for t in prepared.tasks if t.output_path == rel)
    _, outcome = _render_one(_with_body(task, prepared.body_of))
    if isinstance(outcome, Problem):
        raise BuildFailed([outcome])
    return outcome
