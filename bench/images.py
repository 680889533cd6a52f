#!/usr/bin/env python3
"""Benchmark the image pipeline: N articles, each with its own real-size camera photo.

    python bench/images.py --n 1000 [--workdir DIR] [--jobs N]

Generates N deterministic 4000×3000 JPEGs (seeded; detail, grain, EXIF orientation and a
GPS position, about 2 MB each) once into the work folder, adds one as the lead image of
each article of a make_corpus.py corpus, and measures with bench/measure.py (wall time and
the peak RSS of the largest process):

- cold: no .cache/, no output: every photo decoded and its derivatives made;
- warm, one body edit: .cache/ kept: no photo decoded again;
- empty output, cache present (a CI run that restored .cache/): derivatives copied.

It also times decoding + resizing one photo to 1280 px with and without JPEG draft mode.
Prints a Markdown section; `--output FILE` writes it there too.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from photos import camera_photo  # bench/ is this script's folder
from PIL import Image

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CORPUS = REPO.parent / "shared" / "bench" / "make_corpus.py"


def _write_photo(item: tuple[int, str]) -> None:
    seed, path = item
    if not Path(path).exists():
        Path(path).write_bytes(camera_photo(seed, orientation=6 if seed % 4 == 0 else 1, gps=True))


def measure(cmd: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, str(BENCH / "measure.py"), "--", *cmd],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout)
    if result["returncode"] != 0:
        raise SystemExit(f"failed: {cmd}\n{result['stderr']}")
    return result


def draft_gain(path: Path, repeat: int = 5) -> tuple[float, float]:
    data = path.read_bytes()

    def once(draft: bool) -> float:
        started = time.perf_counter()
        image = Image.open(io.BytesIO(data))
        if draft:
            image.draft("RGB", (1280, 960))
        image.load()
        image.resize((1280, 960), Image.Resampling.LANCZOS, reducing_gap=3.0)
        return time.perf_counter() - started

    full = sorted(once(False) for _ in range(repeat))[repeat // 2]
    drafted = sorted(once(True) for _ in range(repeat))[repeat // 2]
    return full, drafted


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "img-bench")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    work: Path = args.workdir
    photos = work / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with multiprocessing.Pool() as pool:
        pool.map(_write_photo, [(i, str(photos / f"p{i:04d}.jpg")) for i in range(args.n)])
    generated = time.perf_counter() - started
    site = work / f"site-{args.n}"
    shutil.rmtree(site, ignore_errors=True)
    subprocess.run(
        [sys.executable, str(CORPUS), "--n", str(args.n), "--out", str(site)],
        check=True,
        capture_output=True,
    )
    for name in ("templates", "static"):
        shutil.copytree(REPO / name, site / name)
    shutil.copy(REPO / "site.yaml", site / "site.yaml")
    (site / "static/images/bench").mkdir(parents=True, exist_ok=True)
    articles = sorted(p for p in (site / "content").rglob("*.md") if "pages" not in p.parts)
    for i, path in enumerate(articles[: args.n]):
        shutil.copy(photos / f"p{i:04d}.jpg", site / f"static/images/bench/p{i:04d}.jpg")
        text = path.read_text(encoding="utf-8").split("\n")
        text = [line for line in text if not line.startswith(("image:", "image_caption:"))]
        text.insert(1, f'image: "/images/bench/p{i:04d}.jpg"\nimage_caption: "Ảnh {i}"')
        path.write_text("\n".join(text), encoding="utf-8")
    build = [sys.executable, "-m", "ancongthuong_site", "build", "--root", str(site), "--quiet"]
    if args.jobs:
        build += ["--jobs", str(args.jobs)]
    cold = measure(build)
    edited = articles[len(articles) // 2]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nMột câu thêm.\n", encoding="utf-8")
    warm = measure(build)
    shutil.rmtree(site / "_site")
    ci = measure(build)
    full, drafted = draft_gain(photos / "p0001.jpg")
    megabytes = sum(p.stat().st_size for p in (site / "static/images/bench").iterdir()) / 1e6
    out_images = sum(p.stat().st_size for p in (site / "_site/images/bench").iterdir()) / 1e6

    def row(name: str, result: dict) -> str:
        return f"| {name} | {result['wall']:.1f} s | {result['maxrss_kib'] / 1024:.0f} MiB |"

    text = "\n".join(
        [
            "## Images",
            "",
            f"{args.n} articles, each with its own generated 4000×3000 camera JPEG ({megabytes:.0f} MB "
            f"of originals; {out_images:.0f} MB of derivatives published), `python bench/images.py "
            f"--n {args.n}`, {multiprocessing.cpu_count()} cores. Photos generated in {generated:.0f} s "
            "(not part of the measures).",
            "",
            "| measure | wall | peak RSS of the largest process |",
            "|---|---|---|",
            row("cold: every photo decoded, 5 widths × WebP + JPEG", cold),
            row("one body edit, .cache/ kept (no photo decoded)", warm),
            row("empty output, .cache/ present (CI)", ci),
            "",
            f"Decode + resize of one photo to 1280 px: {full * 1000:.0f} ms in full, "
            f"{drafted * 1000:.0f} ms in JPEG draft mode ({full / drafted:.1f}× faster).",
            "",
        ]
    )
    print(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
