"""The process pool: parse and render workers, each set up once, results in order.

Only the main process writes; workers return values. `--jobs 1` and `--jobs N` give the
same bytes because results come back in the order the items went in.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .documents import parse_without_terms, with_search_terms
from .errors import Problem, stop_point
from .loader import FileProblems, Rejected
from .markup import MarkupSettings, Renderer
from .models import ParsedFile, RenderTask
from .templating import make_environment, render_error
from .views import Site

# Below this many items a process pool costs more than it saves.
POOL_THRESHOLD = 200
BATCH = 1024


_worker_renderer: Renderer | None = None


def init_parse_worker(settings: MarkupSettings) -> None:
    global _worker_renderer
    _worker_renderer = renderer(settings)


# Files a parse worker takes at a time: their search terms are made together (numpy's
# cost per call is paid once per chunk).
PARSE_CHUNK = 32


def parse_chunk(items: list[tuple[str, bytes]]) -> list[ParsedFile | tuple[str, Rejected]]:
    """Parse some files, in order: each a ParsedFile with its search terms, or rejected."""
    assert _worker_renderer is not None
    outcomes: list[ParsedFile | tuple[str, Rejected]] = []
    for rel, data in items:
        try:
            outcomes.append(parse_without_terms(rel, data, _worker_renderer))
        except FileProblems as error:
            outcomes.append((rel, Rejected(error.problems, error.category)))
    parsed = [outcome for outcome in outcomes if isinstance(outcome, ParsedFile)]
    termed = iter(with_search_terms(parsed))
    return [next(termed) if isinstance(o, ParsedFile) else o for o in outcomes]


def parse_all(
    settings: MarkupSettings, items: list[tuple[str, bytes]], jobs: int | None
) -> Iterator[ParsedFile | tuple[str, Rejected]]:
    """`parse_chunk` over every item, in order, in a pool when it pays."""
    chunks = [items[at : at + PARSE_CHUNK] for at in range(0, len(items), PARSE_CHUNK)]
    outcomes = map_in_order(
        init_parse_worker,
        (settings,),
        parse_chunk,
        chunks,
        len(chunks),
        jobs,
        threshold=POOL_THRESHOLD // PARSE_CHUNK,
        chunk=1,
    )
    return itertools.chain.from_iterable(outcomes)


def map_in_order(
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    function: Callable[[Any], Any],
    items: Iterable[Any],
    count: int,
    jobs: int | None,
    *,
    threshold: int = POOL_THRESHOLD,
    chunk: int | None = None,
) -> Iterator[Any]:
    """Map in order, in a process pool when it pays; the results are the same either way.

    Items are fed to the pool in batches, so memory holds a batch, not the whole site.
    `threshold` is the fewest items worth a pool (lower for heavy items such as photos);
    `chunk`, how many items a worker takes at a time (by default a few per worker and batch).
    """
    workers = jobs or os.cpu_count() or 1
    if not count:
        return
    if workers <= 1 or count < threshold:
        initializer(*initargs)
        for item in items:
            yield function(item)
            stop_point()
        return
    context = multiprocessing.get_context("fork")
    chunk = chunk or max(1, min(32, count // (workers * 8)))
    iterator = iter(items)
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_pool_worker_init,
        initargs=(initializer, initargs),
    )
    try:
        while batch := list(itertools.islice(iterator, BATCH)):
            # Workers are forked while the batch is submitted. A signal that lands inside
            # Python's at-fork hooks is swallowed there, so Ctrl-C and SIGTERM wait until
            # the submission is done and then arrive in the main process as usual.
            with _signals_held():
                results = pool.map(function, batch, chunksize=chunk)
            for result in results:
                yield result
                stop_point()
    except BaseException:
        # Ctrl-C, SIGTERM or an error: stop the workers now rather than wait for them.
        _stop(pool)
        raise
    pool.shutdown(wait=True)


_HELD = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _stop(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """Cancel what has not started and let the workers finish their chunk (under a second).

    Killing them instead would leave the pool's own threads waiting on dead pipes, and
    the interpreter would hang at exit joining them.
    """
    with contextlib.suppress(Exception):
        pool.shutdown(wait=True, cancel_futures=True)


def _pool_worker_init(initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # and stops workers with SIGTERM
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)  # forked with them held
    initializer(*initargs)


# -- rendering and writing ------------------------------------------------------------------

_worker_env: Any = None
_worker_templates: Path | None = None
# Built once per process and reused while nothing they depend on changes: compiling the
# templates and setting up Python-Markdown cost more than a small rebuild (serve).
_environments: dict[tuple[str, str, str], Any] = {}
_renderers: dict[MarkupSettings, Renderer] = {}


def environment(templates_dir: Path, templates: str, site: Site, compiled: Any = None) -> Any:
    """`compiled`: where compiled templates are kept between runs (a jinja2 BytecodeCache)."""
    key = (str(templates_dir), templates, repr(site))
    if key not in _environments:
        _environments.clear()
        env = make_environment(templates_dir, site)
        env.bytecode_cache = compiled
        _environments[key] = env
    return _environments[key]


def renderer(settings: MarkupSettings) -> Renderer:
    if settings not in _renderers:
        _renderers.clear()
        _renderers[settings] = Renderer(settings)
    return _renderers[settings]


def init_render_worker(templates_dir: Path, templates: str, site: Site) -> None:
    global _worker_env, _worker_templates
    _worker_env = environment(templates_dir, templates, site)
    _worker_templates = templates_dir


def raw_bytes(task: RenderTask) -> bytes:
    """A file given as it is, not rendered from a template (the search index's): its
    text, or what reads its bytes (searchtexts.IndexFile)."""
    raw = task.context["raw"]
    return raw.encode("utf-8") if isinstance(raw, str) else raw.data()


def render_one(task: RenderTask) -> tuple[str, bytes | Problem]:
    assert _worker_env is not None and _worker_templates is not None
    if not task.template:
        return task.output_path, raw_bytes(task)
    try:
        text = _worker_env.get_template(task.template).render(**task.context)
    except Exception as error:  # noqa: BLE001 - every template failure becomes a Problem
        return task.output_path, render_error(error, _worker_templates, "/" + task.output_path)
    return task.output_path, text.encode("utf-8")
