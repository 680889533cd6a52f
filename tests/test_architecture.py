"""The module order of the README: a module imports only modules above it in this list."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "ancongthuong_site"

# Lower modules first. vietnamese and frontmatter sit above config because site.yaml is
# read with the same strict YAML reader and category slugs use the same slug function.
ORDER = [
    "errors",
    "codeversion",
    "vietnamese",
    "files",
    "attachments",
    "frontmatter",
    "portal",
    "config",
    "models",
    "views",
    "urls",
    "images",
    "picture",
    "markup",
    "searchtokens",
    "searchterms",
    "searchtexts",
    "values",
    "pagefields",
    "loader",
    "documents",
    "index",
    "searchpairs",
    "searchmerge",
    "searchupdate",
    "searchindex",
    "register",
    "completeness",
    "layout",
    "sitepages",
    "templating",
    "docpages",
    "plan",
    "collisions",
    "signed",
    "searchstate",
    "cache",
    "filecaches",
    "pool",
    "imagecache",
    "media",
    "manifest",
    "state",
    "replan",
    "filewriter",
    "writer",
    "inputs",
    "stages",
    "snapshot",
    "quick",
    "render",
    "history",
    "localbuild",
    "build",
    "livesite",
    "servebuilds",
    "linkcheck",
    "checking",
    "watch",
    "devpaths",
    "livereload",
    "serve",
    "scaffold",
    "dateline",
    "importer",
    "docimport",
    "summary",
    "cliout",
    "cliserve",
    "clicontent",
    "cli",
]
ALWAYS_ALLOWED = {"__init__"}  # the version string


def package_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                if node.module:
                    found.add(node.module.split(".")[0])
                else:  # "from . import x": a module, or a name from __init__
                    found.update(a.name if a.name in ORDER else "__init__" for a in node.names)
            elif node.module and node.module.startswith("ancongthuong_site"):
                parts = node.module.split(".")
                found.add(parts[1] if len(parts) > 1 else "__init__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "ancongthuong_site" and len(parts) > 1:
                    found.add(parts[1])
    return found


def test_every_module_is_in_the_order() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    assert modules == set(ORDER)


@pytest.mark.parametrize("module", ORDER)
def test_imports_point_down(module: str) -> None:
    allowed = set(ORDER[: ORDER.index(module)]) | ALWAYS_ALLOWED
    upward = package_imports(PACKAGE / f"{module}.py") - allowed
    assert not upward, f"{module}.py imports {sorted(upward)}, which sit below it"


def test_only_cli_prints() -> None:
    for path in PACKAGE.glob("*.py"):
        if path.stem.startswith("cli") or path.stem == "__main__":  # the command line
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print"
        ]
        assert not calls, f"{path.name} calls print()"


def test_modules_stay_small() -> None:
    for path in PACKAGE.glob("*.py"):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= 500, f"{path.name} has {lines} lines: it is doing two jobs"
