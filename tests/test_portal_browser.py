"""The portal as readers see it, in Debian's Chromium: screenshots, axe-core, no script needed.

Screenshots of every page type at a phone's and a laptop's width go to
test-artifacts/screenshots/ (git-ignored, kept by CI) for people to look at. axe-core comes
from npm (`.ci/run` installs it); without it, or without Chromium, the test is skipped.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CHROMIUM, LAUNCH_ARGS, REPO, corpus_site, run_cli, write_tree

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = REPO / "test-artifacts" / "screenshots"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")

# Invented people for a test site only (never in content/): the leaders page needs some.
LEADERS = """\
---
title: "Lãnh đạo Sở"
leaders:
  - name: "Người Thử Nghiệm Một"
    position: "Giám đốc"
    duties: "Phụ trách chung (dữ liệu thử nghiệm)"
    phone: "0000 000 001"
    email: "mot@example.org"
    photo: "/images/lanh-dao-1.jpg"
    bio: "Dữ liệu thử nghiệm, không phải người thật."
  - name: "Người Thử Nghiệm Hai"
    position: "Phó Giám đốc"
    duties: "Phụ trách công nghiệp (dữ liệu thử nghiệm)"
---
"""


def picture(width: int, height: int, tint: int) -> bytes:
    """A small PNG gradient (Chromium reads it whatever the file's extension)."""
    rows = b"".join(
        b"\x00"
        + b"".join(
            bytes((x * 255 // width, (y * 160 // height + tint) % 256, 150)) for x in range(width)
        )
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    root = corpus_site(tmp_path_factory.mktemp("browser"), 40)
    images = {}
    for number, path in enumerate(sorted((root / "content").rglob("*.md"))):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith('image: "/images/'):
                images["static" + line[len('image: "') : -1]] = picture(320, 200, number * 37)
    images["static/images/lanh-dao-1.jpg"] = picture(150, 200, 90)
    write_tree(root, {**images, "content/pages/lanh-dao-so.md": LEADERS})
    result = run_cli("build", "--root", root)
    assert result.returncode == 0, result.stderr
    out = root / "_site"
    handler = functools.partial(QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield out, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def page_types(out: Path) -> dict[str, str]:
    article = min(p for p in out.glob("20*/*/*/index.html") if "lead-image" in p.read_text())
    return {
        "home": "/",
        "article": "/" + article.parent.relative_to(out).as_posix() + "/",
        "category": "/chuyen-muc/tin-hoat-dong/",
        "leaders": "/lanh-dao-so/",
        "site-map": "/so-do-cong/",
        "page": "/gioi-thieu/",
        "english": "/en/introduction/",
        "feeds": "/rss/",
        "archive": "/luu-tru/",
        "search": "/tim-kiem/",
        "documents": "/van-ban/",
        "not-found": "/404.html",
    }


SCREENSHOTS = ("home", "article", "category", "leaders", "site-map")


def test_screenshots_accessibility_and_reading_without_script(site: tuple[Path, str]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    out, base = site
    pages = page_types(out)
    SHOTS.mkdir(parents=True, exist_ok=True)
    violations: dict[str, list[str]] = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        for width in (390, 1366):
            tab = browser.new_page(viewport={"width": width, "height": 900})
            for name, path in pages.items():
                if not (out / path.lstrip("/")).exists() and not path.endswith(".html"):
                    continue  # a page type another part of the portal has not built here
                tab.goto(base + path)
                if name in SCREENSHOTS:
                    # Lazy photos below the fold would be blank in a full-page picture.
                    tab.evaluate(
                        "() => Promise.all([...document.images].map(i =>"
                        " { i.loading = 'eager'; return i.decode().catch(() => null); }))"
                    )
                    tab.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
                if AXE.is_file():
                    tab.add_script_tag(path=str(AXE))
                    found = tab.evaluate(
                        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa',"
                        " 'wcag21a', 'wcag21aa']})).violations.map(v => v.id + ': ' +"
                        " v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))"
                    )
                    if found:
                        violations[f"{name} at {width}px"] = found
            if width == 1366:
                # The lead photo is bounded: the first headline is on the first screen.
                tab.goto(base + "/")
                assert tab.locator(".lead h3").bounding_box()["y"] < 700
            else:
                # The phone menu is one line until opened, and opens without a script.
                tab.goto(base + "/")
                menu = tab.locator("nav.menu")
                assert menu.bounding_box()["height"] < 60
                tab.locator(".menu-toggle summary").click()
                assert tab.locator(".menu-toggle a", has_text="Giới thiệu").is_visible()
                tab.screenshot(path=str(SHOTS / "menu-open-390.png"))
            tab.close()
        # Without JavaScript every page is readable: the heading and the body are there.
        reader = browser.new_context(java_script_enabled=False).new_page()
        reader.goto(base + pages["article"])
        assert reader.locator("h1").is_visible() and reader.locator(".body p").first.is_visible()
        assert not reader.locator(".tools").is_visible()  # the script's buttons stay hidden
        browser.close()
    if not AXE.is_file():
        pytest.skip("axe-core is not installed (npm install axe-core); screenshots were taken")
    assert violations == {}


def test_an_article_page_and_its_stylesheet_stay_small(site: tuple[Path, str]) -> None:
    out, _ = site
    article = out / page_types(out)["article"].lstrip("/") / "index.html"
    weight = sum(
        len(gzip.compress(path.read_bytes(), 9)) for path in (article, out / "css" / "style.css")
    )
    assert weight <= 30 * 1024, f"HTML + CSS of an article: {weight} bytes compressed"
