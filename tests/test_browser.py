"""The editor's loop in a real headless Chromium: serve, edit, see it, break it, fix it.

Skipped where Debian's chromium is not installed (`.ci/run` installs it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CHROMIUM, EPOCH, LAUNCH_ARGS, article

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")


@pytest.fixture
def served(make_site) -> Iterator[tuple[Path, str]]:
    root = make_site(
        {
            "content/2024/02/hoi-nghi.md": article(title="Hội nghị tổng kết", source="Văn phòng"),
            "content/2024/02/tin-khac.md": article(title="Tin khác", date="2024-02-01"),
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "ancongthuong_site", "serve", "--root", str(root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
    )
    assert process.stdout is not None
    url = ""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if match := re.search(r"(http://127\.0\.0\.1:\d+/)", line):
            url = match.group(1)
            break
    assert url, "serve did not print its address"
    try:
        yield root, url
    finally:
        process.send_signal(2)  # Ctrl-C: a clean shutdown
        assert process.wait(timeout=10) == 0


def test_edit_reload_overlay_and_recovery(served: tuple[Path, str], tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    root, url = served
    source = root / "content/2024/02/hoi-nghi.md"
    good = source.read_text(encoding="utf-8")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_page()
        page.goto(url + "2024/02/hoi-nghi/")
        assert page.locator("h1").inner_text() == "Hội nghị tổng kết"
        other = browser.new_page()
        other.goto(url + "2024/02/tin-khac/")
        other.evaluate("window.notReloaded = true")
        page.wait_for_timeout(300)  # let the live-reload connections open

        # A body edit changes that article's page only: it reloads, the other one does not.
        source.write_text(good.replace("Đoạn thứ hai.", "Đoạn thứ hai, đã sửa."), encoding="utf-8")
        page.wait_for_function("document.body.innerText.includes('đã sửa')", timeout=10_000)
        other.wait_for_timeout(300)
        assert other.evaluate("window.notReloaded === true")

        # An editor saves a new title: the open page reloads by itself and shows it.
        source.write_text(good.replace("Hội nghị tổng kết", "Hội nghị sơ kết"), encoding="utf-8")
        page.wait_for_function(
            "document.querySelector('h1').innerText === 'Hội nghị sơ kết'", timeout=10_000
        )

        # A broken save keeps the last good page and shows the error over it.
        source.write_text(
            good.replace('date: "2024-02-27 14:00"', 'date: "2024-02-30"'), encoding="utf-8"
        )
        overlay = page.locator("#ancongthuong-error-overlay")
        overlay.wait_for(state="visible", timeout=10_000)
        assert "content/2024/02/hoi-nghi.md:3: E112" in overlay.inner_text()
        assert page.locator("h1").inner_text() == "Hội nghị sơ kết"
        page.screenshot(path=str(tmp_path / "overlay.png"))

        # The fix: the overlay goes and the page is current again.
        source.write_text(good, encoding="utf-8")
        overlay.wait_for(state="detached", timeout=10_000)
        page.wait_for_function(
            "document.querySelector('h1').innerText === 'Hội nghị tổng kết'", timeout=10_000
        )
        browser.close()
