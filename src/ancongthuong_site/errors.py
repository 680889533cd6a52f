"""Error types with a place: every problem an editor can cause is a `Problem`.

A `Problem` prints like a compiler message, `path:line: CODE message`, followed by
a hint line. Codes are stable (documented in README.md with their English title);
messages are in Vietnamese, the editors' language.
"""

from __future__ import annotations

from dataclasses import dataclass

# Code → (Vietnamese title, English title). The README's table is built from the same list.
CODES: dict[str, tuple[str, str]] = {
    "E100": ("thiếu phần khai báo (front matter)", "missing front matter"),
    "E101": ("phần khai báo không được đóng", "unterminated front matter"),
    "E102": ("lỗi cú pháp YAML", "YAML syntax error"),
    "E103": ("khóa bị lặp", "duplicate key"),
    "E104": ("không cho phép thẻ YAML", "YAML tags are not allowed"),
    "E105": ("không cho phép anchor/alias YAML", "YAML anchors and aliases are not allowed"),
    "E106": ("phần khai báo lồng quá sâu", "front matter nested too deeply"),
    "E107": ("vượt giới hạn kích thước", "size limit exceeded"),
    "E110": ("thiếu trường bắt buộc", "required field missing"),
    "E111": ("sai kiểu giá trị", "wrong value type"),
    "E112": ("ngày giờ không hợp lệ", "invalid date"),
    "E113": ("chuyên mục không tồn tại", "unknown category"),
    "E114": ("trường không được hỗ trợ", "unknown field"),
    "E115": ("địa chỉ URL không được phép", "URL not allowed"),
    "E120": ("tệp không phải UTF-8", "file is not UTF-8"),
    "E121": ("tệp UTF-16", "file is UTF-16"),
    "E122": ("ký tự không được phép", "forbidden character"),
    "E130": ("hai trang trùng địa chỉ", "two pages write the same URL"),
    "E131": ("slug rỗng", "empty slug"),
    "E132": ("đường dẫn vượt ra ngoài thư mục", "path escapes its folder"),
    "E140": ("nội dung Markdown quá phức tạp", "Markdown too complex"),
    "E150": ("lỗi khi hiển thị mẫu", "template rendering error"),
    "E151": ("lỗi cú pháp mẫu", "template syntax error"),
    "E160": ("không cho phép liên kết tượng trưng", "symbolic links are not allowed"),
    "E161": ("không phải tệp thường", "not a regular file (FIFO, socket, device)"),
    "E170": ("liên kết hỏng", "broken link"),
    "W171": (
        "địa chỉ bài đã đổi, địa chỉ cũ tự chuyển hướng",
        "article URL changed, the old one redirects (warning)",
    ),
    "E180": ("lỗi cấu hình site.yaml", "site.yaml configuration error"),
    "E190": ("cổng còn thiếu mục bắt buộc", "portal is missing a required item"),
    "E191": ("loại hoặc trạng thái văn bản không có", "unknown document type or status"),
    "E192": ("ngày của văn bản sai thứ tự", "document dates out of order"),
    "E193": ("không có tệp đính kèm", "attached file missing"),
    "E194": ("tệp đính kèm sai loại", "attached file of the wrong type"),
    "E195": ("trùng số ký hiệu", "the same number twice for one issuer"),
    "W196": (
        "văn bản bị thay thế không có trong sổ",
        "replaced document not in the register (warning)",
    ),
    "E197": ("liên kết tới số văn bản không có", "link to an unknown document number"),
    "E198": ("tệp ảnh hỏng hoặc không phải ảnh", "broken, truncated or non-image file"),
    "E199": ("ảnh quá lớn để giải nén", "image too large to decode (decompression bomb)"),
    "E201": ("thư mục đầu ra không an toàn", "unsafe output folder"),
    "E203": ("thư mục đầu ra không do công cụ tạo", "output folder not created by this tool"),
    "E204": ("thư mục đầu ra là điểm gắn kết", "output folder is a mount point"),
    "E210": ("lỗi ghi đĩa", "disk write error"),
    "E212": ("một lần dựng khác đang chạy", "another build is running"),
    "E213": ("tệp khóa không phải tệp thường", "the lock file is not a regular file"),
    # Image warnings (printed, never stop a build); W196 of the register sits with its codes.
    "W198": ("ảnh gốc quá lớn", "original image over the size limit"),
    "W199": ("ảnh thiếu mô tả (alt)", "image without alt text"),
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
    """Base class of every error the builder reports to a user."""


class ContentError(SiteError):
    """A single problem found while reading one file."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.format())
        self.problem = problem


class BuildFailed(SiteError):
    """Content, config or templates are wrong: every problem found, reported at once."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(sorted(set(problems), key=problem_order))
        super().__init__("\n".join(p.format() for p in self.problems))


class RefusedError(SiteError):
    """A request the builder will not carry out (unsafe output folder, lock held). Exit 2."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.format())
        self.problem = problem


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
