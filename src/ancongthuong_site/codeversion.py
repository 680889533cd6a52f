"""What a cache entry is valid for: the builder's code, the Python running it, and the
libraries that shape the output (an upgrade of any of them makes every page again).

Light on purpose (no third-party import): the no-change shortcut checks it before the
pipeline is imported.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
from pathlib import Path

from . import __version__

CACHE_DIR = ".cache"


# Every library whose upgrade can change a page (distribution → module): a sanitizer fix
# must reach every article.
OUTPUT_LIBRARIES = {
    "Markdown": "markdown",
    "nh3": "nh3",
    "Jinja2": "jinja2",
    "MarkupSafe": "markupsafe",
    "PyYAML": "yaml",
    "python-slugify": "slugify",
    "text-unidecode": "text_unidecode",
    "tzdata": "tzdata",
    "pillow": "PIL",
}


def library_versions() -> str:
    """name=version of each library, read from the metadata folders beside it (a folder
    listing, where importlib.metadata would cost a tenth of a second on every build)."""
    versions = []
    for name, module in OUTPUT_LIBRARIES.items():
        version = _installed_version(name, module)
        if version is None:
            import importlib.metadata  # slow to import: only where the folders say nothing

            try:
                version = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                version = "-"
        versions.append(f"{name}={version}")
    return ",".join(versions)


def _installed_version(name: str, module: str) -> str | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return None
    origin = Path(spec.origin)
    folder = origin.parent.parent if spec.submodule_search_locations else origin.parent
    wanted = _normal(name)
    for entry in _listing(folder):
        stem, dot, kind = entry.rpartition(".")
        if dot and kind in ("dist-info", "egg-info"):
            dist, _, version = stem.partition("-")
            if _normal(dist) == wanted and version:
                return version.partition("-")[0]  # egg-info: "3.4.1-py3.11"
    return None


@functools.cache
def _listing(folder: Path) -> tuple[str, ...]:
    try:
        return tuple(os.listdir(folder))
    except OSError:
        return ()


def _normal(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


@functools.cache
def code_version() -> str:
    """Changes whenever the builder's code, the Python running it or a library that shapes
    the output changes.

    The sources are hashed, not just the version string, so a developer's edit to the
    builder can never be mistaken for "nothing changed".
    """
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return f"{__version__}|{sys.version_info[:2]}|{digest.hexdigest()}|{library_versions()}"
