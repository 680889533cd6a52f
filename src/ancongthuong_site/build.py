"""`build()`: config → load → index → plan → render → write. The only orchestrator."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import logging
import multiprocessing
import os
import signal
import tempfile
from collections.abc import Callable, Iterator
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
from .writer import OutputLock, Staging, guard_output, read_manifest, recover

log = logging.getLogger(__name__)
# Below this many items a process pool costs more than it saves.
POOL_THRESHOLD = 200


@dataclass(frozen=True)
class BuildOptions:
    out: Path | None = None  # default: <root>/_site
    drafts: bool = False
    future: bool = False
    jobs: int | None = None  # default: the CPU count
    force: bool = False
    now: dt.datetime | None = None  # default: SOURCE_DATE_EPOCH, else the clock
    use_cache: bool = True


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
        tasks, static, index, result_counts = _prepare(config, options)
        return _write(config, out, tasks, static, index, options, result_counts)


def check(root: Path, options: BuildOptions | None = None) -> tuple[BuildResult, Path]:
    """Validate everything and render into a temporary folder for the link check.

    Returns the result and the temporary folder, which the caller removes.
    """
    options = options or BuildOptions()
    config = load_config(root)
    tasks, static, index, counts = _prepare(config, options)
    temp = Path(tempfile.mkdtemp(prefix="ancongthuong-check-"))
    out = temp / "site"
    result = _write(config, out, tasks, static, index, options, counts, use_manifest=False)
    return result, out


def _prepare(
    config: SiteConfig, options: BuildOptions
) -> tuple[list[RenderTask], list[tuple[str, Path]], SiteIndex, tuple[int, int]]:
    now = options.now or clock()
    problems: list[Problem] = []
    files, found = discover(config.content_dir)
    problems += found
    static, found = _static_files(config)
    problems += found
    problems += _template_links(config)
    settings = MarkupSettings(config.base_url, config.allow_raw_html)
    parsed = _parse_all(config, files, settings, options, problems)
    articles = load_all(config, parsed, problems)  # raises BuildFailed with every problem
    index = build_index(config, articles, now=now, drafts=options.drafts, future=options.future)
    tasks = Planner(config, index).tasks()
    problems += find_collisions(tasks, [rel for rel, _ in static])
    env = make_environment(config.templates_dir, site_globals(config))
    problems += check_templates(env, config.templates_dir, NEEDED_TEMPLATES)
    if problems:
        raise BuildFailed(problems)
    counts = (len(index.listed) + len(index.unlisted), len(index.pages))
    return tasks, static, index, counts


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
    _worker_renderer = Renderer(settings)


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
) -> list[ParsedFile]:
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
    for outcome in _map(_init_parse_worker, (settings,), _parse_one, todo, options.jobs):
        if isinstance(outcome, ParsedFile):
            results[outcome.path] = outcome
            if cache:
                cache.put(outcome)
        else:
            problems.extend(outcome)
    if cache and not problems:
        cache.save()
    return [results[rel] for rel, _ in files if rel in results]


def _map(
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    function: Callable[[Any], Any],
    items: list[Any],
    jobs: int | None,
) -> Iterator[Any]:
    """Map in order, in a process pool when it pays; the results are the same either way."""
    workers = jobs or os.cpu_count() or 1
    if not items:
        return
    if workers <= 1 or len(items) < POOL_THRESHOLD:
        initializer(*initargs)
        yield from map(function, items)
        return
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_pool_worker_init,
        initargs=(initializer, initargs),
    ) as pool:
        yield from pool.map(function, items, chunksize=max(1, min(64, len(items) // (workers * 8))))


def _pool_worker_init(initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C
    initializer(*initargs)


# -- rendering and writing ------------------------------------------------------------------

_worker_env: Any = None
_worker_templates: Path | None = None


def _init_render_worker(templates_dir: Path, site: dict[str, Any]) -> None:
    global _worker_env, _worker_templates
    _worker_env = make_environment(templates_dir, site)
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
    tasks: list[RenderTask],
    static: list[tuple[str, Path]],
    index: SiteIndex,
    options: BuildOptions,
    counts: tuple[int, int],
    *,
    use_manifest: bool = True,
) -> BuildResult:
    global_digest = hashlib.blake2b(
        f"{code_version()}|{config.digest}|{templates_digest(config.templates_dir)}".encode(),
        digest_size=16,
    ).hexdigest()
    previous = read_manifest(out) if use_manifest and out.is_dir() else {}
    manifest: dict[str, str] = {}
    changed: list[RenderTask] = []
    for task in tasks:
        digest = task_digest(global_digest, task.template, task.context)
        manifest[task.output_path] = digest
        if previous.get(task.output_path) != digest:
            changed.append(task)
    static_data: dict[str, bytes] = {}
    for rel, path in static:
        data = read_bytes(path)
        manifest[rel] = "static:" + file_digest(data)
        if previous.get(rel) != manifest[rel]:
            static_data[rel] = data
    removed = tuple(sorted(set(previous) - set(manifest)))
    if out.is_dir() and not changed and not static_data and not removed and previous:
        return BuildResult(
            out, *counts, kept=len(manifest), next_change=index.next_change, index=index
        )

    rendered: dict[str, bytes] = {}
    problems: list[Problem] = []
    site = site_globals(config)
    for output_path, outcome in _map(
        _init_render_worker, (config.templates_dir, site), _render_one, changed, options.jobs
    ):
        if isinstance(outcome, Problem):
            problems.append(outcome)
        else:
            rendered[output_path] = outcome
    if problems:
        # A broken template fails every page that uses it: report each place once.
        unique: dict[tuple[str, int], Problem] = {}
        for problem in problems:
            unique.setdefault((problem.path, problem.line), problem)
        raise BuildFailed(list(unique.values()))
    rendered.update(static_data)

    staging = Staging(out)
    kept = 0
    try:
        for rel in sorted(manifest):
            if rel in rendered:
                staging.write(rel, rendered[rel])
            elif staging.keep(rel):
                kept += 1
            else:
                # The live file vanished (deleted by hand): render it again.
                staging.write(rel, _render_missing(config, tasks, static, rel, site))
        staging.commit(manifest)
    except OSError as error:
        staging.abort()
        raise BuildFailed(
            [
                Problem(
                    str(out),
                    0,
                    "E210",
                    f"không ghi được đầu ra: {error.strerror or error}",
                    "kiểm tra dung lượng đĩa và quyền ghi",
                )
            ]
        ) from None
    except BaseException:
        staging.abort()
        raise
    return BuildResult(
        output=out,
        articles=counts[0],
        pages=counts[1],
        written=tuple(sorted(rendered)),
        kept=kept,
        removed=removed,
        next_change=index.next_change,
        index=index,
    )


def _render_missing(
    config: SiteConfig,
    tasks: list[RenderTask],
    static: list[tuple[str, Path]],
    rel: str,
    site: dict[str, Any],
) -> bytes:
    for static_rel, path in static:
        if static_rel == rel:
            return read_bytes(path)
    _init_render_worker(config.templates_dir, site)
    task = next(t for t in tasks if t.output_path == rel)
    _, outcome = _render_one(task)
    if isinstance(outcome, Problem):
        raise BuildFailed([outcome])
    return outcome
