"""The Jinja environment: autoescape everywhere, StrictUndefined, errors with template:line."""

from __future__ import annotations

import hashlib
import re
import traceback
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from .errors import Problem
from .picture import picture_html
from .views import Image, Shared, Site

TEMPLATE_SUFFIXES = (".html", ".xml", ".txt", ".json")


def make_environment(templates_dir: Path, site: Site) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.globals["site"] = site
    rendered: dict[tuple, markupsafe.Markup] = {}

    def cached(name: str, **values: Any) -> markupsafe.Markup:
        """A partial shared by many pages (header, sidebar, footer): rendered once per set of
        values. Shared data is keyed by its digest, anything else by itself."""
        key = (
            name,
            *((k, v.digest if isinstance(v, Shared) else v) for k, v in sorted(values.items())),
        )
        if key not in rendered:
            rendered[key] = markupsafe.Markup(env.get_template(name).render(**values))
        return rendered[key]

    env.globals["cached"] = cached

    def picture(
        image: Image, role: str = "column", eager: bool = False, alt: str | None = None
    ) -> markupsafe.Markup:
        """`alt=""` where the image only repeats a link beside it (hidden from screen readers)."""
        text = image.alt if alt is None else alt
        return picture_html(image.media, image.src, text, role, eager=eager)

    env.globals["picture"] = picture
    return env


_LITERAL_ID = re.compile(r"""\bid=["']([A-Za-z0-9_-]+)["']""")


def page_ids(templates_dir: Path) -> frozenset[str]:
    """Every id written literally in the templates (the page's own, which headings avoid)."""
    found: set[str] = set()
    for path in template_files(templates_dir):
        found.update(_LITERAL_ID.findall(path.read_text(encoding="utf-8", errors="replace")))
    return frozenset(found)


def template_files(templates_dir: Path) -> list[Path]:
    if not templates_dir.is_dir():
        return []
    return sorted(p for p in templates_dir.rglob("*") if p.is_file() and not p.name.startswith("."))


def templates_digest(templates_dir: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for path in template_files(templates_dir):
        digest.update(path.relative_to(templates_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def check_templates(
    env: jinja2.Environment, templates_dir: Path, needed: tuple[str, ...]
) -> list[Problem]:
    """Compile every template once so syntax errors are reported before any page renders."""
    problems: list[Problem] = []
    names = {p.relative_to(templates_dir).as_posix() for p in template_files(templates_dir)}
    for name in needed:
        if name not in names:
            problems.append(
                Problem(
                    f"templates/{name}",
                    0,
                    "E151",
                    f"thiếu mẫu {name}",
                    "sao chép mẫu này từ thư mục templates/ của dự án",
                )
            )
    for name in sorted(names):
        if not name.endswith(TEMPLATE_SUFFIXES):
            continue
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as error:
            problems.append(
                Problem(
                    f"templates/{error.name or name}",
                    error.lineno or 0,
                    "E151",
                    f"lỗi cú pháp mẫu: {error.message}",
                    "kiểm tra các cặp {% … %} và {{ … }}",
                )
            )
        except UnicodeDecodeError:
            problems.append(
                Problem(
                    f"templates/{name}",
                    0,
                    "E120",
                    "mẫu không phải UTF-8",
                    "lưu tệp dưới dạng UTF-8",
                )
            )
    return problems


def render_error(error: Exception, templates_dir: Path, page: str) -> Problem:
    """Turn an exception raised while rendering into a Problem pointing at the template line."""
    root = str(templates_dir.resolve())
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename and str(Path(frame.filename).resolve()).startswith(root + "/")
    ]
    if frames:
        frame = frames[-1]
        where = Path(frame.filename).resolve().relative_to(templates_dir.resolve()).as_posix()
        path, line = f"templates/{where}", frame.lineno or 0
    else:
        path, line = "templates", 0
    message = str(error).replace(str(templates_dir.resolve()), "templates")
    if isinstance(error, jinja2.TemplateNotFound):
        message = f"không tìm thấy mẫu {error.name}"
    return Problem(
        path,
        line,
        "E150",
        f"lỗi khi dựng trang {page}: {message}",
        "kiểm tra tên biến và tên mẫu (mẫu dùng chế độ nghiêm ngặt)",
    )
