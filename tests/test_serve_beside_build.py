"""`serve` beside other commands in the same folder, as the editors' guide has them run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conftest import EPOCH, article, run_cli


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(path: Path, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(encoding="utf-8", errors="replace"):
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {path.read_text()}")


def test_serve_survives_concurrent_builds_and_stops_cleanly(make_site, tmp_path: Path) -> None:
    files = {f"content/2024/0{i}/bai-{i}.md": article(title=f"Bài {i}") for i in range(1, 6)}
    root = make_site(files)
    stdout, stderr = tmp_path / "serve.out", tmp_path / "serve.err"
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONWARNINGS": "default"}
    with stdout.open("w") as out, stderr.open("w") as err:
        serve = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ancongthuong_site",
                "serve",
                "--root",
                str(root),
                "--port",
                str(_free_port()),
            ],
            stdout=out,
            stderr=err,
            env=env,
        )
    try:
        _wait_for(stdout, "Xem trước tại")
        # Builds and checks in the same folder, two at a time, and the output deleted
        # between them: none of it is a source, so serve rebuilds nothing.
        with ThreadPoolExecutor(2) as pool:
            runs = list(pool.map(lambda c: run_cli(c, "--root", root), ["build", "check"] * 3))
        assert all(run.returncode in (0, 2) for run in runs), [r.stderr for r in runs]
        assert any(run.returncode == 0 for run in runs if run.args[3] == "build")
        for name in ("_site", "._site.standby"):
            subprocess.run(["rm", "-rf", str(root / name)], check=True)
        assert run_cli("build", "--root", root).returncode == 0
        time.sleep(0.5)
        assert "Đã dựng lại" not in stdout.read_text(encoding="utf-8")
        # A real edit is still seen.
        (root / "content/2024/01/bai-1.md").write_text(article(title="Bài 1 đã sửa"))
        _wait_for(stdout, "Đã dựng lại")
    finally:
        serve.send_signal(signal.SIGINT)
        code = serve.wait(timeout=30)
    err_text = stderr.read_text(encoding="utf-8")
    assert code == 0, err_text
    assert err_text == "", err_text
    assert "Đã dừng máy chủ xem trước." in stdout.read_text(encoding="utf-8")


def test_the_watcher_watches_only_the_sources(make_site) -> None:
    from ancongthuong_site.watch import Watcher

    root = make_site({"content/a.md": article()})
    for name in ("_site/2024/02/a", "._site.standby/x", ".cache", ".git/objects"):
        (root / name).mkdir(parents=True)
    seen: list[frozenset[str]] = []
    with Watcher(root, seen.append, quiet=0.05) as watcher:
        assert watcher._observer is not None
        watched = sorted(Path(e.watch.path).name for e in watcher._observer.emitters)
        assert watched == sorted(["content", "static", "templates", root.name])
        (root / "_site/2024/02/a/index.html").write_text("x")
        (root / "content/a.md").write_text(article(title="Sửa"))
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
    assert seen == [frozenset({"content/a.md"})]
