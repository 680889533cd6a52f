"""The commands that write content files: a new article, the portal's page skeletons,
imports of old articles and of the documents register."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from .cliout import EXIT_OK
from .config import load_config
from .errors import ContentError, Problem
from .quick import clock
from .vietnamese import VN_TZ, parse_date


def run_new_portal_pages(args: argparse.Namespace) -> int:
    from .scaffold import new_portal_pages

    config = load_config(args.root)
    written, kept = new_portal_pages(config.content_dir)
    for path in written:
        print(f"đã tạo {path.relative_to(args.root).as_posix()}")
    for path in kept:
        print(f"đã có, giữ nguyên {path.relative_to(args.root).as_posix()}")
    print("Điền thông tin chính thức vào các trang trên; check cho biết mục nào còn thiếu.")
    return EXIT_OK


def run_new(args: argparse.Namespace) -> int:
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


def run_import(args: argparse.Namespace) -> int:
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


def run_import_documents(args: argparse.Namespace) -> int:
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
