"""`import` on official Vietnamese writing of different shapes, written for these tests.

Each text is invented (no real people): the shapes are those of a Department's news,
notices and reports. For each, the date the importer must choose and the structure the
article must keep.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from selectolax.lexbor import LexborHTMLParser

from ancongthuong_site.loader import parse_file
from ancongthuong_site.markup import MarkupSettings, Renderer
from conftest import run_cli

PORTAL = "Cổng thông tin điện tử Sở Công Thương An Giang"

# name → (text, date in front matter, h2 headings, tables, ordered lists, bullet lists, captions)
TEXTS: dict[str, tuple[str, str, int, int, int, int, int]] = {
    "trich-quyet-dinh.txt": (
        f"""{PORTAL}
Sở Công Thương triển khai chương trình khuyến công năm 2024

Thực hiện Quyết định số 1520/QĐ-UBND ngày 10/01/2024 của Ủy ban nhân dân tỉnh, sáng ngày 14/3/2024, Sở Công Thương tổ chức hội nghị triển khai chương trình khuyến công.

Quang cảnh hội nghị

Hội nghị thống nhất các nội dung trọng tâm của năm.

Nguồn: Phòng Quản lý Công nghiệp
""",
        "2024-03-14",
        0,
        0,
        0,
        0,
        1,
    ),
    "dong-ghi-ngay.txt": (
        f"""{PORTAL}
Kiểm tra an toàn thực phẩm tại chợ đầu mối
Thứ Năm, 28-03-2024 08:30

Đoàn kiểm tra liên ngành đã làm việc tại chợ đầu mối theo Kế hoạch số 25/KH-SCT ngày 20/02/2024.

Kết quả kiểm tra được tổng hợp gửi các cơ quan liên quan.

Nguồn: Phòng Quản lý Thương mại
""",
        "2024-03-28 08:30",
        0,
        0,
        0,
        0,
        0,
    ),
    "ngay-thang-nam.txt": (
        f"""{PORTAL}
Hội nghị sơ kết công tác quản lý thị trường

Sáng ngày 05 tháng 3 năm 2024, Sở Công Thương tổ chức hội nghị sơ kết.

Các đơn vị báo cáo kết quả thực hiện nhiệm vụ.

Nguồn: Văn phòng
""",
        "2024-03-05",
        0,
        0,
        0,
        0,
        0,
    ),
    "ngay-gach-ngang.txt": (
        f"""{PORTAL}
Tập huấn sử dụng điện tiết kiệm

Ngày 5-3-2024, Sở Công Thương phối hợp tổ chức lớp tập huấn cho doanh nghiệp.

Học viên được hướng dẫn các giải pháp tiết kiệm năng lượng.

Nguồn: Phòng Quản lý Năng lượng
""",
        "2024-03-05",
        0,
        0,
        0,
        0,
        0,
    ),
    "chieu-khong-chu-ngay.txt": (
        f"""{PORTAL}
Làm việc với doanh nghiệp xuất khẩu gạo

Căn cứ Kế hoạch số 25/KH-SCT ngày 20/02/2024, chiều 14/3/2024, lãnh đạo Sở làm việc với các doanh nghiệp.

Các doanh nghiệp nêu khó khăn về thị trường.

Nguồn: Phòng Xuất nhập khẩu
""",
        "2024-03-14",
        0,
        0,
        0,
        0,
        0,
    ),
    "bang-gia.txt": (
        f"""{PORTAL}
Giá một số mặt hàng thiết yếu

Theo số liệu thu thập ngày 10/4/2024, giá các mặt hàng ổn định.

Mặt hàng\tĐơn vị\tGiá (đồng)
Gạo thường\tkg\t15.000
Thịt heo\tkg\t110.000
Đường cát\tkg\t25.000

Sở tiếp tục theo dõi diễn biến giá cả thị trường.

Nguồn: Phòng Quản lý Thương mại
""",
        "2024-04-10",
        0,
        1,
        0,
        0,
        0,
    ),
    "bao-cao-danh-so.txt": (
        f"""{PORTAL}
Kết quả thực hiện nhiệm vụ quý I năm 2024

Chiều ngày 2/4/2024, Sở tổ chức họp đánh giá kết quả quý I.

I. KẾT QUẢ ĐẠT ĐƯỢC

Các chỉ tiêu chính đều đạt kế hoạch.

II. NHIỆM VỤ QUÝ II

Nội dung trọng tâm gồm:
1. Đẩy mạnh xúc tiến thương mại.
2. Kiểm tra an toàn điện mùa khô.
3. Hỗ trợ doanh nghiệp chuyển đổi số.

Nguồn: Văn phòng
""",
        "2024-04-02",
        2,
        0,
        1,
        0,
        0,
    ),
    "tieu-de-muc-ky-ten.txt": (
        f"""{PORTAL}
Tổng kết phong trào thi đua năm 2023

Sáng 20/01/2024, Công đoàn Sở Công Thương tổ chức hội nghị tổng kết.

1. Kết quả đạt được

Phong trào thi đua được triển khai rộng khắp.

Đại biểu dự hội nghị

2. Phương hướng năm 2024

Tiếp tục đổi mới nội dung, hình thức thi đua.

Văn phòng Sở

Nguồn: Văn phòng
""",
        "2024-01-20",
        2,
        0,
        0,
        0,
        1,
    ),
    "dong-dia-danh.txt": (
        f"""{PORTAL}
Thông báo lịch tiếp công dân tháng 4 năm 2024
An Giang, ngày 25 tháng 3 năm 2024

Căn cứ Công văn số 345/SCT-VP ngày 3/2/2024, Sở Công Thương thông báo lịch tiếp công dân.

Lịch tiếp công dân được niêm yết tại trụ sở Sở.

Nguồn: Văn phòng
""",
        "2024-03-25",
        0,
        0,
        0,
        0,
        0,
    ),
    "gach-dau-dong.txt": (
        f"""{PORTAL}
Khuyến cáo sử dụng điện an toàn mùa mưa bão

Tối 20/4/2024, Sở Công Thương phát đi khuyến cáo đến người dân:
- Kiểm tra hệ thống điện trong nhà trước mùa mưa.
- Không đến gần dây điện bị đứt.
- Ngắt điện khi nhà bị ngập nước.

Nguồn: Phòng Kỹ thuật an toàn
""",
        "2024-04-20",
        0,
        0,
        0,
        1,
        0,
    ),
}
# Only dates of cited documents: the importer cannot know the publication date.
CITED_ONLY = f"""{PORTAL}
Hướng dẫn thực hiện Thông tư về kinh doanh xăng dầu

Thực hiện Thông tư số 17/2021/TT-BCT ngày 15/11/2021 và Công văn số 88/SCT-QLTM ngày 3/1/2024, Sở hướng dẫn các thương nhân thực hiện.

Nguồn: Phòng Quản lý Thương mại
"""


def _write(folder: Path, files: dict[str, str]) -> list[Path]:
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [folder / name for name in files]


def test_official_texts_keep_their_date_and_structure(make_site, tmp_path: Path) -> None:
    root = make_site()
    exports = _write(tmp_path / "exports", {name: spec[0] for name, spec in TEXTS.items()})
    bad = _write(tmp_path / "exports", {"chi-trich-van-ban.txt": CITED_ONLY})
    # One export without a usable date: the batch writes nothing at all.
    failed = run_cli("import", *exports, *bad, "--category", "Thông báo", "--root", root)
    assert failed.returncode == 1
    assert "chi-trich-van-ban.txt: E112" in failed.stderr
    assert "“3/1/2024” (dòng 4) là ngày của văn bản được trích" in "".join(failed.stderr)
    assert list((root / "content").rglob("*.md")) == []

    done = run_cli("import", *exports, "--category", "Thông báo", "--root", root)
    assert done.returncode == 0, done.stderr
    renderer = Renderer(MarkupSettings("https://example.org/", False))
    for name, (_text, date, headings, tables, ordered, bullets, captions) in TEXTS.items():
        line = next(
            x for x in done.stdout.splitlines() if x.startswith(f"{tmp_path}/exports/{name}")
        )
        path = root / line.split(" → ")[1]
        head = yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])
        assert head["date"] == date, name
        body = LexborHTMLParser(parse_file("x.md", path.read_bytes(), renderer).body_html or "")
        found = (
            len(body.css("h2")),
            len(body.css("table")),
            len(body.css("ol")),
            len(body.css("ul")),
            len(body.css("figcaption")),
        )
        assert found == (headings, tables, ordered, bullets, captions), name
    notes = done.stdout
    assert "bỏ qua “10/01/2024” (dòng 4) là ngày của văn bản được trích" in notes
    assert "lấy từ dòng ghi ngày “28-03-2024 08:30” (dòng 3)" in notes
    assert "bảng 3 cột" in notes and "danh sách đánh số" in notes
    assert "là dòng ký tên/đơn vị viết bài, giữ là văn bản: “Văn phòng Sở”" in notes
    table = next((root / "content").rglob("gia-mot-so-mat-hang*.md")).read_text(encoding="utf-8")
    assert "| Gạo thường | kg | 15.000 |" in table

    # The same batch again: every article is already there, identical, so nothing changes.
    again = run_cli("import", *exports, "--category", "Thông báo", "--root", root)
    assert again.returncode == 0 and again.stdout.count("giống hệt: bỏ qua") == len(TEXTS)

    given = run_cli(
        "import", *bad, "--category", "Thông báo", "--date", "2024-01-08 09:00", "--root", root
    )
    assert given.returncode == 0, given.stderr
    assert "Ngày đăng 2024-01-08 09:00 lấy từ tùy chọn --date" in given.stdout
    assert "lấy từ dòng ghi ngày" not in given.stdout and "không dùng" in given.stdout
