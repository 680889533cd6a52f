"""The `serve` command: preview the site, rebuild and reload the browser on every save."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from .cliout import EXIT_OK, EXIT_USAGE, print_problems
from .config import load_config
from .errors import RefusedError, SiteError
from .stages import BuildOptions, Session
from .writer import guard_output


def run_serve(args: argparse.Namespace) -> int:
    """Build (drafts and scheduled articles included), serve, rebuild and reload on change."""
    from .serve import DevServer, changed_pages
    from .servebuilds import ServeBuilds, remove_in_background
    from .watch import Watcher

    root: Path = args.root
    load_config(root)  # a broken site.yaml is reported before anything starts
    temp = Path(tempfile.mkdtemp(prefix="ancongthuong-serve-"))
    out = args.out or temp / "site"
    options = BuildOptions(
        out=out,
        drafts=not args.no_drafts,
        future=not args.no_drafts,
        jobs=args.jobs,
        redirect_moved=False,
        session=Session(),  # the parse cache and the plan stay in memory between saves
    )
    # A folder the builder refuses is never served, now or after any later refusal.
    try:
        out = guard_output(root, out)
    except RefusedError:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    refused: list[RefusedError] = []
    stop = threading.Event()
    # The Host header must name this server (DNS rebinding); --allow-host adds names.
    server = DevServer(
        out, host=args.host, port=args.port, allowed_hosts=(args.host, *args.allow_host)
    )

    builds = ServeBuilds(root, options)

    def announce(written: list[str]) -> None:
        server.set_error(None, changed_pages(written))  # only those pages reload

    def rebuild(changed: frozenset[str] = frozenset()) -> None:
        started = time.perf_counter()
        # A saved article alone, in memory, when the change stays inside it.
        written = builds.local(changed, announce)
        if written is None:
            try:
                written = builds.full().written
            except RefusedError as error:
                refused.append(error)
                stop.set()
                return
            except SiteError as error:
                print_problems(error.problems)
                server.set_error([p.format() for p in error.problems])
                return
            announce(list(written))
        took = (time.perf_counter() - started) * 1000
        print(
            f"{'Đã dựng lại' if changed else 'Đã dựng'}: ghi {len(written)} tệp trong {took:.0f} ms"
            + (f" ({', '.join(sorted(changed)[:3])})" if changed else ""),
            flush=True,
        )

    rebuild()
    if refused:
        shutil.rmtree(temp, ignore_errors=True)
        raise refused[0]
    try:
        server.start()
    except OSError as error:
        shutil.rmtree(temp, ignore_errors=True)
        print(
            f"Không mở được cổng {args.port}: {error.strerror or error}. "
            "Dùng --port để chọn cổng khác.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"Cảnh báo: máy chủ xem trước đang mở ra ngoài ({args.host}); "
            "chỉ dùng trong mạng tin cậy.",
            file=sys.stderr,
        )
    print(f"Xem trước tại {server.url} — Ctrl-C để dừng.", flush=True)
    watcher = Watcher(root, rebuild, quiet=0.05, output_dir=_relative_name(root, out))
    watcher.start()
    try:
        while not stop.wait(3600):
            pass
        raise refused[0]  # a later build was refused: stop serving at once
    except KeyboardInterrupt:
        print("Đã dừng máy chủ xem trước.", flush=True)
        return EXIT_OK
    finally:
        watcher.stop()
        server.shutdown()
        builds.close()
        remove_in_background(temp)  # tens of thousands of files: Ctrl-C returns at once


def _relative_name(root: Path, out: Path) -> str:
    try:
        return out.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return "_site"
