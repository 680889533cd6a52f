"""One problem, one message, at the line the editor must change, in Vietnamese."""

from __future__ import annotations

import re

from conftest import article, run_cli

GOOD = 'date: "2024-02-27 14:00"\ncategory: "Tin hoạt động"\n'

# file → (its text, the line to change, words the message must contain, words of the hint)
YAML_MISTAKES = {
    "unclosed-quote.md": (
        f'---\ntitle: "Hội nghị tổng kết năm 2024\n{GOOD}---\nThân bài.\n',
        2,
        "thiếu dấu ngoặc kép đóng",
        'thêm "',
    ),
    "no-space.md": (
        '---\ntitle: "Hội nghị"\ndate:"2024-02-27"\ncategory: "Tin hoạt động"\n---\nThân.\n',
        3,
        'thiếu dấu cách sau dấu hai chấm của "date"',
        'date: "2024-02-27"',
    ),
    "tab.md": (
        f'---\ntitle: "Hội nghị"\ntags:\n\t- "hội nghị"\n{GOOD}---\nThân bài.\n',
        4,
        "thụt lề bằng phím Tab",
        "dấu cách",
    ),
    "no-colon.md": (
        f'---\ntitle: "Hội nghị"\nsource "Văn phòng"\n{GOOD}---\nThân bài.\n',
        3,
        'thiếu dấu hai chấm sau tên trường "source"',
        'source: "…"',
    ),
    "inner-quotes.md": (
        f'---\ntitle: "Hưởng ứng phong trào "Dân vận khéo""\n{GOOD}---\nThân bài.\n',
        2,
        "có chữ sau dấu ngoặc đóng",
        "“ ”",
    ),
    "colon.md": (
        f"---\ntitle: Thông báo: lịch tiếp công dân\n{GOOD}---\nThân bài.\n",
        2,
        "dấu hai chấm “: ” mà không đặt trong ngoặc kép",
        'title: "Thông báo',
    ),
}


def test_yaml_mistakes_are_reported_at_their_line_in_vietnamese(make_site) -> None:
    files = {f"content/{name}": text for name, (text, *_rest) in YAML_MISTAKES.items()}
    root = make_site(files)
    result = run_cli("check", "--root", root)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    for name, (_text, line, words, hint) in YAML_MISTAKES.items():
        found = [i for i, text in enumerate(lines) if text.startswith(f"content/{name}:")]
        assert len(found) == 1, (name, result.stderr)
        message, hint_line = lines[found[0]], lines[found[0] + 1]
        assert message.startswith(f"content/{name}:{line}: E102 "), message
        assert words in message and hint in hint_line, (message, hint_line)
        # Never libyaml's English ("did not find expected key", "found character …").
        assert not re.search(r"\b(found|expected|mapping|token)\b", message + hint_line)


def test_every_problem_of_a_file_is_reported_in_one_run(make_site) -> None:
    text = article(date="2024-02-30", category="Tin hoat dong")
    root = make_site({"content/a.md": text})
    result = run_cli("check", "--root", root)
    assert result.returncode == 1
    codes = re.findall(r"^content/a\.md:(\d+): (E\d+)", result.stderr, re.MULTILINE)
    lines = text.splitlines()
    assert codes == [
        (str(lines.index('date: "2024-02-30"') + 1), "E112"),
        (str(lines.index('category: "Tin hoat dong"') + 1), "E113"),
    ]
    assert 'có phải ý bạn là "Tin hoạt động"' in result.stderr
