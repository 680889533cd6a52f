"""The command line: the only module that prints and chooses exit codes.

Exit codes: 0 success, 1 content/config/template errors, 2 usage error or refused request,
70 internal error (a bug), 130/143 interrupted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .config import load_config
from .errors import (
    BuildFailed,
    ContentError,
    Interrupted,
    Problem,
    RefusedError,
    SiteError,
    request_stop,
    stop_requested,
)
from .quick import clock, shortcut
from .stages import BuildOptions, BuildResult, Session
from .summary import scheduled_lines, summary
from .vietnamese import VN_TZ, format_datetime, parse_date
from .writer import guard_output

if TYPE_CHECKING:
    from .completeness import Item


def build(root: Path, options: BuildOptions) -> BuildResult:
    """The pipeline, imported only when a build has work to do (see quick.shortcut)."""
    from .build import build as run

    return run(root, options)


EXIT_OK, EXIT_CONTENT, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 70


_MAIN_PID = os.getpid()


def _on_signal(signum: int, frame: object) -> None:
    """Ctrl-C or SIGTERM: the build stops at its next safe point; the old output stays.

    A pool worker forked just as the signal arrived inherits the pending handler; it
    leaves quietly instead of printing a traceback of its own.
    """
    if os.getpid() != _MAIN_PID:
        os._exit(1)
    if stop_requested():
        # A second Ctrl-C: stop now, whatever the build is waiting on (the swap is atomic,
        # so the live output is still the old one).
        raise Interrupted(signum)
    request_stop(signum)


def _on_signal_serving(signum: int, frame: object) -> None:
    if os.getpid() != _MAIN_PID:
        os._exit(1)
    raise KeyboardInterrupt  # the dev server's main thread only sleeps: stop it now


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if threading.current_thread() is threading.main_thread():
        global _MAIN_PID
        _MAIN_PID = os.getpid()
        handler = _on_signal_serving if args.command == "serve" else _on_signal
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
    try:
        return int(args.func(args))
    except RefusedError as error:
        _print_problems(error.problems)
        return EXIT_USAGE
    except SiteError as error:
        _print_problems(
            error.problems, output=args.command == "build", imported=args.command == "import"
        )
        return EXIT_CONTENT
    except (KeyboardInterrupt, Interrupted) as error:
        signum = getattr(error, "signum", signal.SIGINT)
        name = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
        print(f"Đã dừng ({name}); đầu ra cũ giữ nguyên.", file=sys.stderr)
        return 130 if signum == signal.SIGINT else 143
    except Exception:  # noqa: BLE001 - anything else is our bug, never the editor's
        fd, path = tempfile.mkstemp(prefix="ancongthuong-site-bug-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            traceback.print_exc(file=handle)
        print(
            f"Lỗi nội bộ — đây là lỗi của chương trình (this is a bug). Chi tiết đã ghi vào {path}",
            file=sys.stderr,
        )
        return EXIT_BUG


def _print_problems(
    problems: list[Problem] | tuple[Problem, ...], *, output: bool = False, imported: bool = False
) -> None:
    for problem in problems:
        print(problem.format(), file=sys.stderr)
    summary = f"Có {len(problems)} lỗi."
    if output:
        summary += " Không ghi gì ra đầu ra; bản dựng trước vẫn giữ nguyên."
    if imported:
        summary += " Không nhập bài nào (cả lô, hoặc không bài nào); sửa rồi chạy lại cùng lệnh."
    print(summary, file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ancongthuong-site",
        description="Dựng cổng thông tin tĩnh từ các bài viết Markdown.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    def site_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--root", type=Path, default=Path("."), help="thư mục gốc của site")
        command.add_argument("--drafts", action="store_true", help="dựng cả bài nháp")
        command.add_argument("--future", action="store_true", help="dựng cả bài hẹn giờ đăng")
        command.add_argument("--jobs", type=_positive, default=None, help="số tiến trình song song")
        command.add_argument("--quiet", action="store_true", help="không in tiến độ")

    build_cmd = commands.add_parser("build", help="dựng site vào thư mục đầu ra")
    site_options(build_cmd)
    build_cmd.add_argument("--out", type=Path, default=None, help="thư mục đầu ra (mặc định _site)")
    build_cmd.add_argument(
        "--force",
        action="store_true",
        help="cho phép thay thế một thư mục đầu ra không do công cụ tạo",
    )
    build_cmd.add_argument(
        "--no-standby",
        action="store_true",
        help="không để sẵn bản sao cho lần dựng sau (mặc định khi biến môi trường CI được đặt)",
    )
    build_cmd.add_argument(
        "--next-change",
        action="store_true",
        help="chỉ in thời điểm nội dung thay đổi tiếp theo (ISO 8601)",
    )
    build_cmd.set_defaults(func=_cmd_build)

    check_cmd = commands.add_parser("check", help="kiểm tra nội dung và liên kết, không ghi gì")
    site_options(check_cmd)
    check_cmd.add_argument(
        "--strict",
        action="store_true",
        help="coi mục bắt buộc còn thiếu của cổng (báo cáo mức độ đầy đủ) là lỗi",
    )
    check_cmd.set_defaults(func=_cmd_check)

    serve_cmd = commands.add_parser("serve", help="xem trước và tự tải lại khi sửa")
    serve_cmd.add_argument("--root", type=Path, default=Path("."))
    serve_cmd.add_argument("--out", type=Path, default=None)
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8000)
    serve_cmd.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="tên máy được phép trong tiêu đề Host (ngoài localhost)",
    )
    serve_cmd.add_argument("--no-drafts", action="store_true", help="ẩn bài nháp và bài hẹn giờ")
    serve_cmd.add_argument("--jobs", type=_positive, default=None)
    serve_cmd.set_defaults(func=_cmd_serve)

    pages_cmd = commands.add_parser(
        "new-portal-pages", help="tạo trang khung cho các mục bắt buộc của cổng (không ghi đè)"
    )
    pages_cmd.add_argument("--root", type=Path, default=Path("."))
    pages_cmd.set_defaults(func=_cmd_new_portal_pages)

    new_cmd = commands.add_parser("new", help="tạo bài viết mới")
    new_cmd.add_argument("title")
    new_cmd.add_argument("--category", required=True)
    new_cmd.add_argument("--source", default=None)
    new_cmd.add_argument("--date", default=None, help="YYYY-MM-DD [HH:MM] hoặc DD/MM/YYYY")
    new_cmd.add_argument("--root", type=Path, default=Path("."))
    new_cmd.set_defaults(func=_cmd_new)

    import_cmd = commands.add_parser("import", help="nhập bài xuất từ cổng thông tin cũ")
    import_cmd.add_argument("files", nargs="+", type=Path)
    import_cmd.add_argument("--category", required=True)
    import_cmd.add_argument("--date", default=None)
    import_cmd.add_argument("--root", type=Path, default=Path("."))
    import_cmd.set_defaults(func=_cmd_import)

    documents_cmd = commands.add_parser(
        "import-documents", help="nhập sổ văn bản từ bảng tính (CSV, UTF-8)"
    )
    documents_cmd.add_argument("file", type=Path)
    documents_cmd.add_argument("--root", type=Path, default=Path("."))
    documents_cmd.set_defaults(func=_cmd_import_documents)
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("phải là số nguyên dương")
    return value


def _options(args: argparse.Namespace, **more: object) -> BuildOptions:
    return BuildOptions(
        out=getattr(args, "out", None),
        drafts=getattr(args, "drafts", False),
        future=getattr(args, "future", False),
        jobs=args.jobs,
        force=getattr(args, "force", False),
        progress=None if _quiet(args) else _progress,
        **more,  # type: ignore[arg-type]
    )


def _progress(message: str) -> None:
    """One status line on a terminal, overwritten by the next (quiet in CI, see _quiet)."""
    print(f"\r\033[K{message}", end="", file=sys.stderr, flush=True)


def _in_ci() -> bool:
    """CI services set CI (GitHub Actions and GitLab to "true"); their output is published
    and thrown away, never built into again."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _quiet(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "quiet", False)) or not sys.stderr.isatty()


def _cmd_build(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    options = _options(args, last=True, standby=not (args.no_standby or _in_ci()))
    result = shortcut(args.root, options) or build(args.root, options)
    if args.next_change:
        print(result.next_change.isoformat() if result.next_change else "")
        return EXIT_OK
    elapsed = time.perf_counter() - started
    if not _quiet(args):
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    _print_warnings(result)
    print(summary(result, elapsed))
    return EXIT_OK


def _print_warnings(result: BuildResult) -> None:
    """Problems that do not stop a build (W codes), in the same form as errors."""
    for warning in result.warnings:
        print(warning.format(), file=sys.stderr)


def _cmd_check(args: argparse.Namespace) -> int:
    from .checking import check_site
    from .completeness import portal_report

    report = check_site(args.root, _options(args, use_cache=True))
    if not _quiet(args):
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    result = report.result
    _print_warnings(result)
    text = (
        f"Không có lỗi: {result.articles} bài viết, {result.pages} trang tĩnh, "
        f"{result.documents} văn bản, liên kết đều đúng."
    )
    if report.moments:
        text += (
            f" Đã kiểm tra cả {len(report.moments)} thời điểm sắp tới khi nội dung tự thay đổi"
            f" (đến {format_datetime(report.moments[-1])})."
        )
    print(text)
    for line in scheduled_lines(result):
        print(line)
    assert result.index is not None
    items = portal_report(load_config(args.root), result.index)
    missing = _print_completeness(items, strict=args.strict)
    if missing and args.strict:
        raise BuildFailed(missing)
    return EXIT_OK


def _print_completeness(items: list[Item], *, strict: bool) -> list[Problem]:
    """The portal's completeness report; what is missing is returned (and warned about)."""
    from .completeness import missing_problems, report_text

    print(report_text(items))
    missing = missing_problems(items)
    if missing and not strict:
        print("Cảnh báo (không phải lỗi; check --strict coi là lỗi):", file=sys.stderr)
        print("\n".join(problem.format() for problem in missing), file=sys.stderr)
    return missing


def _cmd_serve(args: argparse.Namespace) -> int:
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
                _print_problems(error.problems)
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


def _cmd_new_portal_pages(args: argparse.Namespace) -> int:
    from .scaffold import new_portal_pages

    config = load_config(args.root)
    written, kept = new_portal_pages(config.content_dir)
    for path in written:
        print(f"đã tạo {path.relative_to(args.root).as_posix()}")
    for path in kept:
        print(f"đã có, giữ nguyên {path.relative_to(args.root).as_posix()}")
    print("Điền thông tin chính thức vào các trang trên; check cho biết mục nào còn thiếu.")
    return EXIT_OK


def _cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import new_article

    config = load_config(args.root)
    date = _date_arg(args.date)
    path = new_article(
        config.content_dir,
        args.title,
        args.category,
        config.categories,
        now=clock().astimezone(VN_TZ),
        source=args.source,
        date=date,
    )
    print(_shown(args.root, path))
    return EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    from .importer import import_batch

    config = load_config(args.root)
    categories = config.categories
    batch = import_batch(
        args.files,
        config.content_dir,
        category=args.category,
        categories=categories,
        date=_date_arg(args.date),
    )
    for prepared, already in batch:
        shown = _shown(args.root, prepared.target)
        if already:
            print(f"{prepared.source} → {shown} (đã nhập trước đó, giống hệt: bỏ qua)")
            continue
        print(f"{prepared.source} → {shown}")
        for line in prepared.article.inferred:
            print(f"    {line}")
    return EXIT_OK


def _cmd_import_documents(args: argparse.Namespace) -> int:
    from .docimport import plan_import, write_all

    config = load_config(args.root)
    planned = plan_import(args.file, config)  # every row checked before anything is written
    write_all(planned)
    for item in planned:
        print(f"{args.file.name}:{item.row_line} → {_shown(args.root, item.path)}")
    print(f"Đã nhập {len(planned)} văn bản.")
    return EXIT_OK


def _shown(root: Path, path: Path) -> str:
    return str(path.relative_to(root) if path.is_relative_to(root) else path)


def _date_arg(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        return parse_date(text)
    except ValueError as error:
        raise ContentError(
            Problem("--date", 0, "E112", str(error), "dùng YYYY-MM-DD [HH:MM] hoặc DD/MM/YYYY")
        ) from None
