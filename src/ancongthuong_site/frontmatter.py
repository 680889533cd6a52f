"""Front matter: split the `---` block from the body and read YAML safely, with limits.

The YAML reader is strict on purpose: no tags, no anchors or aliases, no duplicate keys,
no YAML 1.1 surprises (`no` stays the string "no", `0123` stays "0123", dates stay text
and are read by our own date parser). Input is size- and depth-checked *before* libyaml
sees it, because the C loader segfaults on deeply nested brackets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from .errors import ContentError, Problem

MAX_YAML_BYTES = 64 * 1024
MAX_DEPTH = 50
_LINE_SEPARATORS = re.compile("[\u2028\u2029]")

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """libyaml's safe loader with YAML 1.1 implicit types removed and duplicate keys refused."""

    first_line = 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _value in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _YamlProblem(key_node.start_mark.line, "E111", "khóa phải là chữ", "")
            key = key_node.value
            if key in seen:
                raise _YamlProblem(
                    key_node.start_mark.line,
                    "E103",
                    f'khóa "{key}" bị lặp (lần đầu ở dòng {self.first_line + seen[key]})',
                    "xóa một trong hai dòng",
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


# Keep only null, true/false (exactly) and decimal integers; everything else is a string.
StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]{0,17})$"), list("-+0123456789")
)


class _YamlProblem(Exception):
    def __init__(self, line0: int, code: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.line0, self.code, self.message, self.hint = line0, code, message, hint


@dataclass(frozen=True)
class FrontMatter:
    """The raw mapping of a front-matter block and the file line of each top-level key."""

    data: dict[str, Any]
    key_lines: dict[str, int]
    body: str
    body_line: int


def split(text: str, path: str) -> tuple[str, str, int]:
    """Split normalised text (LF line ends, no BOM) into (yaml, body, body's first line)."""
    unclosed = ContentError(
        Problem(
            path,
            1,
            "E101",
            "phần khai báo mở bằng --- nhưng không được đóng",
            "thêm một dòng --- sau trường cuối cùng",
        )
    )
    if not text.startswith("---\n"):
        if text.strip() == "---":
            raise unclosed
        raise ContentError(
            Problem(path, 1, "E100", "tệp không bắt đầu bằng phần khai báo ---", _FM_HINT)
        )
    end = re.search(r"^---[ \t]*$", text[4:], re.MULTILINE)
    if end is None:
        raise unclosed
    yaml_text = text[4 : 4 + end.start()]
    rest = text[4 + end.end() :]
    body_line = 2 + yaml_text.count("\n") + 1
    return yaml_text, rest, body_line


_FM_HINT = "bài viết bắt đầu bằng dòng ---, các trường title, date, category, rồi một dòng ---"


def load_yaml(text: str, path: str, first_line: int) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse a YAML mapping safely. `first_line` is the file line of the YAML's first line.

    Returns the mapping and the file line of each top-level key; raises ContentError.
    """

    def fail(line0: int, code: str, message: str, hint: str = "") -> ContentError:
        line = first_line + max(line0, 0)
        return ContentError(Problem(path, line, code, message, hint))

    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_YAML_BYTES:
        raise fail(
            0,
            "E107",
            f"phần khai báo quá lớn ({size} byte, tối đa {MAX_YAML_BYTES})",
            "chuyển nội dung dài xuống phần thân bài",
        )
    separator = _LINE_SEPARATORS.search(text)
    if separator:
        # libyaml counts these as line breaks, which would put every later line number off.
        raise fail(
            text.count("\n", 0, separator.start()),
            "E122",
            f"ký tự ngắt dòng đặc biệt U+{ord(separator.group()):04X} không được phép",
            "xóa ký tự này (thường lẫn vào khi dán văn bản)",
        )
    deep_line = _too_deep(text)
    if deep_line is not None:
        raise fail(
            deep_line,
            "E106",
            f"dữ liệu lồng nhau quá {MAX_DEPTH} cấp",
            "phần khai báo chỉ cần các giá trị đơn giản và danh sách",
        )
    if "&" in text or "*" in text or "!" in text:
        _refuse_tags_and_aliases(text, fail)
    loader = StrictLoader(text)
    loader.first_line = first_line  # file line of the YAML's first line, for messages
    try:
        root = loader.get_single_node()
        if root is None:
            return {}, {}
        if not isinstance(root, yaml.MappingNode):
            raise fail(
                root.start_mark.line,
                "E102",
                "phần khai báo phải là các dòng “khóa: giá trị”",
                _FM_HINT,
            )
        key_lines = {
            k.value: first_line + k.start_mark.line
            for k, _ in root.value
            if isinstance(k, yaml.ScalarNode)
        }
        data = loader.construct_document(root)
    except _YamlProblem as problem:
        raise fail(problem.line0, problem.code, problem.message, problem.hint) from None
    except yaml.MarkedYAMLError as error:
        found = diagnose(text)
        if found is not None:
            raise fail(*found) from None
        mark = error.problem_mark or error.context_mark
        line0 = mark.line if mark is not None else 0
        raise fail(line0, "E102", _yaml_message(error), _yaml_hint(error)) from None
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as error:
        raise fail(0, "E102", f"lỗi cú pháp YAML: {error}", _FM_HINT) from None
    finally:
        loader.dispose()
    return data, key_lines


def parse(text: str, path: str) -> FrontMatter:
    """Split and parse one article's text (already decoded and normalised)."""
    yaml_text, body, body_line = split(text, path)
    data, key_lines = load_yaml(yaml_text, path, 2)
    return FrontMatter(data=data, key_lines=key_lines, body=body, body_line=body_line)


def _too_deep(text: str) -> int | None:
    """0-based line where brackets nest deeper than MAX_DEPTH, or None.

    Counted on the raw text, quotes included: skipping quoted text would let a stray
    apostrophe hide a bracket bomb from this check, and no real front matter nests 50 deep.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth = 0
    line = 0
    for ch in text:
        if ch == "\n":
            line += 1
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif ch in "]}":
            depth = max(depth - 1, 0)
    return None


def _refuse_tags_and_aliases(text: str, fail: Any) -> None:
    try:
        for event in yaml.parse(text, Loader=_BaseLoader):
            line0 = event.start_mark.line if event.start_mark else 0
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise fail(
                    line0,
                    "E105",
                    "không dùng anchor (&) hay alias (*) của YAML",
                    "viết giá trị ra đầy đủ; nếu giá trị bắt đầu bằng & hoặc *, đặt nó trong ngoặc kép",
                )
            tag = getattr(event, "tag", None)
            if tag:
                raise fail(
                    line0,
                    "E104",
                    f"không dùng thẻ YAML ({tag})",
                    "bỏ phần bắt đầu bằng !; nếu đó là chữ, đặt giá trị trong ngoặc kép",
                )
    except yaml.MarkedYAMLError:
        return  # the real parse reports the syntax error with its place


_KEY = r"[A-Za-z_][A-Za-z0-9_-]*"
_TOP_LINE = re.compile(rf"^({_KEY}):(.*)$")


def diagnose(text: str) -> tuple[int, str, str, str] | None:
    """The line an editor must change, for the usual mistakes in `key: value` lines.

    libyaml notices a mistake where it stops making sense, often a line later (an
    unclosed quote swallows the next line), and says so in English; this reads the
    lines as an editor writes them. Only called once libyaml has refused the text.
    Returns (0-based line, code, message, hint) or None.
    """
    for line0, line in enumerate(text.split("\n")):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if "\t" in line[: len(line) - len(line.lstrip())]:
            return (
                line0,
                "E102",
                "dòng thụt lề bằng phím Tab",
                "YAML chỉ cho thụt lề bằng dấu cách: xóa Tab ở đầu dòng, gõ dấu cách",
            )
        if line[0] in " -":
            continue  # a list item or a continuation: judged by the line that opens it
        match = _TOP_LINE.match(line)
        if match is None:
            head = re.match(rf"^({_KEY})\s+\S", line)
            if head is not None and ":" not in line.split('"')[0]:
                key = head.group(1)
                return (
                    line0,
                    "E102",
                    f'thiếu dấu hai chấm sau tên trường "{key}"',
                    f'viết {key}: rồi một dấu cách và giá trị, ví dụ {key}: "…"',
                )
            continue
        key, rest = match.groups()
        if rest and not rest[0].isspace():
            return (
                line0,
                "E102",
                f'thiếu dấu cách sau dấu hai chấm của "{key}"',
                f"YAML cần một dấu cách sau dấu hai chấm: {key}: {rest.strip()}",
            )
        found = _value_problem(key, rest.strip())
        if found is not None:
            return (line0, "E102", *found)
    return None


def _value_problem(key: str, value: str) -> tuple[str, str] | None:
    if value[:1] in ('"', "'"):
        quote = value[0]
        end = _closing_quote(value, quote)
        if end is None:
            kind = "kép" if quote == '"' else "đơn"
            return (
                f'thiếu dấu ngoặc {kind} đóng ở giá trị của "{key}"',
                f"thêm {quote} ở cuối dòng, sau giá trị",
            )
        after = value[end + 1 :].strip()
        if after and not after.startswith("#"):
            return (
                f'có chữ sau dấu ngoặc đóng ở giá trị của "{key}"',
                "giá trị có dấu ngoặc kép bên trong: dùng ngoặc kép cong “ ” cho phần "
                'bên trong, hoặc viết \\" thay cho "',
            )
        return None
    if ": " in value or value.endswith(":"):
        return (
            "giá trị có dấu hai chấm “: ” mà không đặt trong ngoặc kép",
            f'đặt giá trị trong ngoặc kép, ví dụ: {key}: "{value}"',
        )
    return None


def _closing_quote(value: str, quote: str) -> int | None:
    """Index of the quote that closes `value` (which starts with it), or None."""
    i = 1
    while i < len(value):
        ch = value[i]
        if quote == '"' and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if quote == "'" and value[i + 1 : i + 2] == "'":
                i += 2  # '' is a quote inside single quotes
                continue
            return i
        i += 1
    return None


def _yaml_message(error: yaml.MarkedYAMLError) -> str:
    problem = error.problem or ""
    if "mapping values are not allowed" in problem:
        return "giá trị có dấu hai chấm “: ” mà không đặt trong ngoặc kép"
    if "found character '\\t'" in problem or "\\t" in problem:
        return "dùng phím Tab để thụt lề"
    if "could not find expected ':'" in problem:
        return "thiếu dấu hai chấm sau tên trường"
    if "found unexpected end of stream" in problem or "unexpected end" in problem:
        return "thiếu dấu ngoặc kép đóng"
    if "cannot start any token" in problem:
        return "ký tự không được phép ở đầu giá trị (Tab, @ hoặc `)"
    return f"lỗi cú pháp YAML ({problem})"


def _yaml_hint(error: yaml.MarkedYAMLError) -> str:
    problem = error.problem or ""
    if "mapping values are not allowed" in problem:
        return 'đặt giá trị trong ngoặc kép, ví dụ: title: "Thông báo: lịch tiếp công dân"'
    if "\\t" in problem:
        return "thụt lề bằng dấu cách, không dùng Tab"
    return "kiểm tra dấu ngoặc kép, dấu hai chấm và thụt lề ở dòng này"
