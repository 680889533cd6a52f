"""Shared helpers: fixture sites from a dict, built with the real builder, parsed as HTML."""

from __future__ import annotations

import bisect
import hashlib
import importlib.util
import io
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ancongthuong_site.searchindex import shard_name
from ancongthuong_site.searchterms import read_numbers

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
# Debian's Chromium, driven by Playwright (browser tests skip where it is missing): its path
# and flags are the benchmarks' (bench/chromium.py), so both drive the same browser.
_chromium_spec = importlib.util.spec_from_file_location(
    "bench_chromium", REPO / "bench/chromium.py"
)
_chromium = importlib.util.module_from_spec(_chromium_spec)
_chromium_spec.loader.exec_module(_chromium)
CHROMIUM: str = _chromium.CHROMIUM
LAUNCH_ARGS: list[str] = _chromium.LAUNCH_ARGS
# A fixed clock: every test build sees the same "now" (2025-01-01 00:00 UTC).
EPOCH = "1735689600"

SITE_YAML = """\
title: "Cổng thử nghiệm"
short_title: "Thử nghiệm"
base_url: "https://example.org/"
paginate: 3
categories:
  - name: "Tin hoạt động"
    slug: "tin-hoat-dong"
  - name: "Hoạt động Đảng - Đoàn thể"
    slug: "hoat-dong-dang-doan-the"
  - name: "Thông báo"
"""


def article(
    title: str = "Bài viết thử",
    date: str = "2024-02-27 14:00",
    category: str = "Tin hoạt động",
    body: str = "Đoạn văn đầu tiên của bài.\n\nĐoạn thứ hai.",
    **fields: object,
) -> str:
    """Text of an article file in our format; extra fields are written as given (YAML)."""
    lines = ["---", f'title: "{title}"', f'date: "{date}"', f'category: "{category}"']
    for key, value in fields.items():
        if isinstance(value, list):
            inner = ", ".join(f'"{v}"' for v in value)
            lines.append(f"{key}: [{inner}]")
        elif isinstance(value, bool):
            lines.append(f"{key}: {'true' if value else 'false'}")
        else:
            lines.append(f'{key}: "{value}"')
    lines += ["---", "", body, ""]
    return "\n".join(lines)


def write_tree(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def make_site(
    root: Path, files: dict[str, str | bytes] | None = None, *, site_yaml: str = SITE_YAML
) -> Path:
    """A site root at `root`: the repository's templates/ and static/, `site_yaml`, content/,
    then `files`. A plain function, so fixtures of any scope can call it."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "static", root / "static")
    (root / "site.yaml").write_text(site_yaml, encoding="utf-8")
    (root / "content").mkdir(exist_ok=True)
    write_tree(root, files or {})
    return root


@pytest.fixture(name="make_site")
def site_maker(tmp_path: Path) -> Callable[..., Path]:
    """`make_site(files, name=…, site_yaml=…)`: a site in this test's temporary folder."""

    def make(
        files: dict[str, str | bytes] | None = None,
        *,
        name: str = "site",
        site_yaml: str = SITE_YAML,
    ) -> Path:
        return make_site(tmp_path / name, files, site_yaml=site_yaml)

    return make


def leftovers(parent: Path, out_name: str = "_site") -> list[str]:
    """Temporary trees a build left beside its output (`.staging-<pid>`, `.old…`).

    The lock file and a standby tree kept on purpose for the next build are not leftovers.
    """
    kept = {f".{out_name}.lock", f".{out_name}.standby"}
    return sorted(
        p.name
        for p in parent.iterdir()
        if p.name.startswith(f".{out_name}.") and p.name not in kept
    )


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    # The parse cache's signing key lives in the configuration folder: never the user's.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "config"))


def corpus_site(root: Path, n: int) -> Path:
    """A site of `n` generated articles (shared/bench/make_corpus.py) with the repo's files."""
    script = SHARED / "bench" / "make_corpus.py"
    if not script.is_file():
        pytest.skip("shared/bench/make_corpus.py is not available")
    subprocess.run(
        [sys.executable, str(script), "--n", str(n), "--out", str(root)],
        check=True,
        capture_output=True,
    )
    make_site(root, site_yaml=(REPO / "site.yaml").read_text(encoding="utf-8"))
    shutil.copytree(REPO / "content" / "pages", root / "content" / "pages")  # the menu's pages
    return root


def run_cli(
    *args: str | Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess (as a user would)."""
    full_env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "ancongthuong_site", *map(str, args)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def tree_digest(root: Path) -> list[tuple[str, str, int, str]]:
    """(relative path, type, mode, sha256 or link target) of everything under root.

    The builder's file of signatures is left out: it names inodes, which differ between
    any two trees.
    """
    if not root.exists():
        return []
    entries = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel == ".ancongthuong-site.stats.json":
            continue
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            entries.append((rel, "link", 0, os.readlink(path)))
        elif stat.S_ISDIR(info.st_mode):
            entries.append((rel, "dir", 0, ""))
        else:
            entries.append(
                (
                    rel,
                    "file",
                    stat.S_IMODE(info.st_mode),
                    hashlib.sha256(path.read_bytes()).hexdigest(),
                )
            )
    return entries


def html(path: Path):  # type: ignore[no-untyped-def]
    """Parse a built page with a real HTML parser (lexbor)."""
    from selectolax.lexbor import LexborHTMLParser

    return LexborHTMLParser(path.read_text(encoding="utf-8"))


# -- the search index, read back the way static/js/search.js reads it ----------------------

SEARCH_INDEX = "_site/tim-kiem/chi-muc/"


def read_index(files: dict[str, str]) -> tuple[dict, dict[str, dict[str, dict]]]:
    """meta.json, and every syllable's postings: {syllable: {url: {title, positions, forms}}}."""
    meta = json.loads(files["meta.json"])
    docs = [
        doc
        for n in range(0, meta["count"], meta["chunk"])
        for doc in json.loads(files[f"d/{n // meta['chunk']}.json"])["docs"]
    ]
    postings: dict[str, dict[str, dict]] = {}
    for first in meta["shards"]:
        for syllable, entry in json.loads(files[f"s/{shard_name(first)}.json"])[
            "syllables"
        ].items():
            # A syllable lives in the last shard whose first syllable is ≤ it.
            assert meta["shards"][bisect.bisect_right(meta["shards"], syllable) - 1] == first
            number = 0
            rows = postings.setdefault(syllable, {})
            for gap, title, places, forms in zip(
                read_numbers(entry["doc"]),
                read_numbers(entry["title"]),
                entry["pos"].split(" "),
                entry["form"].split(" "),
                strict=True,
            ):
                number += gap
                gaps = read_numbers(places)
                positions = [sum(gaps[: i + 1]) for i in range(len(gaps))]
                assert len(forms) in {2, 2 * len(positions)}
                rows[docs[number]["url"]] = {"title": title, "positions": positions, "forms": forms}
    return meta, postings


def read_terms_rows(terms: str) -> dict[str, dict]:
    """An entry's terms as the merge reads them: {syllable: {title, positions, forms}}."""
    if not terms:
        return {}
    names, rows = terms.split("\0")
    found = {}
    for name, row in zip(names.split("\n"), rows.split("\n"), strict=True):
        title, places, forms = row.split("\t")
        gaps = read_numbers(places)
        positions = [sum(gaps[: i + 1]) for i in range(len(gaps))]
        found[name] = {"title": read_numbers(title)[0], "positions": positions, "forms": forms}
    assert list(found) == sorted(found)  # syllables in order
    return found


def built_index_files(root: Path) -> dict[str, str]:
    base = root / SEARCH_INDEX
    return {p.relative_to(base).as_posix(): p.read_text("utf-8") for p in base.rglob("*.json")}


def small_jpeg(width: int = 90, height: int = 120) -> bytes:
    """A real, tiny JPEG: image files go through the image pipeline, which refuses non-images."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(buffer, "JPEG")
    return buffer.getvalue()
