"""A refusal stops the command: `serve` never serves a folder the builder refused, and
ordinary conditions (permissions, odd files, long names, odd values) are reported with
their code, never as an internal error (exit 70)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import EPOCH, article


def start_serve(root: Path, *args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ancongthuong_site", "serve", "--root", str(root), "--port", "0",
         *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
    )  # fmt: skip


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
