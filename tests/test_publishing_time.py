"""Time cannot break a site that passed `check`: scheduled and expiring articles.

The test clock is 2025-01-01 00:00 UTC (07:00 Vietnam time); see conftest.EPOCH.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ancongthuong_site.build import BuildOptions, build
from ancongthuong_site.linkcheck import check_links
from conftest import article, html, make_site, run_cli, write_tree

RECRUITMENT = article(
    title="Thông báo tuyển dụng viên chức năm 2025",
    date="2025-01-10 08:00",
    category="Thông báo",
    tags=["tuyển dụng"],
    source="Phòng Tổ chức",
    expires="2025-02-01",
    body="Sở thông báo tuyển dụng viên chức.\n\nHồ sơ nộp tại bộ phận một cửa.",
)
OTHER = article(title="Tin hoạt động đầu năm", date="2024-12-20 09:00", source="Văn phòng")


def epoch(text: str) -> str:
    moment = dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone(dt.timedelta(hours=7)))
    return str(int(moment.timestamp()))


def test_an_expired_notice_alone_in_its_tag_and_source_breaks_nothing(make_site) -> None:
    root = make_site({"content/2025/01/tuyen-dung.md": RECRUITMENT, "content/a.md": OTHER})
    # At push time (before it is published) and at every later hourly run.
    for now in ("2025-01-01 07:00", "2025-01-15 09:00", "2025-02-01 00:00", "2025-06-01 12:00"):
        env = {"SOURCE_DATE_EPOCH": epoch(now)}
        checked = run_cli("check", "--root", root, env=env)
        assert checked.returncode == 0, (now, checked.stderr)
        built = run_cli("build", "--root", root, env=env)
        assert built.returncode == 0, (now, built.stderr)
    page = html(root / "_site/2025/01/tuyen-dung/index.html")
    footer = page.css_first(".article-footer")
    assert "tuyển dụng" in footer.text() and "Phòng Tổ chức" in footer.text()
    # Expired: neither the tag nor the source has a listing page any more, so no link to them.
    assert not (root / "_site/the/tuyen-dung").exists()
    assert not (root / "_site/nguon/phong-to-chuc").exists()
    assert not footer.css(".source a, .tags a")  # (the share links stay)


def test_a_scheduled_article_with_a_missing_pdf_fails_at_push_time(make_site) -> None:
    body = "Lịch tiếp công dân tháng 3.\n\nTải [lịch chi tiết](/files/lich-tiep-cong-dan.pdf)."
    scheduled = article(title="Lịch tiếp công dân", date="2025-03-01 08:00", body=body)
    root = make_site({"content/2025/03/lich.md": scheduled, "content/a.md": OTHER})
    result = run_cli("check", "--root", root)
    assert result.returncode == 1
    problems = [line for line in result.stderr.splitlines() if ": E" in line]
    assert problems == [
        'content/2025/03/lich.md:9: E170 liên kết "/files/lich-tiep-cong-dan.pdf" không tồn tại'
        ' — khi bài "content/2025/03/lich.md" được đăng lúc Thứ Bảy, 01/03/2025 08:00'
    ]
    # Adding the file fixes it; check then says which moments it looked at.
    write_tree(root, {"static/files/lich-tiep-cong-dan.pdf": b"%PDF-1.4\n"})
    result = run_cli("check", "--root", root)
    assert result.returncode == 0, result.stderr
    assert "1 thời điểm sắp tới" in result.stdout
    # check and build (a full one, then the quick no-change one) say what is scheduled.
    soon = "Có 1 bài hẹn giờ; bài tiếp theo lên trang lúc Thứ Bảy, 01/03/2025 08:00."
    assert soon in result.stdout
    for _ in range(2):
        built = run_cli("build", "--root", root)
        assert built.returncode == 0 and soon in built.stdout, built.stdout


def test_a_missing_lead_image_is_one_problem_at_its_line(make_site) -> None:
    text = article(image="/images/khong-co.jpg", tags=["x"], source="Văn phòng")
    root = make_site({"content/a.md": text, "content/b.md": OTHER})
    line = text.splitlines().index('image: "/images/khong-co.jpg"') + 1
    result = run_cli("check", "--root", root)
    assert result.returncode == 1
    problems = [line for line in result.stderr.splitlines() if ": E" in line]
    assert problems == [f'content/a.md:{line}: E170 ảnh "/images/khong-co.jpg" không tồn tại']
    assert "site/" not in result.stderr and "sửa mẫu" not in result.stderr


# -- property: random small sites at random clocks ------------------------------------------

DAY = dt.timedelta(days=1)
START = dt.datetime(2024, 12, 1, 8, 0)
TAGS = ["tuyển dụng", "hội nghị", "xúc tiến thương mại"]
SOURCES = ["", "Văn phòng", "Phòng Tổ chức"]
CATEGORIES = ["Tin hoạt động", "Thông báo"]

article_specs = st.lists(
    st.tuples(
        st.integers(0, 60),  # publication day after START
        st.one_of(st.none(), st.integers(1, 40)),  # expires this many days later
        st.lists(st.sampled_from(TAGS), max_size=2, unique=True),
        st.sampled_from(SOURCES),
        st.sampled_from(CATEGORIES),
        st.one_of(st.none(), st.integers(0, 7)),  # links to that article, if it exists
    ),
    min_size=1,
    max_size=7,
)


def _site_files(specs: list) -> dict[str, str]:
    files = {}
    for number, (day, lasts, tags, source, category, target) in enumerate(specs):
        date = START + day * DAY
        body = f"Bài số {number}."
        if target is not None and target < len(specs):
            target_date = START + specs[target][0] * DAY
            body += f"\n\nXem [bài {target}](/{target_date:%Y/%m}/bai-{target}/)."
        fields: dict[str, object] = {"tags": tags} if tags else {}
        if source:
            fields["source"] = source
        if lasts is not None:
            fields["expires"] = f"{date + lasts * DAY:%Y-%m-%d %H:%M}"
        files[f"content/bai-{number}.md"] = article(
            f"Bài {number}", f"{date:%Y-%m-%d %H:%M}", category, body, **fields
        )
    return files


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(specs=article_specs, clocks=st.lists(st.integers(0, 24 * 110), min_size=2, max_size=4))
def test_a_site_that_passed_check_is_whole_at_every_later_moment(
    tmp_path_factory, specs: list, clocks: list[int]
) -> None:
    root = make_site(tmp_path_factory.mktemp("site"), _site_files(specs))
    vn = dt.timezone(dt.timedelta(hours=7))
    moments = sorted(START.replace(tzinfo=vn) + dt.timedelta(hours=h) for h in clocks)
    env = {"SOURCE_DATE_EPOCH": str(int(moments[0].timestamp()))}
    passed = run_cli("check", "--root", root, env=env).returncode == 0
    for moment in moments:
        out = build(root, BuildOptions(now=moment, use_cache=False)).output
        assert out is not None
        broken = [p.message for p in check_links(out, "https://example.org/")]
        if passed:
            assert broken == [], moment
        else:
            # Only an editor's link to an article not yet published may break; never a
            # link the templates made.
            assert all(re.match(r'liên kết "/\d{4}/\d\d/bai-\d+/"', m) for m in broken), broken
        shutil.rmtree(out)


def test_check_names_the_moment_a_link_breaks(make_site) -> None:
    # b links to a; a expires later but its page stays: fine. c links to a listing
    # that only exists while a is listed: broken from the moment a expires.
    files = {
        "content/a.md": article(
            title="A", date="2024-12-01 08:00", tags=["hội chợ"], expires="2025-02-01 00:00"
        ),
        "content/b.md": article(title="B", body="Xem [bài A](/2024/12/a/)."),
        "content/c.md": article(title="C", body="Các tin [hội chợ](/the/hoi-cho/)."),
    }
    root = make_site(files)
    result = run_cli("check", "--root", root)
    assert result.returncode == 1
    problems = [line for line in result.stderr.splitlines() if ": E" in line]
    assert problems == [
        'content/c.md:7: E170 liên kết "/the/hoi-cho/" không tồn tại — khi bài "content/a.md"'
        " hết hạn lúc Thứ Bảy, 01/02/2025 00:00"
    ]
