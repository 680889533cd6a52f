#!/usr/bin/env python3
"""Save-to-reload time of a development server, measured in a real headless Chromium.

    python bench/reload.py [--n 1000] [--runs 10] [--hugo BINARY]

Generates an N-article corpus (shared/bench/make_corpus.py), starts `ancongthuong-site serve`
on it (and, with --hugo, `hugo server` on the Hugo flavour of the same corpus), opens an
article in Chromium (Debian's /usr/bin/chromium, driven by Playwright), then saves a new title
into the article's file and measures the time from the save to the moment the page shows the
new title: the reloaded document's DOMContentLoaded (Navigation Timing, on the same clock), or
the moment the new title is seen where the server changed the page without reloading it.
Prints the median and the range, and the peak RSS of the server's largest process.

`bench/run.py` calls `measure_reload` for its save→reload rows.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from chromium import CHROMIUM, LAUNCH_ARGS  # bench/ is this script's folder

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
MAKE_CORPUS = REPO.parent / "shared" / "bench" / "make_corpus.py"
MEASURE = BENCH_DIR / "measure.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ours_server(root: Path, port: int, python: str = sys.executable) -> list[str]:
    return [python, "-m", "ancongthuong_site", "serve", "--root", str(root), "--port", str(port)]


def hugo_server(binary: str, root: Path, port: int) -> list[str]:
    # Hugo's defaults: pages rendered to memory, fast render mode, live reload.
    return [
        binary,
        "server",
        "-s",
        str(root),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--baseURL",
        f"http://127.0.0.1:{port}/",
        "--appendPort=false",
    ]


def article_url(content: Path, article: Path) -> str:
    """The article's URL path: its folders and name under content/ (both corpora agree)."""
    rel = article.relative_to(content).with_suffix("")
    return "/" + rel.as_posix() + "/"


def measure_reload(
    command: list[str],
    article: Path,
    url_path: str,
    port: int,
    runs: int,
    *,
    env: dict[str, str] | None = None,
    start_timeout: float = 900,
) -> tuple[list[float], int]:
    """Save→shown times in milliseconds for `runs` title edits, and the peak RSS (KiB) of
    the server's largest process (its first build's workers included)."""
    from playwright.sync_api import sync_playwright

    wrapper = subprocess.Popen(
        [sys.executable, str(MEASURE), "--", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    original = article.read_text(encoding="utf-8")
    timings: list[float] = []
    try:
        _wait_until_served(base + url_path, start_timeout, wrapper)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            page = browser.new_page()
            page.goto(base + url_path)
            for run in range(runs):
                page.wait_for_timeout(800)  # the live-reload connection is open again
                title = f"Tiêu đề đo lần {run}"
                text = re.sub(r"^title: .*$", f'title: "{title}"', original, count=1, flags=re.M)
                saved_at = time.time() * 1000
                article.write_text(text, encoding="utf-8")
                page.wait_for_function(
                    f"document.querySelector('h1').innerText === {title!r}",
                    timeout=120_000,
                    polling=5,
                )
                seen_at = time.time() * 1000
                origin, loaded = page.evaluate(
                    "[performance.timeOrigin, "
                    "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd]"
                )
                # Reloaded: when the new document was ready; else when the change was seen.
                timings.append((origin + loaded if origin > saved_at else seen_at) - saved_at)
            browser.close()
    finally:
        article.write_text(original, encoding="utf-8")
        rss = _stop(wrapper)
    return timings, rss


def _wait_until_served(url: str, timeout: float, wrapper: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if wrapper.poll() is not None:
            raise RuntimeError("the server exited before serving")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"nothing served at {url} after {timeout:.0f} s")


def _stop(wrapper: subprocess.Popen) -> int:
    """Ctrl-C to the server (the wrapper's only child), then the wrapper's peak RSS."""
    children = Path(f"/proc/{wrapper.pid}/task/{wrapper.pid}/children")
    try:
        for pid in children.read_text().split():
            os.killpg(int(pid), signal.SIGINT)  # measure.py starts it in its own group
    except OSError:
        pass
    try:
        out, _ = wrapper.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        wrapper.kill()
        out, _ = wrapper.communicate()
    try:
        return int(json.loads(out)["maxrss_kib"])
    except (ValueError, KeyError):
        return 0


def summary(label: str, timings: list[float], rss_kib: int) -> str:
    return (
        f"{label}: median {statistics.median(timings):.0f} ms "
        f"(min {min(timings):.0f}, max {max(timings):.0f}) over {len(timings)} saves; "
        f"peak RSS {rss_kib / 1024:.0f} MiB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--hugo", default="", help="a hugo binary: measure `hugo server` too")
    parser.add_argument("--corpus-script", type=Path, default=MAKE_CORPUS)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="reload-bench-"))
    try:
        flavours = ["site", "hugo"] if args.hugo else ["site"]
        for flavour in flavours:
            site = work / flavour
            subprocess.run(
                [
                    sys.executable,
                    str(args.corpus_script),
                    "--n",
                    str(args.n),
                    "--out",
                    str(site),
                    "--flavor",
                    flavour,
                ],
                check=True,
                capture_output=True,
            )
            if flavour == "site":
                for name in ("templates", "static"):
                    shutil.copytree(REPO / name, site / name)
                shutil.copy(REPO / "site.yaml", site / "site.yaml")
            content = site / "content"
            target = sorted(content.rglob("*.md"), key=lambda p: p.relative_to(content))
            article = target[len(target) // 2]
            port = free_port()
            command = (
                ours_server(site, port) if flavour == "site" else hugo_server(args.hugo, site, port)
            )
            timings, rss = measure_reload(
                command, article, article_url(content, article), port, args.runs
            )
            label = "ancongthuong-site serve" if flavour == "site" else "hugo server"
            print(summary(f"{label}, N = {args.n}", timings, rss), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
