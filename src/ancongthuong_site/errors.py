"""Error types with a place: every problem an editor can cause is a `Problem`.

A `Problem` prints like a compiler message, `path:line: CODE message`, followed by
a hint line. Codes are stable (README.md explains each in English); messages are in
Vietnamese, the editors' language.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable
from dataclasses import dataclass

# Code → its title in Vietnamese (the editors' guide lists the same). The README's error
# table gives each code in English, in this order; tests check both tables against this.
CODES: dict[str, str] = {
    "E100": "thiếu phần khai báo (front matter)",
    "E101": "phần khai báo không được đóng",
    "E102": "lỗi cú pháp YAML",
    "E103": "khóa bị lặp",
    "E104": "không cho phép thẻ YAML",
    "E105": "không cho phép anchor/alias YAML",
    "E106": "phần khai báo lồng quá sâu",
    "E107": "vượt giới hạn kích thước",
    "E110": "thiếu trường bắt buộc",
    "E111": "sai kiểu giá trị",
    "E112": "ngày giờ không hợp lệ",
    "E113": "chuyên mục không tồn tại",
    "E114": "trường không được hỗ trợ",
    "E115": "địa chỉ URL không được phép",
    "E120": "tệp không phải UTF-8",
    "E121": "tệp UTF-16",
    "E122": "ký tự không được phép",
    "E130": "hai trang trùng địa chỉ",
    "E131": "slug rỗng",
    "E132": "đường dẫn vượt ra ngoài thư mục",
    "E140": "nội dung Markdown quá phức tạp",
    "E150": "lỗi khi hiển thị mẫu",
    "E151": "lỗi cú pháp mẫu",
    "E160": "không cho phép liên kết tượng trưng",
    "E161": "không phải tệp thường",
    "E170": "liên kết hỏng",
    "W171": "địa chỉ bài đã đổi, địa chỉ cũ tự chuyển hướng",
    "E180": "lỗi cấu hình site.yaml",
    "E190": "cổng còn thiếu mục bắt buộc",
    "E191": "loại hoặc trạng thái văn bản không có",
    "E192": "ngày của văn bản sai thứ tự",
    "E193": "không có tệp đính kèm",
    "E194": "tệp đính kèm sai loại",
    "E195": "trùng số ký hiệu",
    "W196": "văn bản bị thay thế không có trong sổ",
    "E197": "liên kết tới số văn bản không có",
    "E198": "tệp ảnh hỏng hoặc không phải ảnh",
    "E199": "ảnh quá lớn để giải nén",
    "E201": "thư mục đầu ra không an toàn",
    "E203": "thư mục đầu ra không do công cụ tạo",
    "E204": "thư mục đầu ra là điểm gắn kết",
    "E210": "lỗi ghi đĩa",
    "E212": "một lần dựng khác đang chạy",
    "E213": "tệp khóa không phải tệp thường",
    # Image warnings (printed, never stop a build); W196 of the register sits with its codes.
    "W198": "ảnh gốc quá lớn",
    "W199": "ảnh thiếu mô tả (alt)",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the site, at a place an editor can open."""

    path: str
    line: int
    code: str
    message: str
    hint: str = ""

    def format(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {self.code} {self.message}"
        if self.hint:
            text += f"\n    gợi ý: {self.hint}"
        return text


class SiteError(Exception):
    """Base class of every error the builder reports to a user: its `problems`, in the
    order they are printed (see `problem_order`)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(set(problems), key=problem_order))
        super().__init__("\n".join(p.format() for p in self.problems))


class _OneProblem(SiteError):
    def __init__(self, problem: Problem) -> None:
        super().__init__([problem])

    @property
    def problem(self) -> Problem:
        return self.problems[0]


class ContentError(_OneProblem):
    """A single problem found while reading one file."""


class BuildFailed(SiteError):
    """Content, config or templates are wrong: every problem found, reported at once."""


class RefusedError(_OneProblem):
    """A request the builder will not carry out (unsafe output folder, lock held). Exit 2."""


# -- problems made in several places, worded once ------------------------------------------


def symlink_refused(where: str) -> Problem:
    return Problem(
        where,
        0,
        "E160",
        "không cho phép liên kết tượng trưng (symlink)",
        "thay liên kết bằng tệp thật",
    )


def not_regular(where: str) -> Problem:
    return Problem(
        where,
        0,
        "E161",
        "không phải tệp thường (FIFO, socket hay thiết bị)",
        "xóa nó hoặc thay bằng một tệp thường",
    )


def cannot_read(where: str, error: OSError) -> Problem:
    """A source that cannot be read. Sources are opened without following links, so one that
    became a link after it was listed fails with ELOOP: that is E160, like any link."""
    if error.errno == errno.ELOOP:
        return symlink_refused(where)
    return Problem(where, 0, "E210", f"không đọc được tệp: {error.strerror or error}")


def missing_field(where: str, key: str) -> Problem:
    """A required front-matter field that is absent (reported at the file's first line)."""
    return Problem(
        where,
        1,
        "E110",
        f'thiếu trường bắt buộc "{key}"',
        f"thêm dòng {key}: … vào phần khai báo",
    )


def problem_order(problem: Problem) -> tuple[int, str, int, str, str, str]:
    """Config and template problems first (they break every page), then files in order.

    The key is total, so the report never depends on set or hash order.
    """
    first = 0 if problem.code in {"E180", "E150", "E151"} else 1
    return (first, problem.path, problem.line, problem.code, problem.message, problem.hint)


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM, raised at the next safe point of a build (see `stop_point`).

    A BaseException, like KeyboardInterrupt, so no `except Exception` swallows it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_stop_requests: list[int] = []


def request_stop(signum: int) -> None:
    """Called from a signal handler: the build stops at its next `stop_point()`.

    Raising from the handler itself is unsafe: a signal that lands inside a finalizer
    or an at-fork hook has its exception printed and swallowed, and the build goes on.
    """
    _stop_requests.append(signum)


def stop_requested() -> bool:
    return bool(_stop_requests)


def stop_point() -> None:
    if _stop_requests:
        raise Interrupted(_stop_requests[0])
