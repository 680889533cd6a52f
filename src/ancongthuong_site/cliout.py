"""What every command of the command line shares: exit codes and how problems are printed."""

from __future__ import annotations

import sys

from .errors import Problem

EXIT_OK, EXIT_CONTENT, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 70


def print_problems(
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
