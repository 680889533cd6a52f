#!/usr/bin/env python3
"""Save-to-reload time of `ancongthuong-site serve`, measured in a real headless Chromium.

    python bench/reload.py [--n 1000] [--runs 10]

Generates an N-article corpus (shared/bench/make_corpus.py), starts `serve` on it, opens
an article in Chromium (Debian's /usr/bin/chromium, driven by Playwright), then saves a
new title into the article's file and measures the time from the save to the moment the
reloaded page has its new title in the DOM (the new document's DOMContentLoaded, read from
the Navigation Timing API, on the same clock). Prints the median and the range.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAKE_CORPUS = REPO.parent / "shared" / "bench" / "make_corpus.py"
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--corpus-script", type=Path, default=MAKE_CORPUS)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="reload-bench-"))
    try:
        site = work / "site"
        subprocess.run([sys.executable, str(args.corpus_script), "--n", str(args.n), "--out", str(site)],
                       check=True, capture_output=True)  # fmt: skip
        for name in ("templates", "static"):
            shutil.copytree(REPO / name, site / name)
        shutil.copy(REPO / "site.yaml", site / "site.yaml")
        target = sorted((site / "content").rglob("*.md"))[args.n // 2]
        rel = target.relative_to(site / "content")
        url_path = f"{rel.parts[0]}/{rel.parts[1]}/{target.stem}/"
        server = subprocess.Popen(
            [sys.executable, "-m", "ancongthuong_site", "serve", "--root", str(site), "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        assert server.stdout is not None
        base = ""
        while not base:
            line = server.stdout.readline()
            if not line:
                raise SystemExit("serve exited early")
            if match := re.search(r"(http://127\.0\.0\.1:\d+/)", line):
                base = match.group(1)
        original = target.read_text(encoding="utf-8")
        timings: list[float] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            page = browser.new_page()
            page.goto(base + url_path)
            for run in range(args.runs):
                page.wait_for_timeout(600)  # the live-reload connection is open again
                title = f"Tiêu đề đo lần {run}"
                text = re.sub(r"^title: .*$", f'title: "{title}"', original, count=1, flags=re.M)
                saved_at = time.time() * 1000
                target.write_text(text, encoding="utf-8")
                page.wait_for_function(f"document.querySelector('h1').innerText === {title!r}",
                                       timeout=20_000, polling=5)  # fmt: skip
                visible_at = page.evaluate(
                    "performance.timeOrigin + "
                    "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
                )
                timings.append(visible_at - saved_at)
            browser.close()
        target.write_text(original, encoding="utf-8")
        server.send_signal(2)
        server.wait(timeout=10)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"save → page reloaded with the change, N = {args.n}, {len(timings)} runs: "
          f"median {statistics.median(timings):.0f} ms "
          f"(min {min(timings):.0f}, max {max(timings):.0f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
