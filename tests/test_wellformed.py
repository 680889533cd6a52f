"""Every file the builder writes is well-formed, whatever an editor types.

Pages parse as HTML, feeds and the sitemap parse with a strict XML parser, JSON parses,
and no file holds a control character (or one hidden in a JSON string) — over article
text drawn from a generous alphabet: HTML entities, backslash escapes, raw HTML,
character references to control characters, decomposed (NFD) Vietnamese, bidi marks.
A body whose references decode to a control character is refused (E122) at its line.
"""

from __future__ import annotations

import json
import re
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ancongthuong_site.build import BuildOptions, build
from ancongthuong_site.errors import BuildFailed
from ancongthuong_site.files import FORBIDDEN
from conftest import SITE_YAML, article, html, make_site, write_tree

# Tokens an editor (or `import`) really writes, and the ones a hostile review tried.
SAFE_TOKENS = [
    *"aăâđêôơưáàảãạếềểễệĐ0 .,:;!?-()/#*_[]`<>&\"'",
    "\n",
    "\n\n",
    "&nbsp;",
    "&amp;",
    "&lt;",
    "&copy;",
    "&#x41;",
    "&#8212;",
    "&#0;",
    "&#xD800;",
    "&#x110000;",
    "&bogus;",
    "\\*",
    "\\[",
    "\\\\",
    "\\_",
    "\\`",
    "\\<",
    "(*)",
    "[trực tuyến]",
    "A & B",
    "<b>",
    "</b>",
    "<p>",
    "</p>",
    "<div>x</div>",
    "<script>alert(1)</script>",
    "<!-- c -->",
    "<![CDATA[x]]>",
    "<img src=x onerror=alert(1)>",
    "]]>",
    "a\u0301",  # NFD: a + combining acute
    "e\u0302\u0301",
    "\u200f",  # right-to-left mark
    "\u202e",  # right-to-left override
    "\u200b",
    "\u2028",
    "\ufeff",
    "[link](/a_b/)",
    "![ảnh &amp; chú thích](/images/a.jpg)",
    "`code &amp; \\*`",
    "# ",
    "- ",
    "> ",
    "```\n",
    "| a | b |\n|---|---|\n",
]
CONTROL_REFERENCES = ["&#x1;", "&#8;", "&#xFFFE;", "&#x81;", "&#31;", "&#X1B;"]

text = st.lists(st.sampled_from(SAFE_TOKENS), max_size=40).map("".join)
# Front matter refuses U+2028 (YAML reads it as a line break) with its own E122.
titles = text.map(lambda value: value.replace("\u2028", ""))


@st.composite
def bodies(draw: st.DrawFn) -> str:
    body = draw(text)
    if draw(st.integers(0, 4)) == 0:  # now and then one reference to a control character
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.sampled_from(CONTROL_REFERENCES)) + body[at:]
    return body


def yaml_string(value: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(value, ensure_ascii=False)


def strings_in(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings_in(k), *strings_in(v))]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def assert_well_formed(out: Path) -> int:
    """Check every file of a built tree; return how many were checked."""
    checked = 0
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(out).as_posix()
        if rel.startswith("static/") or path.suffix in (".css", ".js", ".png", ".svg", ".ico"):
            continue
        data = path.read_bytes()
        content = data.decode("utf-8")  # strict: raises on anything that is not UTF-8
        bad = FORBIDDEN.search(content)
        assert bad is None, f"{rel}: U+{ord(bad.group()):04X} in the output"
        assert "wzxhzdk" not in content, f"{rel}: a Markdown placeholder leaked"
        if path.suffix == ".xml":
            ElementTree.fromstring(data)  # strict XML: raises on a single bad character
        elif path.suffix == ".json":
            for string in strings_in(json.loads(content)):
                assert FORBIDDEN.search(string) is None, f"{rel}: control character in JSON"
        elif path.suffix == ".html":
            tree = html(path)
            assert tree.css_first("main") is not None or rel.endswith("404.html"), rel
        checked += 1
    return checked


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(title=titles, summary_body=bodies(), second=bodies())
@example(title="A & B", summary_body="(*) xem \\[trực tuyến\\] A &amp; B &nbsp;", second="")
@example(title="x", summary_body="<b>đậm</b> &#x1; \u202e", second="\\*")
def test_every_file_written_is_well_formed(title: str, summary_body: str, second: str) -> None:
    with tempfile.TemporaryDirectory() as temp:
        root = make_site(Path(temp) / "site")
        # No `summary:`: the first paragraph is the summary on the home page, in listings,
        # meta tags, search and the feeds, which is where placeholders used to leak.
        first = article(body=summary_body).replace('"Bài viết thử"', yaml_string(title + " tin"))
        write_tree(
            root,
            {
                "content/2024/02/mot.md": first,
                "content/2024/03/hai.md": article(title="Bài hai", body=second, tags=["Thẻ"]),
            },
        )
        try:
            build(root, BuildOptions(jobs=1, use_cache=False))
        except BuildFailed as error:
            # The only refusal this alphabet can cause: a reference to a control character.
            assert {p.code for p in error.problems} == {"E122"}, error
            for problem in error.problems:
                source = (root / problem.path).read_text(encoding="utf-8")
                line = source.split("\n")[problem.line - 1]
                assert any(ref in line for ref in CONTROL_REFERENCES), (problem, line)
            return
        assert assert_well_formed(root / "_site") > 5


@pytest.mark.parametrize(
    "body, expected",
    [
        ("Đồng bằng&nbsp;sông Cửu Long &amp; biển", "Đồng bằng sông Cửu Long & biển"),
        ("Giá \\*niêm yết\\* tại \\[trực tuyến\\] (*)", "Giá *niêm yết* tại [trực tuyến] (*)"),
        ("Bấm <b>đây</b> để xem", "Bấm <b>đây</b> để xem"),
    ],
)
def test_summary_is_the_text_the_reader_sees(make_site, body: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    """The default summary is the first paragraph as shown, never Markdown's placeholders."""
    root = make_site({"content/2024/02/a.md": article(body=body + "\n\nĐoạn hai.")})
    build(root, BuildOptions(jobs=1))
    out = root / "_site"
    feed = ElementTree.fromstring((out / "feed.xml").read_bytes())
    summaries = [e.text for e in feed.iter() if e.tag.endswith("summary")]
    assert summaries == [expected]
    home = html(out / "index.html")
    description = html(out / "2024/02/a/index.html").css_first('meta[name="description"]')
    assert description.attributes["content"] == expected
    assert expected in home.body.text()


def test_reference_to_a_control_character_is_refused_at_its_line(make_site) -> None:  # type: ignore[no-untyped-def]
    root = make_site({"content/2024/02/a.md": article(body="Dòng một.\n\nDòng hai &#x8; ở đây.")})
    with pytest.raises(BuildFailed) as failure:
        build(root, BuildOptions(jobs=1))
    (problem,) = failure.value.problems
    source = (root / "content/2024/02/a.md").read_text(encoding="utf-8").split("\n")
    assert problem.code == "E122" and "U+0008" in problem.message
    assert "&#x8;" in source[problem.line - 1]
    assert not (root / "_site").exists()


def test_control_character_escaped_in_site_yaml_is_refused(make_site) -> None:  # type: ignore[no-untyped-def]
    root = make_site(site_yaml=SITE_YAML.replace('"Cổng thử nghiệm"', '"Cổng\\x01 thử"'))
    with pytest.raises(BuildFailed) as failure:
        build(root, BuildOptions(jobs=1))
    assert [(p.code, p.line) for p in failure.value.problems] == [("E180", 1)]
    assert re.search("U\\+0001", failure.value.problems[0].message)
