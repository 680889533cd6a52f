"""The documents register (content/van-ban/), built through the real command line and read
page by page: fields, status, both directions of "replaces", filters, drafts, feed,
sitemap, search entries, the home block; bad documents give their codes at their lines.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser

from ancongthuong_site.attachments import describe, format_size
from ancongthuong_site.build import BuildOptions, build
from ancongthuong_site.config import DEFAULT_DOCUMENT_TYPES
from ancongthuong_site.searchtokens import syllables
from ancongthuong_site.vietnamese import fold, make_slug
from conftest import SITE_YAML, article, built_index_files, html, read_index, run_cli

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
PDF = b"%PDF-1.4\n" + b"x" * 245_000
DOCX = b"PK\x03\x04" + b"y" * 1_500
XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"z" * 50


def document(
    number: str, type_: str, title: str, issued: str = "2024-03-01", **fields: object
) -> str:
    """Text of a document file; extra fields are written as given (YAML)."""
    lines = [
        "---",
        f'title: "{title}"',
        f'number: "{number}"',
        f'type: "{type_}"',
        'issuer: "Sở Công Thương An Giang"',
        f'issued: "{issued}"',
    ]
    for key, value in fields.items():
        if isinstance(value, list):
            lines.append(f"{key}: [{', '.join(json.dumps(v, ensure_ascii=False) for v in value)}]")
        elif isinstance(value, bool):
            lines.append(f"{key}: {'true' if value else 'false'}")
        else:
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return "\n".join([*lines, "---", "", "Toàn văn của văn bản.", ""])


# The test clock is 2025-01-01 00:00 UTC (07:00 in Vietnam).
ONE_OF_EACH_TYPE = {
    kind: (f"{n + 1}/{make_slug(kind).upper()}-SCT", f"Văn bản mẫu loại {kind}")
    for n, kind in enumerate(DEFAULT_DOCUMENT_TYPES)
}


def register_files() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "static/files/qd-12.pdf": PDF,
        "static/files/qd-12.docx": DOCX,
        "static/files/bao-cao.xls": XLS,
        "content/2024/03/tin.md": article(
            title="Tin dẫn văn bản",
            date="2024-03-20",
            body="Theo [Quyết định 12](van-ban:12/QĐ-SCT) của Sở.",
        ),
    }
    for n, (kind, (number, title)) in enumerate(ONE_OF_EACH_TYPE.items()):
        files[f"content/van-ban/loai/loai-{make_slug(kind)}.md"] = document(
            number, kind, title, issued=f"2023-0{n + 1}-1{n}", fields=["Thương mại"]
        )
    files |= {
        "content/van-ban/2023/qd-5.md": document(
            "5/QĐ-SCT", "Quyết định", "Quy chế làm việc (cũ)", issued="2023-01-05"
        ),
        "content/van-ban/2024/qd-12.md": document(
            "12/QĐ-SCT",
            "Quyết định",
            "Ban hành Quy chế làm việc",
            issued="2024-02-01",
            effective="2024-02-15",
            signer="Người Ký Thử",
            fields=["Tổ chức bộ máy", "Công nghiệp"],
            replaces=["5/QĐ-SCT"],
            related=["1/QUYET-DINH-SCT"],
            files=["/files/qd-12.pdf", "/files/qd-12.docx"],
        ),
        "content/van-ban/2024/kh-sap-toi.md": document(
            "20/KH-SCT",
            "Kế hoạch",
            "Kế hoạch có hiệu lực năm sau",
            issued="2024-12-20",
            effective="2025-02-01",
            files=["https://example.gov.vn/kh-20.pdf"],
        ),
        "content/van-ban/2024/bc-het.md": document(
            "7/BC-SCT",
            "Báo cáo",
            "Báo cáo đã hết hiệu lực",
            issued="2024-01-10",
            effective_until="2024-06-30",
            files=["/files/bao-cao.xls"],
        ),
        "content/van-ban/2024/cv-dat-tay.md": document(
            "9/CV-SCT",
            "Công văn",
            "Công văn có trạng thái ghi tay",
            issued="2024-05-05",
            status="Hết hiệu lực",
        ),
        "content/van-ban/du-thao/mo.md": document(
            "DT-1/SCT",
            "Dự thảo",
            "Dự thảo đang lấy ý kiến",
            issued="2024-12-20",
            comment_until="2025-01-10",
            comment_contact="gopy@example.org",
        ),
        "content/van-ban/du-thao/dong.md": document(
            "DT-0/SCT",
            "Dự thảo",
            "Dự thảo đã hết hạn góp ý",
            issued="2024-11-01",
            comment_until="2024-12-01",
            comment_contact="https://example.org/gop-y",
        ),
        "content/van-ban/nhap.md": document("99/QĐ-SCT", "Quyết định", "Bản nháp", draft=True),
    }
    return files


def rows(page: Path) -> list[dict[str, str]]:
    """The register table of a page, one dict per row, keyed by the column's label."""
    return [
        {td.attributes["data-label"]: td.text(strip=True) for td in tr.css("td")}
        for tr in html(page).css("table.register tbody tr")
    ]


def listing(out: Path, rel: str) -> list[dict[str, str]]:
    """Every row of a paginated listing, following its numbered pages."""
    found = rows(out / rel / "index.html")
    page = 2
    while (out / rel / f"trang/{page}/index.html").is_file():
        found += rows(out / rel / f"trang/{page}/index.html")
        page += 1
    return found


def fields_of(page: Path) -> dict[str, str]:
    tree = html(page)
    return {
        div.css_first("dt").text(strip=True): " ".join(div.css_first("dd").text().split())
        for div in tree.css(".document-fields > div")
    }


def test_register_pages_fields_status_relations_filters(make_site) -> None:
    root = make_site(register_files())
    result = run_cli("build", "--root", root)
    assert result.returncode == 0, result.stderr
    out = root / "_site"
    listed = listing(out, "van-ban")
    numbers = [r["Số ký hiệu"] for r in listed]
    expected = [n for n, _ in ONE_OF_EACH_TYPE.values()] + [
        "5/QĐ-SCT",
        "12/QĐ-SCT",
        "20/KH-SCT",
        "7/BC-SCT",
        "9/CV-SCT",
        "DT-1/SCT",
        "DT-0/SCT",
    ]
    assert sorted(numbers) == sorted(expected)  # every document once; the draft file not at all
    # Long registers show the first, the last and the nearby page numbers only.
    last = -(-len(expected) // 3)  # paginate: 3 in the test site
    pager = [n.text(strip=True) for n in html(out / "van-ban/index.html").css(".pager li > *")]
    assert [n for n in pager if n.isdigit() or n == "…"] == ["1", "2", "3", "…", str(last)]
    issued = [tuple(reversed(r["Ngày ban hành"].split("/"))) for r in listed]
    assert issued == sorted(issued, reverse=True)  # newest first across the pages

    status = {r["Số ký hiệu"]: r["Trạng thái"] for r in listed}
    assert status["12/QĐ-SCT"] == "Còn hiệu lực"
    assert status["5/QĐ-SCT"] == "Hết hiệu lực"  # replaced by 12/QĐ-SCT, in effect since 2024
    assert status["20/KH-SCT"] == "Chưa có hiệu lực"
    assert status["7/BC-SCT"] == "Hết hiệu lực"
    assert status["9/CV-SCT"] == "Hết hiệu lực"  # set by hand
    assert status["DT-1/SCT"] == "Dự thảo"
    row = next(r for r in listed if r["Số ký hiệu"] == "12/QĐ-SCT")
    assert "PDF, 245 KB" in row["Tệp"] and "DOCX, 2 KB" in row["Tệp"]

    page = out / "van-ban/qd-12/index.html"
    shown = fields_of(page)
    assert shown["Số ký hiệu"] == "12/QĐ-SCT"
    assert shown["Loại văn bản"] == "Quyết định"
    assert shown["Ngày ban hành"] == "01/02/2024"
    assert shown["Ngày có hiệu lực"] == "15/02/2024"
    assert shown["Người ký"] == "Người Ký Thử"
    assert shown["Lĩnh vực"] == "Tổ chức bộ máy, Công nghiệp"
    tree = html(page)
    files = [li.text(strip=True) for li in tree.css(".attachments li")]
    assert any("qd-12.pdf" in f and "PDF, 245 KB" in f and "Xem" in f for f in files)
    assert any("qd-12.docx" in f and "Xem" not in f for f in files)
    links = {
        s.css_first("h2").text(strip=True): [a.attributes["href"] for a in s.css("a")]
        for s in tree.css(".document-links")
    }
    assert links["Văn bản này thay thế"] == ["/van-ban/qd-5/"]
    assert links["Văn bản liên quan"] == ["/van-ban/loai-quyet-dinh/"]
    old = html(out / "van-ban/qd-5/index.html")
    back = [a.attributes["href"] for s in old.css(".document-links") for a in s.css("a")]
    assert back == ["/van-ban/qd-12/"]  # "replaced by", computed from the other side
    same_type = [a.attributes["href"] for a in tree.css(".document-others a")]
    assert "/van-ban/qd-5/" in same_type and "/van-ban/qd-12/" not in same_type

    # Filter pages: exactly the documents of that type, field, issuer, year and status.
    by_type = {n for n in numbers if n in ("5/QĐ-SCT", "12/QĐ-SCT", "1/QUYET-DINH-SCT")}
    assert {r["Số ký hiệu"] for r in listing(out, "van-ban/loai/quyet-dinh")} == by_type
    assert {r["Số ký hiệu"] for r in listing(out, "van-ban/linh-vuc/thuong-mai")} == {
        n for n, _ in ONE_OF_EACH_TYPE.values()
    }
    assert len(listing(out, "van-ban/co-quan/so-cong-thuong-an-giang")) == len(expected)
    assert {r["Số ký hiệu"] for r in listing(out, "van-ban/nam/2023")} == {
        r["Số ký hiệu"] for r in listed if r["Ngày ban hành"].endswith("2023")
    }
    assert {r["Số ký hiệu"] for r in listing(out, "van-ban/trang-thai/het-hieu-luc")} == {
        n for n, s in status.items() if s == "Hết hiệu lực"
    }
    filters = [
        a.attributes["href"] for a in html(out / "van-ban/index.html").css(".register-filters a")
    ]
    assert "/van-ban/loai/du-thao/" in filters and "/van-ban/nam/2024/" in filters

    # Drafts open for comment: the open one with its days left, not the closed one.
    drafts = html(out / "van-ban/du-thao/index.html")
    items = [li.text(strip=True) for li in drafts.css(".drafts li")]
    assert len(items) == 1 and "DT-1/SCT" in items[0]
    assert "Còn 10 ngày" in items[0]  # 07:00 on 01/01 until the end of 10/01
    assert drafts.css_first('.drafts a[href="mailto:gopy@example.org"]') is not None
    closed = html(out / "van-ban/dong/index.html").css_first(".comment").text()
    assert "Đã hết hạn lấy ý kiến" in closed

    # An article links a document by its number.
    body_links = [a.attributes["href"] for a in html(out / "2024/03/tin/index.html").css(".body a")]
    assert body_links == ["/van-ban/qd-12/"]


def test_feed_sitemap_search_and_home_block(make_site) -> None:
    root = make_site(register_files())
    out = build(root).output
    assert out is not None
    feed = feedparser.parse((out / "van-ban/feed.xml").read_bytes())
    assert feed.bozo == 0 and feed.version == "atom10"
    assert feed.entries[0].link == "https://example.org/van-ban/kh-sap-toi/"  # newest issued
    assert all("/van-ban/" in e.link for e in feed.entries)
    feed_link = html(out / "van-ban/index.html").css_first('.count a[href$="feed.xml"]')
    assert feed_link.attributes["href"] == "/van-ban/feed.xml"
    assert feed_link.text() == "Nhận tin qua RSS"  # readers are told what it is, not "Atom"
    locs = {e.text for e in ET.parse(out / "sitemap.xml").getroot().iter(f"{SITEMAP}loc")}
    assert "https://example.org/van-ban/qd-12/" in locs and "https://example.org/van-ban/" in locs
    assert "https://example.org/van-ban/nhap/" not in locs
    meta, postings = read_index(built_index_files(root))
    assert {"type": "document", "category": "Quyết định"} in meta["groups"]

    def finds(query: str, *, phrase: bool = False) -> bool:
        """Every folded syllable is held by the document (the search page's rule when no
        page holds them together), or they stand together in order."""
        rows = [postings.get(fold(s), {}).get("/van-ban/qd-12/") for s in syllables(query)]
        if not all(rows):
            return False
        starts = rows[0]["positions"]  # type: ignore[index]
        return not phrase or any(
            all(p + i in row["positions"] for i, row in enumerate(rows))  # type: ignore[index]
            for p in starts
        )

    assert finds("12/QĐ-SCT", phrase=True) and finds("số 12/QĐ-SCT", phrase=True)
    assert finds("quyet dinh 12", phrase=True) and finds("qd 12")
    assert finds("Sở Công Thương An Giang", phrase=True) and not finds("chỉ thị")
    home = html(out / "index.html")
    block = [a.attributes["href"] for a in home.css(".documents-block li a")]
    assert block[0] == "/van-ban/kh-sap-toi/" and len(block) == 5  # home_per_category
    assert home.css_first('.documents-block a[href="/van-ban/du-thao/"]') is not None


def test_comment_window_closes_on_the_build_clock(make_site) -> None:
    root = make_site(register_files())
    after = run_cli("build", "--next-change", "--root", root)
    # Days left change at each midnight of the window; the next one is 02/01 00:00.
    assert after.stdout.strip() == "2025-01-02T00:00:00+07:00"
    later = str(1735689600 + 59 * 86_400)  # 2025-03-01: the window closed, the plan in effect
    result = run_cli("build", "--root", root, env={"SOURCE_DATE_EPOCH": later})
    assert result.returncode == 0, result.stderr
    drafts = html(root / "_site/van-ban/du-thao/index.html")
    assert drafts.css(".drafts li") == []
    assert "Đã hết hạn lấy ý kiến" in html(root / "_site/van-ban/mo/index.html").text()
    listed = {r["Số ký hiệu"]: r["Trạng thái"] for r in listing(root / "_site", "van-ban")}
    assert listed["20/KH-SCT"] == "Còn hiệu lực"  # its effective date has come


def test_one_changed_document_rewrites_its_page_and_the_listings_that_show_it(make_site) -> None:
    root = make_site(register_files())
    build(root)
    path = root / "content/van-ban/2023/qd-5.md"
    path.write_text(path.read_text(encoding="utf-8").replace("(cũ)", "(bản cũ)"), encoding="utf-8")
    written = set(build(root).written)
    out = root / "_site"
    # A page is written again exactly when it shows the changed document.
    for page in out.rglob("*.html"):
        rel = page.relative_to(out).as_posix()
        own = rel == "van-ban/qd-5/index.html"
        shows = own or 'href="/van-ban/qd-5/"' in page.read_text(encoding="utf-8")
        assert (rel in written) == shows, rel
    assert "van-ban/qd-12/index.html" in written  # it names qd-5 under "replaces"


def test_bad_documents_report_codes_at_their_lines(make_site) -> None:
    files: dict[str, str | bytes] = {
        "static/files/gia.pdf": b"PK\x03\x04 a zip named .pdf",
        "content/van-ban/sai-loai.md": document("1/X", "Quyết đinh", "Loại viết sai"),
        "content/van-ban/ngay.md": document(
            "2/X", "Quyết định", "Ngày sai thứ tự", issued="2024-05-01", effective="2024-04-01"
        ),
        "content/van-ban/tep.md": document(
            "3/X", "Quyết định", "Tệp", files=["/files/khong-co.pdf"]
        ),
        "content/van-ban/gia.md": document(
            "4/X", "Quyết định", "Tệp giả", files=["/files/gia.pdf"]
        ),
        "content/van-ban/duoi.md": document("5/X", "Quyết định", "Đuôi", files=["/files/a.exe"]),
        "content/van-ban/trung-a.md": document("6/X", "Quyết định", "Trùng số A"),
        "content/van-ban/trung-b.md": document("6/X", "Công văn", "Trùng số B"),
        "content/van-ban/thay.md": document("7/X", "Quyết định", "Thay", replaces=["404/X"]),
        "content/van-ban/gop-y.md": document(
            "8/X", "Dự thảo", "Thiếu nơi góp ý", comment_until="2025-02-01"
        ),
        "content/van-ban/truong.md": document("9/X", "Quyết định", "Trường lạ", nguoi_ky="A"),
        "content/van-ban/du-thao.md": document("10/X", "Dự thảo", "Slug của trang danh sách"),
        "content/2024/a.md": article(body="Đoạn một.\n\nXem [văn bản](van-ban:404/KHONG-CO)."),
    }
    root = make_site(files)
    result = run_cli("check", "--root", root)
    assert result.returncode == 1
    err = result.stderr
    for expected in (
        "content/van-ban/sai-loai.md:4: E191",
        'có phải ý bạn là "Quyết định"',
        "content/van-ban/ngay.md:7: E192",
        "content/van-ban/tep.md:7: E193",
        "content/van-ban/gia.md:7: E194",
        "content/van-ban/duoi.md:7: E194",
        "content/van-ban/trung-b.md:3: E195",
        "content/van-ban/gop-y.md:7: E110",
        "content/van-ban/truong.md:7: E114",
        'có phải ý bạn là "signer"',
        "content/van-ban/du-thao.md:1: E130",
        "content/2024/a.md:9: E197",
    ):
        assert expected in err, (expected, err)
    assert "trung-a.md:3: E195" not in err  # the first of the two is not the one reported
    assert "Traceback" not in err
    # A replaced document that is not in the register is a warning: the build goes on.
    for name in ("sai-loai", "ngay", "tep", "gia", "duoi", "trung-b", "gop-y", "truong", "du-thao"):
        (root / f"content/van-ban/{name}.md").unlink()
    (root / "content/2024/a.md").unlink()
    result = run_cli("build", "--root", root)
    assert result.returncode == 0, result.stderr
    assert 'content/van-ban/thay.md:7: W196 văn bản bị thay thế "404/X"' in result.stderr


def test_attachment_sizes_are_described_as_readers_expect() -> None:
    assert format_size(245_000) == "245 KB"
    assert format_size(1_234_567) == "1,2 MB"
    assert describe("pdf", 245_000) == "PDF, 245 KB"
    assert describe("docx", None) == "DOCX"


def test_documents_need_no_register_and_articles_need_no_documents(make_site) -> None:
    root = make_site({"content/a.md": article()})
    out = build(root, BuildOptions()).output
    assert out is not None
    assert rows(out / "van-ban/index.html") == []
    assert html(out / "index.html").css_first(".documents-block") is None


def test_sidebar_block_lists_the_newest_and_the_home_block_does_not_repeat_them(make_site) -> None:
    sidebar = "sidebar:\n  - {type: documents, count: 2}\n"
    root = make_site(register_files(), site_yaml=SITE_YAML + sidebar)
    out = build(root).output
    assert out is not None
    newest = [r["Số ký hiệu"] for r in listing(out, "van-ban")]
    page = html(out / "van-ban/qd-12/index.html")
    side = [a.text(strip=True) for a in page.css(".side-documents li a")]
    assert [text.split(":")[0] for text in side] == newest[:2]
    home = html(out / "index.html")
    block = [li.css_first(".number").text(strip=True) for li in home.css(".documents-block li")]
    assert block == newest[2:7]
    # A sidebar that shows every document leaves the home page no block at all.
    (root / "site.yaml").write_text(SITE_YAML + sidebar.replace("2", "20"), encoding="utf-8")
    out = build(root).output
    assert out is not None
    assert html(out / "index.html").css_first(".documents-block") is None


CSV_HEADER = "Số ký hiệu,Trích yếu,Loại văn bản,Cơ quan ban hành,Ngày ban hành,Lĩnh vực,Văn bản bị thay thế,Hạn góp ý,Nơi nhận góp ý,Nội dung\n"


def test_import_documents_writes_one_file_per_row_that_builds(make_site) -> None:
    root = make_site({"content/a.md": article()})
    table = root / "van-ban.csv"
    table.write_text(
        CSV_HEADER
        + '5/QĐ-SCT,"Quy chế cũ, bản 2023",Quyết định,Sở Công Thương An Giang,05/01/2023,'
        + ",,,,\n"
        + "12/QĐ-SCT,Quy chế mới,Quyết định,Sở Công Thương An Giang,01/02/2024,"
        + '"Công nghiệp; Thương mại",5/QĐ-SCT,,,Toàn văn.\n'
        + "DT-1/SCT,Dự thảo,Dự thảo,Sở Công Thương An Giang,20/12/2024,,,10/01/2025,gopy@example.org,\n",
        encoding="utf-8-sig",
    )
    result = run_cli("import-documents", table, "--root", root)
    assert result.returncode == 0, result.stderr
    assert sorted(
        p.relative_to(root).as_posix() for p in (root / "content/van-ban").rglob("*.md")
    ) == [
        "content/van-ban/2023/5-qd-sct.md",
        "content/van-ban/2024/12-qd-sct.md",
        "content/van-ban/2024/dt-1-sct.md",
    ]
    assert run_cli("build", "--root", root).returncode == 0
    out = root / "_site"
    shown = fields_of(out / "van-ban/12-qd-sct/index.html")
    assert shown["Lĩnh vực"] == "Công nghiệp, Thương mại"
    assert shown["Trạng thái"] == "Còn hiệu lực"
    assert fields_of(out / "van-ban/5-qd-sct/index.html")["Trích yếu"] == "Quy chế cũ, bản 2023"
    assert "DT-1/SCT" in html(out / "van-ban/du-thao/index.html").css_first(".drafts").text()
    # The same table again: every row is already there, nothing is written.
    again = run_cli("import-documents", table, "--root", root)
    assert again.returncode == 1 and again.stderr.count("E130") == 3


def test_import_documents_reports_every_bad_row_and_writes_nothing(make_site) -> None:
    root = make_site()
    table = root / "van-ban.csv"
    table.write_text(
        CSV_HEADER
        + "1/QĐ-SCT,Đúng,Quyết định,Sở Công Thương An Giang,01/02/2024,,,,,\n"
        + "2/QĐ-SCT,Ngày sai,Quyết định,Sở Công Thương An Giang,31/02/2024,,,,,\n"
        + "3/QĐ-SCT,Loại sai,Quyết đinh,Sở Công Thương An Giang,01/02/2024,,,,,\n"
        + "4/QĐ-SCT,Thiếu nơi góp ý,Dự thảo,Sở Công Thương An Giang,01/02/2024,,,01/03/2024,,\n"
        + ",Thiếu số,Quyết định,Sở Công Thương An Giang,01/02/2024,,,,,\n",
        encoding="utf-8",
    )
    result = run_cli("import-documents", table, "--root", root)
    assert result.returncode == 1
    for expected in (
        'van-ban.csv:3: E112 cột "Ngày ban hành"',
        'van-ban.csv:4: E191 cột "Loại văn bản"',
        "van-ban.csv:5: E110",
        "van-ban.csv:6: E110",
    ):
        assert expected in result.stderr, (expected, result.stderr)
    assert "van-ban.csv:2:" not in result.stderr
    assert not (root / "content/van-ban").exists()
    bad_header = root / "sai.csv"
    bad_header.write_text("Số ký hiệu,Trích yếu,Ngày ký\n1/X,A,01/01/2024\n", encoding="utf-8")
    result = run_cli("import-documents", bad_header, "--root", root)
    assert 'sai.csv:1: E114 cột không được hỗ trợ "Ngày ký"' in result.stderr
    assert 'thiếu cột bắt buộc "Loại văn bản"' in result.stderr
