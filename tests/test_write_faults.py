"""A failed write never poisons later builds, and a file changed by hand in the output or
in the standby tree is never published again.

The standby tree (`._site.standby/`) holds the build before last and is brought up to
date by the next build: whatever an earlier tree or a failed build left in it (a file
where a folder must go, a folder where a file must go, a half-done update) must never
make the next build fail.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ancongthuong_site import writer
from ancongthuong_site.build import BuildOptions, build
from ancongthuong_site.errors import BuildFailed
from conftest import article, tree_digest

OPTIONS = BuildOptions(jobs=1)


def pages(out: Path) -> list:
    return [entry for entry in tree_digest(out) if not entry[0].startswith(".")]


def clean_build(root: Path, tmp: Path) -> list:
    """The tree a first build of the same sources makes."""
    copy = tmp / "clean"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("_site", "._site*", ".cache"))
    build(copy, OPTIONS)
    return pages(copy / "_site")


@pytest.fixture
def site(make_site) -> Path:  # type: ignore[no-untyped-def]
    return make_site(
        {
            "content/2024/02/a.md": article(title="Một"),
            "content/2024/02/b.md": article(title="Hai", date="2024-02-28"),
            "content/pages/gioi-thieu.md": "---\ntitle: Giới thiệu\n---\nNội dung.\n",
            "static/tai-lieu/ke-hoach.txt": "kế hoạch",
        }
    )


def edit(root: Path, title: str) -> None:
    (root / "content/2024/02/a.md").write_text(article(title=title), encoding="utf-8")


def test_a_file_that_becomes_a_folder_and_back(site: Path, tmp_path: Path) -> None:
    place = site / "static/tai-lieu"
    build(site, OPTIONS)
    # Each shape for two builds: the standby (the tree before last) then holds the other.
    for step, shape in enumerate(["file", "file", "folder", "folder", "file"]):
        shutil.rmtree(place) if place.is_dir() else place.unlink()
        if shape == "file":
            place.write_text(f"một tệp {step}", encoding="utf-8")
        else:
            place.mkdir()
            (place / "ke-hoach.txt").write_text(f"kế hoạch {step}", encoding="utf-8")
        build(site, OPTIONS)
        assert pages(site / "_site") == clean_build(site, tmp_path)


def test_a_page_that_becomes_a_static_file(site: Path, tmp_path: Path) -> None:
    build(site, OPTIONS)
    edit(site, "Sửa một")
    build(site, OPTIONS)  # the standby now holds gioi-thieu/ as a folder too
    (site / "content/pages/gioi-thieu.md").unlink()
    (site / "static/gioi-thieu").write_text("bây giờ là một tệp", encoding="utf-8")
    build(site, OPTIONS)
    assert (site / "_site/gioi-thieu").read_text(encoding="utf-8") == "bây giờ là một tệp"
    edit(site, "Sửa lần hai")
    build(site, OPTIONS)
    assert pages(site / "_site") == clean_build(site, tmp_path)


def test_an_alias_where_a_generated_file_is_is_refused_and_nothing_sticks(site: Path) -> None:
    build(site, OPTIONS)
    (site / "content/2024/02/b.md").write_text(
        article(title="Hai", date="2024-02-28", aliases=["/robots.txt"]), encoding="utf-8"
    )
    with pytest.raises(BuildFailed) as failure:
        build(site, OPTIONS)
    (problem,) = failure.value.problems
    assert problem.code == "E130" and problem.path == "content/2024/02/b.md"
    assert "/robots.txt" in problem.message
    (site / "content/2024/02/b.md").write_text(
        article(title="Hai", date="2024-02-28", aliases=["/tin-cu.html"]), encoding="utf-8"
    )
    build(site, OPTIONS)
    assert (site / "_site/tin-cu.html").is_file()


@pytest.mark.parametrize("tree", ["_site", "._site.standby"])
def test_a_file_edited_by_hand_is_never_published(site: Path, tree: str) -> None:
    build(site, OPTIONS)
    edit(site, "Sửa một")
    build(site, OPTIONS)  # both trees exist now; b's page is the same in both
    page = site / tree / "2024/02/b/index.html"
    original = (site / "_site/2024/02/b/index.html").read_text(encoding="utf-8")
    with open(page, "a", encoding="utf-8") as handle:  # in place: same inode
        handle.write("<p>SỬA TAY</p>")
    for text in ("Sửa hai.", "Sửa ba."):  # two swaps: each tree is published once
        # A body edit changes a's page only: b's page is taken from the trees as it is.
        source = article(title="Sửa một", body="Đoạn văn đầu tiên của bài.\n\n" + text)
        (site / "content/2024/02/a.md").write_text(source, encoding="utf-8")
        assert build(site, OPTIONS).written
        published = (site / "_site/2024/02/b/index.html").read_text(encoding="utf-8")
        assert published == original


# -- fault injection ----------------------------------------------------------------------

ERRNOS = [errno.ENOSPC, errno.EISDIR, errno.ENOTDIR, errno.EACCES]


class Faults:
    """Fails the n-th file-system call the writer makes with the given error."""

    def __init__(self, countdown: int, code: int) -> None:
        self.countdown = countdown
        self.code = code
        self.fired = False

    def wrap(self, function):  # type: ignore[no-untyped-def]
        def faulty(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.countdown -= 1
            if self.countdown == 0:
                self.fired = True
                raise OSError(self.code, os.strerror(self.code), str(args[0]) if args else "")
            return function(*args, **kwargs)

        return faulty


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    countdown=st.integers(min_value=1, max_value=60),
    code=st.sampled_from(ERRNOS),
    shape=st.sampled_from(["edit", "static-to-folder", "page-to-file"]),
)
def test_a_failed_write_never_makes_the_next_build_fail(
    make_site, tmp_path_factory, countdown: int, code: int, shape: str
) -> None:  # type: ignore[no-untyped-def]
    root = make_site(
        {
            "content/2024/02/a.md": article(title="Một"),
            "content/2024/02/b.md": article(title="Hai", date="2024-02-28"),
            "content/pages/gioi-thieu.md": "---\ntitle: Giới thiệu\n---\nNội dung.\n",
            "static/tai-lieu": "một tệp",
        },
        name=f"site-{tmp_path_factory.mktemp('x').name}",
    )
    build(root, OPTIONS)
    edit(root, "Sửa một")
    build(root, OPTIONS)  # a standby exists from here on
    live_before = tree_digest(root / "_site")
    edit(root, "Sửa hai")
    if shape == "static-to-folder":
        (root / "static/tai-lieu").unlink()
        (root / "static/tai-lieu").mkdir()
        (root / "static/tai-lieu/a.txt").write_text("a", encoding="utf-8")
    elif shape == "page-to-file":
        (root / "content/pages/gioi-thieu.md").unlink()
        (root / "static/gioi-thieu").write_text("tệp", encoding="utf-8")
    faults = Faults(countdown, code)
    patch = pytest.MonkeyPatch()
    for name in ("link", "rename", "replace", "unlink", "mkdir", "rmdir", "fsync"):
        patch.setattr(writer.os, name, faults.wrap(getattr(os, name)))
    patch.setattr(writer, "open", faults.wrap(open), raising=False)
    patch.setattr(Path, "mkdir", faults.wrap(Path.mkdir))
    patch.setattr(Path, "write_bytes", faults.wrap(Path.write_bytes))
    patch.setattr(Path, "write_text", faults.wrap(Path.write_text))
    try:
        build(root, OPTIONS)
    except BuildFailed as error:
        assert [p.code for p in error.problems] == ["E210"], error
        assert faults.fired
        assert tree_digest(root / "_site") == live_before  # the old output, untouched
    finally:
        patch.undo()
    build(root, OPTIONS)  # the next build, with a healthy disk, always succeeds
    assert pages(root / "_site") == clean_build(root, tmp_path_factory.mktemp("clean"))
    edit(root, "Sửa ba")
    build(root, OPTIONS)  # and so does the one after it (the other tree is the standby)
    assert pages(root / "_site") == clean_build(root, tmp_path_factory.mktemp("clean"))


def test_a_standby_that_cannot_be_removed_is_moved_aside_never_published(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(site, OPTIONS)
    standby = site / "._site.standby"
    shutil.rmtree(standby)  # the first build left a hard-linked copy: replace it
    standby.mkdir()
    (standby / "lac.html").write_text("không được đăng", encoding="utf-8")  # unmarked leftover
    monkeypatch.setattr(writer.shutil, "rmtree", lambda path, ignore_errors=False: None)
    edit(site, "Sửa một")
    build(site, OPTIONS)
    monkeypatch.undo()
    assert not (site / "_site/lac.html").exists()
    edit(site, "Sửa hai")
    build(site, OPTIONS)  # the next build clears what was moved aside
    assert not (site / "_site/lac.html").exists()
    assert not list(site.glob("._site.*.trash-*"))
