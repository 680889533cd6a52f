"""The command line: its parser, `build` and `check`. With `cliout`, `cliserve` and
`clicontent` (the other commands), the only modules that print and choose exit codes.

Exit codes: 0 success, 1 content/config/template errors, 2 usage error or refused request,
70 internal error (a bug), 130/143 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .clicontent import run_import, run_import_documents, run_new, run_new_portal_pages
from .cliout import EXIT_BUG, EXIT_CONTENT, EXIT_OK, EXIT_USAGE, print_problems
from .cliserve import run_serve
from .config import load_config
from .errors import (
    BuildFailed,
    Interrupted,
    Problem,
    RefusedError,
    SiteError,
    request_stop,
    stop_requested,
)
from .quick import shortcut
from .stages import BuildOptions, BuildResult
from .summary import scheduled_lines, summary
from .vietnamese import format_datetime

if TYPE_CHECKING:
    from .completeness import Item


def build(root: Path, options: BuildOptions) -> BuildResult:
    """The pipeline, imported only when a build has work to do (see quick.shortcut)."""
    from .build import build as run

    return run(root, options)


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
        print_problems(error.problems)
        return EXIT_USAGE
    except SiteError as error:
        print_problems(
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
    serve_cmd.set_defaults(func=run_serve)

    pages_cmd = commands.add_parser(
        "new-portal-pages", help="tạo trang khung cho các mục bắt buộc của cổng (không ghi đè)"
    )
    pages_cmd.add_argument("--root", type=Path, default=Path("."))
    pages_cmd.set_defaults(func=run_new_portal_pages)

    new_cmd = commands.add_parser("new", help="tạo bài viết mới")
    new_cmd.add_argument("title")
    new_cmd.add_argument("--category", required=True)
    new_cmd.add_argument("--source", default=None)
    new_cmd.add_argument("--date", default=None, help="YYYY-MM-DD [HH:MM] hoặc DD/MM/YYYY")
    new_cmd.add_argument("--root", type=Path, default=Path("."))
    new_cmd.set_defaults(func=run_new)

    import_cmd = commands.add_parser("import", help="nhập bài xuất từ cổng thông tin cũ")
    import_cmd.add_argument("files", nargs="+", type=Path)
    import_cmd.add_argument("--category", required=True)
    import_cmd.add_argument("--date", default=None)
    import_cmd.add_argument("--root", type=Path, default=Path("."))
    import_cmd.set_defaults(func=run_import)

    documents_cmd = commands.add_parser(
        "import-documents", help="nhập sổ văn bản từ bảng tính (CSV, UTF-8)"
    )
    documents_cmd.add_argument("file", type=Path)
    documents_cmd.add_argument("--root", type=Path, default=Path("."))
    documents_cmd.set_defaults(func=run_import_documents)
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
