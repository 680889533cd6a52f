"""The command line as an editor uses it: new, build, exit codes, the bug path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ancongthuong_site import cli
from conftest import EPOCH, article, run_cli


def test_new_writes_a_valid_draft_stub_and_never_overwrites(make_site) -> None:
    root = make_site()
    result = run_cli(
        "new",
        "Hội nghị triển khai nhiệm vụ",
        "--category",
        "thong-bao",
        "--source",
        "Văn phòng",
        "--date",
        "2024-05-02 08:00",
        "--root",
        root,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "content/2024/05/hoi-nghi-trien-khai-nhiem-vu.md"
    assert run_cli("build", "--root", root).returncode == 0
    assert not (root / "_site/2024/05/hoi-nghi-trien-khai-nhiem-vu").exists()  # a draft
    drafts = run_cli("build", "--root", root, "--drafts", "--out", root / "drafts")
    assert drafts.returncode == 0, drafts.stderr
    page = (root / "drafts/2024/05/hoi-nghi-trien-khai-nhiem-vu/index.html").read_text()
    assert "Hội nghị triển khai nhiệm vụ" in page and "Bản nháp" in page
    again = run_cli(
        "new",
        "Hội nghị triển khai nhiệm vụ",
        "--category",
        "thong-bao",
        "--date",
        "2024-05-02",
        "--root",
        root,
    )
    assert again.returncode == 1 and "E130" in again.stderr


def test_new_refuses_an_unknown_category_listing_the_valid_ones(make_site) -> None:
    root = make_site()
    result = run_cli("new", "Tin", "--category", "Tin hoat dong", "--root", root)
    assert result.returncode == 1
    assert "E113" in result.stderr and "Thông báo" in result.stderr
    assert list((root / "content").rglob("*.md")) == []


def test_usage_errors_exit_2(make_site) -> None:
    assert run_cli("build", "--jobs", "0").returncode == 2
    assert run_cli("frobnicate").returncode == 2


def test_an_internal_error_is_reported_as_a_bug(monkeypatch, capsys, make_site) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "build", broken)
    code = cli.main(["build", "--root", str(make_site())])
    err = capsys.readouterr().err
    assert code == 70
    assert "this is a bug" in err and "Traceback" not in err
    report = Path(err.split("vào ")[-1].strip())
    assert "RuntimeError: boom" in report.read_text()
    report.unlink()


@pytest.mark.parametrize("command", ["build", "check"])
def test_a_site_without_site_yaml_is_a_clear_error(tmp_path: Path, command: str) -> None:
    result = run_cli(command, "--root", tmp_path)
    assert result.returncode == 1
    assert "site.yaml: E180" in result.stderr and "Traceback" not in result.stderr


PIPELINE = ("jinja2", "markdown", "nh3", "PIL")
PROBE = (
    "import sys; from ancongthuong_site.cli import main; code = main(sys.argv[1:]); "
    f"print(code, [m for m in {PIPELINE!r} if m in sys.modules])"
)


def test_a_ci_build_leaves_no_linked_copy_for_a_next_build(make_site) -> None:
    # An editor's build leaves a standby tree so the next edit writes only what changed; a
    # CI run (CI set) or `--no-standby` publishes its output once and leaves neither that
    # nor the loaded site kept for the next build.
    root = make_site({"content/2024/02/a.md": article(body="Chữ cũ.")})
    standby, page = root / "._site.standby", root / "_site/2024/02/a/index.html"
    for env, flags, kept in (
        ({"CI": "true"}, [], False),
        ({"CI": ""}, ["--no-standby"], False),
        ({"CI": "false"}, [], True),
    ):
        shutil.rmtree(root / "_site", ignore_errors=True)
        shutil.rmtree(standby, ignore_errors=True)
        (root / ".cache/site.pickle").unlink(missing_ok=True)
        assert run_cli("build", "--root", root, *flags, env=env).returncode == 0
        assert page.is_file() and standby.is_dir() == kept, (env, flags)
        assert (root / ".cache/site.pickle").is_file() == kept, (env, flags)
    # A build after a CI-style one still writes the edit (it makes the standby itself).
    run_cli("build", "--root", root, env={"CI": "1"})
    (root / "content/2024/02/a.md").write_text(article(body="Chữ mới."), encoding="utf-8")
    assert run_cli("build", "--root", root, env={"CI": ""}).returncode == 0
    assert "Chữ mới." in page.read_text(encoding="utf-8")


def test_a_build_with_nothing_to_do_stops_before_the_pipeline(make_site) -> None:
    root = make_site({"content/2024/02/a.md": article(body="Chữ cũ.")})
    assert run_cli("build", "--root", root).returncode == 0

    def build_in_probe() -> str:
        done = subprocess.run(
            [sys.executable, "-c", PROBE, "build", "--root", str(root)],
            capture_output=True,
            text=True,
            env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
        )
        return done.stdout

    kept = build_in_probe()
    assert "ghi 0 tệp" in kept and kept.endswith("0 []\n")  # nothing of the pipeline loaded
    # An edit that leaves the file's size and modification time as they were is still seen.
    path, page = root / "content/2024/02/a.md", root / "_site/2024/02/a/index.html"
    before = path.stat()
    path.write_text(article(body="Chữ mũ."), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert "ghi 0 tệp" not in build_in_probe()
    assert "Chữ mũ." in page.read_text(encoding="utf-8")
    # A page changed by hand in the output is made again, never kept.
    page.write_text("sửa tay", encoding="utf-8")
    assert "ghi 1 tệp" in build_in_probe()
    assert "Chữ mũ." in page.read_text(encoding="utf-8")
    assert build_in_probe().endswith("0 []\n")
