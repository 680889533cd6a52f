"""`import`: exports of the old portal become articles, word for word, or a clear error."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from ancongthuong_site.config import Category
from ancongthuong_site.errors import ContentError
from ancongthuong_site.importer import (
    Block,
    ImportedArticle,
    import_file,
    parse_export,
    render_markdown,
)
from ancongthuong_site.vietnamese import VN_TZ, make_slug

SHARED = Path(__file__).resolve().parents[2] / "shared"
ORIGINAL = SHARED / "original-articles" / "000_14497ebb8a2868b0.txt"
CATEGORIES = (
    Category("Tin hoạt động", "tin-hoat-dong"),
    Category("Hoạt động Đảng - Đoàn thể", "hoat-dong-dang-doan-the"),
)
PORTAL = "Cổng thông tin điện tử Sở công thương An Giang"
CAPTION = "Phát biểu đồng chí Nguyễn Minh Hùng, Bí thư Đảng ủy, Giám đốc Sở Công Thương"
SMALL = f"""{PORTAL}
Sở Công Thương kiểm tra thị trường

Sáng ngày 5/3/2024, đoàn kiểm tra đã làm việc tại chợ Long Xuyên.

Đoàn kiểm tra tại chợ Long Xuyên

Kết quả: không phát hiện vi phạm.

Nguồn: Phòng Quản lý Thương mại
"""


@pytest.fixture
def original() -> str:
    if not ORIGINAL.exists():
        pytest.skip("the shared folder with the original articles is not present")
    return ORIGINAL.read_text(encoding="utf-8")


def original_paragraphs(text: str) -> list[str]:
    """The body paragraphs of the export, read independently of the importer."""
    lines = text.split("\n")
    blocks = [block.strip() for block in "\n".join(lines[2:]).split("\n\n") if block.strip()]
    assert blocks[-1].startswith("Nguồn:")
    return blocks[:-1]


def split(path: Path) -> tuple[dict[str, object], str]:
    text = path.read_text(encoding="utf-8")
    head, body = text.removeprefix("---\n").split("\n---\n", 1)
    return yaml.safe_load(head), body


def to_cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: precomposed base letters, tone marks combining."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            tones = "".join(c for c in parts if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
            out += (base + tones).encode("cp1258")
    return bytes(out)


def test_parse_original_article(original: str) -> None:
    article = parse_export(original, "000.txt")
    assert article.title == (
        "Đảng ủy Sở Công Thương An Giang tổ chức Hội nghị tổng kết công tác Đảng năm 2023 "
        "và triển khai nhiệm vụ năm 2024"
    )
    assert article.date == datetime(2024, 2, 27, tzinfo=VN_TZ)
    assert article.source == "Văn phòng"
    kinds = [block.kind for block in article.blocks]
    assert kinds == ["paragraph", "paragraph", "caption", "paragraph", "paragraph"]
    assert article.blocks[2] == Block("caption", CAPTION)
    paragraphs = [block.text for block in article.blocks if block.kind == "paragraph"]
    assert paragraphs == [p for p in original_paragraphs(original) if p != CAPTION]
    notes = "\n".join(article.inferred)
    assert "Chiều ngày 27/02/2024" in notes and "2024-02-27" in notes
    assert CAPTION in notes
    assert "Văn phòng" in notes


def test_import_original_article(original: str, tmp_path: Path) -> None:
    source_file = tmp_path / "export.txt"
    source_file.write_text(original, encoding="utf-8")
    content = tmp_path / "content"
    path, article = import_file(
        source_file, content, category="hoat-dong-dang-doan-the", categories=CATEGORIES
    )
    assert path == content / "2024" / "02" / f"{make_slug(article.title)}.md"
    meta, body = split(path)
    assert meta["title"] == article.title
    assert meta["date"] == "2024-02-27"
    assert meta["category"] == "Hoạt động Đảng - Đoàn thể"
    assert meta["source"] == "Văn phòng"
    assert meta["image_caption"] == ""
    assert meta["draft"] is False
    # Every paragraph word for word, in order, one per block, the caption as an image.
    expected = [f"![{p}]()" if p == CAPTION else p for p in original_paragraphs(original)]
    assert body.strip().split("\n\n") == expected
    written = path.read_text(encoding="utf-8")
    assert "Nguồn:" not in body
    assert "Cổng thông tin" not in written
    # Importing the same export again must not replace the file (an editor may have fixed it).
    path.write_text(written + "edited\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        import_file(source_file, content, category="Tin hoạt động", categories=CATEGORIES)
    assert caught.value.problem.code == "E130"
    assert f"content/2024/02/{path.name}" in caught.value.problem.message
    assert path.read_text(encoding="utf-8").endswith("edited\n")


def test_crlf_bom_and_nfd_give_the_same_article(original: str) -> None:
    lf = parse_export(original, "a.txt")
    assert parse_export(original.replace("\n", "\r\n"), "a.txt") == lf
    assert parse_export("\ufeff" + original.replace("\n", "\r\n"), "a.txt") == lf
    assert parse_export(unicodedata.normalize("NFD", original), "a.txt") == lf


def test_crlf_file_writes_the_same_bytes(original: str, tmp_path: Path) -> None:
    results = []
    for name, data in [
        ("lf", original.encode()),
        ("crlf", original.replace("\n", "\r\n").encode()),
    ]:
        (tmp_path / f"{name}.txt").write_bytes(data)
        path, _ = import_file(
            tmp_path / f"{name}.txt",
            tmp_path / name,
            category="tin-hoat-dong",
            categories=CATEGORIES,
        )
        results.append(path.read_bytes())
    assert results[0] == results[1]
    assert b"\r" not in results[0]


def test_cp1258_file_is_refused(original: str, tmp_path: Path) -> None:
    data = to_cp1258(original)
    assert unicodedata.normalize("NFC", data.decode("cp1258")) == original
    export = tmp_path / "old.txt"
    export.write_bytes(data)
    with pytest.raises(ContentError) as caught:
        import_file(export, tmp_path / "content", category="tin-hoat-dong", categories=CATEGORIES)
    problem = caught.value.problem
    assert problem.code == "E120"
    assert problem.line == 1
    assert "UTF-8" in problem.hint
    assert not (tmp_path / "content").exists()


def test_bad_byte_is_reported_at_its_line(tmp_path: Path) -> None:
    export = tmp_path / "old.txt"
    export.write_bytes(SMALL.encode().replace("chợ Long Xuyên.".encode(), b"ch\xf4 Long"))
    with pytest.raises(ContentError) as caught:
        import_file(export, tmp_path / "content", category="tin-hoat-dong", categories=CATEGORIES)
    assert caught.value.problem.code == "E120"
    assert caught.value.problem.line == 4
    column = len("Sáng ngày 5/3/2024, đoàn kiểm tra đã làm việc tại ch".encode()) + 1
    assert f"byte 0xF4 ở cột {column}" in caught.value.problem.message


def test_utf16_file_is_refused(tmp_path: Path) -> None:
    export = tmp_path / "notepad.txt"
    export.write_bytes(SMALL.encode("utf-16"))
    with pytest.raises(ContentError) as caught:
        import_file(export, tmp_path / "content", category="tin-hoat-dong", categories=CATEGORIES)
    assert caught.value.problem.code == "E121"


def test_missing_source_line() -> None:
    text = SMALL.replace("Nguồn: Phòng Quản lý Thương mại\n", "")
    with pytest.raises(ContentError) as caught:
        parse_export(text, "x.txt")
    assert caught.value.problem.code == "E110"
    assert caught.value.problem.path == "x.txt"
    # A source line that is not the last line is not silently accepted either.
    moved = SMALL.replace("Nguồn: Phòng Quản lý Thương mại\n", "") + "\nNguồn: A\n\nHết bài.\n"
    with pytest.raises(ContentError, match="E110"):
        parse_export(moved, "x.txt")


@pytest.mark.parametrize("text", ["", "\n\n", f"{PORTAL}\nTiêu đề\n", "---\ntitle: x\n---\nA\n"])
def test_not_an_export(text: str) -> None:
    with pytest.raises(ContentError) as caught:
        parse_export(text, "x.txt")
    assert caught.value.problem.code == "E100"


def test_export_without_body() -> None:
    with pytest.raises(ContentError, match="E100"):
        parse_export(f"{PORTAL}\nTiêu đề\n\nNguồn: Văn phòng\n", "x.txt")


def test_small_export_short_date_and_captions() -> None:
    article = parse_export(SMALL, "x.txt")
    assert article.date == datetime(2024, 3, 5, tzinfo=VN_TZ)
    assert article.source == "Phòng Quản lý Thương mại"
    assert [b.kind for b in article.blocks] == ["paragraph", "caption", "paragraph"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Toàn cảnh hội nghị", "caption"),
        ("Hội nghị kết thúc lúc 11 giờ.", "paragraph"),
        ("Ông nói: “Chúng tôi sẽ làm tốt.”", "paragraph"),
        ("Hội nghị đạt kết quả tốt./.", "paragraph"),
        ("Các nội dung chính gồm:", "paragraph"),
        ("1. Kết quả đạt được", "heading"),
        ("KẾT QUẢ ĐẠT ĐƯỢC", "heading"),
        ("Văn phòng Sở", "paragraph"),
        ("Thứ Năm, 28-03-2024 08:30", "paragraph"),
        ("Toàn cảnh " * 25, "paragraph"),
    ],
)
def test_caption_rule(text: str, kind: str) -> None:
    export = f"{PORTAL}\nTiêu đề\n\nMở đầu ngày 1/1/2024.\n\n{text.strip()}\n\nNguồn: VP\n"
    assert parse_export(export, "x.txt").blocks[1].kind == kind


def test_impossible_date_is_not_used(tmp_path: Path) -> None:
    export = tmp_path / "x.txt"
    export.write_text(SMALL.replace("5/3/2024", "30/02/2024"), encoding="utf-8")
    article = parse_export(export.read_text(encoding="utf-8"), "x.txt")
    assert article.date is None
    assert any("30/02/2024" in note for note in article.inferred)
    with pytest.raises(ContentError) as caught:
        import_file(export, tmp_path / "content", category="tin-hoat-dong", categories=CATEGORIES)
    assert caught.value.problem.code == "E112"
    assert "--date" in caught.value.problem.hint
    given = datetime(2024, 2, 28, 9, 30, tzinfo=VN_TZ)
    path, _ = import_file(
        export, tmp_path / "content", category="tin-hoat-dong", categories=CATEGORIES, date=given
    )
    assert path.parent == tmp_path / "content" / "2024" / "02"
    assert split(path)[0]["date"] == "2024-02-28 09:30"


def test_unknown_category_writes_nothing(tmp_path: Path) -> None:
    export = tmp_path / "x.txt"
    export.write_text(SMALL, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        import_file(export, tmp_path / "content", category="Tin tức", categories=CATEGORIES)
    assert caught.value.problem.code == "E113"
    assert "Tin hoạt động" in caught.value.problem.format()
    assert not (tmp_path / "content").exists()


def test_markdown_syntax_in_plain_text_is_shown_as_written() -> None:
    markdown = pytest.importorskip("markdown")
    lines = [
        "# Không phải tiêu đề, *không* nghiêng, _không_ gạch [liên kết](x) <b>thẻ</b> &amp; \\n.",
        "1. không phải danh sách",
        "- cũng không",
        "---",
        "> không phải trích dẫn.",
    ]
    paragraph = "\n".join(lines)
    article = ImportedArticle("T", None, "VP", (Block("paragraph", paragraph),), ())
    text = render_markdown(article, category="Tin hoạt động", date=datetime(2024, 1, 1))
    html = markdown.markdown(text.split("\n---\n", 1)[1])
    shown = re.sub(r"<[^>]+>", "", html)
    shown = shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert shown.strip() == paragraph


def test_import_of_the_original_equals_the_article_in_content(tmp_path: Path) -> None:
    """The command a user runs, on the original export: same article as content/ holds."""
    from ancongthuong_site.loader import parse_file
    from ancongthuong_site.markup import MarkupSettings, Renderer
    from conftest import REPO, run_cli

    original = SHARED / "original-articles" / "000_14497ebb8a2868b0.txt"
    if not original.is_file():
        pytest.skip("the original article is not available")
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "site.yaml").write_bytes((REPO / "site.yaml").read_bytes())
    result = run_cli("import", original, "--category", "hoat-dong-dang-doan-the", "--root", site)
    assert result.returncode == 0, result.stderr
    assert "27/02/2024" in result.stdout  # it shows what it inferred
    imported = next((site / "content").rglob("*.md"))
    ours = next((REPO / "content" / "2024" / "02").glob("*.md"))
    assert imported.relative_to(site) == ours.relative_to(REPO)
    renderer = Renderer(MarkupSettings("https://sct.angiang.gov.vn/", False))
    a = parse_file("2024/02/x.md", imported.read_bytes(), renderer)
    b = parse_file("2024/02/x.md", ours.read_bytes(), renderer)
    for field in ("title", "date", "category", "source", "date_has_time"):
        assert getattr(a.meta, field) == getattr(b.meta, field), field
    assert a.body_html == b.body_html
    # Run again: the same article is already there, identical, so it is skipped.
    again = run_cli("import", original, "--category", "hoat-dong-dang-doan-the", "--root", site)
    assert again.returncode == 0 and "giống hệt: bỏ qua" in again.stdout
