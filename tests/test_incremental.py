"""Incremental builds are correct by construction: after any edit, the same bytes as a clean build."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ancongthuong_site.build import BuildOptions, build
from ancongthuong_site.checking import check_site
from ancongthuong_site.errors import SiteError
from ancongthuong_site.vietnamese import VN_TZ, fold
from conftest import article, make_site, tree_digest, write_tree

CATEGORIES = ["Tin hoạt động", "Hoạt động Đảng - Đoàn thể", "Thông báo"]
SOURCES = ["Văn phòng", "Phòng Quản lý Thương mại", ""]
TAGS = ["hội nghị", "xuất khẩu", "OCOP"]


def seed_site(root: Path) -> None:
    make_site(root)
    files = {
        f"content/2024/0{m}/bai-{m}-{d}.md": article(
            title=f"Bài {m}-{d}",
            date=f"2024-0{m}-1{d} 0{d}:00",
            source="Văn phòng",
            tags=["hội nghị"],
            body=f"Đoạn mở đầu {m}-{d}.\n\nĐoạn sau.",
        )
        for m in (1, 2)
        for d in (1, 2, 3)
    }
    write_tree(root, files)


def test_a_rebuild_with_nothing_changed_writes_nothing(make_site) -> None:
    root = make_site()
    write_tree(root, five_articles())
    first = build(root)
    assert first.output is not None and len(first.written) > 20
    inodes = {p: p.stat().st_ino for p in first.output.rglob("*") if p.is_file()}
    second = build(root)
    assert second.written == () and second.removed == ()
    assert {p: p.stat().st_ino for p in first.output.rglob("*") if p.is_file()} == inodes


def five_articles() -> dict[str, str]:
    return {f"content/a{i}.md": article(title=f"A{i}", source="Văn phòng") for i in range(5)}


# Enough distinct syllables for the search index to have many shards.
WORDS = (
    "Sở Công Thương tỉnh An Giang tổ chức hội nghị triển khai kế hoạch phát triển thương mại "
    "điện tử xuất khẩu nông sản gạo cá tra trái cây khuyến công làng nghề năng lượng tái tạo "
    "điện mặt trời an toàn thực phẩm quản lý thị trường bình ổn giá xăng dầu chợ truyền thống"
)


def test_a_body_edit_rewrites_only_the_pages_that_show_it(make_site) -> None:
    root = make_site()
    write_tree(root, five_articles())
    for i in range(5):
        write_tree(root, {f"content/b{i}.md": article(title=f"B{i}", body=WORDS)})
    build(root)
    path = root / "content/a2.md"
    path.write_text(
        path.read_text(encoding="utf-8") + "\nMột đoạn mới ở cuối bài.\n", encoding="utf-8"
    )
    result = build(root)
    # The article's page and the feeds that carry its full text; no listing shows the body.
    # Of the search index, only shards holding a syllable of the new paragraph.
    shards = {rel for rel in result.written if rel.startswith("tim-kiem/chi-muc/")}
    assert set(result.written) - shards == {
        "2024/02/a2/index.html",
        "feed.xml",
        "chuyen-muc/tin-hoat-dong/feed.xml",
    }
    added = {fold(word) for word in ["Một", "đoạn", "mới", "ở", "cuối", "bài"]}
    assert shards
    for rel in shards:
        assert rel.startswith("tim-kiem/chi-muc/s/"), rel
        held = json.loads((root / "_site" / rel).read_text(encoding="utf-8"))["syllables"]
        assert added & set(held), rel
    every_shard = list((root / "_site/tim-kiem/chi-muc/s").iterdir())
    assert len(every_shard) > len(shards)
    assert "Một đoạn mới ở cuối bài." in (root / "_site/2024/02/a2/index.html").read_text()
    # Built from the site the first build kept: one record added to the kept site's log.
    assert (root / ".cache/site.log").stat().st_size > 0


def test_a_check_between_builds_leaves_the_next_edit_local(make_site) -> None:
    root = make_site({"content/a.md": article(title="A"), "content/b.md": article(title="B")})
    build(root)
    check_site(root)  # renders into a folder of its own: the records of _site stay right
    path = root / "content/a.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nThêm một câu.\n", encoding="utf-8")
    result = build(root)
    assert "2024/02/a/index.html" in result.written
    assert (root / ".cache/site.log").stat().st_size > 0  # from the site the build kept


def test_a_title_edit_rewrites_its_listings(make_site) -> None:
    root = make_site()
    write_tree(root, five_articles())
    build(root)
    path = root / "content/a2.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace('title: "A2"', 'title: "A2 mới"'), encoding="utf-8"
    )
    written = set(build(root).written)
    pages = (
        "index.html",
        "2024/02/a2/index.html",
        "chuyen-muc/tin-hoat-dong/index.html",
        "nguon/van-phong/index.html",
        "tim-kiem/chi-muc/d/0.json",
    )
    assert set(pages) <= written
    assert "luu-tru/index.html" not in written  # year counts did not change


def test_a_local_edit_plans_only_the_pages_that_show_the_article(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    seed_site(root)
    everything = build(root).planned
    path = sorted((root / "content").rglob("*.md"))[2]
    text = path.read_text(encoding="utf-8")
    # Words no article had: the search index gains files, the plan stays local.
    path.write_text(text + "\nMột câu mới về xe.\n", encoding="utf-8")
    body = build(root)
    path.write_text(text.replace('title: "Bài', 'title: "Tin'), encoding="utf-8")
    title = build(root)
    path.write_text(re.sub(r'date: "2024-(\d\d)-1', r'date: "2024-\1-2', text), encoding="utf-8")
    moved = build(root)
    assert body.written and title.written and moved.written
    # Its page, the feeds, the home page and the search index; then where its card is.
    assert body.planned < title.planned < everything == moved.planned
    redirect = root / "content/2024/01/bai-1-1.md"  # a page that only redirects, via aliases
    redirect.write_text(
        redirect.read_text(encoding="utf-8").replace("tags:", 'aliases: ["/tin-cu/"]\ntags:'),
        encoding="utf-8",
    )
    assert build(root).planned == everything + 1  # a new page: every page is planned


def test_a_local_edit_of_a_draft_keeps_the_search_index(tmp_path: Path) -> None:
    # Found by the state machine: nothing published changed, and the index went missing.
    root = tmp_path / "site"
    root.mkdir()
    seed_site(root)
    path = sorted((root / "content").rglob("*.md"))[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("tags:", "draft: true\ntags:"), encoding="utf-8")
    build(root)
    index = root / "_site/tim-kiem/chi-muc/meta.json"
    before = index.read_bytes()
    path.write_text(
        text.replace("tags:", 'draft: true\nauthor: "Nguyễn Văn A"\ntags:'), encoding="utf-8"
    )
    assert build(root).written == ()
    assert index.read_bytes() == before


class IncrementalMachine(RuleBasedStateMachine):
    """Random edits, each followed by an incremental build compared with a clean one."""

    @initialize()
    def setup(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="incremental-"))
        self.root = self.tmp / "site"
        self.root.mkdir()
        seed_site(self.root)
        self.counter = 0
        self.now = dt.datetime(2024, 6, 1, 12, tzinfo=VN_TZ)  # the machine's own clock
        build(self.root, BuildOptions(jobs=1, now=self.now))

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def articles(self) -> list[Path]:
        return sorted((self.root / "content").rglob("*.md"))

    def edit(self, index: int, old: str, new: str) -> None:
        files = self.articles()
        if files:
            path = files[index % len(files)]
            text = path.read_text(encoding="utf-8")
            head, _, rest = text.partition("\n---\n")
            lines = [line for line in head.splitlines() if not line.startswith(f"{old}:")]
            if new:
                lines.append(f"{old}: {new}")
            path.write_text("\n".join(lines) + "\n---\n" + rest, encoding="utf-8")

    @rule(i=st.integers(0, 50), words=st.sampled_from(["Thêm một câu.", "Đoạn **mới**.", "- mục"]))
    def edit_body(self, i: int, words: str) -> None:
        files = self.articles()
        if files:
            path = files[i % len(files)]
            path.write_text(path.read_text(encoding="utf-8") + f"\n{words}\n", encoding="utf-8")

    @rule(
        i=st.integers(0, 50), title=st.sampled_from(["Tiêu đề mới", "Hội nghị Đảng ủy", "Z cuối"])
    )
    def change_title(self, i: int, title: str) -> None:
        self.edit(i, "title", f'"{title}"')

    @rule(i=st.integers(0, 50), day=st.integers(1, 28), month=st.integers(1, 12))
    def change_date(self, i: int, day: int, month: int) -> None:
        self.edit(i, "date", f'"{day:02d}/{month:02d}/2023"')

    @rule(i=st.integers(0, 50), title=st.sampled_from(["A đầu", "Z cuối"]), day=st.integers(1, 28))
    def change_title_and_date(self, i: int, title: str, day: int) -> None:
        # The card changes and the article moves to another listing page at once.
        self.edit(i, "title", f'"{title}"')
        self.edit(i, "date", f'"{day:02d}/01/2024"')

    @rule(i=st.integers(0, 50), summary=st.sampled_from(["Tóm tắt mới.", "Khác hẳn.", ""]))
    def change_summary(self, i: int, summary: str) -> None:
        self.edit(i, "summary", f'"{summary}"' if summary else "")

    @rule(i=st.integers(0, 50), author=st.sampled_from(["Nguyễn Văn A", "Trần Thị B", ""]))
    def change_author(self, i: int, author: str) -> None:
        self.edit(i, "author", f'"{author}"' if author else "")

    @rule(old=st.sampled_from(TAGS), new=st.sampled_from(["Hội nghị", "hội nghị mới", "OCOP"]))
    def rename_tag(self, old: str, new: str) -> None:
        for path in self.articles():
            lines = path.read_text(encoding="utf-8").split("\n")
            lines = [
                line.replace(f'"{old}"', f'"{new}"') if line.startswith("tags:") else line
                for line in lines
            ]
            path.write_text("\n".join(lines), encoding="utf-8")

    @rule(i=st.integers(0, 50), days=st.integers(1, 20))
    def expire_later(self, i: int, days: int) -> None:
        self.edit(i, "expires", f'"{self.now + dt.timedelta(days=days):%Y-%m-%d %H:%M}"')

    @rule(days=st.integers(1, 15))
    def clock_passes(self, days: int) -> None:
        self.now += dt.timedelta(days=days)  # expiring articles leave their listings

    @rule(i=st.integers(0, 50), category=st.sampled_from(CATEGORIES))
    def change_category(self, i: int, category: str) -> None:
        self.edit(i, "category", f'"{category}"')

    @rule(i=st.integers(0, 50), source=st.sampled_from(SOURCES))
    def change_source(self, i: int, source: str) -> None:
        self.edit(i, "source", f'"{source}"' if source else "")

    @rule(i=st.integers(0, 50), tags=st.lists(st.sampled_from(TAGS), max_size=3))
    def change_tags(self, i: int, tags: list[str]) -> None:
        self.edit(i, "tags", "[" + ", ".join(f'"{t}"' for t in tags) + "]")

    @rule(i=st.integers(0, 50), draft=st.booleans())
    def toggle_draft(self, i: int, draft: bool) -> None:
        self.edit(i, "draft", "true" if draft else "false")

    @rule(i=st.integers(0, 50))
    def delete(self, i: int) -> None:
        files = self.articles()
        if len(files) > 1:
            files[i % len(files)].unlink()

    @rule()
    def add(self) -> None:
        self.counter += 1
        write_tree(
            self.root,
            {
                f"content/moi/tin-moi-{self.counter}.md": article(
                    title=f"Tin mới {self.counter}", date="2024-03-01 10:00", tags=["OCOP"]
                )
            },
        )

    @rule(i=st.integers(0, 50))
    def rename(self, i: int) -> None:
        files = self.articles()
        if files:
            self.counter += 1
            path = files[i % len(files)]
            path.rename(path.with_name(f"doi-ten-{self.counter}.md"))

    @rule(text=st.sampled_from(["<p>Chân trang A</p>", "<p>Chân trang B</p>"]))
    def edit_template(self, text: str) -> None:
        base = self.root / "templates/base.html"
        content = base.read_text(encoding="utf-8")
        content = content.replace("<p>Chân trang A</p>", "").replace("<p>Chân trang B</p>", "")
        base.write_text(
            content.replace("</footer>\n</body>", f"{text}</footer>\n</body>"), encoding="utf-8"
        )

    @rule(per_page=st.integers(2, 5))
    def edit_config(self, per_page: int) -> None:
        config = self.root / "site.yaml"
        lines = [
            line
            for line in config.read_text(encoding="utf-8").splitlines()
            if not line.startswith("paginate:")
        ]
        config.write_text("\n".join(lines + [f"paginate: {per_page}"]) + "\n", encoding="utf-8")

    @rule()
    def delete_cache(self) -> None:
        shutil.rmtree(self.root / ".cache", ignore_errors=True)

    @rule(junk=st.binary(max_size=64))
    def corrupt_cache(self, junk: bytes) -> None:
        for path in (self.root / ".cache").rglob("*"):
            if path.is_file():
                path.write_bytes(junk)

    @rule()
    def check_between(self) -> None:
        # `check` writes the same parse cache and plan record: a kept site no longer matches.
        with contextlib.suppress(SiteError):
            check_site(self.root, BuildOptions(jobs=1, now=self.now))

    @rule(junk=st.binary(min_size=1, max_size=16))
    def tamper_with_the_kept_site(self, junk: bytes) -> None:
        for name in ("site.pickle", "site.log"):
            path = self.root / ".cache" / name
            if path.is_file():
                data = path.read_bytes()
                path.write_bytes(data[: len(data) // 2] + junk)

    @rule(i=st.integers(0, 50))
    def edit_output_by_hand(self, i: int) -> None:
        pages = sorted((self.root / "_site").rglob("*.html"))
        if pages:
            pages[i % len(pages)].write_text("sửa tay", encoding="utf-8")

    @rule()
    def touch_without_change(self) -> None:
        for path in self.articles()[:3]:
            os.utime(path, (0, 0))  # modification times must not matter

    @invariant()
    def incremental_equals_clean(self) -> None:
        if not hasattr(self, "root"):
            return
        incremental = build(self.root, BuildOptions(jobs=1, now=self.now)).output
        clean_out = self.tmp / "clean"
        shutil.rmtree(clean_out, ignore_errors=True)
        options = BuildOptions(out=clean_out, jobs=1, use_cache=False, now=self.now)
        clean = build(self.root, options).output
        assert incremental is not None and clean is not None
        assert tree_digest(incremental) == tree_digest(clean)


TestIncremental = IncrementalMachine.TestCase
TestIncremental.settings = settings(
    max_examples=12,
    stateful_step_count=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_scheduled_and_expiring_articles_follow_the_clock_without_any_edit(make_site) -> None:
    root = make_site()
    write_tree(
        root,
        {
            "content/a.md": article(title="Đã đăng", date="2024-01-01"),
            "content/b.md": article(title="Hẹn giờ", date="2024-06-01 08:00"),
            "content/c.md": article(title="Hết hạn", date="2024-01-02", expires="2024-09-01"),
        },
    )

    def build_at(day: str) -> set[str]:
        moment = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)
        out = build(root, BuildOptions(now=moment)).output
        assert out is not None
        return {p.parent.name for p in (out / "2024").glob("*/*/index.html")}

    assert build_at("2024-03-01") == {"a", "c"}
    assert build_at("2024-03-02") == {"a", "c"}  # nothing changed: the quick path
    assert build_at("2024-07-01") == {"a", "b", "c"}
    listed = (root / "_site/chuyen-muc/tin-hoat-dong/index.html").read_text()
    assert "Hết hạn" in listed
    build_at("2024-10-01")
    listed = (root / "_site/chuyen-muc/tin-hoat-dong/index.html").read_text()
    assert "Hết hạn" not in listed and "Hẹn giờ" in listed
    assert build_at("2024-03-01") == {"a", "c"}  # a clock set back is honoured too


def test_an_edit_that_keeps_size_and_modification_time_is_still_seen(make_site) -> None:
    root = make_site()
    path = root / "content/a.md"
    path.write_text(article(title="Bản AAAA"), encoding="utf-8")
    os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    build(root)
    path.write_text(article(title="Bản BBBB"), encoding="utf-8")  # same size
    os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    result = build(root)
    assert "2024/02/a/index.html" in result.written
    assert "Bản BBBB" in (root / "_site/2024/02/a/index.html").read_text()


def test_a_page_deleted_by_hand_from_the_output_comes_back(make_site) -> None:
    root = make_site({"content/a.md": article(title="A"), "content/b.md": article(title="B")})
    build(root)
    page = root / "_site/2024/02/a/index.html"
    original = page.read_bytes()
    page.unlink()
    (root / "_site/robots.txt").unlink()
    result = build(root)
    assert sorted(result.written) == ["2024/02/a/index.html", "robots.txt"]
    assert page.read_bytes() == original
