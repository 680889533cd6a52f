"""What a build says when it is done: counts, what is scheduled, the next change."""

from __future__ import annotations

from .stages import BuildResult
from .vietnamese import format_datetime


def summary(result: BuildResult, elapsed: float) -> str:
    """The line a finished build prints, then what is scheduled and the next change."""
    documents = f", {result.documents} văn bản" if result.documents else ""
    lines = [
        f"Đã dựng {result.articles} bài viết, {result.pages} trang tĩnh{documents} vào {result.output} "
        f"trong {elapsed:.2f} giây: ghi {len(result.written)} tệp, giữ {result.kept}, "
        f"xóa {len(result.removed)}."
    ]
    lines += scheduled_lines(result)
    if result.next_change:
        lines.append(
            f"Lần thay đổi nội dung tiếp theo: {format_datetime(result.next_change)} "
            f"({result.next_change.isoformat()})"
        )
    return "\n".join(lines)


def scheduled_lines(result: BuildResult) -> list[str]:
    """How many articles are scheduled and when the next one appears (editors ask)."""
    if not result.scheduled:
        return []
    return [
        f"Có {len(result.scheduled)} bài hẹn giờ; bài tiếp theo lên trang lúc "
        f"{format_datetime(result.scheduled[0])}."
    ]
