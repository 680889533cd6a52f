"""Tests for the source watcher: the pure classifier, then real file-system bursts."""

from __future__ import annotations

import logging
import os
import threading
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from ancongthuong_site.watch import ChangeKind, Watcher, classify_change

CONTENT = ChangeKind.CONTENT
TEMPLATE = ChangeKind.TEMPLATE
STATIC = ChangeKind.STATIC
CONFIG = ChangeKind.CONFIG
IGNORE = ChangeKind.IGNORE

VN_NAME = unicodedata.normalize("NFC", "content/tin-tức/Quyết định số 12.md")

CLASSIFY_ROWS = [
    # config
    ("site.yaml", CONFIG),
    ("./site.yaml", CONFIG),
    ("content/site.yaml", STATIC),  # only the root one is the config
    ("site.yaml~", IGNORE),
    (".site.yaml.swp", IGNORE),
    ("site.yml", IGNORE),
    # content
    ("content/bai-viet.md", CONTENT),
    ("content/tin-tuc/2024/05/bai-viet.md", CONTENT),
    ("content/a/b/c/d/e/f.md", CONTENT),
    (VN_NAME, CONTENT),
    (unicodedata.normalize("NFC", "content/thông-báo.md"), CONTENT),
    ("content/tin-tuc/anh.jpg", STATIC),
    ("content/tin-tuc/tai-lieu.pdf", STATIC),
    ("content", IGNORE),
    ("content/", IGNORE),
    # templates and static
    ("templates/base.html", TEMPLATE),
    ("templates/partials/header.html", TEMPLATE),
    ("templates/macros/the.j2", TEMPLATE),
    ("static/css/site.css", STATIC),
    ("static/logo.svg", STATIC),
    ("static/fonts/Be Vietnam Pro.woff2", STATIC),
    # elsewhere in the tree
    ("README.md", IGNORE),
    ("notes.md", IGNORE),
    ("pyproject.toml", IGNORE),
    ("contents/a.md", IGNORE),
    ("Content/a.md", IGNORE),
    ("src/ancongthuong_site/build.py", IGNORE),
    ("", IGNORE),
    # vim
    ("content/.bai-viet.md.swp", IGNORE),
    ("content/.bai-viet.md.swx", IGNORE),
    ("content/.bai-viet.md.swo", IGNORE),
    ("content/bai-viet.md.swp", IGNORE),
    ("content/bai-viet.md~", IGNORE),
    ("content/4913", IGNORE),
    ("templates/4913", IGNORE),
    # emacs
    ("content/.#bai-viet.md", IGNORE),
    ("content/#bai-viet.md#", IGNORE),
    # JetBrains safe write, VS Code, gedit, kate, generic temp files
    ("content/bai-viet.md___jb_tmp___", IGNORE),
    ("content/bai-viet.md___jb_old___", IGNORE),
    ("static/site.css.crswap", IGNORE),
    ("content/.goutputstream-ABC123", IGNORE),
    ("content/bai-viet.md.kate-swp", IGNORE),
    ("content/bai-viet.md.tmp", IGNORE),
    ("templates/base.html.tmp", IGNORE),
    # dotfiles and dot-folders anywhere
    (".git/HEAD", IGNORE),
    (".git/x", IGNORE),
    (".git/objects/ab/cdef", IGNORE),
    (".cache/x.json", IGNORE),
    ("content/.git/config", IGNORE),
    ("content/.hidden/a.md", IGNORE),
    ("content/.DS_Store", IGNORE),
    ("static/.well-known/security.txt", IGNORE),
    (".ancongthuong.lock", IGNORE),
    # output folder
    ("_site/index.html", IGNORE),
    ("_site/x", IGNORE),
    ("_site/content/a.md", IGNORE),
    ("_site", IGNORE),
    # not relative, or climbing out
    ("/content/a.md", IGNORE),
    ("../content/a.md", IGNORE),
    ("content/../content/a.md", IGNORE),
]


@pytest.mark.parametrize(("rel_path", "expected"), CLASSIFY_ROWS)
def test_classify_change(rel_path: str, expected: ChangeKind) -> None:
    assert classify_change(rel_path) is expected


@pytest.mark.parametrize(
    ("rel_path", "output_dir", "expected"),
    [
        ("public/index.html", "public", IGNORE),
        ("_site/index.html", "public", IGNORE),  # not the output, but not a source either
        ("content/a.md", "public", CONTENT),
        ("build/site/x.html", "build/site", IGNORE),
        ("static/x.css", "static/out", STATIC),
        ("static/out/x.css", "static/out", IGNORE),
        ("static/out/x.css", "./static/out/", IGNORE),
    ],
)
def test_classify_change_output_dir(rel_path: str, output_dir: str, expected: ChangeKind) -> None:
    assert classify_change(rel_path, output_dir=output_dir) is expected


# --- Watcher ------------------------------------------------------------------------------

WAIT = 10.0  # generous: CI machines stall


class Recorder:
    """Collects callbacks; `wait()` blocks until at least `n` have arrived."""

    def __init__(self) -> None:
        self.calls: list[frozenset[str]] = []
        self._cond = threading.Condition()

    def __call__(self, paths: frozenset[str]) -> None:
        with self._cond:
            self.calls.append(paths)
            self._cond.notify_all()

    def wait(self, n: int = 1, timeout: float = WAIT) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.calls) >= n, timeout=timeout)

    def settle(self, seconds: float) -> list[frozenset[str]]:
        """Give a stray second callback time to show up (the only fixed sleep needed)."""
        time.sleep(seconds)
        with self._cond:
            return list(self.calls)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    for name in ("content/tin-tuc", "templates", "static", "_site"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "content/bai-viet.md").write_text("---\ntitle: A\n---\nbody\n", encoding="utf-8")
    (tmp_path / "site.yaml").write_text("title: x\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def watcher(site: Path, recorder: Recorder) -> Iterator[Watcher]:
    w = Watcher(site, recorder, quiet=0.25)
    w.start()
    yield w
    w.stop()


def test_in_place_write_gives_one_callback(
    site: Path, recorder: Recorder, watcher: Watcher
) -> None:
    with open(site / "content/bai-viet.md", "w", encoding="utf-8") as fh:
        fh.write("---\ntitle: B\n---\n")
        fh.flush()
        fh.write("more body\n")
    assert recorder.wait()
    assert recorder.settle(1.0) == [frozenset({"content/bai-viet.md"})]


def test_atomic_save_gives_one_callback(site: Path, recorder: Recorder, watcher: Watcher) -> None:
    tmp = site / "content/bai-viet.md.tmp"
    tmp.write_text("---\ntitle: C\n---\n", encoding="utf-8")
    os.replace(tmp, site / "content/bai-viet.md")
    assert recorder.wait()
    assert recorder.settle(1.0) == [frozenset({"content/bai-viet.md"})]


def test_jetbrains_safe_write_gives_one_callback(
    site: Path, recorder: Recorder, watcher: Watcher
) -> None:
    target = site / "templates/base.html"
    tmp = site / "templates/base.html___jb_tmp___"
    tmp.write_text("<html></html>", encoding="utf-8")
    os.replace(tmp, target)
    assert recorder.wait()
    assert recorder.settle(1.0) == [frozenset({"templates/base.html"})]


def test_vim_rename_dance_gives_one_callback(
    site: Path, recorder: Recorder, watcher: Watcher
) -> None:
    content = site / "content"
    swap = content / ".bai-viet.md.swp"
    swap.write_bytes(b"b0VIM")
    (content / "4913").write_bytes(b"")
    (content / "4913").unlink()
    os.rename(content / "bai-viet.md", content / "bai-viet.md~")
    (content / "bai-viet.md").write_text("---\ntitle: D\n---\n", encoding="utf-8")
    (content / "bai-viet.md~").unlink()
    swap.unlink()
    assert recorder.wait()
    assert recorder.settle(1.0) == [frozenset({"content/bai-viet.md"})]


def test_burst_of_50_files_gives_one_callback(site: Path, recorder: Recorder) -> None:
    names = {f"content/tin-tuc/bai-{i:02d}.md" for i in range(50)}
    with Watcher(site, recorder, quiet=0.5):
        for name in sorted(names):
            (site / name).write_text(f"---\ntitle: {name}\n---\n", encoding="utf-8")
        assert recorder.wait()
        calls = recorder.settle(1.5)
    assert calls == [frozenset(names)]


def test_swap_file_alone_gives_no_callback(
    site: Path, recorder: Recorder, watcher: Watcher
) -> None:
    content = site / "content"
    (content / ".bai-viet.md.swp").write_bytes(b"b0VIM")
    (content / ".bai-viet.md.swx").write_bytes(b"b0VIM")
    (content / "4913").write_bytes(b"")
    (content / "bai-viet.md~").write_bytes(b"old")
    (content / ".#bai-viet.md").write_bytes(b"lock")
    (site / "_site/index.html").write_text("<html></html>", encoding="utf-8")
    (site / "README.md").write_text("x", encoding="utf-8")
    (content / "thu-muc-moi").mkdir()
    assert recorder.settle(1.0) == []
    # The watcher was live all along: a real save still comes through, alone.
    (site / "static/site.css").write_text("body{}", encoding="utf-8")
    assert recorder.wait()
    assert recorder.settle(0.75) == [frozenset({"static/site.css"})]


def test_rename_reports_both_names(site: Path, recorder: Recorder, watcher: Watcher) -> None:
    os.rename(site / "content/bai-viet.md", site / "content/tin-tuc/bai-viet.md")
    assert recorder.wait()
    assert recorder.settle(0.75) == [
        frozenset({"content/bai-viet.md", "content/tin-tuc/bai-viet.md"})
    ]


def test_delete_and_config_change(site: Path, recorder: Recorder, watcher: Watcher) -> None:
    (site / "content/bai-viet.md").unlink()
    (site / "site.yaml").write_text("title: y\n", encoding="utf-8")
    assert recorder.wait()
    assert recorder.settle(0.75) == [frozenset({"content/bai-viet.md", "site.yaml"})]


def test_vietnamese_file_name_is_reported_as_on_disk(
    site: Path, recorder: Recorder, watcher: Watcher
) -> None:
    name = unicodedata.normalize("NFC", "content/tin-tuc/thông-báo-giá-điện.md")
    (site / name).write_text("---\ntitle: x\n---\n", encoding="utf-8")
    assert recorder.wait()
    assert recorder.settle(0.75) == [frozenset({name})]


def test_reading_sources_gives_no_callback(
    site: Path, recorder: Recorder, watcher: Watcher
) -> None:
    # The builder reads everything on each build; reads must not trigger the next build.
    for _ in range(3):
        (site / "content/bai-viet.md").read_text(encoding="utf-8")
        (site / "site.yaml").read_bytes()
    assert recorder.settle(1.0) == []


def test_callback_exception_is_logged_and_loop_continues(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[frozenset[str]] = []
    second = threading.Event()

    def on_change(paths: frozenset[str]) -> None:
        seen.append(paths)
        if len(seen) == 1:
            raise RuntimeError("build exploded")
        second.set()

    caplog.set_level(logging.ERROR, logger="ancongthuong_site.watch")
    with Watcher(site, on_change, quiet=0.2):
        (site / "content/a.md").write_text("a", encoding="utf-8")
        deadline = time.monotonic() + WAIT
        while not seen and time.monotonic() < deadline:
            time.sleep(0.02)
        assert seen, "first callback never came"
        time.sleep(0.3)  # let the first burst close before starting the second
        (site / "content/b.md").write_text("b", encoding="utf-8")
        assert second.wait(WAIT)
    assert seen == [frozenset({"content/a.md"}), frozenset({"content/b.md"})]
    assert any("build exploded" in (r.exc_text or "") for r in caplog.records) or any(
        r.exc_info and "build exploded" in str(r.exc_info[1]) for r in caplog.records
    )


def test_changes_during_callback_come_in_next_call(site: Path) -> None:
    calls: list[frozenset[str]] = []
    in_first = threading.Event()
    release = threading.Event()
    done = threading.Event()

    def on_change(paths: frozenset[str]) -> None:
        calls.append(paths)
        if len(calls) == 1:
            in_first.set()
            release.wait(WAIT)  # a slow build
        else:
            done.set()

    with Watcher(site, on_change, quiet=0.2):
        (site / "content/a.md").write_text("a", encoding="utf-8")
        assert in_first.wait(WAIT)
        (site / "content/b.md").write_text("b", encoding="utf-8")
        time.sleep(0.3)
        release.set()
        assert done.wait(WAIT)
    assert calls == [frozenset({"content/a.md"}), frozenset({"content/b.md"})]


def test_polling_observer_sees_in_place_write(site: Path, recorder: Recorder) -> None:
    with Watcher(site, recorder, quiet=0.25, polling=True):
        time.sleep(0.1)  # a distinct mtime from the snapshot taken in start()
        (site / "content/bai-viet.md").write_text("changed, longer body\n", encoding="utf-8")
        assert recorder.wait(timeout=WAIT)
        calls = recorder.settle(1.5)
    assert calls == [frozenset({"content/bai-viet.md"})]


def test_stop_is_prompt_and_start_twice_refused(site: Path, recorder: Recorder) -> None:
    w = Watcher(site, recorder)
    w.start()
    with pytest.raises(RuntimeError):
        w.start()
    t0 = time.monotonic()
    w.stop()
    assert time.monotonic() - t0 < 5
    w.stop()  # idempotent


def test_quiet_must_be_positive(site: Path, recorder: Recorder) -> None:
    with pytest.raises(ValueError):
        Watcher(site, recorder, quiet=0)
