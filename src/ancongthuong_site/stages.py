"""What the build's stages hand each other: the options, the prepared site, the result."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Problem
from .manifest import Signature
from .state import BuildRecord, EarlierUrls, PlanRecord

if TYPE_CHECKING:  # types only: the no-change shortcut imports this module, not the pipeline
    from .index import SiteIndex
    from .inputs import Inputs
    from .media import BodyReader, Media
    from .models import RenderTask
    from .register import Register


@dataclass(frozen=True)
class BuildOptions:
    out: Path | None = None  # default: <root>/_site
    drafts: bool = False
    future: bool = False
    jobs: int | None = None  # default: the CPU count
    force: bool = False
    now: dt.datetime | None = None  # default: SOURCE_DATE_EPOCH, else the clock
    use_cache: bool = True
    redirect_moved: bool = True  # old URLs of moved articles redirect (serve has no need)
    # Leave a linked copy of the output, and the loaded site (snapshot.py), for the next
    # build into it; a CI run or a release is never built into again: both would be waste.
    standby: bool = True
    # The process ends with this build (the CLI): what a build from the kept site read need
    # never be walked by the garbage collector again.
    last: bool = field(default=False, compare=False)
    progress: Callable[[str], None] | None = field(default=None, compare=False)
    # serve: what one build hands the next in memory (parse cache, plan record)
    session: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class BuildResult:
    output: Path | None
    articles: int
    pages: int
    written: tuple[str, ...] = ()
    kept: int = 0
    removed: tuple[str, ...] = ()
    next_change: dt.datetime | None = None
    index: SiteIndex | None = field(default=None, repr=False, compare=False)
    documents: int = 0
    register: Register | None = field(default=None, repr=False, compare=False)
    warnings: tuple[Problem, ...] = ()
    scheduled: tuple[dt.datetime, ...] = ()  # articles still to appear, soonest first
    images_decoded: int = 0  # originals decoded by this build (cached ones are not)
    planned: int = 0  # pages planned (fewer than `pages` when a change stayed local)
    # What the output now holds, for the no-change shortcut (see quick.py).
    record: BuildRecord | None = field(default=None, repr=False, compare=False)
    signatures: dict[str, Signature] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Prepared:
    """Everything known before the first page is rendered."""

    tasks: list[RenderTask]
    static: list[tuple[str, Path, str]]
    index: SiteIndex
    body_of: BodyReader
    inputs: Inputs
    register: Register
    media: Media
    moved: tuple[Problem, ...] = ()  # warnings: articles whose URL changed (old ones redirect)
    settings: str = ""  # digest of every input but the content files (see replan)
    layout: str = ""  # digest of the layout every page shows
    cards: dict[str, str] = field(default_factory=dict)  # article path → its card's digest
    # The previous build's plan when only the pages a local change touches were planned.
    base: PlanRecord | None = None
    planner: Any = None  # plan.Planner, with the cards it made (serve keeps it)
    earlier: EarlierUrls | None = None  # the old URLs the redirect pages come from


def report(options: BuildOptions, message: str) -> None:
    if options.progress is not None:
        options.progress(message)


@dataclass
class Session:
    """What `serve` keeps in memory from one build to the next: the parse cache (read from
    disk once), the plan record (never read back from disk) and the site the last build
    made, from which livesite rebuilds a saved article alone."""

    cache: Any = None  # cache.ParseCache
    plan: PlanRecord | None = None
    first: bool = True  # no build has run yet: the plan record comes from disk
    built: tuple[Any, Prepared] | None = None  # (build.Loaded, its Prepared without tasks)

    def keep(self, loaded: Any, prepared: Prepared) -> None:
        """What a successful build made; its tasks (every page's context) are let go."""
        self.built = (loaded, dataclasses.replace(prepared, tasks=[]))
