"""Unit tests of the small modules: front matter, config, URLs, markup, output guards."""

from __future__ import annotations

from pathlib import Path

import pytest

from ancongthuong_site.config import load_config
from ancongthuong_site.errors import BuildFailed, ContentError, RefusedError
from ancongthuong_site.frontmatter import load_yaml, parse
from ancongthuong_site.markup import MarkupSettings, Renderer
from ancongthuong_site.urls import Urls
from ancongthuong_site.writer import MARKER, guard_output
from conftest import SITE_YAML


def problem_of(text: str):  # type: ignore[no-untyped-def]
    with pytest.raises(ContentError) as caught:
        parse(text, "a.md")
    return caught.value.problem


# -- front matter -------------------------------------------------------------------------


def test_yaml_1_1_surprises_stay_strings() -> None:
    data, lines = load_yaml(
        "draft: no\nzip: 0123\nprice: 1.250\ntime: 1:30:00\nok: true\nn: 42\nd: 2024-02-27\n",
        "a.md",
        2,
    )
    assert data == {
        "draft": "no",
        "zip": "0123",
        "price": "1.250",
        "time": "1:30:00",
        "ok": True,
        "n": 42,
        "d": "2024-02-27",
    }
    assert lines["zip"] == 3


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("title: x\n", "E100", 1),
        ("---\ntitle: x\n", "E101", 1),
        ("---\ntitle: Thông báo: lịch\n---\n", "E102", 2),
        ("---\ntitle: a\ndate: b\ntitle: c\n---\n", "E103", 4),
        ("---\nx: !!python/object/apply:os.system ['true']\n---\n", "E104", 2),
        ("---\na: &x 1\nb: *x\n---\n", "E105", 2),
        ("---\nx: " + "[" * 200 + "]" * 200 + "\n---\n", "E106", 2),
        ("---\nx: '" + "a" * 70000 + "'\n---\n", "E107", 2),
    ],
)
def test_front_matter_problems_have_a_code_and_a_file_line(text: str, code: str, line: int) -> None:
    problem = problem_of(text)
    assert (problem.code, problem.line, problem.path) == (code, line, "a.md")
    assert problem.hint


def test_body_line_counts_from_the_top_of_the_file() -> None:
    front = parse("---\ntitle: a\ndate: b\n---\n\nThân bài\n", "a.md")
    assert front.body_line == 5
    assert front.body.strip() == "Thân bài"
    assert front.key_lines == {"title": 2, "date": 3}


def test_a_quoted_title_may_contain_brackets_and_bangs() -> None:
    front = parse('---\ntitle: "[[[ Chào mừng! & *sao* ]]]"\n---\n', "a.md")
    assert front.data["title"] == "[[[ Chào mừng! & *sao* ]]]"


# -- config -----------------------------------------------------------------------------------


def test_config_reads_categories_and_slugs(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    config = load_config(tmp_path)
    assert [c.slug for c in config.categories] == [
        "tin-hoat-dong",
        "hoat-dong-dang-doan-the",
        "thong-bao",
    ]
    assert config.category("THÔNG BÁO") is config.categories[2]
    assert config.category("thong-bao") is config.categories[2]
    assert config.paginate == 3 and config.footer == ()


def test_config_collects_every_problem(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_text(
        'title: 5\nbase_url: "ftp://x"\npaginat: 4\ncategories: []\nfooter:\n  phone: 1\n',
        encoding="utf-8",
    )
    with pytest.raises(BuildFailed) as caught:
        load_config(tmp_path)
    messages = [(p.line, p.message, p.hint) for p in caught.value.problems]
    assert len(messages) == 5
    assert any(
        line == 3 and "paginat" in msg and "paginate" in hint for line, msg, hint in messages
    )
    assert all(p.code == "E180" and p.path == "site.yaml" for p in caught.value.problems)


# -- urls ---------------------------------------------------------------------------------------


def test_urls_under_a_sub_path() -> None:
    urls = Urls("https://example.org/portal")
    assert (
        urls.link(Urls.listing("category", "thong-bao", 2))
        == "/portal/chuyen-muc/thong-bao/trang/2/"
    )
    assert urls.absolute("feed.xml") == "https://example.org/portal/feed.xml"
    assert urls.rebase("/images/a.jpg") == "/portal/images/a.jpg"
    assert urls.rebase("//cdn.example/a.jpg") == "//cdn.example/a.jpg"
    assert Urls.output_path("") == "index.html"
    assert Urls.output_path("2024/02/a/") == "2024/02/a/index.html"


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("/tin-tuc/123.html", "tin-tuc/123.html"),
        ("https://sct.angiang.gov.vn/tin-tuc/abc", "tin-tuc/abc/"),
        ("../../etc/passwd", None),
        ("/a/%2e%2e/b", None),
        ("a\\..\\b", None),
        ("/", None),
        ("/tin tức/", None),
    ],
)
def test_aliases_cannot_climb_out(alias: str, expected: str | None) -> None:
    assert Urls.alias_rel_url(alias) == expected


# -- markup ------------------------------------------------------------------------------------


def test_markup_sanitises_and_keeps_what_markdown_makes() -> None:
    renderer = Renderer(MarkupSettings("https://example.org/", allow_raw_html=False))
    html, first = renderer.render(
        "Mở đầu [x](javascript:alert(1)).\n\n<script>alert(1)</script>\n\n"
        "## Đầu mục\n\n| a | b |\n|:-|-:|\n| 1 | 2 |\n\n![Chú thích](/a.jpg)\n"
    )
    assert first == "Mở đầu x."
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html
    assert '<h2 id="dau-muc">' in html
    assert 'style="text-align:left"' in html
    assert (
        '<figure><img alt="Chú thích" src="/a.jpg"><figcaption>Chú thích</figcaption></figure>'
        in html
    )


def test_raw_html_is_opt_in_and_still_sanitised() -> None:
    renderer = Renderer(MarkupSettings("https://example.org/", allow_raw_html=True))
    html, _ = renderer.render(
        '<table><tr><td onclick="x()">1</td></tr></table>\n\n<script>x()</script>\n'
    )
    assert "<table>" in html and "onclick" not in html and "<script" not in html


# -- output guards -------------------------------------------------------------------------------


def test_output_guards(tmp_path: Path) -> None:
    root = tmp_path / "site"
    for name in ("content", "templates", "static"):
        (root / name).mkdir(parents=True)
    for bad in (root, tmp_path, root / "content", root / "static/x", Path("/")):
        with pytest.raises(RefusedError) as caught:
            guard_output(root, bad)
        assert caught.value.problem.code == "E201"
    foreign = root / "gh-pages"
    foreign.mkdir()
    (foreign / "CNAME").write_text("example.org")
    with pytest.raises(RefusedError) as caught:
        guard_output(root, foreign)
    assert caught.value.problem.code == "E203"
    assert guard_output(root, foreign, force=True) == foreign.resolve()
    (foreign / MARKER).write_text("{}")
    assert guard_output(root, foreign) == foreign.resolve()
    # A sibling whose name starts like the site root is not the site root.
    assert guard_output(root, tmp_path / "site-evil") == (tmp_path / "site-evil").resolve()
