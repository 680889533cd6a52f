"""Bytes a phone downloads: camera photos (4000×3000) in, light pages out, measured in Chromium.

At 390 px wide and DPR 2, an article with two such photos must transfer at most 400 KB of
images at first view, and a category page of 20 photo articles at most 600 KB.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CHROMIUM, LAUNCH_ARGS, article, run_cli


def _bench_photos():
    # The benchmark's photo generator, shared so both measure the same kind of photo.
    path = Path(__file__).resolve().parents[1] / "bench" / "photos.py"
    spec = importlib.util.spec_from_file_location("bench_photos", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


camera_photo = _bench_photos().camera_photo

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from conftest import SITE_YAML, make_site, write_tree

    root = make_site(tmp_path_factory.mktemp("budget") / "site")
    files: dict[str, str | bytes] = {"site.yaml": SITE_YAML.replace("paginate: 3", "paginate: 20")}
    for n in range(20):
        files[f"static/images/anh-{n}.jpg"] = camera_photo(n)
        body = "Đoạn mở đầu.\n\n" + (f"![Ảnh thứ hai](/images/anh-{n + 1}.jpg)\n" if n == 0 else "")
        files[f"content/2024/02/bai-{n}.md"] = article(
            title=f"Hội chợ thương mại lần {n + 1}",
            date=f"2024-02-{n + 1:02d} 09:00",
            image=f"/images/anh-{n}.jpg",
            image_caption="Quang cảnh",
            body=body,
        )
    write_tree(root, files)
    result = run_cli("build", "--root", root, timeout=600)
    assert result.returncode == 0, result.stderr
    handler = functools.partial(_QuietHandler, directory=str(root / "_site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def image_bytes(base: str, path: str) -> tuple[int, list[str]]:
    """Image bytes a phone (390 px, DPR 2) transfers when it opens the page, and the files."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
        )
        page = context.new_page()
        loaded: list[tuple[str, int]] = []
        page.on(
            "requestfinished",
            lambda request: (
                loaded.append((request.url, request.sizes()["responseBodySize"]))
                if request.resource_type == "image"
                else None
            ),
        )
        page.goto(base + path, wait_until="networkidle")
        browser.close()
    return sum(size for _, size in loaded), [url.rsplit("/", 1)[1] for url, _ in loaded]


def test_article_with_two_camera_photos_is_light_on_a_phone(site: str) -> None:
    total, files = image_bytes(site, "/2024/02/bai-0/")
    assert any(name.startswith("anh-0-") for name in files), files  # the lead photo came
    assert all(name.endswith(".webp") for name in files), files
    assert total <= 400_000, (total, files)


def test_category_of_twenty_photo_articles_is_light_on_a_phone(site: str) -> None:
    total, files = image_bytes(site, "/chuyen-muc/tin-hoat-dong/")
    assert files and len(files) < 20, files  # thumbnails below the fold wait for scrolling
    assert total <= 600_000, (total, files)
