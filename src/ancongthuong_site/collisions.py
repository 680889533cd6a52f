"""Output paths that cannot all be written: two sources for one file (compared
case-insensitively), a file where another output needs a folder, a name no file system
can hold. Found after planning, before anything is written."""

from __future__ import annotations

from .errors import Problem
from .models import RenderTask


def find_collisions(tasks: list[RenderTask], static_files: list[str]) -> list[Problem]:
    """Two things writing one file (compared case-insensitively, as editors' Macs do), or
    one writing a file where another needs a folder (an alias "/robots.txt/")."""
    problems = _names_too_long(tasks, static_files)
    keys = [task.output_path.casefold() for task in tasks] + [
        rel.casefold() for rel in static_files
    ]
    unique = set(keys)
    in_the_way = unique & _folders_of(unique)
    if len(unique) == len(keys) and not in_the_way:
        return problems  # the usual case, found without building every owner's name
    owners: dict[str, list[str]] = {}
    for task in tasks:
        owners.setdefault(task.output_path.casefold(), []).append(
            f"content/{task.source}" if task.source else f"trang tự sinh /{task.output_path}"
        )
    for rel in static_files:
        owners.setdefault(rel.casefold(), []).append(f"static/{rel}")
    for output in sorted(in_the_way):
        inner = min(key for key in unique if key.startswith(output + "/"))
        names = owners[output] + owners[inner]
        message = f"/{output} vừa là một tệp vừa phải là thư mục chứa /{inner}"
        problems.append(_collision(names, message, "đổi địa chỉ (slug, địa chỉ cũ hay tên tệp)"))
    for output, names in sorted(owners.items()):
        if len(names) > 1:
            message = f"nhiều nguồn cùng ghi ra /{output}"
            problems.append(_collision(names, message, "đổi slug (hoặc tên tệp) của một bài"))
    return problems


def _collision(names: list[str], message: str, change: str) -> Problem:
    """E130 at the first editor's file among the owners (else the first owner)."""
    first = next((n for n in names if n.startswith(("content/", "static/"))), names[0])
    line = 1 if first.startswith("content/") else 0
    text = f"{message}: {', '.join(sorted(names))}"
    return Problem(first, line, "E130", text, f"{change} để địa chỉ khác nhau")


def _folders_of(paths: set[str]) -> set[str]:
    """Every folder the paths need, level by level (most paths share their folders)."""
    folders: set[str] = set()
    level = {path.rpartition("/")[0] for path in paths if "/" in path}
    while level:
        new = level - folders
        folders |= new
        level = {folder.rpartition("/")[0] for folder in new if "/" in folder}
    return folders


NAME_MAX = 255  # bytes in one file or folder name, on every file system a portal uses


def _names_too_long(tasks: list[RenderTask], static_files: list[str]) -> list[Problem]:
    """An output name no file system can hold (a very long alias, slug or file name)."""
    problems = []
    for path, owner in [(t.output_path, t.source or "site.yaml") for t in tasks] + [
        (rel, "") for rel in static_files
    ]:
        if len(path.encode()) <= NAME_MAX:
            continue  # the usual case: the whole path is shorter than one name may be
        longest = max(path.split("/"), key=lambda name: len(name.encode()))
        if len(longest.encode()) > NAME_MAX:
            where = "site.yaml" if owner == "site.yaml" else f"content/{owner}"
            where = where if owner else f"static/{path}"
            problems.append(
                Problem(
                    where,
                    1 if where.startswith("content/") else 0,
                    "E132",
                    f"tên trong địa chỉ /{path[:80]}… dài quá {NAME_MAX} byte",
                    "rút ngắn slug, địa chỉ cũ (aliases) hay tên tệp",
                )
            )
    return problems
