"""A refusal stops the command: `serve` never serves a folder the builder refused, and
ordinary conditions (permissions, odd files, long names, odd values) are reported with
their code, never as an internal error (exit 70)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ancongthuong_site.build import BuildOptions, build
from ancongthuong_site.errors import RefusedError
from ancongthuong_site.files import read_bytes
from conftest import EPOCH, SITE_YAML, article, run_cli


def start_serve(root: Path, *args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ancongthuong_site",
            "serve",
            "--root",
            str(root),
            "--port",
            "0",
            *map(str, args),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
    )


def wait_for_line(process: subprocess.Popen[str], text: str, timeout: float = 30) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen += line
        if text in line:
            return seen
    raise AssertionError(f"{text!r} not printed; got:\n{seen}")


def test_serve_refuses_an_unsafe_output_folder_and_serves_nothing(make_site) -> None:  # type: ignore[no-untyped-def]
    root = make_site({"content/2024/02/a.md": article()})
    process = start_serve(root, "--out", "/")
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2, output
    assert "E201" in output
    assert "http://" not in output  # no address printed: nothing was served


def test_serve_stops_when_a_later_build_is_refused(make_site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = make_site({"content/2024/02/a.md": article()})
    out = tmp_path / "preview"
    process = start_serve(root, "--out", out)
    try:
        wait_for_line(process, "http://")
        # The output folder is swapped for a link to somewhere else: the next build is
        # refused (E201) and the server must not go on serving what the link points to.
        os.rename(out, tmp_path / "moved")
        os.symlink("/", out)
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            # Saved again until seen: the watcher starts just after the address is printed.
            (root / "content/2024/02/a.md").write_text(article(title="Sửa"), encoding="utf-8")
            time.sleep(0.5)
        output, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 2, output
    assert "E201" in output


# -- ordinary conditions are reported with their code, never as a bug (exit 70) -------------


def assert_reported(
    result: subprocess.CompletedProcess[str], code: str, exit_code: int = 1
) -> None:
    assert result.returncode == exit_code, result.stderr
    assert code in result.stderr
    assert "this is a bug" not in result.stderr


def test_an_output_that_cannot_be_written_is_e210(make_site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = make_site({"content/2024/02/a.md": article()})
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    assert_reported(run_cli("build", "--root", root, "--out", tmp_path / "a-file/_site"), "E210")


@pytest.mark.parametrize(
    "change",
    [
        'menu: "Trang chủ"\n',
        "menu: 7\n",
        "footer: [1, 2]\n",
        'footer: "Sở Công Thương"\n',
    ],
)
def test_site_yaml_values_of_the_wrong_type_are_e180(make_site, change: str) -> None:  # type: ignore[no-untyped-def]
    root = make_site({"content/2024/02/a.md": article()}, site_yaml=SITE_YAML + change)
    assert_reported(run_cli("build", "--root", root), "E180")


@pytest.mark.parametrize("epoch", ["99999999999999999999", "253402300800"])
def test_an_out_of_range_source_date_epoch_is_e180(make_site, epoch: str) -> None:  # type: ignore[no-untyped-def]
    root = make_site({"content/2024/02/a.md": article()})
    result = run_cli("build", "--root", root, env={"SOURCE_DATE_EPOCH": epoch})
    assert_reported(result, "E180")
    assert "SOURCE_DATE_EPOCH" in result.stderr


def test_check_with_a_link_segment_over_255_bytes_reports_a_broken_link(make_site) -> None:  # type: ignore[no-untyped-def]
    body = f"Xem [tài liệu](/{'a' * 300}/)."
    root = make_site({"content/2024/02/a.md": article(body=body)})
    assert_reported(run_cli("check", "--root", root), "E170")


def test_names_over_255_bytes_are_e132_at_their_source(make_site) -> None:  # type: ignore[no-untyped-def]
    long_category = SITE_YAML + f'  - name: "Dài"\n    slug: "{"d" * 300}"\n'
    root = make_site(
        {"content/2024/02/a.md": article(aliases=[f"/{'x' * 300}.html"])},
        site_yaml=long_category,
    )
    result = run_cli("build", "--root", root)
    assert_reported(result, "E132")
    assert "content/2024/02/a.md:1: E132" in result.stderr
    assert "site.yaml: E132" in result.stderr
    assert "E210" not in result.stderr


def test_a_mount_point_output_is_refused_with_a_way_out(make_site, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    root = make_site({"content/2024/02/a.md": article()})
    (root / "_site").mkdir()
    real = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p) == root / "_site" or real(p))
    with pytest.raises(RefusedError) as refused:
        build(root, BuildOptions(jobs=1))
    assert refused.value.problem.code == "E204"
    assert "rsync" in refused.value.problem.hint
    assert list((root / "_site").iterdir()) == []


# -- FIFOs and other odd files never block a build --------------------------------------------


@pytest.mark.parametrize("where", ["content/2024/02/ong.md", "static/ong", "templates/ong.html"])
def test_a_fifo_among_the_sources_is_refused_without_waiting(make_site, where: str) -> None:  # type: ignore[no-untyped-def]
    root = make_site({"content/2024/02/a.md": article()})
    os.mkfifo(root / where)
    result = run_cli("build", "--root", root, timeout=60)  # used to wait forever
    assert_reported(result, "E161")
    assert f"{where}: E161" in result.stderr
    assert not (root / "_site").exists()


def test_site_yaml_as_a_fifo_is_reported_without_waiting(make_site) -> None:  # type: ignore[no-untyped-def]
    root = make_site({"content/2024/02/a.md": article()})
    (root / "site.yaml").unlink()
    os.mkfifo(root / "site.yaml")
    assert_reported(run_cli("build", "--root", root, timeout=60), "E180")


def test_reading_a_fifo_swapped_in_after_discovery_fails_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "ong.md")
    with pytest.raises(OSError):
        read_bytes(tmp_path / "ong.md")
