#!/usr/bin/env python3
"""Search benchmark: index cost, index size, bytes per query and time to first results.

    python bench/search.py --n 10000 [--runs 2] [--work DIR]
    python bench/search.py --n 10000 --work DIR --queries-only   # the browser part again

Generates the corpus with make_corpus.py (seed 1) beside the repository's site files, then:
- cold builds (no .cache, no output) with and without the search index, alternately, so
  the index's share of a cold build is the difference of the medians, in wall time and in
  CPU time (the build's process and its workers: less hurt by other load on the machine);
- a rebuild after one body edit (files written, of which index shards);
- the index on disk (files, bytes, bytes once gzipped at level 6, as a server sends them);
- in headless Chromium (Debian's, through Playwright) with the site served on 127.0.0.1:
  for each query, the index files it downloads (gzipped bytes) and the time to the first
  result in the list, from the page's DOMContentLoaded and from the navigation's start
  (median of RUNS, a fresh browser context each time: nothing cached). The search script
  runs in the page's head, so its work starts before DOMContentLoaded: the time from the
  navigation's start is the one that counts everything. Snippets come from the result
  pages; their bytes are shown apart.
Prints a Markdown table for bench/results.md.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

from chromium import CHROMIUM, LAUNCH_ARGS  # bench/ is this script's folder

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
QUERIES = ["dang uy", "Đảng ủy", "cong thuong", "xuat khau", "Nguyễn Minh Hùng", "ocop"]
EPOCH = "1798675200"  # 2027-01-01: every generated article is published
RUNS = 5  # fresh browser contexts per query


def child_build(root: str, with_index: bool) -> None:
    """Run in a subprocess: one build, then its time and peak memory on stdout."""
    sys.path.insert(0, str(REPO / "src"))
    from ancongthuong_site import plan, searchterms
    from ancongthuong_site.build import build

    if not with_index:
        import ancongthuong_site.loader as loader

        none = types.SimpleNamespace(tasks=lambda: [], cancel=lambda: None)
        plan.start_search_index = lambda *args: none  # type: ignore[assignment]
        plan.search_index_tasks = lambda *args: []  # what revisions before 7aadd47 called
        from ancongthuong_site import pool

        if hasattr(pool, "with_search_terms"):  # terms made per chunk of files, with numpy
            pool.with_search_terms = lambda parsed: parsed  # type: ignore[attr-defined]
        else:  # terms made per file (earlier revisions)
            searchterms.encode_terms = lambda title, fields: ""  # type: ignore[assignment]
            loader.encode_terms = searchterms.encode_terms  # type: ignore[attr-defined]
    start = time.perf_counter()
    result = build(Path(root))
    took = time.perf_counter() - start
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    peak = max(u.ru_maxrss for u in usage) / 1024
    cpu = sum(u.ru_utime + u.ru_stime for u in usage)  # workers included
    # User time alone: the system time of writing thousands of files swings with the other
    # work on the machine's disk, the build's own Python work much less.
    user = sum(u.ru_utime for u in usage)
    print(f"{took:.3f} {len(result.written)} {peak:.0f} {cpu:.2f} {user:.2f}")


def run_build(root: Path, with_index: bool, cold: bool) -> tuple[float, int, float, float, float]:
    if cold:
        for name in ("_site", "._site.standby", ".cache"):
            shutil.rmtree(root / name, ignore_errors=True)
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(root), "--index" if with_index else "--no-index"],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
    )
    took, written, peak, cpu, user = out.stdout.split()[-5:]
    return float(took), int(written), float(peak), float(cpu), float(user)


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), 6))


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def browser_queries(site: Path) -> list[dict]:
    from playwright.sync_api import sync_playwright

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    rows = []
    # Waited for with a promise, not page.wait_for_function: that polls through Playwright's
    # injected script, whose compiling (about 20 ms) lands on the page's main thread in the
    # middle of the search's own work.
    watch = """
      window.__firstResult = null;
      window.__firstResultShown = new Promise(function (resolve) {
        new MutationObserver(function (changes, observer) {
          var list = document.getElementById('search-results');
          if (list && list.querySelector('li')) {
            window.__firstResult = performance.now();
            observer.disconnect();
            resolve(window.__firstResult);
          }
        }).observe(document, {childList: true, subtree: true});
      });
    """
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        for query in QUERIES:
            times, from_start = [], []
            for _ in range(RUNS):
                context = browser.new_context()
                page = context.new_page()
                page.add_init_script(watch)
                fetched: list[str] = []
                page.on("request", lambda request, fetched=fetched: fetched.append(request.url))
                page.goto(url + "tim-kiem/?q=" + query)
                page.evaluate("window.__firstResultShown")
                page.wait_for_load_state("networkidle")
                loaded = page.evaluate(
                    "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
                )
                first = page.evaluate("window.__firstResult")  # from the navigation's start
                times.append(first - loaded)
                from_start.append(first)
                count = page.locator("#search-status").inner_text()
                context.close()
            index_files = [u[len(url) :] for u in fetched if "/tim-kiem/chi-muc/" in u]
            pages = [u[len(url) :] for u in fetched if u.endswith("/") and "tim-kiem" not in u]
            rows.append(
                {
                    "query": query,
                    "status": count,
                    "index_files": len(index_files),
                    "index_gz": sum(gz(site / f) for f in index_files),
                    "index_raw": sum((site / f).stat().st_size for f in index_files),
                    "snippet_gz": sum(gz(site / p / "index.html") for p in pages),
                    "ms": statistics.median(times),
                    "ms_start": statistics.median(from_start),
                }
            )
        browser.close()
    server.shutdown()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--child")
    parser.add_argument("--index", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--queries-only", action="store_true", help="only the browser queries, on WORK's site"
    )
    args = parser.parse_args()
    if args.child:
        child_build(args.child, args.index)
        return
    if args.queries_only:
        site = args.work / f"site-{args.n}" / "_site"
        print(f"load average {os.getloadavg()[0]:.2f}")
        rows = browser_queries(site)
        print(f"load average after {os.getloadavg()[0]:.2f}")
        print_queries(rows)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-search-"))
    root = work / f"site-{args.n}"
    if not (root / "content").is_dir():
        subprocess.run(
            [
                sys.executable,
                str(SHARED / "bench/make_corpus.py"),
                "--n",
                str(args.n),
                "--out",
                str(root),
            ],
            check=True,
            capture_output=True,
        )
    for name in ("site.yaml", "templates", "static"):
        shutil.rmtree(root / name, ignore_errors=True) if name != "site.yaml" else None
        (shutil.copytree if name != "site.yaml" else shutil.copy)(REPO / name, root / name)
    cold: dict[bool, list[tuple[float, int, float, float, float]]] = {True: [], False: []}
    for _ in range(args.runs):
        for with_index in (False, True):
            cold[with_index].append(run_build(root, with_index, cold=True))
    with_index = statistics.median(run[0] for run in cold[True])
    without = statistics.median(run[0] for run in cold[False])
    cpu_with = statistics.median(run[3] for run in cold[True])
    cpu_without = statistics.median(run[3] for run in cold[False])
    user_with = statistics.median(run[4] for run in cold[True])
    user_without = statistics.median(run[4] for run in cold[False])
    # One body edit, warm: the page, the feeds and the shards of its new syllables.
    article = sorted((root / "content").rglob("*.md"))[
        len(list((root / "content").rglob("*.md"))) // 2
    ]
    article.write_text(article.read_text("utf-8") + "\nMột đoạn mới: kiểm tra xăng dầu.\n", "utf-8")
    edit_time, edit_written, _, edit_cpu, _ = run_build(root, True, cold=False)
    index = root / "_site/tim-kiem/chi-muc"
    files = [p for p in index.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    size_gz = sum(gz(p) for p in files)
    shards = len(list((index / "s").iterdir()))
    load = os.getloadavg()[0]
    rows = browser_queries(root / "_site")
    print(f"N = {args.n:,}; {args.runs} cold builds each way; load average {load:.2f}\n")
    print("| measure | value |\n|---|---|")
    for label, runs, wall, cpu, user in (
        ("without", cold[False], without, cpu_without, user_without),
        ("with", cold[True], with_index, cpu_with, user_with),
    ):
        times = ", ".join(f"{run[0]:.2f}" for run in runs)
        print(
            f"| cold build {label} the index (median) | {wall:.2f} s ({times}), "
            f"{cpu:.1f} s CPU of which {user:.1f} s user, "
            f"peak RSS {max(run[2] for run in runs):.0f} MiB |"
        )
    print(
        f"| index build cost | {with_index - without:.2f} s = "
        f"{100 * (with_index - without) / with_index:.0f} % of a cold build; "
        f"{cpu_with - cpu_without:.1f} s CPU = {100 * (cpu_with - cpu_without) / cpu_with:.0f} %; "
        f"{user_with - user_without:.1f} s user CPU = "
        f"{100 * (user_with - user_without) / user_with:.0f} % |"
    )
    print(
        f"| rebuild after one body edit | {edit_time:.2f} s ({edit_cpu:.2f} s CPU), "
        f"{edit_written} files written |"
    )
    print(
        f"| index on disk | {len(files):,} files ({shards} shards), {size / 1e6:.1f} MB, "
        f"{size_gz / 1e6:.1f} MB gzipped |"
    )
    print_queries(rows)


def print_queries(rows: list[dict]) -> None:
    print(
        "\n| query | results | index files | downloaded (gzip) | raw | snippets (result pages, "
        f"gzip) | first results after DOMContentLoaded (median of {RUNS}) | after the "
        "navigation's start |"
    )
    print("|---|---|--:|--:|--:|--:|--:|--:|")
    for row in rows:
        print(
            f"| {row['query']} | {row['status']} | {row['index_files']} | "
            f"{row['index_gz'] / 1024:.0f} KB | {row['index_raw'] / 1024:.0f} KB | "
            f"{row['snippet_gz'] / 1024:.0f} KB | {row['ms']:.0f} ms | {row['ms_start']:.0f} ms |"
        )


if __name__ == "__main__":
    main()
