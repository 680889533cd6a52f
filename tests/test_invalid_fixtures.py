"""Bad input never breaks the portal: one fixture folder per bad case, run through the real CLI.

Each folder under tests/fixtures/invalid/ holds the *differences* from a small good site
(a content file, a template, a site.yaml) and `expected.json`:

    {"exit": 1, "code": "E112", "path": "content/2024/02/a.md", "line": 3,
     "stderr_contains": [...], "stderr_absent": [...],
     "generate": {"content/…": [["text", times], ...]},   # big files, built at test time
     "xfail": "BUG: …"}                                      # a known bug in src/

For every case, `build` and `check` must exit with the expected code, print
`path:line: CODE message` followed by a "    gợi ý: …" hint for every problem, print no
traceback and no absolute path of the machine, and leave the previous good `_site/`, its
sibling folders and the sources exactly as they were, with no staging folder left behind.
"""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import REPO, article, leftovers, make_site, run_cli, tree_digest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "invalid"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.json").is_file())
GOOD = {
    "content/2024/01/bai-goc.md": article(
        title="Bài gốc đã đăng",
        date="2024-01-15 08:00",
        source="Văn phòng",
        tags=["hội nghị"],
    )
}
PROBLEM = re.compile(r"^(?P<path>\S.*?)(?::(?P<line>\d+))?: (?P<code>E\d{3}) ")
HINT = "    gợi ý: "


def load_case(name: str) -> tuple[dict, dict[str, bytes]]:
    """expected.json and the case's files (relative to the site root) as bytes."""
    folder = FIXTURES / name
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    files = {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != "expected.json"
    }
    for rel, pieces in expected.get("generate", {}).items():
        files[rel] = "".join(text * times for text, times in pieces).encode("utf-8")
    return expected, files


def case_params() -> list:
    params = []
    for name in CASES:
        expected, _ = load_case(name)
        marks = []
        if "xfail" in expected:
            marks.append(pytest.mark.xfail(reason=expected["xfail"], strict=True))
        params.append(pytest.param(name, id=name, marks=marks))
    return params


def copy_over(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def sources_digest(root: Path) -> list:
    return [(name, tree_digest(root / name)) for name in ("content", "templates", "static")] + [
        ("site.yaml", (root / "site.yaml").read_bytes())
    ]


def location(expected: dict) -> str:
    if expected["line"] is None:
        return f"{expected['path']}: {expected['code']} "
    return f"{expected['path']}:{expected['line']}: {expected['code']} "


def problems_of(stderr: str) -> list[tuple[str, str]]:
    """(problem line, the line after it) for every `path[:line]: CODE …` line."""
    lines = stderr.splitlines()
    return [
        (line, lines[i + 1] if i + 1 < len(lines) else "")
        for i, line in enumerate(lines)
        if PROBLEM.match(line)
    ]


def assert_reported(result, expected: dict, forbidden_path: Path) -> None:  # type: ignore[no-untyped-def]
    stderr = result.stderr
    assert result.returncode == expected["exit"], stderr
    assert "Traceback" not in stderr, stderr
    assert "this is a bug" not in stderr, stderr
    found = problems_of(stderr)
    assert any(line.startswith(location(expected)) for line, _ in found), (
        f"{location(expected)!r} not reported:\n{stderr}"
    )
    for text in expected.get("stderr_contains", []):
        assert text in stderr, f"{text!r} missing:\n{stderr}"
    for text in expected.get("stderr_absent", []):
        assert text not in stderr, stderr
    assert str(forbidden_path) not in stderr, f"absolute path in a message:\n{stderr}"
    assert str(forbidden_path.resolve()) not in stderr, stderr
    assert stderr.rstrip().splitlines()[-1].startswith(f"Có {len(found)} lỗi"), stderr
    for line, after in found:
        assert after.startswith(HINT), f"no hint after {line!r}:\n{stderr}"


@pytest.fixture(scope="module")
def good_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `_site/` of the good site, built once by the real CLI."""
    root = make_site(tmp_path_factory.mktemp("good") / "site", GOOD)
    result = run_cli("build", "--root", root)
    assert result.returncode == 0, result.stderr
    return root / "_site"


def prepared_site(make_site, good_output: Path) -> Path:  # type: ignore[no-untyped-def]
    """A good site whose output from an earlier successful build is in place."""
    root = make_site(GOOD)
    shutil.copytree(good_output, root / "_site")
    evil = root / "_site-evil"
    evil.mkdir()
    (evil / "keep.txt").write_text("không được đụng vào", encoding="utf-8")
    return root


def build_and_check(root: Path):  # type: ignore[no-untyped-def]
    """`build` and `check` on the same site, side by side (neither may write a thing).

    TMPDIR points beside the site, so a crash report of a known bug stays in the test's folder.
    """
    env = {"TMPDIR": str(root.parent)}
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(
            pool.map(lambda command: run_cli(command, "--root", root, env=env), ["build", "check"])
        )


def test_every_case_has_a_complete_expectation() -> None:
    assert len(CASES) >= 40
    for name in CASES:
        expected, files = load_case(name)
        assert files, name
        assert expected["exit"] in (1, 2), name
        assert re.fullmatch(r"E\d{3}", expected["code"]), name
        assert expected["line"] is None or expected["line"] >= 1, name
        if expected["path"] != "site.yaml":
            assert expected["path"] in files, name
    catalogue = {
        json.loads((FIXTURES / n / "expected.json").read_text())["catalogue"] for n in CASES
    }
    covered = {part for entry in catalogue for part in entry.split("/")}
    wanted = {f"FM{n:02d}" for n in range(1, 15) if n != 8}  # FM08 is valid input: see below
    wanted |= {"ENC01", "ENC02", "ENC04", "URL01", "URL02", "URL03", "URL04", "MD01"}
    wanted |= {"TPL01", "TPL02"}
    assert wanted <= covered, wanted - covered


@pytest.mark.parametrize("name", case_params())
def test_bad_input_is_reported_and_the_old_output_kept(
    name: str, make_site, good_output: Path, tmp_path: Path
) -> None:
    expected, files = load_case(name)
    root = prepared_site(make_site, good_output)
    before = tree_digest(root / "_site")
    evil_before = tree_digest(root / "_site-evil")
    copy_over(root, files)
    sources = sources_digest(root)

    built, checked = build_and_check(root)

    assert tree_digest(root / "_site") == before
    assert tree_digest(root / "_site-evil") == evil_before
    assert leftovers(root) == []
    assert sources_digest(root) == sources
    assert not (root / "PWNED").exists() and not (REPO / "PWNED").exists()
    for result in (built, checked):
        assert_reported(result, expected, tmp_path)


def test_three_bad_files_are_all_reported_in_one_run(make_site, good_output: Path) -> None:
    root = prepared_site(make_site, good_output)
    before = tree_digest(root / "_site")
    copy_over(
        root,
        {
            "content/2024/02/ngay-sai.md": article(date="2024-02-30").encode(),
            "content/2024/03/truong-la.md": article(tilte="Sai chính tả").encode(),
            "content/2024/04/ma-cu.md": article(
                title="Thông báo", category="Thông báo", body="Thông báo."
            ).encode("cp1258"),
        },
    )
    for result in build_and_check(root):
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        for where in (
            "content/2024/02/ngay-sai.md:3: E112 ",
            "content/2024/03/truong-la.md:5: E114 ",
            "content/2024/04/ma-cu.md:2: E120 ",
        ):
            assert where in result.stderr, result.stderr
        assert "Có 3 lỗi" in result.stderr
    assert tree_digest(root / "_site") == before
    assert leftovers(root) == []


def test_template_and_content_problems_come_together(make_site) -> None:
    """Template errors are not hidden behind content errors: both are listed in one run."""
    root = make_site(
        {
            "content/2024/02/a.md": article(date="2024-13-01"),
            "templates/404.html": "{% extends 'base.html' %}\n{% block main %}{% if %}{% endblock %}\n",
        }
    )
    result = run_cli("build", "--root", root)
    assert result.returncode == 1
    assert "templates/404.html:2: E151 " in result.stderr
    assert "content/2024/02/a.md:3: E112 " in result.stderr
    assert not (root / "_site").exists()


def test_the_error_report_does_not_depend_on_the_hash_seed(make_site) -> None:
    root = make_site(
        {"content/2024/02/a.md": article(aliases=["../../z", "%2e%2e/x", "a/../../b", "x y"])}
    )
    reports = {
        run_cli("build", "--root", root, env={"PYTHONHASHSEED": seed}).stderr
        for seed in ("1", "2", "3")
    }
    assert all("content/2024/02/a.md:5: E132 " in report for report in reports)
    assert len(reports) == 1, "\n---\n".join(sorted(reports))


def test_nfc_and_nfd_twins_are_one_url(make_site) -> None:
    """ENC05: a file typed on a Mac (NFD name) and its NFC twin write the same URL."""
    name = "thông-báo-mới"
    root = make_site(
        {
            f"content/2024/02/{unicodedata.normalize('NFC', name)}.md": article(title="Một"),
            f"content/2024/02/{unicodedata.normalize('NFD', name)}.md": article(title="Hai"),
        }
    )
    for result in build_and_check(root):
        assert result.returncode == 1, result.stderr
        assert f"content/2024/02/{unicodedata.normalize('NFC', name)}.md:1: E130 " in result.stderr
        assert "/2024/02/thong-bao-moi/index.html" in result.stderr
    assert not (root / "_site").exists()


def test_naive_dates_are_vietnam_time_and_future_articles_wait(make_site) -> None:
    """FM08 is valid input: a naive time is Asia/Ho_Chi_Minh; "future" is SOURCE_DATE_EPOCH's."""
    root = make_site(
        {
            "content/2024/02/gio-dia-phuong.md": article(date="2024-02-01 08:00"),
            "content/2025/06/hen-gio.md": article(title="Hẹn giờ", date="2025-06-01 08:00"),
        }
    )
    result = run_cli("build", "--root", root, env={"TZ": "America/New_York"})
    assert result.returncode == 0, result.stderr
    page = (root / "_site/2024/02/gio-dia-phuong/index.html").read_text(encoding="utf-8")
    assert 'datetime="2024-02-01T08:00:00+07:00"' in page
    assert not (root / "_site/2025/06/hen-gio").exists()
    result = run_cli("build", "--root", root, "--future")
    assert result.returncode == 0, result.stderr
    assert (root / "_site/2025/06/hen-gio/index.html").is_file()
