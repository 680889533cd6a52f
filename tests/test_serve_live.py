"""serve's in-memory rebuilds: a saved article is rebuilt alone, and the tree is always the
one a clean CLI build makes."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import initialize, invariant
from test_incremental import IncrementalMachine, seed_site

from ancongthuong_site.build import BuildOptions, Session, build
from ancongthuong_site.errors import RefusedError
from ancongthuong_site.servebuilds import ServeBuilds
from conftest import html, tree_digest

MARKER = ".ancongthuong-site.json"


def serve_options(out: Path, **more: object) -> BuildOptions:
    """What `serve` builds with (drafts and scheduled articles shown, no redirects)."""
    return BuildOptions(
        out=out, drafts=True, future=True, redirect_moved=False, session=Session(), **more
    )


def served(tmp_path: Path) -> tuple[Path, BuildOptions, ServeBuilds]:
    """A seeded site under `tmp_path`, built once by serve's builds: (root, options, builds)."""
    root = tmp_path / "site"
    seed_site(root)
    options = serve_options(tmp_path / "out")
    builds = ServeBuilds(root, options)
    builds.full()
    return root, options, builds


def same_as_clean(root: Path, out: Path, options: BuildOptions) -> None:
    """The tree equals a clean build's, the marker's list of files included (its record of
    inputs may differ: it only decides whether a later build may stop early)."""
    clean = out.parent / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    build(root, dataclasses.replace(options, out=clean, use_cache=False, session=None))

    def files(tree: Path) -> dict:
        return json.loads((tree / MARKER).read_text(encoding="utf-8"))["files"]

    assert files(out) == files(clean)
    ours, theirs = ([e for e in tree_digest(t) if e[0] != MARKER] for t in (out, clean))
    assert ours == theirs


def snapshot(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for folder in ("content", "templates", "static")
        for path in (root / folder).rglob("*")
        if path.is_file()
    } | {"site.yaml": hashlib.sha256((root / "site.yaml").read_bytes()).hexdigest()}


def test_a_saved_article_is_rebuilt_in_memory_its_own_page_first(tmp_path: Path) -> None:
    root, options, builds = served(tmp_path)
    path = root / "content/2024/01/bai-1-2.md"
    text = path.read_text(encoding="utf-8")
    announced: list[list[str]] = []
    for edit in (
        text.replace("Đoạn sau.", "Đoạn sau, sửa lại."),  # the body
        text.replace('title: "Bài 1-2"', 'title: "Hội nghị mới"'),  # the card: its listings
    ):
        path.write_text(edit, encoding="utf-8")
        announced.clear()
        written = builds.local(["content/2024/01/bai-1-2.md"], announced.append)
        assert written is not None  # not through build()
        assert announced[0] == ["2024/01/bai-1-2/index.html"]
        assert set(written) == {rel for batch in announced for rel in batch}
        builds.close()  # the search index and the marker: what saves do not wait for
        same_as_clean(root, options.out, options)
    assert any(rel.startswith("chuyen-muc/") for rel in written)  # its listing too
    page = html(options.out / "2024/01/bai-1-2/index.html")
    assert page.css_first("h1").text(strip=True) == "Hội nghị mới"
    # A change that moves the article is no local one: build() plans every page.
    path.write_text(text.replace("2024-01-12", "2024-02-20"), encoding="utf-8")
    assert builds.local(["content/2024/01/bai-1-2.md"], announced.append) is None
    assert builds.full().written
    same_as_clean(root, options.out, options)


def test_a_broken_save_goes_through_build_and_reports(tmp_path: Path) -> None:
    root, _options, builds = served(tmp_path)
    path = root / "content/2024/01/bai-1-2.md"
    path.write_text(path.read_text(encoding="utf-8").replace("date:", "dbte:"), encoding="utf-8")
    assert builds.local(["content/2024/01/bai-1-2.md"], print) is None
    assert builds.local(["content/moi.md"], print) is None  # a file the build never read


def test_an_output_replaced_by_a_link_is_never_written_through(tmp_path: Path) -> None:
    root, options, builds = served(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    options.out.rename(tmp_path / "moved")
    options.out.symlink_to(elsewhere)
    path = root / "content/2024/01/bai-1-2.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Bài 1-2", "Sửa"), encoding="utf-8")
    assert builds.local(["content/2024/01/bai-1-2.md"], print) is None
    with pytest.raises(RefusedError):
        builds.full()  # E201: serve stops
    builds.close()
    assert list(elsewhere.iterdir()) == []


class ServeMachine(IncrementalMachine):
    """The state machine's random edits under serve: a local change rebuilt in memory, any
    other through build(); after each, the tree of a clean build."""

    @initialize()
    def setup(self) -> None:
        super().setup()
        self.options = serve_options(self.tmp / "serve", now=self.now)
        self.builds = ServeBuilds(self.root, self.options)
        self.builds.full()
        self.seen = snapshot(self.root)

    @invariant()
    def incremental_equals_clean(self) -> None:
        if not hasattr(self, "builds"):
            return
        now = snapshot(self.root)
        changed = {
            rel for rel in now.keys() | self.seen.keys() if now.get(rel) != self.seen.get(rel)
        }
        self.seen = now
        self.options = self.builds.options = dataclasses.replace(self.options, now=self.now)
        if self.builds.local(sorted(changed), lambda written: None) is None:
            self.builds.full()
        self.builds.close()
        same_as_clean(self.root, self.options.out, self.options)


TestServe = ServeMachine.TestCase
TestServe.settings = settings(
    max_examples=8,
    stateful_step_count=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
