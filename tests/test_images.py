"""Photos and attachments through the real command line: derivatives, markup, cache, errors.

The photos are generated here, small (the behaviour does not need camera sizes): a JPEG
taken "sideways" (EXIF orientation 6) carrying a GPS position, a PNG screenshot, an
animated GIF, an SVG, and broken files.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

from PIL import Image, ImageDraw

from ancongthuong_site.build import BuildOptions, build
from conftest import article, html, run_cli, tree_digest

NAME = re.compile(r"-(\d+)\.[0-9a-f]{8}\.(webp|jpg|png|gif)$")
FORMATS = {"webp": "WEBP", "jpg": "JPEG", "png": "PNG", "gif": "GIF"}


def camera_jpeg(width: int = 800, height: int = 600, seed: int = 1) -> bytes:
    """A JPEG stored sideways (orientation 6: shown turned 90°) with a GPS position."""
    image = Image.new("RGB", (width, height), (40 + seed, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 4, height // 4), fill=(230, 40, 30))  # marks the top left
    for x in range(0, width, 40):
        draw.line((x, 0, width - x, height), fill=(250, 250, 250), width=3)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Điện thoại"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (10.0, 22.0, 5.0), 3: "E", 4: (105.0, 25.0, 1.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def screenshot_png() -> bytes:
    image = Image.new("RGB", (500, 300), "white")
    draw = ImageDraw.Draw(image)
    for y in range(10, 300, 20):
        draw.text((10, y), "Thủ tục hành chính — bước 1", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (120, 80), color) for color in ("red", "green", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    return buffer.getvalue()


def bomb_png(side: int = 30_000) -> bytes:
    """A PNG whose header claims 900 million pixels (a few hundred bytes on disk)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><circle r="20"/></svg>'


def photo_site(make_site, **more: str | bytes) -> Path:
    body = (
        "Đoạn đầu.\n\n"
        "![Màn hình dịch vụ công](/images/man-hinh.png)\n\n"
        "![Biểu đồ động](/images/bieu-do.gif)\n\n"
        "![Logo](/images/logo.svg)\n\n"
        "![Ảnh ngoài](https://example.net/anh.jpg)\n"
    )
    return make_site(
        {
            "content/2024/02/hoi-nghi.md": article(
                title="Hội nghị",
                image="/images/hoi-nghi.jpg",
                image_caption="Quang cảnh",
                body=body,
            ),
            "static/images/hoi-nghi.jpg": camera_jpeg(),
            "static/images/man-hinh.png": screenshot_png(),
            "static/images/bieu-do.gif": animated_gif(),
            "static/images/logo.svg": SVG,
            **more,
        }
    )


def srcset_files(out: Path, srcset: str) -> list[tuple[Path, int]]:
    files = []
    for entry in srcset.split(","):
        url, width = entry.split()
        files.append((out / url.lstrip("/"), int(width.rstrip("w"))))
    return files


def assert_clean(path: Path) -> Image.Image:
    """The file opens, its format is its suffix, and it carries no EXIF, XMP or GPS."""
    data = path.read_bytes()
    image = Image.open(io.BytesIO(data))
    assert image.format == FORMATS[path.suffix.lstrip(".")], path
    assert not image.getexif(), path
    assert b"Exif" not in data and b"GPS" not in data and b"xmp" not in data.lower(), path
    return image


def test_photos_become_light_clean_derivatives(make_site) -> None:
    root = photo_site(make_site)
    result = run_cli("build", "--root", root)
    assert result.returncode == 0, result.stderr
    out = root / "_site"
    page = html(out / "2024/02/hoi-nghi/index.html")

    lead = page.css_first("figure.lead-image picture")
    img, source = lead.css_first("img"), lead.css_first("source")
    # Orientation 6 was applied: the 800×600 file is a 600×800 portrait photo.
    assert (img.attributes["width"], img.attributes["height"]) == ("600", "800")
    assert img.attributes["loading"] == "eager" and img.attributes["decoding"] == "async"
    assert img.attributes["alt"] == "Quang cảnh" and img.attributes["sizes"]
    assert source.attributes["type"] == "image/webp"
    for srcset, suffix in (
        (source.attributes["srcset"], "webp"),
        (img.attributes["srcset"], "jpg"),
    ):
        files = srcset_files(out, srcset)
        assert [w for _, w in files] == [320, 480, 600]  # never wider than the original
        for path, width in files:
            assert NAME.search(path.name) and path.suffix == f".{suffix}"
            image = assert_clean(path)
            assert image.size == (width, round(width * 800 / 600))
            assert image.getpixel((image.width - 5, 5))[0] > 150  # red corner now top right
    assert (out / img.attributes["src"].lstrip("/")).is_file()
    assert not (out / "images/hoi-nghi.jpg").exists()  # the original is not published

    body = page.css_first(".body")
    screenshot = body.css("picture")[0]
    assert "image/webp" in screenshot.css_first("source").attributes["type"]
    for path, width in srcset_files(out, screenshot.css_first("img").attributes["srcset"]):
        assert path.suffix == ".png" and assert_clean(path).width == width  # lossless, sharp
    webp = srcset_files(out, screenshot.css_first("source").attributes["srcset"])[-1][0]
    assert webp.read_bytes()[12:16] == b"VP8L"  # lossless WebP
    images = {i.attributes["alt"]: i.attributes for i in body.css("img")}
    assert all(a["loading"] == "lazy" and a["decoding"] == "async" for a in images.values())
    gif = out / images["Biểu đồ động"]["src"].lstrip("/")
    assert Image.open(gif).n_frames == 3  # still animated
    assert (images["Biểu đồ động"]["width"], images["Biểu đồ động"]["height"]) == ("120", "80")
    assert images["Logo"]["src"] == "/images/logo.svg" and (out / "images/logo.svg").is_file()
    assert images["Ảnh ngoài"]["src"] == "https://example.net/anh.jpg"
    og = page.css_first('meta[property="og:image"]').attributes["content"]
    assert og.startswith("https://example.org/images/hoi-nghi-600.") and og.endswith(".jpg")

    card = html(out / "chuyen-muc/tin-hoat-dong/index.html").css_first(".card img")
    assert card.attributes["loading"] == "lazy" and "10rem" in card.attributes["sizes"]


def test_linked_original_is_published_clean(make_site) -> None:
    root = photo_site(make_site)
    path = root / "content/2024/02/hoi-nghi.md"
    path.write_text(path.read_text() + "\n[Tải ảnh gốc](/images/hoi-nghi.jpg)\n")
    assert run_cli("build", "--root", root).returncode == 0
    original = assert_clean(root / "_site/images/hoi-nghi.jpg")
    assert original.size == (600, 800)


def test_rebuild_decodes_only_changed_images(make_site) -> None:
    root = photo_site(make_site)
    options = BuildOptions(jobs=1)
    first = build(root, options)
    assert first.images_decoded == 2
    page = root / "content/2024/02/hoi-nghi.md"
    page.write_text(page.read_text().replace("Đoạn đầu.", "Đoạn đầu đã sửa."))
    second = build(root, options)
    assert second.images_decoded == 0 and second.written  # the page changed, no image did
    old = {p.name for p in (root / "_site/images").iterdir() if p.name.startswith("hoi-nghi")}

    (root / "static/images/hoi-nghi.jpg").write_bytes(camera_jpeg(seed=9))  # a new photo
    third = build(root, options)
    assert third.images_decoded == 1
    new = {p.name for p in (root / "_site/images").iterdir() if p.name.startswith("hoi-nghi")}
    assert new and not new & old  # new content, new names: browsers never see a stale copy

    assert list((root / "_site/images").glob("man-hinh*"))  # published while a page shows it
    (root / "static/images/man-hinh.png").unlink()
    page.write_text(page.read_text().replace("![Màn hình dịch vụ công](/images/man-hinh.png)", ""))
    build(root, options)
    assert not list((root / "_site/images").glob("man-hinh*"))
    cached = [p for p in (root / ".cache/images").iterdir() if p.is_dir()]
    assert len(cached) == 2  # the photo and the GIF; old entries are pruned


def test_broken_images_are_reported_where_they_are_used(make_site) -> None:
    root = photo_site(make_site)
    assert run_cli("build", "--root", root).returncode == 0
    before = tree_digest(root / "_site")
    whole = camera_jpeg()
    broken = {
        "content/2024/02/loi.md": article(
            title="Ảnh lỗi",
            image="/images/cut.jpg",
            body="Mở đầu.\n\n![Bom](/images/bom.png)\n\n![Chữ](/images/chu.jpg)\n",
        ),
        "static/images/cut.jpg": whole[: len(whole) // 2],
        "static/images/bom.png": bomb_png(),
        "static/images/chu.jpg": b"day khong phai la anh\n",
    }
    for rel, data in broken.items():
        path = root / rel
        path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data)
    result = run_cli("build", "--root", root)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert any(re.match(r"content/2024/02/loi\.md:5: E198 .*cut\.jpg.*cắt cụt", ln) for ln in lines)
    assert any(re.match(r"content/2024/02/loi\.md:10: E199 .*bom\.png", ln) for ln in lines)
    assert any(
        re.match(r"content/2024/02/loi\.md:12: E198 .*chu\.jpg.*không phải là ảnh", ln)
        for ln in lines
    )
    assert tree_digest(root / "_site") == before  # the previous output is untouched


def test_check_warns_about_large_originals_and_missing_alt(make_site) -> None:
    from conftest import SITE_YAML

    root = photo_site(make_site)
    (root / "site.yaml").write_text(SITE_YAML + "images:\n  warn_megapixels: 1\n")
    page = root / "content/2024/02/hoi-nghi.md"
    text = page.read_text().replace('image_caption: "Quang cảnh"\n', "")
    page.write_text(text.replace("![Logo]", "![]").replace("Màn hình dịch vụ công", ""))
    (root / "static/images/hoi-nghi.jpg").write_bytes(camera_jpeg(1600, 1200))
    result = run_cli("check", "--root", root)
    assert result.returncode == 0, result.stderr
    warnings = [ln for ln in result.stderr.splitlines() if re.search(r": W\d{3} ", ln)]
    assert re.match(
        r'content/2024/02/hoi-nghi\.md:5: W198 .*"/images/hoi-nghi\.jpg" lớn', warnings[0]
    )
    assert [w.split(" ảnh")[0] for w in warnings[1:]] == [
        "content/2024/02/hoi-nghi.md:5: W199",  # the lead photo: no image_alt, no caption
        "content/2024/02/hoi-nghi.md:10: W199",  # ![](/images/man-hinh.png)
        "content/2024/02/hoi-nghi.md:14: W199",  # ![](/images/logo.svg)
    ]


def test_attachments_and_file_hints(make_site) -> None:
    pdf = b"%PDF-1.4\n" + b"0" * 250_000
    root = make_site(
        {
            "content/2024/02/quyet-dinh.md": (
                "---\n"
                'title: "Quyết định"\n'
                'date: "2024-02-27"\n'
                'category: "Thông báo"\n'
                "attachments:\n"
                '  - file: "/files/qd-123.pdf"\n'
                '    title: "Quyết định số 123"\n'
                '  - "https://example.net/bieu-mau.docx"\n'
                "---\n\n"
                "Xem [quyết định](/files/qd-123.pdf) và [trang](/gioi-thieu/).\n"
            ),
            "static/files/qd-123.pdf": pdf,
        }
    )
    assert run_cli("build", "--root", root).returncode == 0
    page = html(root / "_site/2024/02/quyet-dinh/index.html")
    items = page.css(".attachments li")
    assert [li.css_first("a").text() for li in items] == ["Quyết định số 123", "bieu-mau.docx"]
    assert items[0].css_first("a").attributes["href"] == "/files/qd-123.pdf"
    assert items[0].css_first(".file-hint").text() == "(PDF, 250 KB)"
    assert items[0].css_first(".file-icon").attributes["aria-hidden"] == "true"
    assert items[1].css_first(".file-hint").text() == "(DOCX)"
    hints = page.css(".body .file-hint")
    assert [h.text() for h in hints] == ["(PDF, 250 KB)"]  # the page link gets none

    text = (root / "content/2024/02/quyet-dinh.md").read_text()
    text = text.replace('"https://example.net/bieu-mau.docx"', '"/files/khong-co.docx"')
    (root / "content/2024/02/quyet-dinh.md").write_text(text)
    result = run_cli("build", "--root", root)
    assert result.returncode == 1
    assert re.search(r"quyet-dinh\.md:8: E170 .*khong-co\.docx", result.stderr), result.stderr
