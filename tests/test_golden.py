"""A few whole pages compared byte for byte with reviewed copies (UPDATE_GOLDEN=1 rewrites them).

A change to the templates or the builder that alters these pages shows up as a readable diff;
if the change is intended, regenerate, read the diff in git, and commit it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from pathlib import Path

import pytest

from ancongthuong_site.build import BuildOptions, build
from conftest import article, make_site, write_tree

GOLDEN = Path(__file__).resolve().parent / "golden"
PAGES = {
    "article.html": "2024/02/hoi-nghi/index.html",
    "category.html": "chuyen-muc/tin-hoat-dong/index.html",
    "home.html": "index.html",
    "feed.xml": "feed.xml",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_site(tmp_path_factory.mktemp("golden"))
    write_tree(
        root,
        {
            "content/2024/02/hoi-nghi.md": article(
                title="Hội nghị tổng kết công tác năm 2023",
                source="Văn phòng",
                author="Phòng Tổng hợp",
                tags=["hội nghị", "tổng kết"],
                image="/images/hoi-nghi.jpg",
                image_caption="Quang cảnh hội nghị",
                body="Sáng ngày 27/02/2024, hội nghị được tổ chức.\n\n## Kết quả\n\n- Mục một\n- Mục hai\n",
            ),
            "content/2024/02/thong-bao.md": article(
                title="Thông báo lịch làm việc", date="26/02/2024", category="Thông báo"
            ),
            "content/2024/01/tin-cu.md": article(title="Tin tháng Một", date="2024-01-15 08:30"),
        },
    )
    result = build(root, BuildOptions(now=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)))
    assert result.output is not None
    return result.output


@pytest.mark.parametrize("name", sorted(PAGES))
def test_golden_page(built: Path, name: str) -> None:
    actual = (built / PAGES[name]).read_text(encoding="utf-8")
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(actual, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"tests/golden/{name}",
                tofile=f"built {PAGES[name]}",
            )
        )
        pytest.fail(f"{name} differs from the golden copy (UPDATE_GOLDEN=1 to accept):\n{diff}")
