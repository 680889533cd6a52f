"""Measure the documents register: a cold build of N documents with N attachments, and the
rebuilds after nothing changed and after one document changed.

Usage:  python bench/documents.py [--n 5000] [--runs 3] [--workdir DIR] [--output bench/results.md]

Generates the register with bench/make_documents.py, times each build under a fresh
bench/measure.py (wall time, peak RSS of the largest process), and writes its table into
the "Documents register" section of the results file (the rest of the file is kept).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
MARKER = "<!-- documents register -->"


def measure(root: Path) -> dict:
    command = [
        sys.executable,
        str(BENCH / "measure.py"),
        "--",
        sys.executable,
        "-m",
        "ancongthuong_site",
        "build",
        "--root",
        str(root),
    ]
    report = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    if report["returncode"] != 0:
        raise SystemExit(report["stderr"])
    written = (
        report["stdout"].split("ghi ", 1)[1].split(" ", 1)[0] if "ghi " in report["stdout"] else "?"
    )
    return {"wall": report["wall"], "rss": report["maxrss_kib"] / 1024, "written": written}


def build_quietly(root: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "ancongthuong_site", "build", "--root", str(root)],
        check=True,
        capture_output=True,
    )


def run(n: int, runs: int, workdir: Path) -> list[tuple[str, list[dict]]]:
    root = workdir / f"register-{n}"
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run(
        [sys.executable, str(BENCH / "make_documents.py"), "--n", str(n), "--out", str(root)],
        check=True,
    )
    documents = sorted((root / "content" / "van-ban").rglob("*.md"))
    edited = documents[len(documents) // 2]
    original = edited.read_text(encoding="utf-8")
    results: list[tuple[str, list[dict]]] = []
    cold = []
    for _ in range(runs):
        shutil.rmtree(root / "_site", ignore_errors=True)
        shutil.rmtree(root / "._site.standby", ignore_errors=True)
        shutil.rmtree(root / ".cache", ignore_errors=True)
        cold.append(measure(root))
    results.append(("cold build (no .cache, no output)", cold))
    results.append(("rebuild, nothing changed", [measure(root) for _ in range(runs)]))
    for label, change in (
        ("rebuild after one document's body edit", lambda t: t.rstrip("\n") + " Thêm một câu.\n"),
        (
            "rebuild after one document's abstract (title) edit",
            lambda t: t.replace('title: "', 'title: "(Sửa) ', 1),
        ),
    ):
        found = []
        for _ in range(runs):
            edited.write_text(change(original), encoding="utf-8")
            time.sleep(0.01)
            found.append(measure(root))
            edited.write_text(original, encoding="utf-8")
            build_quietly(root)
        results.append((label, found))
    return results


def render(n: int, runs: int, results: list[tuple[str, list[dict]]]) -> str:
    lines = [
        MARKER,
        "## Documents register",
        "",
        f"`python bench/documents.py --n {n} --runs {runs}`, run on {time.strftime('%Y-%m-%d')}, "
        f"Python {platform.python_version()}: {n:,} documents with one attachment each "
        "(`bench/make_documents.py`, 4 KB files, one in five DOCX) and 50 articles linking "
        "documents by number, the repository's site.yaml and templates. Median (min–max) "
        "wall time; peak RSS of the largest process; files the builder wrote.",
        "",
        "| measure | wall time | peak RSS | files written |",
        "|---|--:|--:|--:|",
    ]
    for label, found in results:
        walls = [r["wall"] for r in found]
        lines.append(
            f"| {label} | {statistics.median(walls):.2f} s ({min(walls):.2f}–{max(walls):.2f}) "
            f"| {max(r['rss'] for r in found):.0f} MiB | {found[0]['written']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=BENCH / "results.md")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ancongthuong-bench-docs-"))
    try:
        section = render(args.n, args.runs, run(args.n, args.runs, workdir))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(section)
    text = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    kept = text.split(MARKER, 1)[0].rstrip("\n")
    args.output.write_text((kept + "\n\n" if kept else "") + section, encoding="utf-8")


if __name__ == "__main__":
    main()
